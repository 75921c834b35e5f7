// LocalStack (CloudWatch Logs only) in host mode: a pinned venv, no Docker.
// 4.13.1 is the last open-core release that runs on Python 3.11 without an auth token.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { awaitReady, cacheDir, freePort, log, makeTempDir, readFileSafe, run, runDir, serviceHandle, spawnService, tryGet, withLock, type Service, type StartOptions } from './cache.js';

export const LOCALSTACK_VERSION = '4.13.1';
// The release's own lock, used as constraints: its extras otherwise float to closed moto-ext builds.
const CONSTRAINTS = fileURLToPath(new URL(`../../localstack/constraints-${LOCALSTACK_VERSION}.txt`, import.meta.url));

const home = (): string => cacheDir(`localstack-${LOCALSTACK_VERSION}`);
const venvPython = (): string => join(home(), 'venv', 'bin', 'python');
const marker = (): string => join(home(), 'installed');
// The marker records what was installed; a changed constraints file means reinstall.
const fingerprint = (): string => createHash('sha256').update(readFileSync(CONSTRAINTS)).digest('hex');

const installed = (): boolean => existsSync(venvPython()) && readFileSafe(marker()) === fingerprint();

/** Python 3.11 if there is one by that name, else python3. */
function basePython(): string {
  return process.env.LOCALSTACK_PYTHON ?? 'python3.11';
}

export async function install(): Promise<void> {
  if (installed()) return;
  await withLock('localstack', async () => {
    if (installed()) return; // another process finished it meanwhile
    const started = Date.now();
    const logFile = join(home(), 'install.log');
    log(`installing LocalStack ${LOCALSTACK_VERSION} into ${home()} (log: ${logFile})`);
    rmSync(join(home(), 'venv'), { recursive: true, force: true });
    rmSync(marker(), { force: true });
    writeFileSync(logFile, '');
    let py = basePython();
    try {
      await run(py, ['--version'], logFile);
    } catch {
      py = 'python3';
    }
    await run(py, ['-m', 'venv', join(home(), 'venv')], logFile);
    await run(venvPython(), ['-m', 'pip', 'install', '--disable-pip-version-check', '-c', CONSTRAINTS, `localstack-core[runtime]==${LOCALSTACK_VERSION}`], logFile);
    writeFileSync(marker(), fingerprint());
    log(`LocalStack installed in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  });
}

/** Ready once the health endpoint lists the logs service as usable. */
export async function ready(url: string): Promise<true | undefined> {
  const res = await tryGet(`${url}/_localstack/health`);
  if (res?.status !== 200) return undefined;
  const state = (JSON.parse(res.body) as { services?: Record<string, string> }).services?.logs;
  return state === 'available' || state === 'running' ? true : undefined;
}

export async function start(opts: StartOptions = {}): Promise<Service> {
  await install();
  const port = await freePort();
  const tmp = makeTempDir('localstack');
  const logFile = join(runDir(), `localstack-${port}.log`);
  writeFileSync(logFile, '');
  mkdirSync(join(tmp, 'tmp'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GATEWAY_LISTEN: `127.0.0.1:${port}`,
    LOCALSTACK_HOST: `127.0.0.1:${port}`,
    SERVICES: 'logs',
    EAGER_SERVICE_LOADING: '1', // load logs at boot, so the first test request is not slow
    DNS_ADDRESS: '0', // otherwise it tries to serve DNS on port 53
    SKIP_SSL_CERT_DOWNLOAD: '1',
    DISABLE_EVENTS: '1', // no analytics calls home
    FILESYSTEM_ROOT: join(tmp, 'fs'),
    // LocalStack keeps /tmp/localstack and clears it on exit: give each instance its own.
    TMPDIR: join(tmp, 'tmp'),
    PERSISTENCE: '0',
  };
  const started = Date.now();
  const child = spawnService(venvPython(), ['-m', 'localstack.runtime.main'], logFile, { env, cwd: tmp, detached: !!opts.detached });
  const url = `http://127.0.0.1:${port}`;
  await awaitReady('LocalStack', child, logFile, opts.timeoutMs ?? 120_000, () => ready(url), [tmp]);
  log(`LocalStack ready at ${url} in ${((Date.now() - started) / 1000).toFixed(1)} s (pid ${child.pid})`);
  return serviceHandle({ url, pid: child.pid!, logFile, dataDir: tmp });
}

