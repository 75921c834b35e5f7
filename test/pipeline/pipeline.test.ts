import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import type { Checkpoint, CheckpointStore } from '../../src/checkpoint/checkpoint.js';
import { noHealth } from '../../src/component.js';
import type { SourceEvent } from '../../src/event.js';
import { forward, type Pipeline } from '../../src/pipeline/pipeline.js';
import { runLoop } from '../../src/pipeline/run.js';
import { Stats } from '../../src/pipeline/stats.js';
import { NotOwnedError, type Sink, type SinkRecord, type WriteOptions, type WriteOutcome } from '../../src/sink/sink.js';
import type { ReadControl, Source, SourceBatch } from '../../src/source/source.js';
import { compilePolicy, DEFAULT_POLICY } from '../../src/transform/policy.js';
import { loadCorpus } from '../support/corpus.js';
import { dedupKey, KEY_SCHEME, type KeyedEvent } from '../../src/transform/dedup-key.js';
import { transformBatch } from '../../src/transform/transform-batch.js';

/** Corpus events the default policy keeps, as a source would hand them over. */
const kept = loadCorpus()
  .map((c) => c.line)
  .filter((line) => {
    const e = JSON.parse(line) as { verb?: string; stage?: string; objectRef?: { resource?: string } };
    return e.stage === 'ResponseComplete' && ['create', 'patch', 'update', 'delete'].includes(e.verb ?? '') && e.objectRef?.resource === 'pods';
  });
const event = (i: number, message = kept[i % kept.length]!): SourceEvent => ({ group: 'g', stream: 's', eventId: String(i), timestamp: 1_000 + i, ingestionTime: 1_000 + i, message });

/** A source of fixed batches; its position is the number of batches acknowledged. */
class FakeSource implements Source<number> {
  readonly kind = 'fake';
  readonly identity = ['fake'];
  readonly target = 'fake';
  readonly latenessCeilingMs = 0;
  readonly replayHorizonMs = 0;
  /** Batches handed to the pipeline so far. */
  yielded = 0;

  constructor(private readonly batches: SinkSafe[], private readonly restartAt?: { at: number; to: number }) {}

  parsePosition(saved: unknown): number {
    if (typeof saved !== 'number') throw new Error('not a number');
    return saved;
  }
  startAt(): number {
    return 0;
  }
  upTo(): FakeSource {
    return this;
  }
  finished(p: number): boolean {
    return p >= this.batches.length;
  }
  describe(p: number) {
    return { batch: p };
  }
  async *read(from: number, control: ReadControl): AsyncGenerator<SourceBatch<number>> {
    let restarted = false;
    for (let i = from; i < this.batches.length && !control.stop.aborted; i++) {
      // A token the service no longer knows: read again from an earlier batch.
      const restart = this.restartAt && !restarted && i === this.restartAt.at;
      if (restart) {
        restarted = true;
        i = this.restartAt!.to;
      }
      this.yielded += 1;
      const { events, othersMayHaveWritten, stillOwned } = this.batches[i]!;
      yield { events, othersMayHaveWritten, stillOwned, position: i + 1, end: i === this.batches.length - 1 };
    }
  }
  async doctor() {
    return [];
  }
  close(): void {}
}
type SinkSafe = { events: SourceEvent[] } & Pick<SourceBatch<number>, 'othersMayHaveWritten' | 'stillOwned'>;

/** A store of documents by key, with scripted faults. */
class FakeSink implements Sink {
  readonly name = 'FakeStore';
  readonly target = 'fake-store';
  readonly identity = ['c'];
  readonly stored = new Map<string, SinkRecord>();
  writes = 0;
  /** Throws on the next `failures` writes (an outage), then succeeds. */
  failures = 0;
  /** Keys refused for good. */
  refuse = new Set<string>();
  /** Keys of events stored under other ids (by an earlier writer). */
  elsewhere = new Set<string>();
  asked = 0;
  /** Writes made after it was told another process may have written (its `othersMayHaveWritten` calls, in order with writes). */
  log: string[] = [];
  async othersMayHaveWritten() {
    this.log.push('others');
  }
  async heldUnderOtherIds(records: readonly SinkRecord[]) {
    this.asked += records.length;
    return new Set(records.filter((r) => this.elsewhere.has(r.key)).map((r) => r.key));
  }
  async prepare() {}
  async makeSearchable() {}
  async write(records: readonly SinkRecord[], _signal?: AbortSignal, opts?: WriteOptions): Promise<WriteOutcome[]> {
    if (opts?.stillOwned && !opts.stillOwned()) throw new NotOwnedError('not owned');
    this.writes += 1;
    this.log.push('write');
    if (this.failures > 0) {
      this.failures -= 1;
      throw new Error('store unavailable');
    }
    return records.map((r) => {
      if (this.refuse.has(r.key)) return { result: 'refused', status: 400, reason: 'mapper_parsing_exception: bad field' };
      if (this.stored.has(r.key)) return { result: 'already-stored' };
      this.stored.set(r.key, r);
      return { result: 'stored' };
    });
  }
  async newestDelivered(): Promise<number | undefined> {
    return undefined;
  }
  async missing() {
    return [];
  }
  async *storedBetween() {}
  async doctor() {
    return [];
  }
  async close() {}
}

