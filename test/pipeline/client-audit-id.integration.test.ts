import { readFileSync } from 'node:fs';
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@elastic/elasticsearch';
import { CreateLogGroupCommand, CreateLogStreamCommand } from '@aws-sdk/client-cloudwatch-logs';
import * as kubeApiserver from '../../scripts/services/kube-apiserver.js';
import { putEvents } from '../../localstack/seed.js';
import { runCli } from '../support/cli.js';
import { elasticClient, eventually } from '../support/elastic.js';
import { auditIndexPattern, cloudwatchClient, forwarderEnv, uniqueCluster } from '../support/scenario.js';

// kube-apiserver logs every NetworkPolicy request at RequestResponse, as EKS would with Calico's policy.
const AUDIT_POLICY = `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: RequestResponse
  resources: [{ group: networking.k8s.io, resources: [networkpolicies] }]
- level: None
`;

const networkPolicy = (name: string) => ({
  apiVersion: 'networking.k8s.io/v1',
  kind: 'NetworkPolicy',
  metadata: { name, namespace: 'default' },
  spec: { podSelector: {}, policyTypes: ['Ingress'] },
});

describe('two requests that share a client-chosen Audit-ID (real kube-apiserver)', () => {
  let kube: kubeApiserver.KubeApiServer;
  let es: Client;
  const cluster = uniqueCluster('auditid');
  const group = `/aws/eks/${cluster}/cluster`;
  const env = forwarderEnv(group, cluster);
  const sharedId = `chosen-by-client-${cluster}`;

  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    new Promise<number>((resolve, reject) => {
      const data = body === undefined ? undefined : JSON.stringify(body);
      const req = request(
        new URL(path, kube.url),
        {
          method,
          ca: readFileSync(kube.caFile),
          headers: {
            authorization: `Bearer ${kube.adminToken}`,
            'content-type': method === 'PATCH' ? 'application/merge-patch+json' : 'application/json',
            ...headers,
          },
        },
        (res) => {
          res.resume();
          res.on('end', () => resolve(res.statusCode ?? 0));
        },
      );
      req.on('error', reject);
      req.end(data);
    });

  beforeAll(async () => {
    es = elasticClient();
    kube = await kubeApiserver.start({ auditPolicy: AUDIT_POLICY });
  });
  afterAll(async () => {
    await es.close();
    await kube?.stop();
  });

  it('delivers both, so a NetworkPolicy deletion cannot hide behind a harmless patch', async () => {
    const base = '/apis/networking.k8s.io/v1/namespaces/default/networkpolicies';
    expect(await call('POST', base, networkPolicy('harmless'))).toBe(201);
    expect(await call('POST', base, networkPolicy('deny-all'))).toBe(201);
    // The same Audit-ID header on two different requests: kube-apiserver logs both under it.
    expect(await call('PATCH', `${base}/harmless`, { metadata: { labels: { touched: 'yes' } } }, { 'Audit-ID': sharedId })).toBe(200);
    expect(await call('DELETE', `${base}/deny-all`, undefined, { 'Audit-ID': sharedId })).toBe(200);

    const logged = () => readFileSync(kube.auditLogFile!, 'utf8').split('\n').filter((l) => l.length > 0);
    const sharing = () => logged().filter((l) => (JSON.parse(l) as { auditID: string }).auditID === sharedId);
    await eventually(async () => sharing().length === 2, 'both requests in the audit log');
    const lines = logged();
    // As EKS ships them: one CloudWatch event per audit log line, timestamped when it was logged.
    const cw = cloudwatchClient();
    const stream = 'kube-apiserver-audit-0123456789abcdef0123456789abcdef';
    await cw.send(new CreateLogGroupCommand({ logGroupName: group }));
    await cw.send(new CreateLogStreamCommand({ logGroupName: group, logStreamName: stream }));
    await putEvents(cw, group, stream, lines.map((message) => ({ timestamp: Date.parse((JSON.parse(message) as { stageTimestamp: string }).stageTimestamp), message })));
    cw.destroy();

    const backfill = await runCli(['backfill', '--from', '1h', '--to', 'now', '--json'], env);
    expect(backfill.code).toBe(0);
    await es.indices.refresh({ index: auditIndexPattern(cluster) });
    const found = await es.search<{ verb: string; objectRef: { name: string } }>({ index: auditIndexPattern(cluster), query: { term: { auditID: sharedId } }, size: 10 });
    const requests = found.hits.hits.map((h) => `${h._source!.verb} ${h._source!.objectRef.name}`).sort();
    expect(requests).toEqual(['delete deny-all', 'patch harmless']);

    // verify judges by the same key: the window is complete, and each of the two is accounted for.
    const verify = await runCli(['verify', '--from', '1h', '--to', 'now', '--json'], env);
    expect(JSON.parse(verify.stdout)).toMatchObject({ complete: true, expected: lines.length, missing: 0, unexpected: 0 });

    // A replay of the same events is still absorbed.
    const again = await runCli(['backfill', '--from', '1h', '--to', 'now', '--json'], env);
    expect(JSON.parse(again.stdout)).toMatchObject({ created: 0, alreadyPresent: lines.length });
  });
});
