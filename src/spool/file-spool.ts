import { mkdirSync, readFileSync } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import path from 'node:path';
import type { DeadLetterSpool } from '../pipeline/spool.js';
import type { SinkRecord } from '../transform/record.js';

/**
 * A dead-letter spool in a file of the state directory, one record per line, replaced
 * atomically (written and fsynced beside it, then renamed), so a crash leaves the old or the new
 * content. Small by nature: it holds only what the store refused twice.
 */
export class FileSpool implements DeadLetterSpool {
  readonly location: string;
  private records: SinkRecord[];

  constructor(dir: string, key: string) {
    mkdirSync(dir, { recursive: true });
    this.location = path.join(dir, `${key}.deadletters.jsonl`);
    this.records = readLines(this.location);
  }

  size(): number {
    return this.records.length;
  }

  entries(): readonly SinkRecord[] {
    return this.records;
  }

  async add(records: readonly SinkRecord[]): Promise<void> {
    const known = new Set(this.records.map((r) => r.key));
    this.records = [...this.records, ...records.filter((r) => !known.has(r.key))];
    await this.persist();
  }

  async remove(keys: ReadonlySet<string>): Promise<void> {
    this.records = this.records.filter((r) => !keys.has(r.key));
    await this.persist();
  }

  private async persist(): Promise<void> {
    const tmp = `${this.location}.${process.pid}.tmp`;
    const file = await open(tmp, 'w');
    try {
      await file.writeFile(this.records.map((r) => `${JSON.stringify(r)}\n`).join(''));
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, this.location);
  }
}

function readLines(file: string): SinkRecord[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as SinkRecord);
}
