// HTTP executor (Argo CD, Jenkins, Rundeck, …) through axios: a timeout on every call, and retries only when
// the runbook marks the call idempotent, because resending a non-idempotent call could run the job twice.
import axios, { type AxiosInstance } from 'axios';
import type { HttpStep } from '../plan.js';
import type { HttpPort, StepResult } from './executor.js';

export interface HttpExecutorOptions {
  /** Resolves `${secret:NAME}` in headers; undefined means not configured (the call is not sent). */
  secret: (name: string) => string | undefined;
  /** Extra attempts for idempotent calls after a network error, a timeout, 429 or 5xx. */
  retries?: number;
  retryDelayMs?: number;
  client?: AxiosInstance;
}

const SECRET = /\$\{secret:([A-Z][A-Z0-9_]*)\}/g;

export class HttpExecutor implements HttpPort {
  private readonly client: AxiosInstance;

  constructor(private readonly options: HttpExecutorOptions) {
    this.client = options.client ?? axios.create();
  }

  async run(step: HttpStep): Promise<StepResult> {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(step.headers)) {
      let missing: string | null = null;
      headers[name] = value.replace(SECRET, (_, secret: string) => {
        const v = this.options.secret(secret);
        if (v === undefined) missing = secret;
        return v ?? '';
      });
      if (missing) return { ok: false, detail: `secret ${missing as string} is not configured; nothing was sent` };
    }
    const attempts = step.idempotent ? 1 + (this.options.retries ?? 2) : 1;
    let last: StepResult = { ok: false, detail: 'not sent' };
    for (let i = 0; i < attempts; i++) {
      if (i > 0) await new Promise((r) => setTimeout(r, this.options.retryDelayMs ?? 1000));
      last = await this.send(step, headers);
      if (last.ok || !retryable(last)) return last;
    }
    return last;
  }

  private async send(step: HttpStep, headers: Record<string, string>): Promise<StepResult> {
    try {
      const res = await this.client.request({
        method: step.method,
        url: step.url,
        headers,
        data: step.body,
        timeout: step.timeoutMs,
        maxRedirects: 0,
        validateStatus: () => true,
        responseType: 'text',
        transformResponse: (d: unknown) => d,
      });
      const ok = res.status >= 200 && res.status < 300;
      const body = typeof res.data === 'string' ? res.data.slice(0, 200) : '';
      return { ok, status: res.status, detail: `${step.method} ${step.url}: ${res.status}${body ? ` ${body}` : ''}` };
    } catch (err) {
      const e = err as { code?: string; message: string };
      return { ok: false, detail: `${step.method} ${step.url}: ${e.code ?? 'error'} ${e.message}` };
    }
  }
}

function retryable(r: StepResult): boolean {
  return r.status === undefined || r.status === 429 || r.status >= 500;
}
