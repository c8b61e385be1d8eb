// A local stand-in for the Kubernetes API (apps/v1 deployments, their scale subresource, replicasets):
// answers like the API server for the calls rcabot makes, applies patches to in-memory objects, records requests.
// Objects are served as stored, so a test may give them fields no client model knows. A template change rolls out
// the way the deployment controller does it (revision bookkeeping only; no pods).
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { isDeepStrictEqual } from 'node:util';
import { KubeConfig } from '@kubernetes/client-node';

export interface RecordedRequest {
  method: string;
  path: string;
  query: Record<string, string>;
  contentType: string;
  body: unknown;
  /** The body exactly as it arrived. */
  raw: string;
}

type Obj = Record<string, unknown> & { metadata: Record<string, unknown> & { name: string; namespace: string } };

const REVISION = 'deployment.kubernetes.io/revision';
const REVISION_HISTORY = 'deployment.kubernetes.io/revision-history';
/** deploymentutil's annotationsToSkip: what the controller does not copy from a deployment to its ReplicaSets. */
const NOT_COPIED_TO_REPLICASETS = new Set([
  'kubectl.kubernetes.io/last-applied-configuration',
  REVISION,
  REVISION_HISTORY,
  'deployment.kubernetes.io/desired-replicas',
  'deployment.kubernetes.io/max-replicas',
  'deprecated.deployment.rollback.to',
]);

function withoutHash(template: unknown): string {
  const t = structuredClone(template) as { metadata?: { labels?: Record<string, string> } };
  delete t.metadata?.labels?.['pod-template-hash'];
  return JSON.stringify(t);
}

function status(code: number, message: string, reason: string): Record<string, unknown> {
  return { kind: 'Status', apiVersion: 'v1', status: 'Failure', message, reason, code };
}

/** RFC 7386 merge (good enough for the strategic merges rcabot sends: maps only). */
function mergePatch(target: unknown, patch: unknown): unknown {
  if (!patch || typeof patch !== 'object' || Array.isArray(patch)) return patch;
  const out: Record<string, unknown> = target && typeof target === 'object' && !Array.isArray(target) ? { ...(target as Record<string, unknown>) } : {};
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k];
    else out[k] = mergePatch(out[k], v);
  }
  return out;
}

function pointer(path: string): string[] {
  return path.split('/').slice(1).map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));
}

function applyJsonPatch(doc: Obj, ops: { op: string; path: string; value?: unknown }[]): { ok: true; doc: Obj } | { ok: false; message: string } {
  const out = structuredClone(doc);
  for (const op of ops) {
    const parts = pointer(op.path);
    let parent: Record<string, unknown> = out;
    for (const p of parts.slice(0, -1)) parent = parent[p] as Record<string, unknown>;
    const last = parts[parts.length - 1]!;
    if (op.op === 'test') {
      // Like the API server's JSON patch: a deep comparison, whatever the order of object keys.
      if (!parent || !(last in parent) || !isDeepStrictEqual(parent[last], op.value)) return { ok: false, message: `the server rejected our request due to an error in our request: testing value ${op.path} failed` };
    } else if (op.op === 'replace' || op.op === 'add') parent[last] = structuredClone(op.value);
    else if (op.op === 'remove') delete parent[last];
    else return { ok: false, message: `unsupported op ${op.op}` };
  }
  return { ok: true, doc: out };
}

function revisionOf(rs: Obj): number {
  return Number((rs.metadata.annotations as Record<string, string> | undefined)?.[REVISION] ?? 0);
}

export class FakeKubernetes {
  readonly requests: RecordedRequest[] = [];
  readonly deployments = new Map<string, Obj>();
  readonly replicaSets = new Map<string, Obj>();
  /** Called for every request after it is recorded; may delay the answer. */
  onRequest?: (req: RecordedRequest) => void | Promise<void>;
  private server: Server | undefined;
  private uidCounter = 0;
  url = '';

  async start(): Promise<void> {
    this.server = createServer((req, res) => void this.handle(req, res));
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }

  /** A kubeconfig for the client: http:// needs insecure-skip-tls-verify (test stand-ins only). */
  kubeConfig(): KubeConfig {
    const kc = new KubeConfig();
    kc.loadFromOptions({
      clusters: [{ name: 'fake', server: this.url, skipTLSVerify: true }],
      users: [{ name: 'rcabot', token: 'test-token' }],
      contexts: [{ name: 'fake', cluster: 'fake', user: 'rcabot', namespace: 'default' }],
      currentContext: 'fake',
    });
    return kc;
  }

