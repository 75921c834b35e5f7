import { copyFileSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { auditEvents } from '../../../localstack/scenario.js';
import { generateScenario } from '../../../localstack/scenario.js';
import { seedScenario } from '../../../localstack/seed.js';
import { expectedDocuments } from '../../../localstack/expected.js';
import { parseAuditEvent } from '../../../src/transform/audit-event.js';
import { calicoDocument } from '../../../src/transform/calico-document.js';
import { resolveSettings, settingsFromEnv } from '../../../src/settings.js';
import { LinseedClient } from '../../../src/sink/linseed/client.js';
import { applyPolicy, compilePolicy, DEFAULT_POLICY } from '../../../src/transform/policy.js';
import { runCli, startCli } from '../../support/cli.js';
import { elasticClient, eventually, keyCounts } from '../../support/elastic.js';
import { startLinseedWorld, throughLinseed, type LinseedWorld } from '../../support/linseed.js';
import { cloudwatchClient, seedCluster, type SeededCluster } from '../../support/scenario.js';

/** The Linseed settings an environment resolves to. */
function resolveLinseed(env: Record<string, string>) {
  const s = resolveSettings(settingsFromEnv(env));
  if (s.sink !== 'linseed') throw new Error(`chose ${s.sink}`);
  return s.linseed;
}

/** Linseed sets random ids: documents are counted by the dedup key of their content. */
async function exactlyOnce(es: Client, index: string, expected: Set<string>): Promise<{ missing: number; extra: number; duplicated: number }> {
  const counts = await keyCounts(es, index);
  return {
    missing: [...expected].filter((k) => !counts.has(k)).length,
    extra: [...counts.keys()].filter((k) => !expected.has(k)).length,
    duplicated: [...counts.values()].filter((n) => n > 1).length,
  };
}

const window = (s: SeededCluster) => ['--from', new Date(s.window.from).toISOString(), '--to', new Date(s.window.to).toISOString()];

describe('through Linseed (emulator over the real kube-apiserver and Elasticsearch)', () => {
  let world: LinseedWorld;
  let es: Client;
  beforeAll(async () => {
    es = elasticClient();
    world = await startLinseedWorld();
  }, 300_000);
  afterAll(async () => {
    await world?.close();
    await es.close();
  });

  it('backfill delivers every document the policy keeps exactly once, spools what Linseed cannot keep, and a replay writes nothing', async () => {
    const seeded = await seedCluster({ prefix: 'lsfill', events: 2_000, seed: 601, auditStreams: 2, truncated: 1 });
    const env = throughLinseed(seeded.env, world, seeded.cluster);
    const first = await runCli(['backfill', ...window(seeded), '--json'], env);
    expect(first.code).toBe(0);
    expect(JSON.parse(first.stdout)).toMatchObject({ complete: true, created: seeded.expected.size, spooled: 1 });
    const index = world.linseed.readPattern(seeded.cluster);
    expect(await exactlyOnce(es, index, seeded.expected)).toEqual({ missing: 0, extra: 0, duplicated: 0 });
    // The truncated event: no dead-letter index in Linseed, so a spool in the state directory.
    const spool = readdirSync(env.EKS_FORWARDER_STATE_DIR!).find((f) => f.endsWith('.deadletters.jsonl'))!;
    expect(readFileSync(path.join(env.EKS_FORWARDER_STATE_DIR!, spool), 'utf8')).toContain('truncated by CloudWatch');

    const again = await runCli(['backfill', ...window(seeded), '--json'], env);
    expect(JSON.parse(again.stdout)).toMatchObject({ complete: true, created: 0, alreadyPresent: seeded.expected.size });
    expect(await exactlyOnce(es, index, seeded.expected)).toEqual({ missing: 0, extra: 0, duplicated: 0 });
    const verify = await runCli(['verify', ...window(seeded), '--json'], env);
    expect(JSON.parse(verify.stdout)).toMatchObject({ expected: seeded.expected.size, missing: 0, unexpected: 0, duplicates: 0 });
  });

  it('run goes through lost answers, 5xx after the write, a partial failure and a SIGKILL, with the exact set; a line refused for good is spooled', async () => {
    const seeded = await seedCluster({ prefix: 'lsrun', events: 1_500, seed: 602, auditStreams: 2, startMs: Date.now() - 40 * 60_000, spanMs: 30 * 60_000 });
    const env: Record<string, string> = { ...throughLinseed(seeded.env, world, seeded.cluster), EKS_CLOUDWATCH_LOG_FETCH_INTERVAL: '1', EKS_FORWARDER_START_FROM: new Date(seeded.window.from).toISOString(), EKS_FORWARDER_PAGE_LIMIT: '200' };
    const [refusedForGood, refusedOnce] = [...seeded.expected].map((k) => k.split(':')[0]!);
    world.linseed.faults.timeoutAfterWrite(2, { mode: 'destroy' });
    world.linseed.faults.failNext(2, { status: 503, route: 'bulk', afterWrite: true });
    world.linseed.faults.refuseLines(refusedOnce!, { times: 1 });
    world.linseed.faults.refuseLines(refusedForGood!);
    const index = world.linseed.readPattern(seeded.cluster);
    const wanted = new Set([...seeded.expected].filter((k) => !k.startsWith(refusedForGood!)));
    try {
      const first = startCli(['run'], env);
      await eventually(async () => (await keyCounts(es, index)).size >= wanted.size / 3, 'a third delivered', 120_000);
      first.child.kill('SIGKILL');
      await first.exited;
      const second = startCli(['run'], env);
      try {
        await eventually(async () => (await keyCounts(es, index)).size >= wanted.size, 'every document', 120_000);
        await eventually(async () => second.stderr().includes('"msg":"window drained"'), 'a drained window', 60_000);
      } finally {
        second.child.kill('SIGTERM');
        await second.exited;
      }
      expect(await exactlyOnce(es, index, wanted)).toEqual({ missing: 0, extra: 0, duplicated: 0 });
      const spool = readdirSync(env.EKS_FORWARDER_STATE_DIR!).find((f) => f.endsWith('.deadletters.jsonl'))!;
      expect(readFileSync(path.join(env.EKS_FORWARDER_STATE_DIR!, spool), 'utf8')).toContain(refusedForGood);
    } finally {
      world.linseed.faults.reset();
    }
  });

  it('rotates its token and keeps going, with no restart', async () => {
    const seeded = await seedCluster({ prefix: 'lstoken', events: 600, seed: 603, auditStreams: 1, startMs: Date.now() - 20 * 60_000, spanMs: 10 * 60_000 });
    const env: Record<string, string> = { ...throughLinseed(seeded.env, world, seeded.cluster), EKS_CLOUDWATCH_LOG_FETCH_INTERVAL: '1', EKS_FORWARDER_START_FROM: new Date(seeded.window.from).toISOString() };
    const index = world.linseed.readPattern(seeded.cluster);
    const run = startCli(['run'], env);
    try {
      await eventually(async () => (await exactlyOnce(es, index, seeded.expected)).missing === 0, 'the first events', 120_000);
      // The kubelet writes a new token; the old one stops being accepted.
      const old = readFileSync(world.tokenFile, 'utf8');
      writeFileSync(world.tokenFile, await world.newToken());
      world.linseed.faults.expireToken(old);
      // New events, not late ones (those wait for the floor's sweep): stamped from now on.
      const more = generateScenario({ cluster: seeded.cluster, seed: 604, events: 300, startMs: Date.now() + 1_000, spanMs: 5_000, auditStreams: 1, otherStreams: false });
      const cw = cloudwatchClient();
      await seedScenario(cw, more);
      cw.destroy();
      const all = new Set([...seeded.expected, ...expectedDocuments(more).expected]);
      await eventually(async () => (await exactlyOnce(es, index, all)).missing === 0, 'events after the rotation', 120_000).catch((err) => {
        console.log(run.stderr().split('\n').slice(-15).join('\n'));
        throw err;
      });
      expect(await exactlyOnce(es, index, all)).toEqual({ missing: 0, extra: 0, duplicated: 0 });
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
      world.linseed.faults.reset();
    }
  });

  it('replaces the operator forwarder (documents without ids, a lagging stream): no gap, no duplicate', async () => {
    const seeded = await seedCluster({ prefix: 'lscut', events: 1_200, seed: 605, auditStreams: 2, startMs: Date.now() - 40 * 60_000, spanMs: 35 * 60_000 });
    const policy = compilePolicy(DEFAULT_POLICY);
    const events = auditEvents(seeded.scenario);
    const streams = [...new Set(events.map((e) => e.stream))].sort();
    const newest = Math.max(...events.map((e) => e.timestamp));
    // What the operator's forwarder wrote through Linseed: everything of one stream, the other 8 minutes behind.
    const lines: string[] = [];
    for (const e of events) {
      if (e.stream === streams[1] && e.timestamp > newest - 8 * 60_000) continue;
      const parsed = parseAuditEvent(e.message);
      const kept = parsed.ok ? applyPolicy(policy, parsed.event) : null;
      if (kept) lines.push(JSON.stringify(calicoDocument(kept)));
    }
    // Through Linseed's own bulk API, as that forwarder writes (with `timestamp`, which Linseed drops).
    const old = new LinseedClient(resolveLinseed(throughLinseed(seeded.env, world, seeded.cluster)));
    const answer = await old.bulk(lines, new AbortController().signal);
    old.close();
    expect(answer.answer).toMatchObject({ failed: 0, succeeded: lines.length });
    await es.indices.refresh({ index: world.linseed.readPattern(seeded.cluster) });

    const env = { ...throughLinseed(seeded.env, world, seeded.cluster), EKS_CLOUDWATCH_LOG_FETCH_INTERVAL: '1' };
    const index = world.linseed.readPattern(seeded.cluster);
    const run = startCli(['run'], env);
    try {
      await eventually(async () => (await exactlyOnce(es, index, seeded.expected)).missing === 0, 'the lagging stream filled', 120_000);
      await eventually(async () => run.stderr().includes('"msg":"window drained"'), 'a drained window', 60_000);
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
    }
    expect(run.stderr()).toMatch(/"from":"newest delivered document","minus":"the lateness ceiling"/);
    expect(lines.length).toBeLessThan(seeded.expected.size);
    expect(await exactlyOnce(es, index, seeded.expected)).toEqual({ missing: 0, extra: 0, duplicated: 0 });
  });

  it("answers Calico's Timeline and compliance queries with exactly the expected events", async () => {
    const seeded = await seedCluster({ prefix: 'lsread', events: 1_500, seed: 606, auditStreams: 2 });
    const env = throughLinseed(seeded.env, world, seeded.cluster);
    expect((await runCli(['backfill', ...window(seeded), '--json'], env)).code).toBe(0);
    const index = world.linseed.readPattern(seeded.cluster);
    await es.indices.refresh({ index });
    // As the Timeline asks (linseed.md): RequestResponse, ResponseComplete, newest first, no dry runs.
    const timeline = await es.search<{ auditID: string; stageTimestamp: string }>({
      index,
      size: 10_000,
      sort: [{ stageTimestamp: 'desc' }],
      query: {
        bool: {
          filter: [{ term: { level: 'RequestResponse' } }, { match: { stage: 'ResponseComplete' } }],
          must_not: [{ wildcard: { requestURI: '*dryRun*' } }],
        },
      },
    });
    const got = timeline.hits.hits.map((h) => h._source!);
    const want = new Set<string>();
    const policy = compilePolicy(DEFAULT_POLICY);
    for (const e of auditEvents(seeded.scenario)) {
      const parsed = parseAuditEvent(e.message);
      const kept = parsed.ok ? applyPolicy(policy, parsed.event) : null;
      if (kept && kept.level === 'RequestResponse' && kept.stage === 'ResponseComplete' && !kept.requestURI.includes('dryRun')) want.add(kept.auditID);
    }
    expect(want.size).toBeGreaterThan(0);
    expect(new Set(got.map((d) => d.auditID))).toEqual(want);
    expect(got.length).toBe(want.size);
    const times = got.map((d) => Date.parse(d.stageTimestamp));
    expect(times).toEqual([...times].sort((a, b) => b - a));

    // As the compliance reports ask: ResponseComplete writes that succeeded, with their resource.
    const compliance = await es.search<{ auditID: string }>({
      index,
      size: 10_000,
      query: {
        bool: {
          filter: [
            { match: { stage: 'ResponseComplete' } },
            { terms: { verb: ['create', 'update', 'patch', 'delete'] } },
            { range: { 'responseStatus.code': { gte: 200, lt: 300 } } },
            { exists: { field: 'objectRef.resource' } },
          ],
        },
      },
    });
    const writes = new Set<string>();
    for (const e of auditEvents(seeded.scenario)) {
      const parsed = parseAuditEvent(e.message);
      const kept = parsed.ok ? applyPolicy(policy, parsed.event) : null;
      const code = (kept?.responseStatus as { code?: number } | undefined)?.code ?? 0;
      if (kept && kept.stage === 'ResponseComplete' && ['create', 'update', 'patch', 'delete'].includes(kept.verb) && code >= 200 && code < 300 && kept.objectRef?.resource) writes.add(kept.auditID);
    }
    expect(writes.size).toBeGreaterThan(0);
    expect(new Set(compliance.hits.hits.map((h) => h._source!.auditID))).toEqual(writes);
    expect(compliance.hits.hits.length).toBe(writes.size);
  });

  it('keeps going through a rotation of the server certificate, its CA and the client keypair, with no restart', async () => {
    const seeded = await seedCluster({ prefix: 'lscert', events: 600, seed: 607, auditStreams: 1, startMs: Date.now() - 20 * 60_000, spanMs: 10 * 60_000 });
    const env: Record<string, string> = { ...throughLinseed(seeded.env, world, seeded.cluster), EKS_CLOUDWATCH_LOG_FETCH_INTERVAL: '1', EKS_FORWARDER_START_FROM: new Date(seeded.window.from).toISOString() };
    const index = world.linseed.readPattern(seeded.cluster);
    const run = startCli(['run'], env);
    try {
      await eventually(async () => (await exactlyOnce(es, index, seeded.expected)).missing === 0, 'the first events', 120_000);
      // A new server CA and a new client CA at once: the old client certificate is refused now.
      await world.linseed.rotateServerCertificate({ newCa: true });
      await world.linseed.rotateClientCa();
      world.linseed.dropConnections();
      const more = generateScenario({ cluster: seeded.cluster, seed: 608, events: 300, startMs: Date.now() + 1_000, spanMs: 5_000, auditStreams: 1, otherStreams: false });
      const cw = cloudwatchClient();
      await seedScenario(cw, more);
      cw.destroy();
      // cert-manager (or issue-client-cert.sh) writes the new keypair where the pod mounts it.
      const fresh = await world.linseed.issueClientCertificate(mkdtempSync(path.join(os.tmpdir(), 'eksfwd-rotated-')), 'eks-log-forwarder');
      copyFileSync(fresh.keyFile, env.TLS_KEY_PATH!);
      copyFileSync(fresh.certFile, env.TLS_CRT_PATH!);
      const all = new Set([...seeded.expected, ...expectedDocuments(more).expected]);
      await eventually(async () => (await exactlyOnce(es, index, all)).missing === 0, 'events after the rotation', 120_000);
      expect(await exactlyOnce(es, index, all)).toEqual({ missing: 0, extra: 0, duplicated: 0 });
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
    }
  });

  it("writes with a managed cluster's Linseed-issued token, the cluster taken from the token", async () => {
    const seeded = await seedCluster({ prefix: 'lsmanaged', events: 600, seed: 609, auditStreams: 1 });
    const tokenFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'eksfwd-managed-')), 'token');
    writeFileSync(tokenFile, world.linseed.mintManagedClusterToken({ tenant: '', cluster: seeded.cluster, serviceAccount: { namespace: 'eks-log-forwarder', name: 'eks-log-forwarder' }, expiresInSeconds: 3600 }));
    const withToken: Record<string, string> = { ...throughLinseed(seeded.env, world, seeded.cluster), LINSEED_TOKEN: tokenFile };
    const { LINSEED_CLUSTER_ID: _fromToken, ...env } = withToken;
    const result = await runCli(['backfill', ...window(seeded), '--json'], env);
    expect(result.code).toBe(0);
    expect(await exactlyOnce(es, world.linseed.readPattern(seeded.cluster), seeded.expected)).toEqual({ missing: 0, extra: 0, duplicated: 0 });
  });
});
