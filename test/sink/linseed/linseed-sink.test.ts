import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import { describe, expect, it, vi } from 'vitest';
import { noHealth } from '../../../src/component.js';
import { NotOwnedError, type SinkRecord } from '../../../src/sink/sink.js';
import { LinseedError, type BulkAnswer, type LinseedClient, type ReadAnswer, type ReadQuery } from '../../../src/sink/linseed/client.js';
import { LinseedSink } from '../../../src/sink/linseed/linseed-sink.js';
import { LinseedByCluster } from '../../../src/sink/linseed/by-cluster.js';
import { DeliveredSet } from '../../../src/sink/linseed/delivered-set.js';
import { compilePolicy, DEFAULT_POLICY } from '../../../src/transform/policy.js';
import { transformBatch } from '../../../src/transform/transform-batch.js';
import { keptPodCreate } from '../../support/corpus.js';

const T0 = Date.parse('2026-12-01T10:00:00Z');
const template = keptPodCreate();

/** Audit records of `n` distinct requests, one a second from T0 + offset. */
function records(n: number, offsetS = 0, mark?: (i: number) => boolean): SinkRecord[] {
  const events = Array.from({ length: n }, (_, i) => {
    const e = structuredClone(template);
    e.auditID = randomUUID();
    const t = new Date(T0 + (offsetS + i) * 1000).toISOString();
    e.requestReceivedTimestamp = t;
    e.stageTimestamp = t;
    if (mark?.(i)) (e.objectRef as Record<string, unknown>).name = 'refuse-me';
    return { group: 'g', stream: 's', eventId: String(offsetS + i), timestamp: T0 + (offsetS + i) * 1000, ingestionTime: T0 + (offsetS + i) * 1000, message: JSON.stringify(e) };
  });
  return transformBatch(events, { policy: compilePolicy(DEFAULT_POLICY) }).records;
}

/**
 * Linseed's contract in memory (pure logic only; the emulator proves the I/O): stores every line
 * it is sent, refuses lines naming `refuse-me` with a 200 that names no line, and can lose the
 * answer of the next bulk after storing it.
 */
class FakeLinseed {
  docs: Record<string, unknown>[] = [];
  bulks = 0;
  reads = 0;
  loseNextAnswer = false;
  /** The next bulks store nothing and answer every line with this item error type. */
  busyNext = 0;
  refuseAll = false;
  failNextRead = false;
  /** Elasticsearch's refresh: a stored line is searchable this long after it landed. */
  refreshMs = 0;
  private readonly searchableAt = new WeakMap<object, number>();
  async bulk(lines: readonly string[]): Promise<{ status: number; answer?: BulkAnswer; body: string }> {
    this.bulks += 1;
    if (this.busyNext > 0) {
      this.busyNext -= 1;
      return { status: 200, answer: { total: lines.length, succeeded: 0, failed: lines.length, errors: [{ type: 'es_rejected_execution_exception', reason: 'rejected execution of coordinating operation' }] }, body: '' };
    }
    if (this.refuseAll) return { status: 400, body: '{"msg":"index closed"}' };
    let failed = 0;
    for (const line of lines) {
      if (line.includes('refuse-me')) failed += 1;
      else {
        const doc = { ...JSON.parse(line), generated_time: new Date().toISOString() };
        this.searchableAt.set(doc, Date.now() + this.refreshMs);
        this.docs.push(doc);
      }
    }
    if (this.loseNextAnswer) {
      this.loseNextAnswer = false;
      throw new LinseedError('no answer from Linseed within 30 s', undefined, true);
    }
    if (failed === lines.length) return { status: 400, body: '{"error":"no line parsed"}' };
    return { status: 200, answer: { total: lines.length, succeeded: lines.length - failed, failed, errors: failed ? [{ type: 'document_parsing_exception', reason: 'bad field' }] : [] }, body: '' };
  }
  async read(q: ReadQuery): Promise<ReadAnswer> {
    this.reads += 1;
    if (this.failNextRead) {
      this.failNextRead = false;
      throw new LinseedError('Linseed answered 403 to a read', 403, false);
    }
    const from = Date.parse(q.time_range!.from);
    const to = Date.parse(q.time_range!.to);
    const hits = this.docs.filter((d) => {
      const t = Date.parse(String(d.requestReceivedTimestamp));
      return t > from && t <= to && (this.searchableAt.get(d) ?? 0) <= Date.now();
    });
    const start = Number((q.after_key as { i?: number } | undefined)?.i ?? 0);
    const items = hits.slice(start, start + q.max_page_size);
    return { items, total_hits: hits.length, after_key: { i: start + items.length } };
  }
  close() {}
}

