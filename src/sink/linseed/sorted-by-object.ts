import { createReadStream } from 'node:fs';
import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';

export interface ExternalSortOptions {
  /** Bytes of documents sorted in memory at a time (one run). */
  runBytes?: number;
  /** Runs merged at once; more are merged in rounds. */
  fanIn?: number;
  /** Where the runs go (a directory of its own is made there and removed). */
  tmpDir?: string;
}

const RUN_BYTES = 16 * 1024 * 1024;
const FAN_IN = 64;

/**
 * The documents in object order, as Elasticsearch sorts the change log (group, resource,
 * namespace, name, request time), however many: an external merge sort, one run in memory,
 * runs in files. Hand-written: Linseed's offset paging stops at 10,000 documents, so its own sort
 * cannot order more, and no maintained package sorts a stream of documents on disk.
 */
export async function* sortedByObject(docs: AsyncIterable<Record<string, unknown>>, opts: ExternalSortOptions = {}): AsyncGenerator<Record<string, unknown>> {
  const runBytes = opts.runBytes ?? RUN_BYTES;
  const fanIn = Math.max(2, opts.fanIn ?? FAN_IN);
  let dir: string | undefined;
  const runs: string[] = [];
  try {
    let run: Keyed[] = [];
    let bytes = 0;
    const flush = async () => {
      dir ??= await mkdtemp(path.join(opts.tmpDir ?? os.tmpdir(), 'eksfwd-sort-'));
      const file = path.join(dir, `run-${runs.length}`);
      await writeFile(file, run.sort(byKey).map(line).join(''), { mode: 0o600 });
      runs.push(file);
      run = [];
      bytes = 0;
    };
    for await (const doc of docs) {
      const json = JSON.stringify(doc);
      run.push({ key: objectKey(doc), json });
      bytes += json.length;
      if (bytes >= runBytes) await flush();
    }
    if (runs.length === 0) {
      // All of it fitted in one run: no file at all.
      for (const k of run.sort(byKey)) yield JSON.parse(k.json) as Record<string, unknown>;
      return;
    }
    if (run.length > 0) await flush();
    let level = 0;
    while (runs.length > fanIn) {
      const merged: string[] = [];
      for (let i = 0; i < runs.length; i += fanIn) {
        const out = path.join(dir!, `merge-${level}-${i}`);
        await writeFile(out, '', { mode: 0o600 });
        let chunk = '';
        for await (const k of merge(runs.slice(i, i + fanIn))) {
          chunk += line(k);
          if (chunk.length >= 1 << 20) {
            await appendFile(out, chunk);
            chunk = '';
          }
        }
        await appendFile(out, chunk);
        merged.push(out);
      }
      await Promise.all(runs.map((f) => rm(f, { force: true })));
      runs.splice(0, runs.length, ...merged);
      level += 1;
    }
    for await (const k of merge(runs)) yield JSON.parse(k.json) as Record<string, unknown>;
  } finally {
    if (dir) await rm(dir, { recursive: true, force: true });
  }
}

interface Keyed {
  key: string;
  json: string;
}

/** One string that sorts as the tuple: NUL sorts before every character a name can hold. */
export function objectKey(doc: Record<string, unknown>): string {
  const ref = (doc.objectRef ?? {}) as Record<string, unknown>;
  const part = (v: unknown) => (typeof v === 'string' ? v : '');
  return [part(ref.apiGroup), part(ref.resource), part(ref.namespace), part(ref.name), part(doc.requestReceivedTimestamp)].join('\u0000');
}

const byKey = (a: Keyed, b: Keyed) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0);
// A JSON string holds no raw tab, so the first tab ends the key.
const line = (k: Keyed) => `${JSON.stringify(k.key)}\t${k.json}\n`;

/** The runs' lines merged in key order (a linear pick among at most `fanIn` heads). */
async function* merge(files: string[]): AsyncGenerator<Keyed> {
  const readers = files.map((f) => createInterface({ input: createReadStream(f), crlfDelay: Number.POSITIVE_INFINITY })[Symbol.asyncIterator]());
  try {
    const heads: (Keyed | undefined)[] = await Promise.all(readers.map(next));
    for (;;) {
      let min = -1;
      for (let i = 0; i < heads.length; i++) if (heads[i] && (min < 0 || heads[i]!.key < heads[min]!.key)) min = i;
      if (min < 0) return;
      yield heads[min]!;
      heads[min] = await next(readers[min]!);
    }
  } finally {
    await Promise.all(readers.map((r) => r.return?.()));
  }
}

async function next(reader: AsyncIterator<string>): Promise<Keyed | undefined> {
  const r = await reader.next();
  if (r.done) return undefined;
  const tab = r.value.indexOf('\t');
  return { key: JSON.parse(r.value.slice(0, tab)) as string, json: r.value.slice(tab + 1) };
}
