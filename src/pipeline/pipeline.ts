import type { Logger } from 'pino';
import type { Checkpoint, CheckpointStore } from '../checkpoint/checkpoint.js';
import type { HealthReporter } from '../component.js';
import type { Sink, SinkRecord, WriteOutcome } from '../sink/sink.js';
import type { ReadControl, Source, SourceBatch } from '../source/source.js';
import { deadLetterRecord, transformBatch, type TransformContext } from '../transform/transform-batch.js';
import { readAhead } from './read-ahead.js';
import type { DeadLetterSpool } from './spool.js';
import type { Stats } from './stats.js';

/** Everything one event meets on its way from the source to the sink. */
export interface Pipeline<P = unknown> {
  source: Source<P>;
  transform: TransformContext;
  sink: Sink;
  stats: Stats;
  log: Logger;
  health: HealthReporter;
  /** Where dead letters the store refuses are kept; without one, such a refusal stops the batch. */
  spool?: DeadLetterSpool;
  /** How often the spool is offered to the store again (default a minute). */
  spoolRetryMs?: number;
}

export type Control = ReadControl;



export interface ForwardOutcome<P> {
  /** The checkpoint last saved. */
  checkpoint: Checkpoint<P>;
  /** The source said it had nothing more, and that last batch was acknowledged. */
  ended: boolean;
}

/**
 * The one path of every event: read a batch (one more is fetched meanwhile, no further) →
 * transform → write → the sink acknowledges every record → save the batch's position. The
 * checkpoint never gets ahead of the acknowledgements, so a crash anywhere replays at most the
 * unacknowledged batches, which the sink's dedup keys absorb.
 */
export async function forward<P>(p: Pipeline<P>, start: Checkpoint<P>, store: CheckpointStore, control: Control): Promise<ForwardOutcome<P>> {
  let checkpoint = start;
  // Documents a re-count of a closed range had to write: that range was incomplete.
  let recounted = { created: 0, ids: [] as string[] };
  for await (const batch of readAhead(p.source.read(start.position, control))) {
    p.health.tick();
    const transformed = transformBatch(batch.events, p.transform);
    const delivered = await deliver(p, transformed.records, batch, checkpoint.adoptBefore, control.signal);

    // Acknowledged: only now may the checkpoint move past this batch.
    const newestForwarded = newestTimestamp(batch.events, checkpoint.newestForwarded);
    checkpoint = { ...checkpoint, position: batch.position, newestForwarded, updatedAt: new Date().toISOString() };
    await store.save(checkpoint);
    p.stats.checkpointSaved(checkpoint);
    batch.acknowledged?.();

    await retrySpool(p, control.signal);
    const { late, beyond } = delivered;
    count(p.stats, batch, transformed, delivered);
    if (late.length > 0) p.log.info({ late: late.length }, 'caught late arrivals');
    for (const r of beyond) {
      const lateBySeconds = Math.round((r.event.ingestionTime - r.event.timestamp) / 1000);
      p.log.warn({ stream: r.event.stream, eventId: r.event.eventId, id: r.key, lateBySeconds }, 'delivered an event that arrived later than the lateness ceiling');
    }
    if (batch.proving) {
      recounted = { created: recounted.created + delivered.created, ids: [...recounted.ids, ...delivered.late.map((r) => r.key)].slice(0, 10) };
      if (batch.drained) {
        p.stats.rangesVerified += 1;
        if (recounted.created > 0) {
          p.stats.rangesIncomplete += 1;
          p.log.warn({ delivered: recounted.created, sample: recounted.ids }, 're-count of a closed range found documents missing from the store; delivered them');
        }
        recounted = { created: 0, ids: [] };
      }
    }
    if (batch.drained) p.log.info({ ...p.source.describe(batch.position), ...summary(p.stats) }, 'window drained');
    if (batch.end) return { checkpoint, ended: true };
    if (control.stop.aborted) break;
  }
  return { checkpoint, ended: false };
}

interface Delivered {
  /** Audit documents stored for the first time, and those the store already held. */
  created: number;
  existing: number;
  /** Of those, documents found by content under another id (adopted). */
  heldUnderOtherIds: number;
  /** Records refused for good, now stored as dead letters. */
  rejected: number;
  deadLettered: number;
  /** Documents stored for the first time although their event lies in a range read before. */
  late: SinkRecord[];
  /** Of those, the ones that came later than the source promises to wait for. */
  beyond: SinkRecord[];
}

/**
 * Writes the records and turns every refusal into a dead letter, whatever the sink. A dead letter
 * refused in turn stops the batch: moving on would lose the event.
 */
