import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseCheckpoint } from '../../src/checkpoint/checkpoint.js';
import { FileCheckpointStore } from '../../src/checkpoint/file-store.js';

/** A checkpoint exactly as release 0.1.0 wrote it: mid-window, with a token, in a prefilter's first pass. */
const v1 = {
  version: 1,
  groupName: '/aws/eks/prod/cluster',
  streamPrefix: 'kube-apiserver-audit-',
  windowStart: 1_764_547_200_000,
  windowEnd: 1_764_547_260_000,
  pass: 0,
  nextToken: 'f/39312405692837584937475937459374593745937459374/s',
  readUpTo: 1_764_547_190_000,
  newestForwarded: 1_764_547_230_123,
  updatedAt: '2026-12-01T00:01:05.000Z',
};

describe('checkpoints of release 0.1.0', () => {
  it('become an envelope around a CloudWatch position with every field unchanged', () => {
    const { version: _, newestForwarded, updatedAt, ...cursor } = v1;
    expect(parseCheckpoint(v1, 'test')).toEqual({ version: 2, source: 'cloudwatch', position: cursor, newestForwarded, updatedAt });
  });

  it('are read from a file written by the old release, and written back in the new form', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cp-v1-'));
    writeFileSync(path.join(dir, 'run-x.json'), JSON.stringify(v1, null, 2));
    const store = new FileCheckpointStore(dir, 'run-x');
    const loaded = await store.load();
    expect(loaded?.position).toMatchObject({ nextToken: v1.nextToken, windowStart: v1.windowStart, windowEnd: v1.windowEnd, readUpTo: v1.readUpTo, pass: 0 });
    await store.save(loaded!);
    expect(await store.load()).toEqual(loaded);
  });

  it('are refused, naming the field, when they are not what the old release wrote', () => {
    expect(() => parseCheckpoint({ ...v1, windowStart: 'yesterday' }, 'file.json')).toThrow(/checkpoint file.json is not valid: windowStart/);
    expect(() => parseCheckpoint({ version: 3 }, 'file.json')).toThrow(/checkpoint file.json is not valid: version/);
  });
});
