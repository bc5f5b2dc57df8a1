// A small JSON client for the Kubernetes API on top of client-node's
// KubeConfig (which supplies the server, TLS and credentials). Plain paths and
// plain JSON keep every request visible and avoid the generated models.
import { KubeConfig, RequestContext } from '@kubernetes/client-node';
import { fetch } from 'undici';

export class KubeError extends Error {
  constructor(
    readonly status: number,
    readonly reason: string,
    message: string,
  ) {
    super(message);
  }
}

export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export const MERGE_PATCH = 'application/merge-patch+json';

export class KubeRest {
  constructor(
    readonly kubeConfig: KubeConfig,
    private readonly timeoutMs = 15_000,
  ) {}

  async request<T>(method: Method, path: string, body?: unknown, contentType = 'application/json'): Promise<T> {
    const cluster = this.kubeConfig.getCurrentCluster();
    if (!cluster) throw new Error('the kubeconfig has no current cluster');
    const ctx = new RequestContext(`${cluster.server}${path}`, method as never);
    await this.kubeConfig.applySecurityAuthentication(ctx);
    const headers: Record<string, string> = { ...ctx.getHeaders(), accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = contentType;
    const res = await fetch(ctx.getUrl(), {
      method,
      headers,
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      dispatcher: ctx.getDispatcher() as never,
      signal: AbortSignal.timeout(this.timeoutMs),
    });
    const text = await res.text();
    const json = text ? (JSON.parse(text) as Record<string, unknown>) : {};
    if (!res.ok) {
      throw new KubeError(res.status, String(json.reason ?? res.statusText), `${method} ${path}: ${res.status} ${String(json.message ?? res.statusText)}`);
    }
    return json as T;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }

  /** GET that answers undefined for 404. */
  async find<T>(path: string): Promise<T | undefined> {
    try {
      return await this.get<T>(path);
    } catch (err) {
      if (err instanceof KubeError && err.status === 404) return undefined;
      throw err;
    }
  }
}

/** Loads credentials: the given kubeconfig file, else in-cluster, else ~/.kube/config. */
export function loadKubeConfig(file: string | undefined): KubeConfig {
  const kc = new KubeConfig();
  if (file) kc.loadFromFile(file);
  else kc.loadFromDefault();
  if (!kc.getCurrentCluster()) throw new Error(file ? `${file} has no current cluster` : 'no kubeconfig: not in a pod and no ~/.kube/config (use --kubeconfig)');
  return kc;
}
