import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Checkpoint, CheckpointStore } from '../../../src/checkpoint/checkpoint.js';
import { noHealth } from '../../../src/component.js';
import { forward } from '../../../src/pipeline/pipeline.js';
import { Stats } from '../../../src/pipeline/stats.js';
import type { Sink, WriteOutcome } from '../../../src/sink/sink.js';
import { CloudWatchSource, CloudWatchStats } from '../../../src/source/cloudwatch/cloudwatch-source.js';
import type { CloudWatchPosition } from '../../../src/source/cloudwatch/position.js';
import { createRequestBudget } from '../../../src/source/cloudwatch/request-budget.js';
import type { CloudWatchSettings } from '../../../src/source/cloudwatch/settings.js';
import { compilePolicy, DEFAULT_POLICY } from '../../../src/transform/policy.js';

const settings: CloudWatchSettings = {
  region: 'us-west-2',
  groupName: '/aws/eks/c/cluster',
  streamPrefix: 'kube-apiserver-audit-',
  fetchIntervalMs: 1_000,
  requestsPerSecond: 5,
  prefilter: false,
  latenessFloorMs: 10_000,
  latenessCeilingMs: 10_000,
};

/** FilterLogEvents answering every window with one page of one event that is not an audit event. */
function oneEventPerWindow(): CloudWatchLogsClient {
  let id = 0;
  return {
    send: async () => ({
      events: [{ logStreamName: 'kube-apiserver-audit-1', eventId: String(++id), timestamp: Date.now() - 1_000, ingestionTime: Date.now(), message: 'not json' }],
    }),
    destroy() {},
  } as unknown as CloudWatchLogsClient;
}

describe('CloudWatch source', () => {
  it('takes its re-read decision for the next window only once the window is acknowledged (a failed write must not use up a sweep)', async () => {
    const source = new CloudWatchSource({
      settings,
      client: oneEventPerWindow(),
      stats: new CloudWatchStats(createRequestBudget(5)),
      mode: { kind: 'tail' },
      log: pino({ level: 'silent' }),
      health: noHealth,
    });
    const stop = new AbortController();
    let writes = 0;
    const sink = {
      name: 'store',
      target: 'store',
      identity: [],
      write: async (records: readonly unknown[]): Promise<WriteOutcome[]> => {
        writes += 1;
        if (writes === 1) throw Object.assign(new Error('forbidden'), { name: 'ResponseError' });
        stop.abort();
        return records.map(() => ({ result: 'stored' }));
      },
    } as unknown as Sink;
    let saved: Checkpoint | undefined;
    const store: CheckpointStore = { location: 'memory', load: async () => saved, save: async (cp) => void (saved = cp) };
    const p = { source, sink, transform: { policy: compilePolicy(DEFAULT_POLICY) }, stats: new Stats(), log: pino({ level: 'silent' }), health: noHealth };
    const start: Checkpoint<CloudWatchPosition> = { version: 2, source: 'cloudwatch', position: source.startAt(Date.now() - 3_600_000), updatedAt: '' };
    const control = { stop: stop.signal, signal: new AbortController().signal };

    // The write of the window's only page fails; the run loop starts again from the checkpoint.
    await expect(forward(p, start, store, control)).rejects.toThrow(/forbidden/);
    expect(saved).toBeUndefined();
    await forward(p, start, store, control);

    // The first window after start sweeps the whole overlap plus the sweep period back.
    const next = saved!.position as CloudWatchPosition;
    expect(next.windowEnd).toBeUndefined();
    expect(next.readUpTo! - next.windowStart).toBe(10_000 + 5_000 - 1_000);
  });
});
