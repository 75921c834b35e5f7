// The API server's audit policy code as an oracle (the Go program in ./audit-policy): built on first
// use into the project's cache (outside the repository, keyed by its sources), then reused.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { cacheDir, log, run, withLock } from '../../scripts/services/cache.js';

const MODULE_DIR = fileURLToPath(new URL('./audit-policy/', import.meta.url));
const SOURCES = ['go.mod', 'go.sum', 'main.go'];

// A changed source (e.g. a bumped k8s.io/apiserver) means another binary.
const fingerprint = (): string => {
  const h = createHash('sha256');
  for (const f of SOURCES) h.update(f).update(readFileSync(join(MODULE_DIR, f)));
  return h.digest('hex').slice(0, 16);
};

/** The oracle's version of k8s.io/apiserver, from its go.mod. */
export function apiserverVersion(): string {
  const m = /^\s*k8s\.io\/apiserver\s+(v\S+)/m.exec(readFileSync(join(MODULE_DIR, 'go.mod'), 'utf8'));
  if (!m?.[1]) throw new Error(`k8s.io/apiserver is not required in ${MODULE_DIR}go.mod`);
  return m[1];
}

export interface BuildInfo {
  path: string;
  /** Milliseconds spent building, 0 when the cached binary was used. */
  builtMs: number;
}

/** The oracle binary, built with the Go module proxy unless this version is cached. */
export async function oracleBinary(): Promise<BuildInfo> {
  const home = cacheDir('oracle-audit-policy', fingerprint());
  const bin = join(home, 'audit-policy-oracle');
  if (existsSync(bin)) return { path: bin, builtMs: 0 };
  let builtMs = 0;
  await withLock('oracle-audit-policy', async () => {
    if (existsSync(bin)) return; // another process built it meanwhile
    const started = Date.now();
    const logFile = join(home, 'build.log');
    writeFileSync(logFile, '');
    log(`building the audit policy oracle (k8s.io/apiserver ${apiserverVersion()}) into ${home} (log: ${logFile}); about a minute cold`);
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      CGO_ENABLED: '0',
      GOWORK: 'off', // a go.work higher up must not pull this module into something else
      // readonly: go.mod and go.sum pin everything and are never rewritten; nothing is written
      // into the repository (the binary goes to the cache, Go's own caches are outside too).
      GOFLAGS: `${process.env.GOFLAGS ?? ''} -mod=readonly -buildvcs=false`.trim(),
    };
    const tmp = `${bin}.tmp-${process.pid}`;
    try {
      await run('go', ['build', '-trimpath', '-o', tmp, '.'], logFile, { cwd: MODULE_DIR, env });
    } catch (e) {
      rmSync(tmp, { force: true });
      throw new Error(`building the audit policy oracle needs Go (see ${MODULE_DIR}go.mod): ${(e as Error).message}`);
    }
    renameSync(tmp, bin);
    builtMs = Date.now() - started;
    log(`audit policy oracle built in ${(builtMs / 1000).toFixed(1)} s`);
  });
  return { path: bin, builtMs };
}

const exec = promisify(execFile);
const MAX_OUTPUT = 1 << 30;

/** What the API server decided for one event (one line of `decide`). */
export interface OracleDecision {
  /** Set when the oracle could not read the event; nothing else is then. */
  error?: string;
  level: string;
  omitStages: string[] | null;
  omitManagedFields: boolean;
  /** The authorizer.Attributes evaluated (with `explain` only). */
  attributes?: Record<string, unknown>;
  /** null: not logged (level None or stage omitted). */
  logged: null | {
    level: string;
    requestObject?: OracleBody;
    responseObject?: OracleBody;
  };
}

/** A body the recorded event has: dropped (kept false), kept as recorded, or kept as `value`. */
export interface OracleBody {
  kept: boolean;
  value?: unknown;
}

async function oracle(args: string[]): Promise<string> {
  const { path } = await oracleBinary();
  const { stdout } = await exec(path, args, { maxBuffer: MAX_OUTPUT });
  return stdout;
}

/** Decisions for each line of the JSON-lines file `eventsFile`, in order. */
export async function decide(policyFile: string, eventsFile: string, opts: { explain?: boolean } = {}): Promise<OracleDecision[]> {
  const out = await oracle(['decide', policyFile, eventsFile, ...(opts.explain ? ['explain'] : [])]);
  return out
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => JSON.parse(l) as OracleDecision);
}

/** Whether kube-apiserver accepts the policy file, and its error if not. */
export async function loadPolicy(policyFile: string): Promise<{ ok: true } | { error: string }> {
  return JSON.parse(await oracle(['load', policyFile])) as { ok: true } | { error: string };
}

/** The JSON the API server's decoder makes of a YAML file (sigs.k8s.io/yaml.YAMLToJSON). */
export async function yamlToJson(file: string): Promise<{ json: unknown } | { error: string }> {
  return JSON.parse(await oracle(['yaml2json', file])) as { json: unknown } | { error: string };
}
