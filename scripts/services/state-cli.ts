import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { log, readFileSafe, runDir, withLock } from './cache.js';

/** Services started detached, whose handles live in a state file between commands. */
export interface DetachedServices<S> {
  /** For messages: "services", "kube-apiserver". */
  name: string;
  /** State file under the run directory. */
  stateFile: string;
  /** Lock held by `up` and `down` (shared by every checkout on the machine: keep it stable). */
  lock: string;
  /** The command that starts them, for the "not up" message. */
  upCommand: string;
  start(): Promise<S>;
  stop(state: S): Promise<void>;
  healthy(state: S): Promise<boolean>;
  /** Sourceable KEY=value lines for running services. */
  env(state: S): Record<string, string>;
}

/**
 * Runs `up` | `env` | `down` (plus `extra` commands) for detached services: `up` reuses healthy
 * ones and clears half-dead ones; `up` and `down` hold a lock so two callers never both start them.
 */
export function runStateCli<S>(spec: DetachedServices<S>, usage: string, extra: Record<string, () => Promise<void>> = {}): void {
  const file = (): string => join(runDir(), spec.stateFile);
  const readState = (): S | undefined => {
    const text = readFileSafe(file());
    return text ? (JSON.parse(text) as S) : undefined;
  };
  const printEnv = (s: S): void => {
    for (const [k, v] of Object.entries(spec.env(s))) process.stdout.write(`${k}=${v}\n`);
  };

  async function down(): Promise<void> {
    const s = readState();
    if (!s) return log(`no ${spec.name} recorded as running`);
    await spec.stop(s);
    rmSync(file(), { force: true });
    log(`${spec.name} stopped`);
  }

  async function up(): Promise<void> {
    const s = readState();
    if (s && (await spec.healthy(s))) {
      log(`${spec.name} already up`);
      return printEnv(s);
    }
    if (s) await down(); // a half-dead earlier run: clear it first
    const started = await spec.start();
    writeFileSync(file(), JSON.stringify(started, null, 2));
    printEnv(started);
  }

  async function env(): Promise<void> {
    const s = readState();
    if (!s || !(await spec.healthy(s))) throw new Error(`${spec.name} not up: run \`${spec.upCommand}\``);
    printEnv(s);
  }

  const locked = (fn: () => Promise<void>) => () => withLock(spec.lock, fn);
  const commands: Record<string, () => Promise<void>> = { ...extra, up: locked(up), down: locked(down), env };
  const cmd = commands[process.argv[2] ?? ''];
  if (!cmd) {
    log(`usage: ${usage} ${Object.keys(commands).join('|')}`);
    process.exit(2);
  }
  cmd().then(
    () => process.exit(0), // detached children hold no handles, but be explicit
    (e: unknown) => {
      log((e as Error).message);
      process.exit(1);
    },
  );
}
