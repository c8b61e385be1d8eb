// Raw requests to the Kubernetes API with the official client's credentials (@kubernetes/client-node 1.x:
// `applyToHTTPSOptions` fills in the TLS agent, token, client certificate or exec credentials of the kubeconfig).
// The body goes out and comes back as JSON text: no generated model sits in between, so nothing the client's
// models do not know (fields of a newer API server) is dropped on the way in or out.
import http from 'node:http';
import https from 'node:https';
import type { KubeConfig } from '@kubernetes/client-node';

export interface KubernetesRequest {
  method: 'GET' | 'PATCH';
  /** API path, e.g. /apis/apps/v1/namespaces/shop/deployments/cart */
  path: string;
  query?: Record<string, string>;
  contentType?: string;
  /** Already serialised: sent byte for byte. */
  body?: string;
}

export interface KubernetesResponse {
  status: number;
  body: string;
}

export const KUBERNETES_TIMEOUT_MS = 30_000;

export async function kubernetesRequest(kubeConfig: KubeConfig, req: KubernetesRequest, timeoutMs = KUBERNETES_TIMEOUT_MS): Promise<KubernetesResponse> {
  const cluster = kubeConfig.getCurrentCluster();
  if (!cluster) throw new Error('the kubeconfig has no current cluster');
  // The server URL may carry a path prefix (API proxies such as Rancher's): append, never replace.
  const url = new URL(cluster.server.replace(/\/+$/, '') + req.path);
  for (const [k, v] of Object.entries(req.query ?? {})) url.searchParams.set(k, v);
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (req.body !== undefined) {
    headers['Content-Type'] = req.contentType ?? 'application/json';
    headers['Content-Length'] = String(Buffer.byteLength(req.body));
  }
  const options: https.RequestOptions = { method: req.method, headers };
  await kubeConfig.applyToHTTPSOptions(options);
  const transport = url.protocol === 'https:' ? https : http;
  return new Promise<KubernetesResponse>((resolve, reject) => {
    const request = transport.request(url, options, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    request.setTimeout(timeoutMs, () => request.destroy(new Error(`no answer from the Kubernetes API within ${timeoutMs} ms`)));
    request.on('error', reject);
    request.end(req.body);
  });
}

/** The API server's `Status.message` from an error body, or the start of the body when it is not a Status. */
export function statusMessage(body: string): string {
  try {
    const parsed = JSON.parse(body) as { message?: unknown };
    if (typeof parsed.message === 'string') return parsed.message;
  } catch {
    // not JSON: fall through to the raw text
  }
  return body.slice(0, 200);
}
