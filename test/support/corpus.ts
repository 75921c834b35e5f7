import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { dedupKey, type KeyedEvent } from '../../src/transform/dedup-key.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The real-event corpus, kept in the repository (test/fixtures/corpus); EKS_FORWARDER_CORPUS overrides the location. */
export function corpusDir(): string {
  return process.env.EKS_FORWARDER_CORPUS || path.join(repoRoot, 'test', 'fixtures', 'corpus');
}

/** One entry per non-empty line: the exact text and its JSON value. */
export function loadCorpus(file = 'audit-events.jsonl'): { line: string; event: unknown }[] {
  const text = readFileSync(path.join(corpusDir(), file), 'utf8');
  const out: { line: string; event: unknown }[] = [];
  for (const line of text.split('\n')) {
    if (line.length === 0) continue;
    out.push({ line, event: JSON.parse(line) as unknown });
  }
  return out;
}

/** A real pod create from the corpus that the default policy keeps (a fresh auditID makes each use its own event). */
export function keptPodCreate(): Record<string, unknown> {
  const found = loadCorpus()
    .map((c) => c.event as Record<string, unknown> & { verb?: string; stage?: string; level?: string; objectRef?: { resource?: string } })
    .find((e) => e.verb === 'create' && e.stage === 'ResponseComplete' && e.level === 'RequestResponse' && e.objectRef?.resource === 'pods');
  if (!found) throw new Error('the corpus has no pod create at RequestResponse');
  return found;
}

/** The document id the forwarder gives an audit event held as plain JSON (the project's own dedup key). */
export function keyOf(event: object): string {
  return dedupKey(event as KeyedEvent);
}