/** A checkpoint store in memory that can fail its next save (a crash between write and save). */
class MemoryStore implements CheckpointStore {
  readonly location = 'memory';
  saved: Checkpoint | undefined;
  crashOnSave = false;
  async load() {
    return this.saved;
  }
  async save(cp: Checkpoint) {
    if (this.crashOnSave) {
      this.crashOnSave = false;
      throw new Error('killed before the save');
    }
    this.saved = cp;
  }
}

const control = (): ReadControl => {
  const ac = new AbortController();
  return { stop: ac.signal, signal: new AbortController().signal };
};
const start = (position = 0): Checkpoint<number> => ({ version: 2, source: 'fake', position, updatedAt: '' });
const pipelineOf = (source: FakeSource, sink: FakeSink): Pipeline<number> => ({
  source,
  sink,
  transform: { policy: compilePolicy(DEFAULT_POLICY) },
  stats: new Stats(),
  log: pino({ level: 'silent' }),
  health: noHealth,
});
const batches = (n: number, size: number) => Array.from({ length: n }, (_, b) => ({ events: Array.from({ length: size }, (_, i) => event(b * size + i)) }));
const auditKeys = (sink: FakeSink) => [...sink.stored.values()].filter((r) => r.kind === 'audit').map((r) => r.key);

