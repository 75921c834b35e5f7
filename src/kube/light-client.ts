import { existsSync, readFileSync } from 'node:fs';
import { Agent, request, type RequestOptions } from 'node:https';
import os from 'node:os';
import path from 'node:path';
import YAML from 'yaml';

/**
 * Just enough of a Kubernetes API client for push mode's lease table: JSON requests to one API
 * server, with the ServiceAccount of the pod or a kubeconfig's token, token file or client
 * certificate. Hand-written because @kubernetes/client-node loads its whole generated API on
 * import, 74 MB of RSS (measured), half of a replica's 150 MB budget, for two requests. A
 * kubeconfig user it does not handle (an `exec` plugin such as `aws eks get-token`, an
 * auth-provider) is handed to client-node after all, loaded only then.
 */
export interface KubeApi {
  /** Where it talks to, for messages. */
  readonly server: string;
  /** The namespace of the kubeconfig's context, or the pod's. */
  readonly namespace: string | undefined;
  request(method: 'GET' | 'POST' | 'PUT', apiPath: string, body?: unknown): Promise<{ status: number; body: unknown }>;
}

const SA_DIR = '/var/run/secrets/kubernetes.io/serviceaccount';
/** Shorter than a lease: a renewal stuck on a dead connection must fail and be retried in time. */
const REQUEST_TIMEOUT_MS = 10_000;
/** Idle keep-alive sockets are closed after this: an API server replaced meanwhile leaves no dead one to wait on. */
const IDLE_SOCKET_MS = 30_000;

interface Target {
  server: string;
  namespace?: string;
  ca?: Buffer;
  insecure?: boolean;
  cert?: Buffer;
  key?: Buffer;
  /** Read for every request: token files rotate. */
  token?: () => string | undefined;
  /** A user this client cannot authenticate itself: client-node fills in the request. */
  delegate?: (opts: RequestOptions) => Promise<void>;
}

/** The API server of KUBECONFIG (or ~/.kube/config), else the pod's own, as kubectl and client-node choose. */
export function kubeApi(env: NodeJS.ProcessEnv = process.env): KubeApi {
  return new LightKubeApi(resolveTarget(env));
}

/** A kubeconfig file (the first of KUBECONFIG's list), else the in-cluster ServiceAccount. */
function resolveTarget(env: NodeJS.ProcessEnv): Target {
  const file = env.KUBECONFIG?.split(path.delimiter).find(Boolean) ?? path.join(os.homedir(), '.kube', 'config');
  if (existsSync(file)) return fromKubeconfig(file);
  if (env.KUBERNETES_SERVICE_HOST && existsSync(path.join(SA_DIR, 'token'))) {
    const host = env.KUBERNETES_SERVICE_HOST.includes(':') ? `[${env.KUBERNETES_SERVICE_HOST}]` : env.KUBERNETES_SERVICE_HOST;
    return {
      server: `https://${host}:${env.KUBERNETES_SERVICE_PORT ?? '443'}`,
      namespace: readFileSync(path.join(SA_DIR, 'namespace'), 'utf8').trim(),
      ca: readFileSync(path.join(SA_DIR, 'ca.crt')),
      token: () => readFileSync(path.join(SA_DIR, 'token'), 'utf8').trim(),
    };
  }
  throw new Error(`no Kubernetes API to keep the leases in: no kubeconfig at ${file} and not in a pod (KUBERNETES_SERVICE_HOST)`);
}

interface Kubeconfig {
  'current-context'?: string;
  contexts?: { name: string; context: { cluster: string; user: string; namespace?: string } }[];
  clusters?: { name: string; cluster: { server: string; 'certificate-authority'?: string; 'certificate-authority-data'?: string; 'insecure-skip-tls-verify'?: boolean } }[];
  users?: { name: string; user: Record<string, unknown> }[];
}

