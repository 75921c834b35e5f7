import { mkdtempSync, readdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileSpool } from '../../src/spool/file-spool.js';
import type { SinkRecord } from '../../src/transform/record.js';

const record = (i: number): SinkRecord =>
  ({
    kind: 'dead-letter',
    key: `s/${i}`,
    document: { reason: 'r', message: `m${i}` },
    event: { group: 'g', stream: 's', eventId: String(i), timestamp: i, ingestionTime: i, message: `m${i}` },
  }) as unknown as SinkRecord;

describe('the dead-letter spool file', () => {
  it('keeps records across restarts, once each, and forgets those the store took', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'spool-'));
    const spool = new FileSpool(dir, 'run-x');
    await spool.add([record(1), record(2)]);
    await spool.add([record(2), record(3)]);
    expect(new FileSpool(dir, 'run-x').entries().map((r) => r.key)).toEqual(['s/1', 's/2', 's/3']);
    await spool.remove(new Set(['s/2']));
    const reopened = new FileSpool(dir, 'run-x');
    expect(reopened.entries()).toEqual([record(1), record(3)]);
    expect(readdirSync(dir)).toEqual(['run-x.deadletters.jsonl']);
  });
});
