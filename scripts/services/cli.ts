// npm run services:up | services:down | services:install
//   up:   start both services detached, print sourceable KEY=value lines (progress goes to stderr)
//   env:  reprint those lines for services that are already up
//   down: stop them and remove their data
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { isAlive, log, readFileSafe, runDir, serviceHandle, withLock, type Service } from './cache.js';
import * as elasticsearch from './elasticsearch.js';
import { installServices, servicesEnv, startServices } from './index.js';
import * as localstack from './localstack.js';

type Saved = Omit<Service, 'stop' | 'halt'>;
interface State {
  localstack: Saved;
  elasticsearch: Saved;
}

const stateFile = (): string => join(runDir(), 'state.json');

function readState(): State | undefined {
  const text = readFileSafe(stateFile());
  return text ? (JSON.parse(text) as State) : undefined;
}

async function healthy(s: State): Promise<boolean> {
  return (
    isAlive(s.localstack.pid) &&
    isAlive(s.elasticsearch.pid) &&
    (await localstack.ready(s.localstack.url)) === true &&
    (await elasticsearch.ready(s.elasticsearch.url)) === true
  );
}

function printEnv(s: State): void {
  const env = servicesEnv(s.localstack.url, s.elasticsearch.url);
  for (const [k, v] of Object.entries(env)) process.stdout.write(`${k}=${v}\n`);
}

async function down(): Promise<void> {
  const s = readState();
  if (!s) return log('nothing recorded as running');
  await Promise.all([serviceHandle(s.localstack).stop(), serviceHandle(s.elasticsearch).stop()]);
  rmSync(stateFile(), { force: true });
  log('stopped');
}

async function up(): Promise<void> {
  const s = readState();
  if (s && (await healthy(s))) {
    log('already up');
    return printEnv(s);
  }
  if (s) await down(); // a half-dead earlier run: clear it first
  const started = await startServices({ detached: true });
  const save = ({ url, pid, logFile, dataDir }: Service): Saved => ({ url, pid, logFile, dataDir });
  const state: State = { localstack: save(started.localstack), elasticsearch: save(started.elasticsearch) };
  writeFileSync(stateFile(), JSON.stringify(state, null, 2));
  printEnv(state);
}

async function env(): Promise<void> {
  const s = readState();
  if (!s || !(await healthy(s))) throw new Error('services are not up: run `npm run services:up`');
  printEnv(s);
}

// One `up`/`down` at a time, so two callers do not both start a pair.
const locked = (fn: () => Promise<void>) => () => withLock('services-state', fn);
const commands: Record<string, () => Promise<void>> = { up: locked(up), down: locked(down), env, install: installServices };
const cmd = commands[process.argv[2] ?? ''];
if (!cmd) {
  log(`usage: tsx scripts/services/cli.ts ${Object.keys(commands).join('|')}`);
  process.exit(2);
}
cmd().then(
  () => process.exit(0), // detached children hold no handles, but be explicit
  (e: unknown) => {
    log((e as Error).message);
    process.exit(1);
  },
);
