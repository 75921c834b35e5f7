// Shared helpers for the test services: where things are cached, free ports,
// polling with a deadline, locking, process-group lifecycle.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';

/** Installs live outside the repo so clones, worktrees and CI runs on one machine share them. */
export function cacheDir(...parts: string[]): string {
  const base = process.env.XDG_CACHE_HOME || join(homedir(), '.cache');
  const dir = join(base, 'eks-log-forwarder', ...parts);
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Logs and the `up` state files (EKSFWD_RUN_DIR moves them, so a test's `up` never meets a person's). */
export function runDir(): string {
  const dir = process.env.EKSFWD_RUN_DIR;
  if (!dir) return cacheDir('run');
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Per-start scratch data; removed on stop. */
export const makeTempDir = (prefix: string): string => mkdtempSync(join(tmpdir(), `eksfwd-${prefix}-`));

export const log = (msg: string): void => void process.stderr.write(`[services] ${msg}\n`);

/** Ask the kernel for a free loopback port (small race until the service binds it). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

/**
 * Poll `check` until it returns a value (not undefined) or the deadline passes.
 * `check` may throw to abort at once (e.g. the process died).
 */
export async function waitFor<T>(what: string, timeoutMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let interval = 100;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await delay(interval);
    interval = Math.min(interval * 1.5, 1000);
  }
}

/** GET a URL with a short timeout; undefined when nothing answers yet. */
export async function tryGet(url: string): Promise<{ status: number; body: string } | undefined> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(5_000) });
    return { status: res.status, body: await res.text() };
  } catch {
    return undefined;
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Serialise installs across processes (vitest and `services:up` may race):
 * an atomic mkdir is the lock; a lock whose owner died is taken over.
 */
export async function withLock<T>(name: string, fn: () => Promise<T>, timeoutMs = 30 * 60_000): Promise<T> {
  const lock = join(cacheDir('locks'), `${name}.lock`);
  await waitFor(`lock ${lock}`, timeoutMs, async () => {
    try {
      mkdirSync(lock);
      writeFileSync(join(lock, 'pid'), String(process.pid));
      return true;
    } catch {
      const owner = Number(readFileSafe(join(lock, 'pid')));
      if (owner && !isAlive(owner)) rmSync(lock, { recursive: true, force: true });
      return undefined;
    }
  });
  try {
    return await fn();
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

export function readFileSafe(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** Run a command to completion, output appended to `logFile`; throws with the log tail on failure. */
export async function run(cmd: string, args: string[], logFile: string, opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<void> {
  const fd = openSync(logFile, 'a');
  const child = spawn(cmd, args, { ...opts, stdio: ['ignore', fd, fd] });
  closeSync(fd);
  const code = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', resolve);
  });
  if (code !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${code}\n${tail(logFile)}`);
}

export function tail(file: string, lines = 40): string {
  const text = readFileSafe(file) ?? '';
  return `--- last lines of ${file} ---\n${text.split('\n').slice(-lines).join('\n')}`;
}

export interface Service {
  url: string;
  pid: number;
  logFile: string;
  /** Scratch data, removed by stop(). */
  dataDir: string;
  port?: number;
  stop(): Promise<void>;
  /** Stops the process but keeps its data, so `start({ reuse })` brings the same node back. */
  halt(): Promise<void>;
}

/** A handle for a running service; the CLI rebuilds one from its state file to stop it. */
export function serviceHandle(s: Omit<Service, 'stop' | 'halt'>): Service {
  // Both services take several seconds to shut down cleanly on SIGTERM.
  return {
    ...s,
    stop: () => stopGroup(s.pid, { graceMs: 20_000, cleanup: [s.dataDir, s.logFile] }),
    halt: () => stopGroup(s.pid, { graceMs: 20_000 }),
  };
}

export interface StartOptions {
  /** Keep running after this Node process exits (for `services:up`). */
  detached?: boolean;
  /** Restart on the port and scratch dir (data) of an earlier start, for outage tests. */
  reuse?: { port: number; dataDir: string };
  /** Readiness deadline. */
  timeoutMs?: number;
}

/**
 * Spawn a service in its own process group (so stop() can kill its whole tree),
 * stdout+stderr to `logFile`, cwd its scratch dir.
 */
export function spawnService(cmd: string, args: string[], logFile: string, opts: { env: NodeJS.ProcessEnv; cwd: string; detached: boolean }): ChildProcess {
  const fd = openSync(logFile, 'a');
  const child = spawn(cmd, args, { env: opts.env, cwd: opts.cwd, stdio: ['ignore', fd, fd], detached: true });
  closeSync(fd);
  if (opts.detached) child.unref();
  else {
    // Attached: never leave the group (or its scratch dir, the cwd) behind when this process
    // exits without stopping it, e.g. vitest interrupted with Ctrl-C.
    const kill = (): void => {
      killGroup(child.pid!, 'SIGKILL');
      rmSync(opts.cwd, { recursive: true, force: true });
    };
    process.once('exit', kill);
    child.once('exit', () => process.off('exit', kill));
  }
  return child;
}

export function killGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    /* already gone */
  }
}

function groupAlive(pid: number): boolean {
  try {
    process.kill(-pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** SIGTERM the process group, SIGKILL it after the deadline, then remove scratch data. */
export async function stopGroup(pid: number, opts: { graceMs?: number; cleanup?: string[] } = {}): Promise<void> {
  killGroup(pid, 'SIGTERM');
  try {
    await waitFor(`process group ${pid} to exit`, opts.graceMs ?? 15_000, async () => (groupAlive(pid) ? undefined : true));
  } catch {
    killGroup(pid, 'SIGKILL');
    await waitFor(`process group ${pid} to die`, 10_000, async () => (groupAlive(pid) ? undefined : true));
  }
  for (const p of opts.cleanup ?? []) rmSync(p, { recursive: true, force: true });
}

/** Wait for readiness; on failure kill the group, print the log tail, keep the log. */
export async function awaitReady<T>(name: string, child: ChildProcess, logFile: string, timeoutMs: number, check: () => Promise<T | undefined>, cleanup: string[]): Promise<T> {
  let exited: string | undefined;
  child.once('exit', (code, sig) => (exited = `exited early (code ${code}, signal ${sig})`));
  try {
    return await waitFor(name, timeoutMs, async () => {
      if (exited) throw new Error(`${name} ${exited}`);
      return check();
    });
  } catch (e) {
    await stopGroup(child.pid!, { graceMs: 5_000, cleanup });
    log(`${name} failed to start: ${(e as Error).message}\n${tail(logFile)}`);
    throw e;
  }
}
