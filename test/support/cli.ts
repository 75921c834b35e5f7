import { execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export { freePort } from '../../scripts/services/cache.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const BIN = path.join(REPO_ROOT, 'src', 'cli', 'bin.ts');

let dockerNodeOptions: string | undefined;
/** The image's `ENV NODE_OPTIONS` (its V8 heap settings), read from the Dockerfile once. */
export function imageNodeOptions(): string {
  dockerNodeOptions ??= /^ENV NODE_OPTIONS="([^"]*)"/m.exec(readFileSync(path.join(REPO_ROOT, 'Dockerfile'), 'utf8'))?.[1] ?? '';
  return dockerNodeOptions;
}

/**
 * Compiles src/ with the project's build config into `outDir` (inside the repo, so the output
 * resolves node_modules as in the image) and returns the compiled CLI's path. Throws as tsc does.
 */
export function compileCli(outDir: string): string {
  execFileSync(process.execPath, [path.join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json', '--outDir', outDir], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return path.join(outDir, 'cli', 'bin.js');
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface RunCliOptions {
  timeoutMs?: number;
  /** Another `node` binary (default: the one running the tests). */
  node?: string;
  /** Run this compiled `cli/bin.js` instead of the TypeScript source through tsx. */
  compiledBin?: string;
}

/** Runs the real CLI in its own process (through tsx, as `npm start` does, unless compiledBin). */
export function runCli(args: string[], env: Record<string, string | undefined>, opts: RunCliOptions = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const entry = opts.compiledBin ? [opts.compiledBin] : ['--import', 'tsx', BIN];
    const child = spawn(opts.node ?? process.execPath, [...entry, ...args], {
      cwd: REPO_ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED, LOG_LEVEL: 'warn', EKS_FORWARDER_HTTP_PORT: '0', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    // Generous: a loaded CI machine can be several times slower than a quiet one.
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 280_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

export interface RunningCli {
  child: import('node:child_process').ChildProcess;
  exited: Promise<number | null>;
  stderr(): string;
}

/** Starts the real CLI in the background (for `run`), collecting its log lines. */
export function startCli(args: string[], env: Record<string, string | undefined>, nodeArgs: string[] = []): RunningCli {
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', BIN, ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED, LOG_LEVEL: 'info', EKS_FORWARDER_HTTP_PORT: '0', ...env },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (d) => (stderr += d));
  // A test that fails or is interrupted must not leave a forwarder running.
  const reap = () => child.kill('SIGKILL');
  process.once('exit', reap);
  const exited = new Promise<number | null>((resolve) =>
    child.on('exit', (code) => {
      process.off('exit', reap);
      resolve(code);
    }),
  );
  return { child, exited, stderr: () => stderr };
}

/** The CloudWatch position of the run checkpoint in a state directory, if one was saved. */
export function readRunCheckpoint(stateDir: string): { nextToken?: string; windowEnd?: number; windowStart: number; readUpTo?: number; sweptUpTo?: Record<string, number> } | undefined {
  const file = readdirSync(stateDir).find((f) => f.startsWith('run-') && f.endsWith('.json'));
  return file ? (JSON.parse(readFileSync(path.join(stateDir, file), 'utf8')) as { position: ReturnType<typeof readRunCheckpoint> }).position : undefined;
}

