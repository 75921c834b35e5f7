import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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
