// npm run services:up | services:down | services:env | services:install
//   up:      start both services detached, print sourceable KEY=value lines (progress goes to stderr)
//   env:     reprint those lines for services that are already up
//   down:    stop them and remove their data
//   install: install both into the cache without starting them
import { isAlive, serviceHandle, type Service } from './cache.js';
import * as elasticsearch from './elasticsearch.js';
import { installServices, servicesEnv, startServices } from './index.js';
import * as localstack from './localstack.js';
import { runStateCli } from './state-cli.js';

type Saved = Omit<Service, 'stop' | 'halt'>;
interface State {
  localstack: Saved;
  elasticsearch: Saved;
}

const save = ({ url, pid, logFile, dataDir }: Service): Saved => ({ url, pid, logFile, dataDir });

runStateCli<State>(
  {
    name: 'services',
    lock: 'services-state',
    stateFile: 'state.json',
    upCommand: 'npm run services:up',
    async start() {
      const started = await startServices({ detached: true });
      return { localstack: save(started.localstack), elasticsearch: save(started.elasticsearch) };
    },
    async stop(s) {
      await Promise.all([serviceHandle(s.localstack).stop(), serviceHandle(s.elasticsearch).stop()]);
    },
    async healthy(s) {
      return (
        isAlive(s.localstack.pid) &&
        isAlive(s.elasticsearch.pid) &&
        (await localstack.ready(s.localstack.url)) === true &&
        (await elasticsearch.ready(s.elasticsearch.url)) === true
      );
    },
    env: (s) => ({ ...servicesEnv(s.localstack.url, s.elasticsearch.url) }),
  },
  'tsx scripts/services/cli.ts',
  { install: installServices },
);
