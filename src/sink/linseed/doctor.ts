import { accessSync, constants } from 'node:fs';
import type { DoctorContext, DoctorResult } from '../../component.js';
import { errorText } from '../../error-text.js';
import { iso } from '../../time.js';
import { LinseedError, type LinseedClient } from './client.js';
import type { LinseedSettings } from './settings.js';

/** The checks of the Linseed sink, in the order they depend on each other. */
export const LINSEED_CHECKS = ['Linseed credentials files', 'Linseed reachable and authorized'] as const;

/**
 * The files Linseed's mutual TLS and bearer token need, then one read (auditlogs get): it proves
 * the TLS handshake, the token (TokenReview) and the read permission (SubjectAccessReview). The
 * write permission (kube_auditlogs create) cannot be probed without writing a document.
 */
export async function linseedDoctor(s: LinseedSettings, client: LinseedClient, ctx: DoctorContext): Promise<DoctorResult[]> {
  const files: [string, string | undefined][] = [
    ['LINSEED_CA_PATH', s.caFile],
    ['TLS_CRT_PATH', s.certFile],
    ['TLS_KEY_PATH', s.keyFile],
    ['LINSEED_TOKEN', s.tokenFile],
  ];
  const unreadable = files.filter(([, f]) => f !== undefined && !readable(f)).map(([env, f]) => `${env} ${f}`);
  if (unreadable.length > 0) {
    return [
      { name: LINSEED_CHECKS[0], ok: false, detail: `not readable: ${unreadable.join(', ')}`, hint: 'mount the client keypair Secret, the CA bundle and the ServiceAccount token (deploy/overlays/linseed)' },
      { name: LINSEED_CHECKS[1], ok: false, skipped: true, detail: 'not checked: credentials files missing' },
    ];
  }
  const results: DoctorResult[] = [{ name: LINSEED_CHECKS[0], ok: true, detail: files.filter(([, f]) => f).map(([env]) => env).join(', ') + ' readable' }];
  const signal = AbortSignal.timeout(ctx.timeoutMs);
  try {
    const now = ctx.now();
    await client.read({ type: 'kube', max_page_size: 1, time_range: { from: iso(now - 3_600_000), to: iso(now) } }, signal);
    results.push({ name: LINSEED_CHECKS[1], ok: true, detail: `${s.endpoint}: TLS, token and read permission accepted${s.clusterId ? ` (cluster ${s.clusterId})` : ''}` });
  } catch (err) {
    const status = err instanceof LinseedError ? err.status : undefined;
    const hint =
      status === 401
        ? 'the token was refused: LINSEED_TOKEN must name a current ServiceAccount token file (or, in a managed cluster, the Linseed token Secret)'
        : status === 403
          ? 'grant the ServiceAccount linseed.tigera.io auditlogs get and kube_auditlogs create (deploy/overlays/linseed)'
          : 'check LINSEED_ENDPOINT, that the client certificate is signed by the CA Linseed trusts, and LINSEED_CA_PATH';
    results.push({ name: LINSEED_CHECKS[1], ok: false, detail: `${s.endpoint}: ${errorText(err)}`, hint });
  }
  return results;
}

function readable(file: string): boolean {
  try {
    accessSync(file, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}
