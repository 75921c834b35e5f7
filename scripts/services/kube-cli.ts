// tsx scripts/services/kube-cli.ts install | up | env | down
//   install: build kube-apiserver and etcd into the cache (once per version)
//   up:      start them detached, print sourceable KEY=value lines (progress goes to stderr)
//   env:     reprint those lines for a pair that is already up
//   down:    stop them and remove their data
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { log, readFileSafe, runDir, withLock } from './cache.js';
import { healthy, install, kubeHandle, start, type KubeApiServerInfo } from './kube-apiserver.js';

const stateFile = (): string => join(runDir(), 'kube-state.json');

function readState(): KubeApiServerInfo | undefined {
  const text = readFileSafe(stateFile());
  return text ? (JSON.parse(text) as KubeApiServerInfo) : undefined;
}

function printEnv(s: KubeApiServerInfo): void {
  process.stdout.write(`KUBECONFIG=${s.kubeconfig}\nKUBE_API_URL=${s.url}\nKUBE_ADMIN_TOKEN=${s.adminToken}\nKUBE_CA_FILE=${s.caFile}\n`);
}

async function down(): Promise<void> {
  const s = readState();
  if (!s) return log('no kube-apiserver recorded as running');
  await kubeHandle(s).stop();
  rmSync(stateFile(), { force: true });
  log('kube-apiserver and etcd stopped');
}

async function up(): Promise<void> {
  const s = readState();
  if (s && (await healthy(s))) {
    log('kube-apiserver already up');
    return printEnv(s);
  }
  if (s) await down(); // a half-dead earlier run: clear it first
  const { stop: _stop, ...info } = await start({ detached: true });
  writeFileSync(stateFile(), JSON.stringify(info, null, 2));
  printEnv(info);
}

async function env(): Promise<void> {
  const s = readState();
  if (!s || !(await healthy(s))) throw new Error('kube-apiserver is not up: run `tsx scripts/services/kube-cli.ts up`');
  printEnv(s);
}

// One `up`/`down` at a time, so two callers do not both start a pair.
const locked = (fn: () => Promise<void>) => () => withLock('kube-state', fn);
const commands: Record<string, () => Promise<void>> = { install, up: locked(up), down: locked(down), env };
const cmd = commands[process.argv[2] ?? ''];
if (!cmd) {
  log(`usage: tsx scripts/services/kube-cli.ts ${Object.keys(commands).join('|')}`);
  process.exit(2);
}
cmd().then(
  () => process.exit(0), // detached children hold no handles, but be explicit
  (e: unknown) => {
    log((e as Error).message);
    process.exit(1);
  },
);