  /** Mutating requests only (what a dry run must never send). */
  writes(): RecordedRequest[] {
    return this.requests.filter((r) => r.method !== 'GET');
  }

  /**
   * Adds a deployment with one ReplicaSet per image in `history` (oldest first); the last is current.
   * Returns the deployment object.
   */
  addDeployment(namespace: string, name: string, history: string[] = ['app:1'], replicas = 3): Obj {
    const uid = `uid-${++this.uidCounter}`;
    const labels = { app: name };
    const template = (image: string) => ({ metadata: { labels: { ...labels } }, spec: { containers: [{ name, image }] } });
    const revision = history.length;
    const dep: Obj = {
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name, namespace, uid, generation: revision, resourceVersion: '1', annotations: { 'deployment.kubernetes.io/revision': String(revision) } },
      spec: { replicas, selector: { matchLabels: labels }, template: template(history[history.length - 1] ?? 'app:1') },
      status: { replicas },
    };
    this.deployments.set(`${namespace}/${name}`, dep);
    history.forEach((image, i) => {
      const hash = `h${i + 1}${name.length}`;
      const t = template(image);
      t.metadata.labels = { ...t.metadata.labels, 'pod-template-hash': hash } as typeof labels;
      this.replicaSets.set(`${namespace}/${name}-${hash}`, {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: `${name}-${hash}`,
          namespace,
          labels: { ...labels, 'pod-template-hash': hash },
          annotations: { 'deployment.kubernetes.io/revision': String(i + 1) },
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name, uid, controller: true }],
        },
        spec: { replicas: i === history.length - 1 ? replicas : 0, selector: { matchLabels: { ...labels, 'pod-template-hash': hash } }, template: t },
      });
    });
    return dep;
  }

  deployment(namespace: string, name: string): Obj | undefined {
    return this.deployments.get(`${namespace}/${name}`);
  }

  /** The ReplicaSets a deployment controls, oldest revision first. */
  replicaSetsOf(namespace: string, name: string): Obj[] {
    const uid = this.deployment(namespace, name)?.metadata.uid;
    return [...this.replicaSets.values()]
      .filter((rs) => rs.metadata.namespace === namespace && (rs.metadata.ownerReferences as { uid: string }[] | undefined)?.some((o) => o.uid === uid))
      .sort((a, b) => revisionOf(a) - revisionOf(b));
  }

  /**
   * The deployment controller's reaction to a new template: the ReplicaSet whose template matches (pod-template-hash
   * aside) becomes the newest revision, recording its old one in revision-history, or a new ReplicaSet is created;
   * it takes the deployment's annotations (except the controller's own), and the deployment takes its revision.
   */
  private rollOut(dep: Obj): void {
    const { namespace, name } = dep.metadata;
    const owned = this.replicaSetsOf(namespace, name);
    const revision = String(Math.max(0, ...owned.map(revisionOf)) + 1);
    const template = (dep.spec as { template: { metadata?: { labels?: Record<string, string> } } }).template;
    let rs = owned.find((r) => withoutHash((r.spec as { template: unknown }).template) === withoutHash(template));
    const copied = Object.entries((dep.metadata.annotations ?? {}) as Record<string, string>).filter(([k]) => !NOT_COPIED_TO_REPLICASETS.has(k));
    if (rs) {
      const annotations = rs.metadata.annotations as Record<string, string>;
      const old = annotations[REVISION];
      if (old) annotations[REVISION_HISTORY] = annotations[REVISION_HISTORY] ? `${annotations[REVISION_HISTORY]},${old}` : old;
      Object.assign(annotations, Object.fromEntries(copied), { [REVISION]: revision });
    } else {
      const hash = `r${revision}${name.length}`;
      const labels = { ...(template.metadata?.labels ?? {}), 'pod-template-hash': hash };
      rs = {
        apiVersion: 'apps/v1',
        kind: 'ReplicaSet',
        metadata: {
          name: `${name}-${hash}`,
          namespace,
          labels,
          annotations: { ...Object.fromEntries(copied), [REVISION]: revision },
          ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name, uid: dep.metadata.uid, controller: true }],
        },
        spec: { replicas: 0, selector: { matchLabels: labels }, template: { ...structuredClone(template), metadata: { ...structuredClone(template.metadata ?? {}), labels } } },
      };
      this.replicaSets.set(`${namespace}/${rs.metadata.name}`, rs);
    }
    for (const r of [...owned, rs]) (r.spec as { replicas: number }).replicas = r === rs ? Number((dep.spec as { replicas?: number }).replicas ?? 0) : 0;
    dep.metadata.annotations = { ...((dep.metadata.annotations ?? {}) as Record<string, string>), [REVISION]: revision };
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks).toString('utf8');
    const url = new URL(req.url ?? '/', 'http://fake');
    const rec: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      contentType: String(req.headers['content-type'] ?? ''),
      body: raw ? (JSON.parse(raw) as unknown) : undefined,
      raw,
    };
    this.requests.push(rec);
    if (this.onRequest) await this.onRequest(rec);
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    let m = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/deployments\/([^/]+)(\/scale)?$/.exec(url.pathname);
    if (m) {
      const key = `${decodeURIComponent(m[1]!)}/${decodeURIComponent(m[2]!)}`;
      const dep = this.deployments.get(key);
      if (!dep) return send(404, status(404, `deployments.apps "${m[2]}" not found`, 'NotFound'));
      const scale = Boolean(m[3]);
      if (rec.method === 'GET') return send(200, scale ? this.scaleOf(dep) : dep);
      if (rec.method !== 'PATCH') return send(405, status(405, 'method not allowed', 'MethodNotAllowed'));
      let next: Obj;
      if (scale) {
        const replicas = (rec.body as { spec?: { replicas?: number } }).spec?.replicas;
        next = structuredClone(dep);
        (next.spec as Record<string, unknown>).replicas = replicas;
      } else if (rec.contentType.startsWith('application/json-patch+json')) {
        const r = applyJsonPatch(dep, rec.body as { op: string; path: string; value?: unknown }[]);
        if (!r.ok) return send(422, status(422, r.message, 'Invalid'));
        next = r.doc;
      } else if (rec.contentType.startsWith('application/strategic-merge-patch+json') || rec.contentType.startsWith('application/merge-patch+json')) {
        next = mergePatch(dep, rec.body) as Obj;
      } else return send(415, status(415, `unsupported media type ${rec.contentType}`, 'UnsupportedMediaType'));
      if (JSON.stringify(next.spec) !== JSON.stringify(dep.spec)) next.metadata.generation = Number(dep.metadata.generation) + 1;
      next.metadata.resourceVersion = String(Number(dep.metadata.resourceVersion) + 1);
      this.deployments.set(key, next);
      if (!scale && JSON.stringify((next.spec as { template?: unknown }).template) !== JSON.stringify((dep.spec as { template?: unknown }).template)) this.rollOut(next);
      return send(200, scale ? this.scaleOf(next) : next);
    }
    m = /^\/apis\/apps\/v1\/namespaces\/([^/]+)\/replicasets$/.exec(url.pathname);
    if (m && rec.method === 'GET') {
      const ns = decodeURIComponent(m[1]!);
      const selector = (url.searchParams.get('labelSelector') ?? '')
        .split(',')
        .filter(Boolean)
        .map((kv) => kv.split('=') as [string, string]);
      const items = [...this.replicaSets.values()].filter((rs) => {
        const labels = (rs.metadata.labels ?? {}) as Record<string, string>;
        return rs.metadata.namespace === ns && selector.every(([k, v]) => labels[k] === v);
      });
      return send(200, { apiVersion: 'apps/v1', kind: 'ReplicaSetList', metadata: { resourceVersion: '1' }, items });
    }
    return send(404, status(404, `the server could not find the requested resource ${url.pathname}`, 'NotFound'));
  }

  private scaleOf(dep: Obj): unknown {
    const replicas = (dep.spec as { replicas?: number }).replicas ?? 0;
    return {
      apiVersion: 'autoscaling/v1',
      kind: 'Scale',
      metadata: { name: dep.metadata.name, namespace: dep.metadata.namespace, resourceVersion: dep.metadata.resourceVersion },
      spec: { replicas },
      status: { replicas, selector: 'app=' + dep.metadata.name },
    };
  }
}
