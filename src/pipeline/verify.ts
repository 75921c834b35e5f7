import type { SinkRecord, VerifyScope } from '../sink/sink.js';
import { iso } from '../time.js';
import { transformBatch } from '../transform/transform-batch.js';
import { FingerprintSet } from './fingerprint-set.js';
import type { Pipeline } from './pipeline.js';

export interface VerifyReport {
  window: { from: string; to: string };
  /** Whose documents were judged: this forwarder's indices, or every index of the cluster. */
  scope: VerifyScope;
  complete: boolean;
  /** Audit documents the policy selects from events in the window. */
  expected: number;
  found: number;
  missing: number;
  /** Documents in the window's time range that no event in the source accounts for. */
  unexpected: number;
  /** Documents stored more than once (the same event under two ids). */
  duplicates: number;
  deadLettersExpected: number;
  deadLettersMissing: number;
  sampleMissing: string[];
  /** Ids of unexpected and duplicate documents, as the store names them. */
  sampleUnexpected: string[];
  sampleDuplicates: string[];
  sampleDeadLettersMissing: string[];
  eventsRead: number;
  apiCalls?: number;
}

const SAMPLE = 20;
/** Events near the window's edges may carry a stageTimestamp just outside it: read a margin. */
export const VERIFY_EDGE_MS = 5 * 60_000;
/** The window is read a slice at a time; memory holds the keys of about three slices. */
const SLICE_MS = VERIFY_EDGE_MS;


/** A count and the first few of what it counts. */
class Tally {
  count = 0;
  readonly sample: string[] = [];
  add(items: readonly string[]): void {
    this.count += items.length;
    for (const item of items) if (this.sample.length < SAMPLE) this.sample.push(item);
  }
}

/**
 * Proves a window complete: re-reads it slice by slice (widened by VERIFY_EDGE_MS), applies the
 * same policy, checks that the sink holds every expected document and dead letter, by key, and
 * that each stored document of the window is expected, once. Memory is bounded by the events
 * of a few slices, not by the window: keys are fingerprints, and a slice's keys are dropped once
 * no stored document can still refer to them.
 */
export async function verifyWindow(p: Pipeline, window: { from: number; to: number }, signal: AbortSignal, scope: VerifyScope = 'forwarder'): Promise<VerifyReport> {
  const readFrom = window.from - VERIFY_EDGE_MS;
  const readTo = window.to + VERIFY_EDGE_MS;
  const inWindow = (t: number) => t >= window.from && t <= window.to;
  // Keys of the events read, by the slice of their timestamp.
  const slices = new Map<number, FingerprintSet>();
  const sliceOf = (t: number) => Math.floor((t - readFrom) / SLICE_MS);
  const expected = { documents: 0, deadLetters: 0 };
  const missing = new Tally();
  const deadLettersMissing = new Tally();
  const unexpected = new Tally();
  const duplicates = new Tally();
  let eventsRead = 0;
  let checkFrom = window.from;

  for (let from = readFrom; from <= readTo && !signal.aborted; from += SLICE_MS) {
    const to = Math.min(from + SLICE_MS - 1, readTo);
    const source = p.source.upTo(to);
    for await (const batch of source.read(source.startAt(from), { stop: signal, signal })) {
      eventsRead += batch.events.filter((e) => inWindow(e.timestamp)).length;
      const documents: SinkRecord[] = [];
      const letters: SinkRecord[] = [];
      for (const r of transformBatch(batch.events, p.transform).records) {
        const slice = sliceOf(r.event.timestamp);
        const keys = slices.get(slice) ?? slices.set(slice, new FingerprintSet()).get(slice)!;
        // A replayed page must not count an event twice.
        if (!keys.add(`${r.kind}:${r.key}`) || !inWindow(r.event.timestamp)) continue;
        if (r.kind === 'audit') documents.push(r);
        else letters.push(r);
      }
      expected.documents += documents.length;
      expected.deadLetters += letters.length;
      if (documents.length > 0) missing.add(await p.sink.missing(documents, scope));
      if (letters.length > 0) deadLettersMissing.add(await p.sink.missing(letters, scope));
      if (batch.end) break;
    }
    // Every event up to `to` is read: documents up to an edge before it can be judged.
    const checkTo = Math.min(window.to, to - VERIFY_EDGE_MS);
    if (checkTo >= checkFrom) {
      const stored = new FingerprintSet();
      for await (const doc of p.sink.storedBetween(checkFrom, checkTo, scope)) {
        const known = [...slices.values()].some((keys) => keys.has(`audit:${doc.key}`));
        if (!known) unexpected.add([doc.id]);
        else if (!stored.add(doc.key)) duplicates.add([doc.id]);
      }
      checkFrom = checkTo + 1;
    }
    for (const slice of slices.keys()) if (slice < sliceOf(checkFrom - VERIFY_EDGE_MS)) slices.delete(slice);
  }

  return {
    window: { from: iso(window.from), to: iso(window.to) },
    scope,
    complete: !signal.aborted && missing.count === 0 && unexpected.count === 0 && duplicates.count === 0 && deadLettersMissing.count === 0,
    expected: expected.documents,
    found: expected.documents - missing.count,
    missing: missing.count,
    unexpected: unexpected.count,
    duplicates: duplicates.count,
    deadLettersExpected: expected.deadLetters,
    deadLettersMissing: deadLettersMissing.count,
    sampleMissing: missing.sample,
    sampleUnexpected: unexpected.sample,
    sampleDuplicates: duplicates.sample,
    sampleDeadLettersMissing: deadLettersMissing.sample,
    eventsRead,
  };
}
