// npm run linseed:up | linseed:env | linseed:down
//   up:   start a kube-apiserver and the Linseed emulator (over the Elasticsearch of `services:up`)
//         detached; print the forwarder's environment for it as sourceable KEY=value lines
//   env:  reprint those lines for an emulator that is already up
//   down: stop both and remove their data
import type { ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as elasticsearch from './elasticsearch.js';
import { awaitReady, isAlive, log, makeTempDir, readFileSafe, runDir, spawnService, stopGroup } from './cache.js';
import { healthy as kubeHealthy, kubeHandle, start as startKube, type KubeApiServerInfo } from './kube-apiserver.js';
import { runStateCli } from './state-cli.js';

interface State {
  kube: KubeApiServerInfo;
  linseed: { pid: number; logFile: string; dir: string; env: Record<string, string>; elasticUrl: string };
}

/** The Elasticsearch the emulator stores into: ELASTIC_URL, or the one `services:up` recorded. */
function elasticUrl(): string {
  if (process.env.ELASTIC_URL) return process.env.ELASTIC_URL;
  const state = readFileSafe(join(runDir(), 'state.json'));
  const url = state ? (JSON.parse(state) as { elasticsearch?: { url?: string } }).elasticsearch?.url : undefined;
  if (!url) throw new Error('no Elasticsearch: run `npm run services:up` first (or set ELASTIC_URL)');
  return url;
}

runStateCli<State>(
  {
    name: 'Linseed emulator',
    lock: 'linseed-state',
    stateFile: 'linseed-state.json',
    upCommand: 'npm run linseed:up',
    async start() {
      const elastic = elasticUrl();
      if (!(await elasticsearch.ready(elastic))) throw new Error(`Elasticsearch at ${elastic} does not answer: run \`npm run services:up\` (or fix ELASTIC_URL)`);
      const { stop: _stop, ...kube } = await startKube({ detached: true });
      let child: ChildProcess | undefined;
      const dir = makeTempDir('linseed-up');
      try {
        const logFile = join(runDir(), `linseed-${process.pid}.log`);
        const serve = fileURLToPath(new URL('./linseed/serve.ts', import.meta.url));
        child = spawnService(process.execPath, ['--import', import.meta.resolve('tsx'), serve], logFile, {
          env: { ...process.env, ELASTIC_URL: elastic, KUBECONFIG: kube.kubeconfig, KUBE_API_URL: kube.url, KUBE_CA_FILE: kube.caFile, KUBE_ADMIN_TOKEN: kube.adminToken, LINSEED_DIR: dir },
          cwd: dir,
          detached: true,
        });
        const env = await awaitReady('Linseed emulator', child, logFile, 120_000, async () => {
          const file = join(dir, 'env.json');
          return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, string>) : undefined;
        }, [dir]);
        log(`Linseed emulator ready at ${env.LINSEED_ENDPOINT} (pid ${child.pid})`);
        return { kube, linseed: { pid: child.pid!, logFile, dir, env, elasticUrl: elastic } };
      } catch (err) {
        // Nothing is recorded yet: leave nothing running.
        if (child?.pid) await stopGroup(child.pid, { graceMs: 5_000 });
        rmSync(dir, { recursive: true, force: true });
        await kubeHandle(kube).stop();
        throw err;
      }
    },
    async stop(s) {
      await stopGroup(s.linseed.pid, { graceMs: 10_000, cleanup: [s.linseed.logFile] });
      rmSync(s.linseed.dir, { recursive: true, force: true });
      await kubeHandle(s.kube).stop();
    },
    async healthy(s) {
      // One over an Elasticsearch that has gone (services restarted on another port) is not up.
      return isAlive(s.linseed.pid) && s.linseed.elasticUrl === elasticUrl() && (await elasticsearch.ready(s.linseed.elasticUrl)) === true && (await kubeHealthy(s.kube));
    },
    env: (s) => s.linseed.env,
  },
  'tsx scripts/services/linseed-cli.ts',
);
