// A local stand-in for Slack's Web API and response_url: records every call (form or JSON bodies, blocks
// parsed) and answers like Slack, including scripted 429s with Retry-After and ok:false errors.
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parse as parseQuery } from 'node:querystring';

export interface RecordedCall {
  /** Web API method (e.g. "chat.postMessage") or "response_url". */
  method: string;
  /** Parameters with JSON-string fields (blocks, view) parsed. */
  params: Record<string, unknown>;
  /** For response_url calls: the path it was posted to. */
  path: string;
  token: string | undefined;
  at: number;
  status: number;
}

export type ScriptedFailure = { status: 429; retryAfter: number } | { error: string } | { status: number };

export class FakeSlackApi {
  readonly calls: RecordedCall[] = [];
  /** Members of Slack user groups, answered by usergroups.users.list (unknown groups: no_such_subteam). */
  readonly userGroups = new Map<string, string[]>();
  /** The WebSocket URL apps.connections.open hands out (a FakeSlackSocket's url); unset: Socket Mode refused. */
  socketUrl: string | undefined;
  private server: Server | undefined;
  private readonly failures = new Map<string, ScriptedFailure[]>();
  private nextTs = 1_700_000_000_000_000;
  private waiters: Array<() => void> = [];
  port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** The base URL to give the WebClient (SLACK_API_URL). */
  get apiUrl(): string {
    return `${this.url}/api/`;
  }

  responseUrl(id: string): string {
    return `${this.url}/response/${id}`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async stop(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }

  /** The next calls of `method` fail as scripted, in order. */
  fail(method: string, ...failures: ScriptedFailure[]): void {
    this.failures.set(method, [...(this.failures.get(method) ?? []), ...failures]);
  }

  callsTo(method: string): RecordedCall[] {
    return this.calls.filter((c) => c.method === method);
  }

  reset(): void {
    this.calls.length = 0;
    this.failures.clear();
  }

  /** Waits until `predicate` holds over the recorded calls. */
  async waitFor(predicate: (calls: RecordedCall[]) => boolean, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!predicate(this.calls)) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`FakeSlackApi: condition not met within ${timeoutMs} ms; calls: ${this.calls.map((c) => c.method).join(', ')}`);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, Math.min(left, 50));
        this.waiters.push(() => {
          clearTimeout(t);
          resolve();
        });
      });
    }
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const path = req.url ?? '/';
    const isResponseUrl = path.startsWith('/response/');
    const method = isResponseUrl ? 'response_url' : path.replace(/^\/api\//, '').split('?')[0]!;
    const params = parseParams(raw, req.headers['content-type']);
    const auth = req.headers.authorization;
    const token = auth?.startsWith('Bearer ') ? auth.slice(7) : typeof params.token === 'string' ? params.token : undefined;

    const failure = this.failures.get(method)?.shift();
    let status = 200;
    let body: unknown;
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (failure && 'status' in failure && failure.status === 429) {
      status = 429;
      headers['retry-after'] = String((failure as { retryAfter: number }).retryAfter);
      body = { ok: false, error: 'ratelimited' };
    } else if (failure && 'status' in failure) {
      status = failure.status;
      body = { ok: false, error: 'internal_error' };
    } else if (failure && 'error' in failure) {
      body = { ok: false, error: failure.error };
    } else {
      body = this.answer(method, params);
    }
    this.calls.push({ method, params, path, token, at: Date.now(), status });
    res.writeHead(status, headers);
    res.end(isResponseUrl && status === 200 ? 'ok' : JSON.stringify(body));
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private answer(method: string, params: Record<string, unknown>): unknown {
    const ts = () => `${Math.floor(this.nextTs / 1e6)}.${String(this.nextTs++ % 1e6).padStart(6, '0')}`;
    switch (method) {
      case 'auth.test':
        return { ok: true, url: 'https://acme.slack.com/', team: 'Acme', user: 'rcabot', team_id: 'T0TEST', user_id: 'UBOT', bot_id: 'BBOT' };
      case 'chat.postMessage': {
        const t = ts();
        return { ok: true, channel: params.channel, ts: t, message: { ts: t, text: params.text } };
      }
      case 'chat.update':
        return { ok: true, channel: params.channel, ts: params.ts, text: params.text };
      case 'chat.postEphemeral':
        return { ok: true, message_ts: ts() };
      case 'usergroups.users.list': {
        const users = this.userGroups.get(String(params.usergroup));
        return users ? { ok: true, users } : { ok: false, error: 'no_such_subteam' };
      }
      case 'apps.connections.open':
        return this.socketUrl ? { ok: true, url: this.socketUrl } : { ok: false, error: 'invalid_auth' };
      case 'views.open':
        return { ok: true, view: { id: 'V0TEST', ...(params.view as object) } };
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }
}

function parseParams(raw: string, contentType: string | undefined): Record<string, unknown> {
  if (raw === '') return {};
  if ((contentType ?? '').includes('application/json')) return JSON.parse(raw) as Record<string, unknown>;
  const fields = parseQuery(raw);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    const s = Array.isArray(v) ? v[0] : v;
    // The WebClient sends objects (blocks, view) as JSON strings inside the form.
    out[k] = typeof s === 'string' && /^[[{]/.test(s) ? safeJson(s) : s;
  }
  return out;
}

function safeJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return s;
  }
}
