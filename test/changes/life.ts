import { seedScenario } from '../../localstack/seed.js';
import { AUDIT_STREAM_PREFIX, type Scenario } from '../../localstack/scenario.js';
import { startCli } from '../support/cli.js';
import { eventually } from '../support/elastic.js';
import { cloudwatchClient, forwarderEnv, uniqueCluster } from '../support/scenario.js';
import { deleted, doc, policy, v1, v2, v3 } from './sequences.js';

const base = Date.now() - 2 * 3_600_000;
// Microseconds, as the API server writes them (Linseed decodes RFC3339Micro).
export const at = (minutes: number) => new Date(base + minutes * 60_000).toISOString().replace('Z', '000Z');
export const EVIL = '<script>alert(1)</script>';

/** A NetworkPolicy's life, with a dryRun, a refused change and an attacker-named object, re-timed to two hours ago. */
function lifeEvents(): Record<string, unknown>[] {
  const docs = [
    doc('create', 1, v1),
    doc('patch', 2, policy('102', { podSelector: { dry: 'run' } }), { uri: '/apis/networking.k8s.io/v1/namespaces/prod/networkpolicies/deny-all?dryRun=All' }),
    doc('patch', 3, { kind: 'Status', apiVersion: 'v1', status: 'Failure', code: 403 }, { code: 403, user: 'mallory' }),
    doc('patch', 4, v2, { user: 'bob' }),
    doc('update', 5, v3),
    doc('create', 6, policy('120', { podSelector: {} }, { name: EVIL, annotations: { note: EVIL } }), { name: EVIL }),
    doc('delete', 7, deleted),
  ];
  return docs.map((d, i) => ({ ...d, auditID: `${uniqueCluster('a')}-${i}`, requestReceivedTimestamp: at(i + 1), stageTimestamp: at(i + 1) }));
}

export async function seedLife(prefix: string): Promise<{ env: Record<string, string>; cluster: string; from: string; to: string }> {
  const cluster = uniqueCluster(prefix);
  const scenario: Scenario = {
    logGroupName: `/aws/eks/${cluster}/cluster`,
    streams: [{ name: `${AUDIT_STREAM_PREFIX}0123456789abcdef0123456789abcdef`, audit: true, events: lifeEvents().map((e, i) => ({ timestamp: base + (i + 1) * 60_000, message: JSON.stringify(e) })) }],
  } as Scenario;
  const cw = cloudwatchClient();
  try {
    await seedScenario(cw, scenario);
  } finally {
    cw.destroy();
  }
  return { env: forwarderEnv(scenario.logGroupName, cluster), cluster, from: at(0), to: at(10) };
}


/** Runs `fn` with the URL of a `ui` listening on a free loopback port, stopping it after. */
export async function withUi(env: Record<string, string>, fn: (url: string) => Promise<void>): Promise<void> {
  const ui = startCli(['ui', '--listen', '127.0.0.1:0'], env);
  try {
    let url = '';
    await eventually(async () => {
      url = /ui: (http:\/\/\S+)/.exec(ui.stderr())?.[1] ?? '';
      return url !== '';
    }, 'the ui to listen', 60_000);
    await fn(url);
  } finally {
    ui.child.kill('SIGTERM');
    await ui.exited;
  }
}