function sinkOver(linseed: FakeLinseed, visibleAfterMs = 0, othersInFlightMs = 0): LinseedSink {
  return new LinseedSink({
    settings: { endpoint: 'https://linseed', certFile: 'c', keyFile: 'k', tokenFile: 't' },
    client: linseed as unknown as LinseedClient,
    log: pino({ level: 'silent' }),
    health: noHealth,
    visibleAfterMs,
    othersInFlightMs,
  });
}
const signal = new AbortController().signal;
const storedKeys = (l: FakeLinseed) => l.docs.map((d) => d.auditID as string);

describe('the Linseed sink: exactly once through an API that sets no id', () => {
  it('sends each record once and answers a replay from what it knows, without sending it again', async () => {
    const linseed = new FakeLinseed();
    const sink = sinkOver(linseed);
    const batch = records(5);
    expect((await sink.write(batch, signal)).map((o) => o.result)).toEqual(Array(5).fill('stored'));
    expect((await sink.write(batch, signal)).map((o) => o.result)).toEqual(Array(5).fill('already-stored'));
    expect(linseed.docs).toHaveLength(5);
    expect(linseed.bulks).toBe(1);
  });

  it('answers replays from as far back as its source reads again (past 30 minutes) from what it knows, without reading back', async () => {
    const replayAfter = async (replayHorizonMs?: number) => {
      const linseed = new FakeLinseed();
      const sink = new LinseedSink({ settings: { endpoint: 'https://linseed', certFile: 'c', keyFile: 'k', tokenFile: 't' }, client: linseed as unknown as LinseedClient, log: pino({ level: 'silent' }), health: noHealth, visibleAfterMs: 0, othersInFlightMs: 0, replayHorizonMs });
      const old = records(5);
      vi.useFakeTimers({ toFake: ['Date'] });
      try {
        await sink.write(old, signal);
        // The head writes on; the old range is written to again only by the next sweep, 15 wall-minutes on.
        for (let minute = 1; minute <= 15; minute++) {
          vi.setSystemTime(Date.now() + 60_000);
          await sink.write(records(5, (23 + minute) * 60), signal);
        }
        const reads = linseed.reads;
        const outcomes = await sink.write(old, signal);
        return { outcomes: outcomes.map((o) => o.result), readBacks: linseed.reads - reads, stored: linseed.docs.length };
      } finally {
        vi.useRealTimers();
      }
    };
    // The prefiltered ceiling's sweep reads 15 min + 15 min of batch + an interval behind the newest.
    expect(await replayAfter(40 * 60_000)).toEqual({ outcomes: Array(5).fill('already-stored'), readBacks: 0, stored: 80 });
    // Kept only 30 minutes, the same replay is recognised by reading back.
    expect((await replayAfter(undefined)).readBacks).toBeGreaterThan(0);
  });

  it('after a restart, reads back the range before sending, and sends only what Linseed lacks', async () => {
    const linseed = new FakeLinseed();
    const batch = records(6);
    await sinkOver(linseed).write(batch.slice(0, 4), signal);
    const restarted = sinkOver(linseed);
    const outcomes = await restarted.write(batch, signal);
    expect(outcomes.map((o) => o.result)).toEqual(['already-stored', 'already-stored', 'already-stored', 'already-stored', 'stored', 'stored']);
    expect(new Set(storedKeys(linseed)).size).toBe(6);
    expect(linseed.docs).toHaveLength(6);
    expect(restarted.stats.readBacks).toBeGreaterThan(0);
  });

  it('reads ahead of what it knows without waiting for its own writes to become searchable, but waits once at start', async () => {
    const linseed = new FakeLinseed();
    linseed.refreshMs = 100;
    const sink = sinkOver(linseed, 150);
    // A backfill's pace: each batch 10 minutes of request time after the last, past the 30 minutes read ahead.
    for (let m = 0; m < 8; m++) await sink.write(records(3, m * 600), signal);
    expect(linseed.docs).toHaveLength(24);
    expect(sink.stats.readBacks).toBeGreaterThanOrEqual(2);
    // Only the first read (an earlier process may just have written anything) waited.
    expect(sink.stats.visibilityWaits).toBe(1);
  });

  it('after a lost answer, waits for what landed to become searchable before reading it back, and sends nothing twice', async () => {
    const linseed = new FakeLinseed();
    // Slower than the first retry's back-off (500 ms): the read back must wait for the refresh.
    linseed.refreshMs = 700;
    const sink = sinkOver(linseed, 800);
    await sink.write(records(1, 100), signal);
    linseed.loseNextAnswer = true;
    const batch = records(5, 101);
    expect((await sink.write(batch, signal)).map((o) => o.result)).toEqual(Array(5).fill('stored'));
    expect(linseed.docs).toHaveLength(6);
    expect(new Set(storedKeys(linseed)).size).toBe(6);
    expect(sink.stats.visibilityWaits).toBe(2);
  });

  it('after a request whose answer was lost once it had landed, reads back and sends nothing twice', async () => {
    const linseed = new FakeLinseed();
    const sink = sinkOver(linseed);
    await sink.write(records(1, 100), signal); // the range is known from here
    linseed.loseNextAnswer = true;
    const batch = records(4, 200);
    expect((await sink.write(batch, signal)).map((o) => o.result)).toEqual(Array(4).fill('stored'));
    expect(linseed.docs).toHaveLength(5);
    expect(sink.stats.retries).toBe(1);
  });

  it('resolves a 200 with failed > 0 that names no line: the landed lines once, the refused one refused with the reason', async () => {
    const linseed = new FakeLinseed();
    const sink = sinkOver(linseed);
    const batch = records(5, 0, (i) => i === 2);
    const outcomes = await sink.write(batch, signal);
    expect(outcomes.map((o) => o.result)).toEqual(['stored', 'stored', 'refused', 'stored', 'stored']);
    // Alone, the line is answered 400 (no line parsed): refused for good, with Linseed's words.
    expect(outcomes[2]).toMatchObject({ status: 400, reason: expect.stringContaining('no line parsed') });
    expect(linseed.docs).toHaveLength(4);
    expect(new Set(storedKeys(linseed)).size).toBe(4);
    expect(sink.stats.partialFailures).toBe(1);
  });

  it('refuses dead letters (Linseed has none) so that the pipeline spools them', async () => {
    const sink = sinkOver(new FakeLinseed());
    const [letter] = transformBatch([{ group: 'g', stream: 's', eventId: '1', timestamp: T0, ingestionTime: T0, message: 'not json' }], { policy: compilePolicy(DEFAULT_POLICY) }).records;
    expect(await sink.write([letter!], signal)).toEqual([{ result: 'refused', status: 0, reason: 'Linseed keeps no dead letters' }]);
  });

  it('finds documents another writer stored (the cut-over) by content', async () => {
    const linseed = new FakeLinseed();
    const batch = records(3);
    // The operator's forwarder wrote the first two, with `timestamp`, which Linseed drops anyway.
    for (const r of batch.slice(0, 2)) linseed.docs.push({ ...(r.document as object) });
    const held = await sinkOver(linseed).heldUnderOtherIds(batch, signal);
    expect(held).toEqual(new Set([batch[0]!.key, batch[1]!.key]));
  });

  it('makes its writes searchable before a reader comes: makeSearchable waits out the store\'s refresh after the last write, and nothing without writes', async () => {
    const linseed = new FakeLinseed();
    const idle = sinkOver(linseed, 150);
    await idle.makeSearchable(signal);
    expect(idle.stats.visibilityWaits).toBe(0);

    linseed.refreshMs = 100;
    const sink = sinkOver(linseed, 150);
    await sink.write(records(4), signal);
    await sink.makeSearchable(signal);
    const all = await linseed.read({ time_range: { from: new Date(0).toISOString(), to: new Date(T0 + 3_600_000).toISOString() }, max_page_size: 100 } as ReadQuery);
    expect(all.total_hits).toBe(4);
  });
});

