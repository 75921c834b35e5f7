import { randomUUID } from 'node:crypto';
import type { Client } from '@elastic/elasticsearch';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileFilterPattern } from '../../../src/source/cloudwatch/filter-pattern.js';
import { DEFAULT_POLICY } from '../../../src/transform/policy.js';
import { startCli } from '../../support/cli.js';
import { startCloudWatchEmulator, type CloudWatchEmulator } from '../../support/cloudwatch-emulator.js';
import { keptPodCreate, keyOf } from '../../support/corpus.js';
import { docCount, elasticClient, eventually, idDiff } from '../../support/elastic.js';
import { auditIndexPattern, deadLetterIndex, forwarderEnv, uniqueCluster } from '../../support/scenario.js';

/** A real pod create from the corpus that the default policy keeps; each use gets a fresh auditID. */
const template = keptPodCreate();

// Lateness scaled down: the floor and ceiling the forwarder runs with, and its fetch interval.
const FLOOR_MS = 2_000;
const CEILING_MS = 12_000;
const INTERVAL_S = '0.5';

interface Planned {
  stream: string;
  timestamp: number;
  ingestionTime: number;
}

/**
 * Arrival patterns under the ceiling (every event is ingested less than CEILING_MS after its
 * timestamp), as API servers and CloudWatch produce them: all streams stalled then flushed at
 * once, one stream's backlog arriving alone while the others flow, a batch of only old events,
 * and lateness growing slowly.
 */
function arrivals(t0: number): Planned[] {
  const out: Planned[] = [];
  const every = (from: number, to: number, step: number, f: (t: number, i: number) => Planned | Planned[]) => {
    for (let t = from, i = 0; t <= to; t += step, i++) out.push(...[f(t, i)].flat());
  };
  // Normal flow: stream a, a third of a second behind.
  every(t0, t0 + 30_000, 200, (t) => ({ stream: 'a', timestamp: t, ingestionTime: t + 300 }));
  // All streams stalled for 4.5 x the floor, then flushed at once.
  const stalledFrom = t0 + 16_000;
  const flush = stalledFrom + 4.5 * FLOOR_MS;
  every(stalledFrom, flush - 250, 250, (t) => ['a', 'b', 'c'].map((stream) => ({ stream: `${stream}-stalled`, timestamp: t, ingestionTime: flush })));
  // One stream's backlog arriving alone, 3.5-4.5 x the floor late, while stream a flows.
  every(t0, t0 + 20_000, 400, (t, i) => ({ stream: 'backlog', timestamp: t, ingestionTime: t + (3.5 + (i % 5) / 5) * FLOOR_MS }));
  // A batch made only of old events, 0.8-0.9 x the ceiling late, with nothing fresh around it.
  every(t0 + 5_000, t0 + 6_000, 50, (t, i) => ({ stream: 'old-only', timestamp: t, ingestionTime: t + (0.8 + (i % 10) / 100) * CEILING_MS }));
  // Lateness growing slowly, from 0.2 s to 0.9 x the ceiling.
  every(t0, t0 + 30_000, 500, (t, i) => ({ stream: 'drifting', timestamp: t, ingestionTime: t + 200 + (i / 60) * (0.9 * CEILING_MS - 200) }));
  return out;
}

describe('late arrivals under the ceiling, whatever their pattern (FilterLogEvents emulator)', () => {
  let es: Client;
  let cw: CloudWatchEmulator;
  const patterns = new Set<string>();
  beforeAll(async () => {
    es = elasticClient();
    cw = await startCloudWatchEmulator({ onServed: (call) => void patterns.add(call.filterPattern ?? '(none)') });
  });
  afterAll(async () => {
    await es.close();
    await cw.close();
  });

  it('delivers every event ingested less than the ceiling after its timestamp, exactly once', async () => {
    const cluster = uniqueCluster('late');
    const group = `/aws/eks/${cluster}/cluster`;
    const t0 = Date.now() + 3_000;
    const expected = new Set<string>();
    const planned = new Map<string, Planned>();
    // The promise covers events ingested less than the ceiling after their timestamp: so do these.
    expect(Math.max(...arrivals(t0).map((a) => a.ingestionTime - a.timestamp))).toBeLessThan(CEILING_MS);
    for (const a of arrivals(t0)) {
      const event = structuredClone(template);
      event.auditID = randomUUID();
      expected.add(keyOf(event));
      planned.set(keyOf(event), a);
      cw.put(group, `kube-apiserver-audit-${a.stream}`, [{ timestamp: a.timestamp, ingestionTime: a.ingestionTime, message: JSON.stringify(event) }]);
    }
    // Late too: events CloudWatch cut off, which no JSON pattern matches (the sweeps read them in a pass of their own),
    // and reads the policy drops (the sweeps need not move them again).
    const cutOff = Array.from({ length: 3 }, (_, i) => ({ timestamp: t0 + 8_000 + i * 100, ingestionTime: t0 + 8_000 + i * 100 + 0.8 * CEILING_MS, message: `${JSON.stringify({ ...template, auditID: randomUUID() }).slice(0, 300)}[Truncated...]` }));
    cw.put(group, 'kube-apiserver-audit-cut-off', cutOff);
    cw.put(group, 'kube-apiserver-audit-dropped', [{ timestamp: t0 + 9_000, ingestionTime: t0 + 9_000 + 0.5 * CEILING_MS, message: JSON.stringify({ ...template, auditID: randomUUID(), verb: 'get' }) }]);
    const run = startCli(['run'], {
      ...forwarderEnv(group, cluster),
      AWS_ENDPOINT_URL_CLOUDWATCH_LOGS: cw.url,
      EKS_CLOUDWATCH_LOG_FETCH_INTERVAL: INTERVAL_S,
      EKS_FORWARDER_LATENESS_FLOOR: `${FLOOR_MS / 1000}s`,
      EKS_FORWARDER_LATENESS_CEILING: `${CEILING_MS / 1000}s`,
      EKS_FORWARDER_REQUESTS_PER_SECOND: '5',
      EKS_FORWARDER_START_FROM: new Date(t0 - 1_000).toISOString(),
    });
    try {
      // The last arrival is ingested ~40 s after t0; give the ceiling and a sweep period after it.
      await eventually(async () => (await idDiff(es, auditIndexPattern(cluster), expected)).missing.length === 0, 'every late event', 120_000).catch(() => undefined);
      const diff = await idDiff(es, auditIndexPattern(cluster), expected);
      const lost = diff.missing.length;
      // Which arrivals were lost, relative to t0, to tell the pattern.
      if (lost > 0) console.log('lost', diff.missing.map((id) => planned.get(id)).map((a) => ({ stream: a!.stream, at: a!.timestamp - t0, late: a!.ingestionTime - a!.timestamp })), run.stderr().split('\n').filter((l) => /window|sweep|skew|error|warn/i.test(l)).slice(-20));
      expect({ lost, of: expected.size, extra: diff.extra.length, duplicated: diff.duplicated.length }).toEqual({ lost: 0, of: expected.size, extra: 0, duplicated: 0 });
      await eventually(async () => (await docCount(es, deadLetterIndex(cluster))) === cutOff.length, 'the late cut-off events dead-lettered', 60_000);
      // The sweeps asked CloudWatch for what the policy may keep, and for cut-off events; the head for everything.
      expect([...patterns].sort()).toEqual(['"[Truncated...]"', '(none)', compileFilterPattern(DEFAULT_POLICY)!].sort());
    } finally {
      run.child.kill('SIGTERM');
      await run.exited;
    }
  });
});
