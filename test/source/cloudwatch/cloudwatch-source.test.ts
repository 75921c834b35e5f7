import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Checkpoint, CheckpointStore } from '../../../src/checkpoint/checkpoint.js';
import { noHealth } from '../../../src/component.js';
import { forward } from '../../../src/pipeline/pipeline.js';
import { Stats } from '../../../src/pipeline/stats.js';
import type { Sink, WriteOutcome } from '../../../src/sink/sink.js';
import { AwsClock } from '../../../src/source/cloudwatch/clock.js';
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
  prefilter: 'off',
  latenessFloorMs: 10_000,
  latenessCeilingMs: 60_000,
  recountShare: 0,
};

/** FilterLogEvents answering every window with one page of one event that is not an audit event; records the windows asked for. */
function oneEventPerWindow(windows: { start: number; end: number }[]): CloudWatchLogsClient {
  let id = 0;
  return {
    send: async (command: { input: { startTime: number; endTime: number } }) => {
      windows.push({ start: command.input.startTime, end: command.input.endTime });
      return { events: [{ logStreamName: 'kube-apiserver-audit-1', eventId: String(++id), timestamp: command.input.startTime, ingestionTime: Date.now(), message: 'not json' }] };
    },
    destroy() {},
  } as unknown as CloudWatchLogsClient;
}

/** A clock that has heard AWS's time (as after the first answer). */
function knownClock(): AwsClock {
  const clock = new AwsClock();
  clock.observeDate(new Date().toUTCString());
  return clock;
}