describe('the Linseed sink under review findings', () => {
  it('backfill slices writing at once through one sink store nothing twice', async () => {
    const linseed = new FakeLinseed();
    const sink = sinkOver(linseed);
    const early = records(40, 0);
    const late = records(40, 3 * 3600);
    // Linseed already holds the early ones; two slices write at once.
    await sinkOver(linseed).write(early, signal);
    await Promise.all([sink.write(late, signal), sink.write(early, signal), sink.write(late, signal)]);
    expect(linseed.docs).toHaveLength(80);
    expect(new Set(storedKeys(linseed)).size).toBe(80);
  });

  it('a busy store (item errors of a full queue) is waited out, not dead-lettered', async () => {
    const linseed = new FakeLinseed();
    const sink = sinkOver(linseed);
    linseed.busyNext = 2;
    expect((await sink.write(records(3), signal)).map((o) => o.result)).toEqual(['stored', 'stored', 'stored']);
    expect(linseed.docs).toHaveLength(3);
  });

  it('a refusal of everything (not of the lines) fails the write instead of dead-lettering every line', async () => {
    const linseed = new FakeLinseed();
    const sink = sinkOver(linseed);
    linseed.refuseAll = true;
    await expect(sink.write(records(4), signal)).rejects.toThrow(/refused 4 of 4 lines, each alone too/);
  });

  it('after a lost answer and a failed read back, reads back before sending anything again', async () => {
    const linseed = new FakeLinseed();
    const sink = sinkOver(linseed);
    await sink.write(records(1, 0), signal);
    const batch = records(5, 10);
    linseed.loseNextAnswer = true;
    linseed.failNextRead = true;
    await expect(sink.write(batch, signal)).rejects.toThrow(/403/);
    expect((await sink.write(batch, signal)).map((o) => o.result)).toEqual(Array(5).fill('already-stored'));
    expect(linseed.docs).toHaveLength(6);
  });
});

