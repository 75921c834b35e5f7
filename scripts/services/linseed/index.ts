// A Linseed emulator for the integration tests. Linseed (Calico's log API in front of
// Elasticsearch) is proprietary: its source is not public and its module is not served, so, as
// LocalStack emulates AWS, this emulates its documented contract for audit logs:
//   - HTTPS on 127.0.0.1 that REQUIRES a client certificate signed by the client CA (made with
//     openssl at start); serving certificate and accepted client CA rotate at runtime;
//   - a bearer token on every request: a ServiceAccount token checked with a real TokenReview,
//     or a Linseed-signed JWT (managed clusters: tenant and cluster from its claims); each request
//     authorized with a real SubjectAccessReview on linseed.tigera.io (cached ~20 s), so RBAC is
//     the real kube-apiserver's;
//   - the kube audit bulk write and the audit read API, stored in the real Elasticsearch with
//     Linseed's index layout (see store.ts) and answered with Linseed's shapes;
//   - faults switched on at runtime (faults.ts).
// It runs in the test's own process: startLinseedEmulator() ... close().
import { Client } from '@elastic/elasticsearch';
import { rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { makeTempDir } from '../cache.js';
import { createHandler, type RequestRecord } from './handler.js';
import { Faults, type FaultControl } from './faults.js';
import { KubeReviewer } from './kube-review.js';
import { generateSigningKey, signManagedClusterToken, type ManagedTokenClaims } from './managed-token.js';
import { createAuthority, issueLeaf, writeAtomically, type Authority } from './pki.js';
import { AuditStore } from './store.js';

export { BULK_PATH, READ_PATH, NDJSON, type BulkResponse, type BulkError, type HttpError, type ReadParams, type ReadResponse } from './api.js';
export { MODEL_FIELDS, decodeLine } from './audit-model.js';
export type { FaultControl, FailNextOptions, TimeoutOptions, RefuseOptions, LineMatcher } from './faults.js';
export { signManagedClusterToken, verifyManagedClusterToken, LINSEED_ISSUER, type ManagedTokenClaims } from './managed-token.js';
export { AUDIT_MAPPINGS, kubeAuditAlias, SINGLE_INDEX_ALIAS } from './store.js';
export type { RequestRecord } from './handler.js';

export interface LinseedEmulatorOptions {
  /** The real Elasticsearch the documents go to (process.env.ELASTIC_URL in the tests). */
  elasticUrl: string;
  /** The real kube-apiserver for TokenReviews and SubjectAccessReviews: scripts/services/kube-apiserver.ts start() returns these. */
  kube: { url: string; caFile: string; adminToken: string };
  /** A multi-tenant Linseed: `x-tenant-id` must name this tenant, and the single-index layout is used. */
  tenant?: string;
  /** Default 0: a free port chosen by the kernel. */
  port?: number;
  /** How long a SubjectAccessReview answer is reused (Linseed: about 20 s). */
  authorizationCacheMs?: number;
  /** Bulk refresh; default false like Linseed (documents searchable after the next refresh, ~1 s). */
  refresh?: boolean | 'wait_for';
  /** `after_key` paging; default `search_after`. `startFrom` is offset paging (see the report). */
  paging?: 'search_after' | 'startFrom';
  /** Default 100 MB, Linseed's limit. */
  maxBodyBytes?: number;
}

export interface ClientKeyPair {
  certFile: string;
  keyFile: string;
}

export interface LinseedEmulator {
  /** https://127.0.0.1:PORT */
  url: string;
  /** PEM that verifies the serving certificate (rewritten in place by rotateServerCertificate({ newCa })). */
  caFile: string;
  /** PEM of the client CA(s) accepted now. */
  clientCaFile: string;
  /** PEM of the key that verifies Linseed-issued tokens. */
  tokenPublicKeyPem: string;
  /** A client key pair in `dir` signed by the current client CA. */
  issueClientCertificate(dir: string, commonName: string): Promise<ClientKeyPair>;
  /** A managed cluster's token, signed with this emulator's key. */
  mintManagedClusterToken(claims: ManagedTokenClaims): string;
  faults: FaultControl;
  /** A new serving certificate for new connections; with `newCa`, from a new CA written to `caFile` (alone, or after the old one with `keepPreviousCa`). */
  rotateServerCertificate(opts?: { newCa?: boolean; keepPreviousCa?: boolean }): Promise<void>;
  /** A new client CA: certificates issued from now on come from it; old ones are refused on new connections unless `keepPrevious`. */
  rotateClientCa(opts?: { keepPrevious?: boolean }): Promise<void>;
  /** Close every open connection (clients reconnect and meet the current certificates). */
  dropConnections(): void;
  /** Roll the write alias over to a new index, as ILM would; returns its name. */
  rollover(cluster?: string): Promise<string>;
  /** The write alias for a cluster in this emulator's layout. */
  writeAlias(cluster?: string): string;
  /** Index pattern readers use for a cluster. */
  readPattern(cluster?: string): string;
  /** Requests seen, oldest first (last 10,000). */
  readonly requests: readonly RequestRecord[];
  /** TLS handshakes refused (e.g. no or untrusted client certificate). */
  readonly tlsErrors: number;
  /** Reviews sent to the API server (the SubjectAccessReview cache shows here). */
  readonly reviews: Readonly<{ tokenReviews: number; subjectAccessReviews: number }>;
  clearAuthorizationCache(): void;
  close(): Promise<void>;
}

const SERVER_NAMES = ['IP:127.0.0.1', 'DNS:localhost', 'DNS:tigera-linseed.tigera-elasticsearch.svc', 'DNS:tigera-linseed.tigera-elasticsearch.svc.cluster.local'];
const MAX_RECORDS = 10_000;

export async function startLinseedEmulator(opts: LinseedEmulatorOptions): Promise<LinseedEmulator> {
  const dir = makeTempDir('linseed');
  try {
    return await start(opts, dir);
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
}

async function start(opts: LinseedEmulatorOptions, dir: string): Promise<LinseedEmulator> {
  const pkiDir = join(dir, 'pki');
  let serverCa: Authority = await createAuthority(pkiDir, 'linseed-test-server-ca');
  let clientCa: Authority = await createAuthority(pkiDir, 'linseed-test-client-ca');
  let acceptedClientCas = [clientCa.certPem];
  let serving = await issueLeaf(serverCa, pkiDir, { commonName: 'tigera-linseed', usage: 'server', altNames: SERVER_NAMES });
  const caFile = join(dir, 'linseed-ca.crt');
  const clientCaFile = join(dir, 'client-ca.crt');
  writeAtomically(caFile, serverCa.certPem);
  writeAtomically(clientCaFile, acceptedClientCas.join(''));
  const signing = generateSigningKey();

  const es = new Client({ node: opts.elasticUrl });
  const reviewer = new KubeReviewer({ url: opts.kube.url, caFile: opts.kube.caFile, token: opts.kube.adminToken }, opts.authorizationCacheMs ?? 20_000);
  const faults = new Faults();
  const tenant = opts.tenant;
  const store = new AuditStore(es, { tenant, refresh: opts.refresh, paging: opts.paging ?? 'search_after' });
  const requests: RequestRecord[] = [];

  const handler = createHandler({
    auth: { reviewer, tokenPublicKey: signing.publicKeyPem, faults, tenant: tenant ?? '' },
    store,
    faults,
    maxBodyBytes: opts.maxBodyBytes ?? 100 * 1024 * 1024,
    record: (r) => {
      requests.push(r);
      if (requests.length > MAX_RECORDS) requests.splice(0, requests.length - MAX_RECORDS);
    },
  });

  const server: Server = createServer(
    { key: serving.keyPem, cert: serving.certPem, ca: acceptedClientCas, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' },
    handler,
  );
  let tlsErrors = 0;
  server.on('tlsClientError', (_err: Error, socket: TLSSocket) => {
    tlsErrors++;
    socket.destroy();
  });
  const applyContext = (): void => server.setSecureContext({ key: serving.keyPem, cert: serving.certPem, ca: acceptedClientCas });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    caFile,
    clientCaFile,
    tokenPublicKeyPem: signing.publicKeyPem,
    async issueClientCertificate(outDir, commonName) {
      const kp = await issueLeaf(clientCa, outDir, { commonName, usage: 'client' });
      return { certFile: kp.certFile, keyFile: kp.keyFile };
    },
    mintManagedClusterToken: (claims) => signManagedClusterToken(signing.privateKeyPem, claims),
    faults,
    async rotateServerCertificate(o = {}) {
      const previous = serverCa;
      if (o.newCa) serverCa = await createAuthority(join(pkiDir, `server-ca-${Date.now()}`), 'linseed-test-server-ca');
      serving = await issueLeaf(serverCa, pkiDir, { commonName: 'tigera-linseed', usage: 'server', altNames: SERVER_NAMES });
      if (o.newCa) writeAtomically(caFile, o.keepPreviousCa ? previous.certPem + serverCa.certPem : serverCa.certPem);
      applyContext();
    },
    async rotateClientCa(o = {}) {
      clientCa = await createAuthority(join(pkiDir, `client-ca-${Date.now()}`), 'linseed-test-client-ca');
      acceptedClientCas = o.keepPrevious ? [...acceptedClientCas, clientCa.certPem] : [clientCa.certPem];
      writeAtomically(clientCaFile, acceptedClientCas.join(''));
      applyContext();
    },
    dropConnections: () => server.closeAllConnections(),
    rollover: (cluster = 'cluster') => store.rollover(cluster),
    writeAlias: (cluster = 'cluster') => store.writeAlias(cluster),
    readPattern: (cluster = 'cluster') => store.readPattern(cluster),
    requests,
    get tlsErrors() {
      return tlsErrors;
    },
    reviews: reviewer.counts,
    clearAuthorizationCache: () => reviewer.clearCache(),
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections(); // held (timeout-fault) requests too
      await closed;
      await es.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

