// Test PKI for the Linseed emulator, made with the openssl CLI at start time (as the issue asks:
// no checked-in keys). Two authorities, as in a Calico cluster: one signs Linseed's serving
// certificate (the clients' `LINSEED_CA_PATH` bundle), one signs client certificates (the
// operator's CA that issues `tigera-eks-log-forwarder-tls`). P-256 keys: fast to generate.
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface Authority {
  name: string;
  certFile: string;
  keyFile: string;
  certPem: string;
}

export interface KeyPair {
  certFile: string;
  keyFile: string;
  certPem: string;
  keyPem: string;
}

async function openssl(args: string[]): Promise<void> {
  try {
    await exec('openssl', args, { timeout: 30_000 });
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new Error(`openssl ${args[0]} failed: ${err.stderr?.trim() || err.message}`);
  }
}

const keyArgs = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
// A random serial per certificate, so no serial file is shared between concurrent signings.
const serial = (): string => `0x${randomBytes(16).toString('hex').replace(/^[89a-f]/, '1')}`;
/** Safe as a file name whatever the common name is. */
const fileStem = (s: string): string => s.replace(/[^A-Za-z0-9_.-]/g, '_').slice(0, 64) || 'cert';

/** A self-signed CA in `dir` (files `<name>.crt`, `<name>.key`). */
export async function createAuthority(dir: string, name: string): Promise<Authority> {
  mkdirSync(dir, { recursive: true });
  const certFile = join(dir, `${fileStem(name)}.crt`);
  const keyFile = join(dir, `${fileStem(name)}.key`);
  await openssl([
    'req', '-x509', ...keyArgs, '-keyout', keyFile, '-out', certFile, '-days', '2', '-subj', `/CN=${name}`, '-set_serial', serial(),
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  return { name, certFile, keyFile, certPem: readFileSync(certFile, 'utf8') };
}

export interface LeafOptions {
  commonName: string;
  usage: 'server' | 'client';
  /** subjectAltName entries, e.g. `IP:127.0.0.1`, `DNS:localhost` (server certificates). */
  altNames?: string[];
}

/** A key pair in `dir` signed by `ca`. */
export async function issueLeaf(ca: Authority, dir: string, opts: LeafOptions): Promise<KeyPair> {
  mkdirSync(dir, { recursive: true });
  const stem = join(dir, `${fileStem(opts.commonName)}-${randomBytes(3).toString('hex')}`);
  const csr = `${stem}.csr`;
  const ext = `${stem}.ext`;
  const keyFile = `${stem}.key`;
  const certFile = `${stem}.crt`;
  const lines = [
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    `extendedKeyUsage=${opts.usage === 'server' ? 'serverAuth' : 'clientAuth'}`,
  ];
  if (opts.altNames?.length) lines.push(`subjectAltName=${opts.altNames.join(',')}`);
  writeFileSync(ext, `${lines.join('\n')}\n`);
  await openssl(['req', '-new', ...keyArgs, '-keyout', keyFile, '-out', csr, '-subj', `/CN=${opts.commonName}`]);
  await openssl(['x509', '-req', '-in', csr, '-CA', ca.certFile, '-CAkey', ca.keyFile, '-set_serial', serial(), '-days', '1', '-extfile', ext, '-out', certFile]);
  return { certFile, keyFile, certPem: readFileSync(certFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8') };
}

/** Replace a file's content in one step, so a client re-reading it never sees half a bundle. */
export function writeAtomically(path: string, content: string, mode?: number): void {
  const tmp = `${path}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, content, mode === undefined ? undefined : { mode });
  renameSync(tmp, path);
}
