// tsx scripts/services/kube-cli.ts install | up | env | down
//   install: build kube-apiserver and etcd into the cache (once per version)
//   up:      start them detached, print sourceable KEY=value lines (progress goes to stderr)
//   env:     reprint those lines for a pair that is already up
//   down:    stop them and remove their data
import { healthy, install, kubeHandle, start, type KubeApiServerInfo } from './kube-apiserver.js';
import { runStateCli } from './state-cli.js';

runStateCli<KubeApiServerInfo>(
  {
    name: 'kube-apiserver',
    lock: 'kube-state',
    stateFile: 'kube-state.json',
    upCommand: 'tsx scripts/services/kube-cli.ts up',
    async start() {
      const { stop: _stop, ...info } = await start({ detached: true });
      return info;
    },
    stop: (s) => kubeHandle(s).stop(),
    healthy,
    env: (s) => ({ KUBECONFIG: s.kubeconfig, KUBE_API_URL: s.url, KUBE_ADMIN_TOKEN: s.adminToken, KUBE_CA_FILE: s.caFile }),
  },
  'tsx scripts/services/kube-cli.ts',
  { install },
);