function fromKubeconfig(file: string): Target {
  let doc: Kubeconfig | null;
  try {
    doc = YAML.parse(readFileSync(file, 'utf8'), { prettyErrors: false }) as Kubeconfig | null;
  } catch (err) {
    // The parser quotes the offending line, which may hold a token: only where it is.
    const at = (err as { linePos?: { line: number; col: number }[] }).linePos?.[0];
    throw new Error(`kubeconfig ${file} is not valid YAML${at ? ` (line ${at.line}, column ${at.col})` : ''}`);
  }
  if (!doc || typeof doc !== 'object') throw new Error(`kubeconfig ${file} is empty`);
  const dir = path.dirname(file);
  const context = doc.contexts?.find((c) => c.name === doc['current-context'])?.context;
  const cluster = doc.clusters?.find((c) => c.name === context?.cluster)?.cluster;
  const user = doc.users?.find((u) => u.name === context?.user)?.user ?? {};
  if (!context || !cluster?.server) throw new Error(`kubeconfig ${file}: its current-context "${doc['current-context'] ?? ''}" names no cluster with a server`);
  const fileOrData = (fileKey: string, dataKey: string, from: Record<string, unknown>): Buffer | undefined => {
    if (typeof from[dataKey] === 'string') return Buffer.from(from[dataKey] as string, 'base64');
    if (typeof from[fileKey] === 'string') return readFileSync(path.resolve(dir, from[fileKey] as string));
    return undefined;
  };
  const target: Target = {
    server: cluster.server.replace(/\/+$/, ''),
    namespace: context.namespace,
    ca: fileOrData('certificate-authority', 'certificate-authority-data', cluster as Record<string, unknown>),
    insecure: cluster['insecure-skip-tls-verify'] === true,
    cert: fileOrData('client-certificate', 'client-certificate-data', user),
    key: fileOrData('client-key', 'client-key-data', user),
  };
  if (typeof user.token === 'string') {
    const token = user.token;
    target.token = () => token;
  } else if (typeof user.tokenFile === 'string') {
    const tokenFile = path.resolve(dir, user.tokenFile);
    target.token = () => readFileSync(tokenFile, 'utf8').trim();
  } else if (user.exec || user['auth-provider'] || user.username) {
    target.delegate = async (opts) => {
      const { KubeConfig } = await import('@kubernetes/client-node');
      const kc = new KubeConfig();
      kc.loadFromFile(file);
      await kc.applyToHTTPSOptions(opts as never);
    };
  }
  return target;
}

/** The TLS options of a target, without undefined keys (they would override a request's own). */
function tls(t: Target): Pick<RequestOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized'> {
  return { ...(t.ca ? { ca: t.ca } : {}), ...(t.cert ? { cert: t.cert } : {}), ...(t.key ? { key: t.key } : {}), rejectUnauthorized: !t.insecure };
}

class LightKubeApi implements KubeApi {
  private agent: Agent | undefined;

  constructor(private readonly t: Target) {}

  get server(): string {
    return this.t.server;
  }

  get namespace(): string | undefined {
    return this.t.namespace;
  }

  async request(method: 'GET' | 'POST' | 'PUT', apiPath: string, body?: unknown): Promise<{ status: number; body: unknown }> {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (payload !== undefined) headers['content-type'] = 'application/json';
    const token = this.t.token?.();
    if (token) headers.authorization = `Bearer ${token}`;
    // A delegated user's TLS material comes with each request (an exec plugin's certificate):
    // an agent's own options would override it.
    const agent = this.t.delegate ? undefined : (this.agent ??= new Agent({ keepAlive: true, timeout: IDLE_SOCKET_MS, ...tls(this.t) }));
    const opts: RequestOptions = { method, headers, agent, timeout: REQUEST_TIMEOUT_MS, ...(agent ? {} : tls(this.t)) };
    await this.t.delegate?.(opts);
    // Appended, not resolved: a server URL may carry a path (a proxy such as Rancher's).
    const url = new URL(`${this.t.server}${apiPath}`);
    return new Promise((resolve, reject) => {
      const req = request(url, opts, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('error', reject);
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown = text;
          try {
            parsed = JSON.parse(text);
          } catch {
            // not JSON: an error page, kept as text
          }
          resolve({ status: res.statusCode ?? 0, body: parsed });
        });
      });
      req.on('timeout', () => req.destroy(new Error(`no answer from the Kubernetes API ${this.t.server} within ${REQUEST_TIMEOUT_MS / 1000} s`)));
      req.on('error', reject);
      req.end(payload);
    });
  }
}