describe('CloudWatch source', () => {
  it('moves a sweep only when its window is acknowledged: after a failed write the same range is read again', async () => {
    const windows: { start: number; end: number }[] = [];
    const source = new CloudWatchSource({
      settings,
      client: oneEventPerWindow(windows),
      stats: new CloudWatchStats(createRequestBudget(5)),
      clock: knownClock(),
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
    // The head has read up to an hour ago; both sweeps are far behind it.
    const readUpTo = Date.now() - 3_600_000;
    const position: CloudWatchPosition = { ...source.startAt(0), readUpTo, windowStart: readUpTo + 1, sweptUpTo: { 12000: readUpTo - 600_000, 62000: readUpTo - 900_000 } };
    const start: Checkpoint<CloudWatchPosition> = { version: 2, source: 'cloudwatch', position, updatedAt: '' };
    const control = { stop: stop.signal, signal: new AbortController().signal };

    await expect(forward(p, start, store, control)).rejects.toThrow(/forbidden/);
    expect(saved).toBeUndefined();
    await forward(p, saved ?? start, store, control);

    // The ceiling's sweep first (the floor's read ahead meanwhile), and after the failure the same range again;
    // then its cursor moved up to the head, the floor's not (its window was read ahead, never acknowledged).
    expect(windows[0]).toEqual({ start: readUpTo - 900_000 + 1, end: readUpTo });
    expect(windows[1]).toEqual({ start: readUpTo - 600_000 + 1, end: readUpTo });
    expect(windows[2]).toEqual(windows[0]);
    expect((saved!.position as CloudWatchPosition).sweptUpTo).toEqual({ 12000: readUpTo - 600_000, 62000: readUpTo });
  });

  it('reads ranges again with the policy pattern, the ceiling\'s with a second pass for cut-off events, and the head unfiltered', async () => {
    const requests: Record<string, unknown>[] = [];
    const stop = new AbortController();
    const client = {
      send: async (command: { input: Record<string, unknown> }) => {
        requests.push(command.input);
        return { events: [] };
      },
      destroy() {},
    } as unknown as CloudWatchLogsClient;
    const pattern = '{ $.verb = "create" }';
    const source = new CloudWatchSource({ settings, client, stats: new CloudWatchStats(createRequestBudget(5)), clock: knownClock(), mode: { kind: 'tail' }, sweepFilterPattern: pattern, log: pino({ level: 'silent' }), health: noHealth });
    const readUpTo = Date.now() - 3_600_000;
    const position: CloudWatchPosition = { ...source.startAt(0), readUpTo, windowStart: readUpTo + 1, sweptUpTo: { 12000: readUpTo - 600_000, 62000: readUpTo - 900_000 } };
    for await (const batch of source.read(position, { stop: stop.signal, signal: new AbortController().signal })) {
      // The head's window drained: the poll is over.
      if (batch.drained && batch.position.windowEnd === undefined && batch.position.readUpTo! > readUpTo) stop.abort();
    }
    expect(requests.map((r) => [r.startTime, r.filterPattern])).toEqual([
      [readUpTo - 900_000 + 1, pattern],
      [readUpTo - 900_000 + 1, '"[Truncated...]"'],
      [readUpTo - 600_000 + 1, pattern],
      [readUpTo + 1, undefined],
    ]);
  });

  /** FilterLogEvents refusing `refuse` requests with InvalidParameterException; records every request. */
  function refusing(refuse: (input: Record<string, unknown>) => boolean, message: string) {
    const requests: Record<string, unknown>[] = [];
    const client = {
      send: async (command: { input: Record<string, unknown> }) => {
        requests.push(command.input);
        if (refuse(command.input)) throw Object.assign(new Error(message), { name: 'InvalidParameterException', $metadata: { httpStatusCode: 400 } });
        return { events: [] };
      },
      destroy() {},
    } as unknown as CloudWatchLogsClient;
    return { client, requests };
  }

  it('reads without patterns, and says so once, when CloudWatch refuses the compiled pattern, whatever its wording', async () => {
    // Worded with "token", as a parser's error may be: the pattern is still what was refused.
    const { client, requests } = refusing((input) => input.filterPattern !== undefined, 'Invalid filter pattern: unexpected token at 12');
    const stop = new AbortController();
    const logged: string[] = [];
    const failed: unknown[] = [];
    const log = pino({ level: 'error' }, { write: (line: string) => void logged.push(line) });
    const stats = new CloudWatchStats(createRequestBudget(5));
    const health = { ...noHealth, failed: (_: string, err: unknown) => void failed.push(err) };
    const source = new CloudWatchSource({ settings, client, stats, clock: knownClock(), mode: { kind: 'tail' }, sweepFilterPattern: '{ $.verb = "create" }', log, health });
    const readUpTo = Date.now() - 3_600_000;
    const position: CloudWatchPosition = { ...source.startAt(0), readUpTo, windowStart: readUpTo + 1, sweptUpTo: { 12000: readUpTo - 600_000, 62000: readUpTo - 900_000 } };
    for await (const batch of source.read(position, { stop: stop.signal, signal: new AbortController().signal })) {
      if (batch.drained && batch.position.windowEnd === undefined && batch.position.readUpTo! > readUpTo) stop.abort();
    }
    // The ceiling's window asked once with the pattern, once without (is it the pattern?), then again from its start without; the rest without.
    expect(requests.map((r) => [r.startTime, r.filterPattern])).toEqual([
      [readUpTo - 900_000 + 1, '{ $.verb = "create" }'],
      [readUpTo - 900_000 + 1, undefined],
      [readUpTo - 900_000 + 1, undefined],
      [readUpTo - 600_000 + 1, undefined],
      [readUpTo + 1, undefined],
    ]);
    expect(logged).toHaveLength(1);
    expect(logged[0]).toMatch(/refused the filter pattern compiled from the policy/);
    expect(failed).toHaveLength(1);
    expect(stats.filterPatternRefused).toBe(true);
  });

  it('keeps its patterns and fails the read when CloudWatch refuses the request without its pattern too', async () => {
    const { client, requests } = refusing(() => true, '1 validation error detected: Value at logGroupName failed to satisfy constraint');
    const stats = new CloudWatchStats(createRequestBudget(5));
    const source = new CloudWatchSource({ settings, client, stats, clock: knownClock(), mode: { kind: 'tail' }, sweepFilterPattern: '{ $.verb = "create" }', log: pino({ level: 'silent' }), health: noHealth });
    const readUpTo = Date.now() - 3_600_000;
    const position: CloudWatchPosition = { ...source.startAt(0), readUpTo, windowStart: readUpTo + 1, sweptUpTo: { 12000: readUpTo - 600_000, 62000: readUpTo - 900_000 } };
    const read = async () => {
      for await (const _ of source.read(position, { stop: new AbortController().signal, signal: new AbortController().signal })) void _;
    };
    await expect(read()).rejects.toThrow(/logGroupName/);
    expect(requests).toHaveLength(2);
    expect(stats.filterPatternRefused).toBe(false);
  });

  it('tells how far behind the newest event it reads again: the ceiling\'s age, the timestamps its sweep batches and an interval', () => {
    const source = (sweepFilterPattern?: string) =>
      new CloudWatchSource({ settings, client: {} as CloudWatchLogsClient, stats: new CloudWatchStats(createRequestBudget(5)), clock: new AwsClock(), mode: { kind: 'tail' }, sweepFilterPattern, log: pino({ level: 'silent' }), health: noHealth });
    // Ceiling 60 s: its sweep at 62 s, batching 30 s of timestamps (60 s with its second pass), then one 1 s interval.
    expect(source().replayHorizonMs).toBe(62_000 + 30_000 + 1_000);
    expect(source('{ $.verb = "create" }').replayHorizonMs).toBe(62_000 + 60_000 + 1_000);
  });

  describe('never stuck on, and never misled by, a position from another configuration', () => {
    /** FilterLogEvents answering from a script, recording every request. */
    function scripted(answers: ((input: Record<string, unknown>) => Record<string, unknown>)[]) {
      const requests: Record<string, unknown>[] = [];
      const client = {
        send: async (command: { input: Record<string, unknown> }) => {
          requests.push(command.input);
          const answer = answers.shift();
          return answer ? answer(command.input) : { events: [] };
        },
        destroy() {},
      } as unknown as CloudWatchLogsClient;
      return { client, requests };
    }
    const sourceWith = (client: CloudWatchLogsClient, filterPattern?: string, mode: { kind: 'tail' } | { kind: 'window'; to: number } = { kind: 'window', to: 2_000_000 }) =>
      new CloudWatchSource({ settings, client, stats: new CloudWatchStats(createRequestBudget(5)), clock: new AwsClock(), mode, filterPattern, log: pino({ level: 'silent' }), health: noHealth });
    const control = () => ({ stop: new AbortController().signal, signal: new AbortController().signal });
    const window: CloudWatchPosition = { groupName: settings.groupName, streamPrefix: settings.streamPrefix, windowStart: 1_000_000, windowEnd: 2_000_000 };
    const drain = async (source: CloudWatchSource, from: CloudWatchPosition) => {
      const batches = [];
      for await (const b of source.read(from, control())) batches.push(b);
      return batches;
    };

    it('reads a window saved in the prefilter\'s second pass again from its start when the prefilter is now off', async () => {
      const { client, requests } = scripted([() => ({ events: [] })]);
      const batches = await drain(sourceWith(client), { ...window, pass: 1 });
      expect(requests).toHaveLength(1);
      expect(requests[0]).toMatchObject({ startTime: 1_000_000, endTime: 2_000_000 });
      expect(requests[0]!.nextToken).toBeUndefined();
      expect(batches.at(-1)).toMatchObject({ end: true, position: { done: true } });
    });

    it('does not reuse a token made under another filter pattern', async () => {
      const { client, requests } = scripted([() => ({ events: [] })]);
      await drain(sourceWith(client, '{ $.verb = "create" }'), { ...window, nextToken: 'made-under-another-pattern', under: 'another-configuration' });
      expect(requests[0]!.nextToken).toBeUndefined();
      expect(requests[0]!.filterPattern).toBe('{ $.verb = "create" }');
    });

    it('goes on with a token made under the same configuration', async () => {
      const first = scripted([() => ({ events: [{ logStreamName: 'kube-apiserver-audit-1', eventId: '1', timestamp: 1_500_000, ingestionTime: 1_500_000, message: 'x' }], nextToken: 't1' })]);
      const [batch] = await drain(sourceWith(first.client), window).then((b) => b);
      const second = scripted([() => ({ events: [] }), () => ({ events: [] })]);
      // The empty last page after a resumed token: read again from the last event before it, not from the window's start.
      await drain(sourceWith(second.client), batch!.position);
      expect(second.requests[0]).toMatchObject({ nextToken: 't1', startTime: 1_000_000 });
      expect(second.requests[1]).toMatchObject({ startTime: 1_500_000, endTime: 2_000_000 });
      expect(second.requests[1]!.nextToken).toBeUndefined();
    });

    it('honours a stop between the prefilter\'s two passes', async () => {
      const { client, requests } = scripted([() => ({ events: [] }), () => ({ events: [] })]);
      const stop = new AbortController();
      const sink = { name: 's', target: 's', identity: [], write: async () => [] } as unknown as Sink;
      let saved: Checkpoint | undefined;
      const store: CheckpointStore = { location: 'memory', load: async () => saved, save: async (cp) => void ((saved = cp), stop.abort()) };
      const p = { source: sourceWith(client, '{ $.verb = "create" }'), sink, transform: { policy: compilePolicy(DEFAULT_POLICY) }, stats: new Stats(), log: pino({ level: 'silent' }), health: noHealth };
      const outcome = await forward(p, { version: 2, source: 'cloudwatch', position: window, updatedAt: '' }, store, { stop: stop.signal, signal: new AbortController().signal });
      expect(outcome.ended).toBe(false);
      expect((saved!.position as CloudWatchPosition).pass).toBe(1);
      expect(requests.length).toBeLessThanOrEqual(2);
    });
  });
});