describe('the delivered set', () => {
  it('forgets minutes far behind the newest, and no longer claims to know them', () => {
    const set = new DeliveredSet(10 * 60_000);
    set.markKnown(T0, T0 + 40 * 60_000);
    set.add('a', T0);
    set.add('b', T0 + 30 * 60_000);
    set.advance(T0 + 30 * 60_000, T0 + 60 * 60_000);
    set.prune();
    expect(set.has('a', T0)).toBe(false);
    expect(set.knows(T0)).toBe(false);
    expect(set.knows(T0 + 30 * 60_000)).toBe(true);
    expect(set.size).toBe(1);
  });

  it('still answers for minutes it compacted, and takes late keys into them', () => {
    const set = new DeliveredSet(30 * 60_000);
    for (let m = 0; m < 10; m++) for (let i = 0; i < 100; i++) set.add(`k${m}-${i}`, T0 + m * 60_000 + i);
    set.advance(T0 + 9 * 60_000, T0 + 60 * 60_000);
    set.prune();
    expect(set.size).toBe(1_000);
    for (let m = 0; m < 10; m++) for (let i = 0; i < 100; i++) expect(set.has(`k${m}-${i}`, T0 + m * 60_000 + i)).toBe(true);
    expect(set.has('k0-100', T0)).toBe(false);
    set.add('late', T0 + 1);
    set.add('k0-0', T0);
    expect(set.size).toBe(1_001);
    set.prune();
    expect(set.has('late', T0 + 1)).toBe(true);
  });

  it('compacts minutes read back ahead of the newest write as they fill: about 8 bytes a key', () => {
    const set = new DeliveredSet(30 * 60_000);
    set.advance(T0, T0 + 60 * 60_000);
    // A read back fills the minutes ahead of the newest write at once: 10 minutes of 1,000 a second.
    let largest = 0;
    for (let s = 0; s < 600; s++) {
      for (let i = 0; i < 1_000; i++) set.add(`k${s}-${i}`, T0 + s * 1000 + i);
      largest = Math.max(largest, set.bytes);
    }
    // The busy minutes (the newest and two either side) fill hash tables; the others stay sorted
    // with a table of at most 4,096 keys (64 KB), not 60,000 keys in 1 MB tables.
    expect(set.size).toBe(600_000);
    expect(largest).toBeLessThanOrEqual(8 * 600_000 + 7 * 65_536 + 3 * 1_048_576);
    set.prune();
    expect(set.bytes).toBeLessThanOrEqual(8 * 600_000 + 7 * 65_536 + 3 * 1_048_576);
    expect(set.has('k599-999', T0 + 599_999)).toBe(true);
    expect(set.has('k0-0', T0)).toBe(true);
  }, 60_000);
});

describe('the Linseed sink after an aborted request', () => {
  it('counts an aborted bulk that landed as a write: the next read back waits for it and nothing is sent twice', async () => {
    const linseed = new FakeLinseed();
    linseed.refreshMs = 300;
    const sink = sinkOver(linseed, 400);
    await sink.write(records(1, 0), signal);
    await sink.write(records(1, 1), signal); // a second write: the first read back (at start) is behind us
    const aborted = new AbortController();
    const bulk = linseed.bulk.bind(linseed);
    linseed.bulk = async (lines: readonly string[]) => {
      await bulk(lines);
      aborted.abort();
      throw new DOMException('aborted', 'AbortError');
    };
    const batch = records(3, 10);
    await expect(sink.write(batch, aborted.signal)).rejects.toThrow();
    linseed.bulk = bulk;
    await sink.write(batch, signal);
    expect(linseed.docs).toHaveLength(5);
  });

  it('keeps no record of writes whose lines are searchable by now', async () => {
    const sink = sinkOver(new FakeLinseed(), 0);
    for (let i = 0; i < 50; i++) await sink.write(records(1, i), signal);
    expect((sink as unknown as { unsettled: unknown[] }).unsettled.length).toBeLessThanOrEqual(1);
  });
});

