// LocalStack in host mode: a pinned venv, no Docker. Two flavours of the same release:
// `logs` (CloudWatch Logs only, Python 3.11) for the poller's tests, and `kinesis` (also Kinesis,
// STS and IAM, Python 3.13) for push mode: LocalStack's Kinesis package installer annotates
// `threading.Lock | None`, which only evaluates on 3.13 (on 3.11 every Kinesis call answers 500).
// 4.13.1 is the last open-core release that runs without an auth token.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { awaitReady, cacheDir, freePort, log, makeTempDir, readFileSafe, run, runDir, serviceHandle, spawnService, tryGet, withLock, type Service, type StartOptions } from './cache.js';

export const LOCALSTACK_VERSION = '4.13.1';
// The release's own lock, used as constraints: its extras otherwise float to closed moto-ext builds.
const CONSTRAINTS = fileURLToPath(new URL(`../../localstack/constraints-${LOCALSTACK_VERSION}.txt`, import.meta.url));

/** `logs`: CloudWatch Logs alone; `kinesis`: also Kinesis, STS and IAM (subscription filters). */
export type LocalStackFlavour = 'logs' | 'kinesis';

const home = (flavour: LocalStackFlavour = 'logs'): string => cacheDir(flavour === 'logs' ? `localstack-${LOCALSTACK_VERSION}` : `localstack-${LOCALSTACK_VERSION}-kinesis`);
const venvPython = (flavour: LocalStackFlavour = 'logs'): string => join(home(flavour), 'venv', 'bin', 'python');
const marker = (flavour: LocalStackFlavour = 'logs'): string => join(home(flavour), 'installed');
// The marker records what was installed; a changed constraints file means reinstall.
const fingerprint = (): string => createHash('sha256').update(readFileSync(CONSTRAINTS)).digest('hex');

const installed = (flavour: LocalStackFlavour = 'logs'): boolean => existsSync(venvPython(flavour)) && readFileSafe(marker(flavour)) === fingerprint();

/** Python 3.11 if there is one by that name, else python3. */
function basePython(): string {
  return process.env.LOCALSTACK_PYTHON ?? 'python3.11';
}

/**
 * Python 3.13 for the Kinesis flavour: LOCALSTACK_KINESIS_PYTHON, python3.13 on the PATH, or a
 * pyenv install (found by path, as a fresh shell may not have run `pyenv init`).
 */
function kinesisPythonCandidates(): string[] {
  const roots = [process.env.PYENV_ROOT, join(homedir(), '.pyenv')].filter((r): r is string => !!r);
  const pyenv = roots.flatMap((root) => {
    const versions = join(root, 'versions');
    if (!existsSync(versions)) return [];
    return readdirSync(versions)
      .filter((v) => /^3\.13\.\d+$/.test(v))
      .sort()
      .reverse()
      .map((v) => join(versions, v, 'bin', 'python3.13'));
  });
  return [...(process.env.LOCALSTACK_KINESIS_PYTHON ? [process.env.LOCALSTACK_KINESIS_PYTHON] : []), 'python3.13', ...pyenv];
}

async function findPython(candidates: string[], logFile: string): Promise<string | undefined> {
  for (const py of candidates) {
    try {
      await run(py, ['--version'], logFile);
      return py;
    } catch {
      // next candidate
    }
  }
  return undefined;
}

