import type { SinkRecord } from '../sink/sink.js';
import { iso } from '../time.js';
import type { Pipeline } from './pipeline.js';
import { transformBatch } from '../transform/transform-batch.js';

export interface VerifyReport {
  window: { from: string; to: string };
  complete: boolean;
  /** Audit documents the policy selects from events in the window. */
  expected: number;
  found: number;
  missing: number;
  /** Documents in the window's time range that no event in the source accounts for. */
  unexpected: number;
  deadLettersExpected: number;
  deadLettersMissing: number;
  sampleMissing: string[];
  sampleUnexpected: string[];
  sampleDeadLettersMissing: string[];
  eventsRead: number;
  apiCalls?: number;
}

const SAMPLE = 20;
/** Events near the window's edges may carry a stageTimestamp just outside it: read a margin. */
export const VERIFY_EDGE_MS = 5 * 60_000;

/**
 * Proves a window complete: re-reads it (the pipeline's source reads the window widened by
 * VERIFY_EDGE_MS), applies the same policy, and checks that the sink holds exactly the expected
 * documents, by key, and every dead letter.
 */
export async function verifyWindow(p: Pipeline, window: { from: number; to: number }, signal: AbortSignal): Promise<VerifyReport> {
  // Presence is checked batch by batch, so only the keys are held (for what nobody expects).
  const expectedAny = new Set<string>(); // keys of documents of events in the window and its edge margins
  const expectedCore = new Set<string>(); // of events timestamped inside the window
  const deadLetters = new Set<string>();
  const missing: string[] = [];
  const deadLettersMissing: string[] = [];
  let eventsRead = 0;
  const inWindow = (t: number) => t >= window.from && t <= window.to;

  const start = p.source.startAt(window.from - VERIFY_EDGE_MS);
  for await (const batch of p.source.read(start, { stop: signal, signal })) {
    eventsRead += batch.events.filter((e) => inWindow(e.timestamp)).length;
    const documents: SinkRecord[] = [];
    const letters: SinkRecord[] = [];
    for (const r of transformBatch(batch.events, p.transform).records) {
      if (r.kind === 'dead-letter') {
        if (inWindow(r.event.timestamp) && !deadLetters.has(r.key)) {
          deadLetters.add(r.key);
          letters.push(r);
        }
        continue;
      }
      expectedAny.add(r.key);
      if (inWindow(r.event.timestamp) && !expectedCore.has(r.key)) {
        expectedCore.add(r.key);
        documents.push(r);
      }
    }
    missing.push(...(await p.sink.missing(documents)));
    deadLettersMissing.push(...(await p.sink.missing(letters)));
    if (batch.end) break;
  }

  const unexpected: string[] = [];
  for await (const key of p.sink.storedBetween(window.from, window.to)) if (!expectedAny.has(key)) unexpected.push(key);

  return {
    window: { from: iso(window.from), to: iso(window.to) },
    complete: missing.length === 0 && unexpected.length === 0 && deadLettersMissing.length === 0,
    expected: expectedCore.size,
    found: expectedCore.size - missing.length,
    missing: missing.length,
    unexpected: unexpected.length,
    deadLettersExpected: deadLetters.size,
    deadLettersMissing: deadLettersMissing.length,
    sampleMissing: missing.slice(0, SAMPLE),
    sampleUnexpected: unexpected.slice(0, SAMPLE),
    sampleDeadLettersMissing: deadLettersMissing.slice(0, SAMPLE),
    eventsRead,
  };
}