describe('the Linseed sink with several replicas (push mode)', () => {
  /** Two replicas' sinks over one Linseed: `b` knows the range from a write of its own, then takes over `a`'s shard and replays what `a` wrote. */
  const takeover = async (told: boolean) => {
    const linseed = new FakeLinseed();
    const [a, b] = [sinkOver(linseed), sinkOver(linseed)];
    await b.write(records(2), signal);
    const replayed = records(5, 1);
    await a.write(replayed, signal);
    if (told) await b.othersMayHaveWritten();
    const outcomes = await b.write(replayed, signal);
    return { linseed, outcomes: outcomes.map((o) => o.result) };
  };

  it('reads back before writing a shard taken over from another replica: what that replica stored is not sent again', async () => {
    const { linseed, outcomes } = await takeover(true);
    expect(outcomes).toEqual(Array(5).fill('already-stored'));
    expect(linseed.docs).toHaveLength(7);
  });

  it('without being told, trusts what it knows and stores the other replica\'s lines twice (why the source tells it)', async () => {
    const { linseed } = await takeover(false);
    expect(linseed.docs).toHaveLength(12);
  });

  it("waits for the other replica's last lines to become searchable (and for a request of its still landing) before reading back", async () => {
    const linseed = new FakeLinseed();
    linseed.refreshMs = 150;
    const [a, b] = [sinkOver(linseed, 200, 100), sinkOver(linseed, 200, 100)];
    await b.write(records(1), signal);
    const replayed = records(5, 1);
    await a.write(replayed, signal);
    await b.othersMayHaveWritten();
    expect((await b.write(replayed, signal)).map((o) => o.result)).toEqual(Array(5).fill('already-stored'));
    expect(linseed.docs).toHaveLength(6);
  });

  it('keeps what it knows around each place being written: a shard two hours behind another does not read back at every batch', async () => {
    const linseed = new FakeLinseed();
    const sink = sinkOver(linseed);
    // Interleaved batches of a shard catching up two hours back and of one at the head.
    for (let k = 0; k < 20; k++) {
      await sink.write(records(3, k * 10), signal);
      await sink.write(records(3, 7_200 + k * 10), signal);
    }
    expect(linseed.docs).toHaveLength(120);
    // One read back for each place at the start, and one as each reaches the end of its read-ahead: not one a batch.
    expect(sink.stats.readBacks).toBeLessThanOrEqual(4);
  });

  it('writes nothing once the batch is no longer its own (a lapsed lease), and says so', async () => {
    const linseed = new FakeLinseed();
    const sink = sinkOver(linseed);
    await expect(sink.write(records(3), signal, { stillOwned: () => false })).rejects.toThrow(NotOwnedError);
    expect(linseed.bulks).toBe(0);
  });

  it('sends each cluster its own records under its own x-cluster-id, and answers in the order of the batch', async () => {
    const byCluster = new Map<string | undefined, FakeLinseed>();
    const sink = new LinseedByCluster({
      settings: { endpoint: 'https://linseed', certFile: 'c', keyFile: 'k', tokenFile: 't', clusterId: 'configured' },
      clientFor: (s) => (byCluster.get(s.clusterId) ?? byCluster.set(s.clusterId, new FakeLinseed()).get(s.clusterId)!) as unknown as LinseedClient,
      log: pino({ level: 'silent' }),
      health: noHealth,
      visibleAfterMs: 0,
    });
    const clusterOf = (i: number) => (['east', 'west', undefined] as const)[i % 3];
    const batch = records(9).map((r, i) => ({ ...r, event: { ...r.event, cluster: clusterOf(i) } }));
    await sink.write(batch.slice(0, 3), signal);
    const outcomes = await sink.write(batch, signal);
    expect(outcomes.map((o) => o.result)).toEqual(batch.map((_, i) => (i < 3 ? 'already-stored' : 'stored')));
    const keysIn = (cluster: string) => byCluster.get(cluster)!.docs.map((d) => d.auditID).sort();
    const want = (pick: (i: number) => boolean) => batch.filter((_, i) => pick(i)).map((r) => (r.document as { auditID: string }).auditID).sort();
    expect(keysIn('east')).toEqual(want((i) => i % 3 === 0));
    expect(keysIn('west')).toEqual(want((i) => i % 3 === 1));
    expect(keysIn('configured')).toEqual(want((i) => i % 3 === 2));
    expect(sink.stats.bulkRequests).toBe(6);
  });
});