export async function install(flavour: LocalStackFlavour = 'logs'): Promise<void> {
  if (installed(flavour)) return;
  await withLock(flavour === 'logs' ? 'localstack' : 'localstack-kinesis', async () => {
    if (installed(flavour)) return; // another process finished it meanwhile
    const started = Date.now();
    const dir = home(flavour);
    mkdirSync(dir, { recursive: true });
    const logFile = join(dir, 'install.log');
    log(`installing LocalStack ${LOCALSTACK_VERSION} (${flavour}) into ${dir} (log: ${logFile})`);
    rmSync(join(dir, 'venv'), { recursive: true, force: true });
    rmSync(marker(flavour), { force: true });
    writeFileSync(logFile, '');
    const py = await findPython(flavour === 'logs' ? [basePython(), 'python3'] : kinesisPythonCandidates(), logFile);
    if (!py) {
      throw new Error(
        flavour === 'logs'
          ? 'no python3.11 or python3 found for LocalStack'
          : 'LocalStack with Kinesis needs Python 3.13 (set LOCALSTACK_KINESIS_PYTHON, or install 3.13 with pyenv): none found',
      );
    }
    await run(py, ['-m', 'venv', join(dir, 'venv')], logFile);
    await run(venvPython(flavour), ['-m', 'pip', 'install', '--disable-pip-version-check', '-c', CONSTRAINTS, `localstack-core[runtime]==${LOCALSTACK_VERSION}`], logFile);
    writeFileSync(marker(flavour), fingerprint());
    log(`LocalStack installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
}

/** Ready once the health endpoint lists every service of the flavour as usable. */
export async function ready(url: string, flavour: LocalStackFlavour = 'logs'): Promise<true | undefined> {
  const res = await tryGet(`${url}/_localstack/health`);
  if (res?.status !== 200) return undefined;
  const services = (JSON.parse(res.body) as { services?: Record<string, string> }).services ?? {};
  const usable = (name: string) => services[name] === 'available' || services[name] === 'running';
  return (flavour === 'logs' ? ['logs'] : ['logs', 'kinesis']).every(usable) ? true : undefined;
}

export async function start(opts: StartOptions & { flavour?: LocalStackFlavour } = {}): Promise<Service> {
  const flavour = opts.flavour ?? 'logs';
  await install(flavour);
  const port = await freePort();
  const tmp = makeTempDir('localstack');
  const logFile = join(runDir(), `localstack-${port}.log`);
  writeFileSync(logFile, '');
  mkdirSync(join(tmp, 'tmp'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GATEWAY_LISTEN: `127.0.0.1:${port}`,
    LOCALSTACK_HOST: `127.0.0.1:${port}`,
    // PutSubscriptionFilter assumes its role through STS.
    SERVICES: flavour === 'logs' ? 'logs' : 'logs,kinesis,sts,iam',
    EAGER_SERVICE_LOADING: '1', // load the services at boot, so the first test request is not slow
    DNS_ADDRESS: '0', // otherwise it tries to serve DNS on port 53
    SKIP_SSL_CERT_DOWNLOAD: '1',
    DISABLE_EVENTS: '1', // no analytics calls home
    FILESYSTEM_ROOT: join(tmp, 'fs'),
    // LocalStack keeps /tmp/localstack and clears it on exit: give each instance its own.
    TMPDIR: join(tmp, 'tmp'),
    PERSISTENCE: '0',
  };
  const started = Date.now();
  if (flavour === 'kinesis') {
    // LocalStack installs its Kinesis engine (npm `kinesis-local`) into its var_libs on first
    // use: that directory is a link into the cache, so it is installed once, not per start.
    // Host directories (under FILESYSTEM_ROOT) even where LocalStack believes it is in a container
    // (/.dockerenv), which would put the engine in /var/lib/localstack instead.
    env.OVERRIDE_IN_DOCKER = '0';
    const libs = join(home(flavour), 'var-libs');
    mkdirSync(libs, { recursive: true });
    mkdirSync(join(tmp, 'fs', 'var', 'lib', 'localstack'), { recursive: true });
    symlinkSync(libs, join(tmp, 'fs', 'var', 'lib', 'localstack', 'lib'));
  }
  const child = spawnService(venvPython(flavour), ['-m', 'localstack.runtime.main'], logFile, { env, cwd: tmp, detached: !!opts.detached });
  const url = `http://127.0.0.1:${port}`;
  await awaitReady('LocalStack', child, logFile, opts.timeoutMs ?? 120_000, () => ready(url, flavour), [tmp]);
  log(`LocalStack ready at ${url} in ${((Date.now() - started) / 1000).toFixed(1)} s (pid ${child.pid})`);
  return serviceHandle({ url, pid: child.pid!, logFile, dataDir: tmp });
}