async function deliver(p: Pipeline, records: SinkRecord[], batch: SourceBatch<unknown>, adoptBefore: number | undefined, signal: AbortSignal): Promise<Delivered> {
  for (const r of records) {
    if (r.kind === 'dead-letter') p.log.warn({ stream: r.event.stream, eventId: r.event.eventId, reason: r.document.reason }, 'event dead-lettered');
  }
  // A shard taken over from another replica: what the sink remembers writing may be short of what the store holds.
  if (batch.othersMayHaveWritten) await p.sink.othersMayHaveWritten();
  const { outcomes, held } = await writeUnlessHeld(p, records, adoptBefore, { signal, stillOwned: batch.stillOwned });
  const refusedDeadLetters: SinkRecord[] = [];
  const refusedDeadLetter = (r: SinkRecord, o: { status: number; reason: string }) => {
    const err = new Error(`${p.sink.name} refused dead letter ${r.key} (${o.status}): ${o.reason}`);
    if (p.spool) {
      refusedDeadLetters.push(r);
      p.log.warn({ id: r.key, status: o.status, reason: o.reason, spool: p.spool.location }, 'the store refused a dead letter; kept in the local spool');
      return undefined;
    }
    p.health.failed(p.sink.target, err);
    return err;
  };
  const replacements: SinkRecord[] = [];
  const d: Delivered = { created: 0, existing: 0, heldUnderOtherIds: held, rejected: 0, deadLettered: 0, late: [], beyond: [] };
  outcomes.forEach((o, i) => {
    const r = records[i]!;
    if (o.result !== 'refused') {
      if (r.kind === 'dead-letter') d.deadLettered += 1;
      else if (o.result === 'already-stored') d.existing += 1;
      else {
        d.created += 1;
        if (batch.lateBefore !== undefined && r.event.timestamp <= batch.lateBefore) {
          d.late.push(r);
          if (batch.lateLimitMs !== undefined && r.event.ingestionTime - r.event.timestamp > batch.lateLimitMs) d.beyond.push(r);
        }
      }
      return;
    }
    if (r.kind === 'dead-letter') {
      const err = refusedDeadLetter(r, o);
      if (err) throw err;
      return;
    }
    p.log.warn({ stream: r.event.stream, eventId: r.event.eventId, id: r.key, status: o.status, reason: o.reason }, 'document rejected; dead-lettering it');
    replacements.push(deadLetterRecord(r.event, `rejected by ${p.sink.name} (${o.status}): ${o.reason}`));
  });
  if (replacements.length > 0) {
    const again = await p.sink.write(replacements, signal);
    again.forEach((o, i) => {
      if (o.result !== 'refused') return void (d.deadLettered += 1);
      const err = refusedDeadLetter(replacements[i]!, o);
      if (err) throw err;
    });
  }
  // Durable before the batch is acknowledged: the spool is where these events are now.
  if (refusedDeadLetters.length > 0) {
    await p.spool!.add(refusedDeadLetters);
    p.stats.spooled += refusedDeadLetters.length;
    p.stats.spoolTriedAt = Date.now();
  }
  d.rejected = replacements.length;
  return d;
}

/**
 * Writes the records, except those of events ingested before `adoptBefore` that the store
 * already holds under other ids (an earlier release's, the old forwarder's): those count as
 * already stored, so an upgrade or a cut-over writes nothing twice.
 */
async function writeUnlessHeld(
  p: Pipeline,
  records: SinkRecord[],
  adoptBefore: number | undefined,
  { signal, stillOwned }: { signal: AbortSignal; stillOwned?: () => boolean },
): Promise<{ outcomes: WriteOutcome[]; held: number }> {
  const candidates = adoptBefore === undefined ? [] : records.filter((r) => r.kind === 'audit' && r.event.ingestionTime < adoptBefore);
  const held = candidates.length > 0 ? await p.sink.heldUnderOtherIds(candidates, signal) : new Set<string>();
  const rest = held.size > 0 ? records.filter((r) => !held.has(r.key)) : records;
  const written = rest.length > 0 ? await p.sink.write(rest, signal, { stillOwned }) : [];
  if (held.size === 0) return { outcomes: written, held: 0 };
  let next = 0;
  const outcomes = records.map((r): WriteOutcome => (held.has(r.key) ? { result: 'already-stored' } : written[next++]!));
  return { outcomes, held: records.length - rest.length };
}

/** Offers the spooled dead letters to the store again, now and then; a refusal keeps them spooled. */
async function retrySpool(p: Pipeline, signal: AbortSignal): Promise<void> {
  const spool = p.spool;
  if (!spool || spool.size() === 0 || Date.now() - (p.stats.spoolTriedAt ?? 0) < (p.spoolRetryMs ?? 60_000)) return;
  p.stats.spoolTriedAt = Date.now();
  const records = [...spool.entries()];
  try {
    const outcomes = await p.sink.write(records, signal);
    const taken = new Set(records.filter((_, i) => outcomes[i]!.result !== 'refused').map((r) => r.key));
    if (taken.size === 0) return;
    await spool.remove(taken);
    p.stats.deadLettered += taken.size;
    p.log.info({ delivered: taken.size, left: spool.size() }, 'the store took spooled dead letters');
  } catch (err) {
    if (!signal.aborted) p.log.warn({ err: (err as Error).message }, 'spooled dead letters not delivered yet');
  }
}

function count(stats: Stats, batch: SourceBatch<unknown>, t: { filtered: number; invalid: number }, d: Delivered): void {
  stats.pages += 1;
  stats.eventsRead += batch.events.length;
  stats.filtered += t.filtered;
  stats.invalid += t.invalid;
  stats.created += d.created;
  stats.alreadyPresent += d.existing;
  stats.heldUnderOtherIds += d.heldUnderOtherIds;
  stats.forwarded += d.created + d.existing;
  stats.rejected += d.rejected;
  stats.deadLettered += d.deadLettered;
  stats.lateCaught += d.late.length;
  stats.lateBeyondLimit += d.beyond.length;
  stats.newestForwarded = newestTimestamp(batch.events, stats.newestForwarded);
}

/** The counters a person reads in a log line or a summary. */
export function summary(s: Stats) {
  return {
    eventsRead: s.eventsRead,
    forwarded: s.forwarded,
    created: s.created,
    alreadyPresent: s.alreadyPresent,
    heldUnderOtherIds: s.heldUnderOtherIds,
    filteredOut: s.filtered,
    deadLettered: s.deadLettered,
    lateCaught: s.lateCaught,
    pages: s.pages,
  };
}

function newestTimestamp(events: readonly { timestamp: number }[], current: number | undefined): number | undefined {
  let newest = current;
  for (const e of events) if (newest === undefined || e.timestamp > newest) newest = e.timestamp;
  return newest;
}