describe('the pipeline loop (in-memory source and sink)', () => {
  it('delivers every kept event and saves the position of each acknowledged batch', async () => {
    expect(kept.length).toBeGreaterThan(3);
    const source = new FakeSource(batches(4, 3));
    const sink = new FakeSink();
    const store = new MemoryStore();
    const p = pipelineOf(source, sink);
    const outcome = await forward(p, start(), store, control());
    expect(outcome.ended).toBe(true);
    expect(store.saved?.position).toBe(4);
    expect(p.stats).toMatchObject({ eventsRead: 12, pages: 4, forwarded: 12 });
    expect(p.stats.created + p.stats.alreadyPresent).toBe(12);
  });

  it('after a crash between write and save, replays the batch and the sink absorbs it: nothing lost, nothing twice', async () => {
    const source = new FakeSource(batches(3, 2));
    const sink = new FakeSink();
    const store = new MemoryStore();
    // First run: batch 1 is written, then the process dies before its position is saved.
    await forward(pipelineOf(source, sink), start(), store, control());
    const all = new Set(auditKeys(sink));
    const sink2 = new FakeSink();
    const store2 = new MemoryStore();
    const p1 = pipelineOf(new FakeSource(batches(3, 2)), sink2);
    store2.saved = start();
    let saves = 0;
    const crashing: CheckpointStore = {
      location: 'memory',
      load: () => store2.load(),
      save: async (cp) => {
        saves += 1;
        if (saves === 2) throw new Error('killed before the save');
        await store2.save(cp);
      },
    };
    await expect(forward(p1, start(), crashing, control())).rejects.toThrow(/killed/);
    expect(store2.saved?.position).toBe(1);
    const writtenBeforeCrash = sink2.stored.size;
    // Restart from what was saved.
    const p2 = pipelineOf(new FakeSource(batches(3, 2)), sink2);
    const outcome = await forward(p2, store2.saved as Checkpoint<number>, store2, control());
    expect(outcome.ended).toBe(true);
    expect(new Set(auditKeys(sink2))).toEqual(all);
    expect(p2.stats.alreadyPresent).toBe(writtenBeforeCrash - 2);
    expect(store2.saved?.position).toBe(3);
  });

  it('turns a document the sink refuses for good into a dead letter naming the sink and the reason, and moves on', async () => {
    const source = new FakeSource(batches(2, 3));
    const sink = new FakeSink();
    const refusedEvent = batches(2, 3)[0]!.events[1]!;
    sink.refuse.add(dedupKey(JSON.parse(refusedEvent.message) as KeyedEvent));
    const p = pipelineOf(source, sink);
    const store = new MemoryStore();
    await forward(p, start(), store, control());
    const dead = [...sink.stored.values()].filter((r) => r.kind === 'dead-letter');
    expect(dead).toHaveLength(1);
    expect(dead[0]!.key).toBe(`s/${refusedEvent.eventId}`);
    expect(dead[0]!.document).toMatchObject({ reason: 'rejected by FakeStore (400): mapper_parsing_exception: bad field', message: refusedEvent.message, logGroup: 'g' });
    expect(p.stats).toMatchObject({ rejected: 1, deadLettered: 1, forwarded: 5 });
    expect(store.saved?.position).toBe(2);
  });

  it('stops, without saving, when a dead letter is refused too (moving on would lose the event)', async () => {
    const sink = new FakeSink();
    const bad = event(0, '{"kind":"Event",');
    sink.refuse.add(`s/${bad.eventId}`);
    const store = new MemoryStore();
    const failed: string[] = [];
    const p = { ...pipelineOf(new FakeSource([{ events: [bad] }]), sink), health: { ...noHealth, failed: (target: string) => void failed.push(target) } };
    await expect(forward(p, start(), store, control())).rejects.toThrow(/FakeStore refused dead letter s\/0/);
    expect(store.saved).toBeUndefined();
    // Readiness says so: the store is failing until it accepts the dead letter.
    expect(failed).toEqual(['fake-store']);
  });

  it('follows a source that restarts its position (a rejected token): the replay is absorbed and the last position wins', async () => {
    const source = new FakeSource(batches(4, 2), { at: 3, to: 1 });
    const sink = new FakeSink();
    const store = new MemoryStore();
    const p = pipelineOf(source, sink);
    const outcome = await forward(p, start(), store, control());
    expect(outcome.ended).toBe(true);
    expect(store.saved?.position).toBe(4);
    expect(new Set(auditKeys(sink)).size).toBe(new Set(batches(4, 2).flatMap((b) => b.events.map((e) => e.message))).size);
    expect(p.stats.alreadyPresent).toBeGreaterThan(0);
  });

  it('does not move the checkpoint while the sink fails, and goes on once it succeeds', async () => {
    const sink = new FakeSink();
    sink.failures = 1;
    const store = new MemoryStore();
    await expect(forward(pipelineOf(new FakeSource(batches(2, 2)), sink), start(), store, control())).rejects.toThrow(/store unavailable/);
    expect(store.saved).toBeUndefined();
    const p = pipelineOf(new FakeSource(batches(2, 2)), sink);
    const outcome = await forward(p, start(), store, control());
    expect(outcome.ended).toBe(true);
    expect(store.saved?.position).toBe(2);
    expect(p.stats.forwarded).toBe(4);
  });

  it('tells the sink, before writing it, of a batch another process may have written lately (a shard taken over)', async () => {
    const [first, second] = batches(2, 3);
    const sink = new FakeSink();
    await forward(pipelineOf(new FakeSource([first!, { ...second!, othersMayHaveWritten: true }]), sink), start(), new MemoryStore(), control());
    expect(sink.log).toEqual(['write', 'others', 'write']);
  });

  it('does not write a batch it no longer owns, nor move the checkpoint past it (a lapsed lease: the new owner reads it)', async () => {
    let owned = true;
    const [first, second] = batches(2, 3);
    const sink = new FakeSink();
    const store = new MemoryStore();
    const source = new FakeSource([first!, { ...second!, stillOwned: () => owned }]);
    owned = false;
    await expect(forward(pipelineOf(source, sink), start(), store, control())).rejects.toThrow(NotOwnedError);
    expect(store.saved?.position).toBe(1);
    expect(sink.writes).toBe(1);
  });

  it('reads at most one batch ahead of the one being written', async () => {
    const source = new FakeSource(batches(8, 1));
    const sink = new FakeSink();
    let written = 0;
    let mostHeld = 0;
    const slowSink: Sink = Object.assign(Object.create(sink) as FakeSink, {
      write: async (records: readonly SinkRecord[]) => {
        // Give a prefetch every chance to run ahead while this write is in flight.
        for (let i = 0; i < 5; i++) await new Promise((r) => setImmediate(r));
        mostHeld = Math.max(mostHeld, source.yielded - written);
        written += 1;
        return sink.write(records);
      },
    });
    await forward(pipelineOf(source, slowSink as FakeSink), start(), new MemoryStore(), control());
    // The batch being written, and the next one fetched meanwhile: no more.
    expect(mostHeld).toBe(2);
  });

  it('counts as late a document stored for the first time in a range read before', async () => {
    const events = batches(1, 3)[0]!.events;
    const late: Source<number> = Object.assign(new FakeSource([{ events }]), {
      async *read(): AsyncGenerator<SourceBatch<number>> {
        yield { events, position: 1, lateBefore: events[1]!.timestamp, end: true };
      },
    });
    const p = pipelineOf(late as FakeSource, new FakeSink());
    await forward(p, start(), new MemoryStore(), control());
    expect(p.stats.lateCaught).toBe(2);
  });

  it('keeps a dead letter the store refuses in the spool and goes on; the store takes it later', async () => {
    const sink = new FakeSink();
    const bad = event(0, '{"kind":"Event",');
    sink.refuse.add(`s/${bad.eventId}`);
    const kept: SinkRecord[] = [];
    const spool = {
      location: 'memory',
      size: () => kept.length,
      entries: () => kept,
      add: async (records: readonly SinkRecord[]) => void kept.push(...records),
      remove: async (keys: ReadonlySet<string>) => void kept.splice(0, kept.length, ...kept.filter((r) => !keys.has(r.key))),
    };
    const store = new MemoryStore();
    const p = { ...pipelineOf(new FakeSource([{ events: [bad, event(1)] }, { events: [event(2)] }]), sink), spool };
    const outcome = await forward(p, start(), store, control());
    expect(outcome.ended).toBe(true);
    expect(store.saved?.position).toBe(2);
    expect(kept.map((r) => r.key)).toEqual(['s/0']);
    expect(p.stats).toMatchObject({ spooled: 1, forwarded: 2 });

    // Once the store takes it (an hour later), the spool is offered again with the next batch.
    sink.refuse.clear();
    p.stats.spoolTriedAt = Date.now() - 3_600_000;
    await forward({ ...p, source: new FakeSource([{ events: [event(3)] }]) }, start(), store, control());
    expect(kept).toEqual([]);
    expect(sink.stored.has('s/0')).toBe(true);
  });

  it('adopts, by content, what the store holds under other ids for events ingested before adoptBefore, and writes the rest', async () => {
    const sink = new FakeSink();
    const all = batches(2, 3);
    const p = pipelineOf(new FakeSource(all), sink);
    const keys = transformBatch(all.flatMap((b) => b.events), p.transform).records.map((r) => r.key);
    // Events 0..5 are ingested at 1000..1005: the first four before adoptBefore, two of those held elsewhere.
    sink.elsewhere.add(keys[1]!).add(keys[2]!).add(keys[5]!);
    await forward(p, { ...start(), adoptBefore: 1_004 }, new MemoryStore(), control());
    expect(sink.asked).toBe(4);
    expect(new Set(auditKeys(sink))).toEqual(new Set([keys[0], keys[3], keys[4], keys[5]]));
    expect(p.stats).toMatchObject({ created: 4, alreadyPresent: 2, heldUnderOtherIds: 2, forwarded: 6 });
  });

  it('looks nothing up by content without adoptBefore (the steady state costs no search)', async () => {
    const sink = new FakeSink();
    await forward(pipelineOf(new FakeSource(batches(2, 3)), sink), start(), new MemoryStore(), control());
    expect(sink.asked).toBe(0);
  });

  /** runLoop's first start over a store whose newest document is `newest`, holding this source's events or not. */
  async function firstStart(newest: number, holdsOurs: boolean, all = batches(1, 3)) {
    const sink = new FakeSink();
    sink.newestDelivered = async () => newest;
    if (holdsOurs) sink.elsewhere.add(dedupKey(JSON.parse(all[0]!.events[0]!.message) as KeyedEvent));
    const starts: number[] = [];
    const source = Object.assign(new FakeSource(all), { startAt: (t: number) => (starts.push(t), 0), latenessCeilingMs: 900_000 });
    const stop = new AbortController();
    stop.abort();
    const store = new MemoryStore();
    const before = Date.now();
    await runLoop(pipelineOf(source, sink), store, { stop: stop.signal, signal: new AbortController().signal }, { retryAfterMs: 1_000 });
    return { start: starts.at(-1)!, before, after: Date.now(), saved: store.saved! };
  }

  it('starts a first run over delivered documents a lateness ceiling before the newest, adopting what is there', async () => {
    const newest = Date.now() - 3_600_000;
    const { start, before, saved } = await firstStart(newest, true);
    expect(start).toBe(newest - 900_000);
    expect(saved.adoptBefore).toBeGreaterThan(before);
  });

  it('never makes a first start after now, whatever the newest delivered document says', async () => {
    const { start, before, after } = await firstStart(Date.now() + 3_600_000, true);
    expect(start).toBeGreaterThanOrEqual(before - 900_000);
    expect(start).toBeLessThanOrEqual(after - 900_000);
  });

  it("never takes the start from documents that are not this source's events (another cluster's under a shared suffix)", async () => {
    const { start, before, after, saved } = await firstStart(Date.now() - 60_000, false);
    expect(start).toBeGreaterThanOrEqual(before - 3_600_000);
    expect(start).toBeLessThanOrEqual(after - 3_600_000);
    expect(saved.adoptBefore).toBeGreaterThan(before);
  });

  it('takes the start from documents of events the policy leaves out (the old forwarder kept more)', async () => {
    const read = loadCorpus().find((c) => (c.event as { verb?: string }).verb === 'get')!.line;
    expect(transformBatch([event(0, read)], pipelineOf(new FakeSource([]), new FakeSink()).transform).records).toEqual([]);
    const newest = Date.now() - 3_600_000;
    const { start } = await firstStart(newest, true, [{ events: [event(0, read)] }]);
    expect(start).toBe(newest - 900_000);
  });

  it('does not end when the first start cannot read the source yet (access denied): it tries again', async () => {
    const sink = new FakeSink();
    sink.newestDelivered = async () => Date.now() - 3_600_000;
    let reads = 0;
    const stop = new AbortController();
    const source = Object.assign(new FakeSource(batches(1, 1)), {
      async *read(): AsyncGenerator<SourceBatch<number>> {
        reads += 1;
        if (reads === 1) throw Object.assign(new Error('User is not authorized to perform: logs:FilterLogEvents'), { name: 'AccessDeniedException' });
        stop.abort();
      },
    });
    const store = new MemoryStore();
    await runLoop(pipelineOf(source, sink), store, { stop: stop.signal, signal: new AbortController().signal }, { retryAfterMs: 10 });
    expect(reads).toBe(2);
  });

  it('upgrades a checkpoint made under release 0.1\'s ids: what was ingested until now is adopted, and that is saved', async () => {
    const store = new MemoryStore();
    store.saved = start(3);
    const stop = new AbortController();
    stop.abort();
    const before = Date.now();
    await runLoop(pipelineOf(new FakeSource([]), new FakeSink()), store, { stop: stop.signal, signal: new AbortController().signal }, { retryAfterMs: 1_000 });
    expect(store.saved).toMatchObject({ position: 3, keys: KEY_SCHEME });
    expect(store.saved!.adoptBefore).toBeGreaterThan(before);
  });
  it('counts a re-counted range as verified, and as incomplete when it had to deliver what the store lacked', async () => {
    const sink = new FakeSink();
    const all = batches(4, 2);
    // Ranges 1 (batches 0-1) and 2 (batches 2-3); the store lacks one document of range 2.
    const p0 = pipelineOf(new FakeSource(all), sink);
    await forward(p0, start(), new MemoryStore(), control());
    const lost = auditKeys(sink)[5]!;
    sink.stored.delete(lost);
    const proving = all.map((b, i) => ({ ...b, proving: true, drained: i % 2 === 1 }));
    const source = Object.assign(new FakeSource(all), {
      async *read() {
        for (const [i, b] of proving.entries()) yield { ...b, position: i + 1, lateBefore: 10_000, end: i === proving.length - 1 };
      },
    });
    const p = pipelineOf(source, sink);
    await forward(p, start(), new MemoryStore(), control());
    expect(p.stats).toMatchObject({ rangesVerified: 2, rangesIncomplete: 1, created: 1 });
    expect(sink.stored.has(lost)).toBe(true);
  });
});
