import { mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Checkpoint } from '../../src/checkpoint/checkpoint.js';
import { FileCheckpointStore } from '../../src/checkpoint/file-store.js';
import { checkpointKey } from '../../src/checkpoint/key.js';

const position = {
  groupName: '/aws/eks/demo/cluster',
  streamPrefix: 'kube-apiserver-audit-',
  windowStart: 1_700_000_000_000,
  windowEnd: 1_700_000_060_000,
  nextToken: 'token-1',
};
const sample: Checkpoint = { version: 2, source: 'cloudwatch', position, updatedAt: new Date(0).toISOString() };

describe('FileCheckpointStore', () => {
  it('has no checkpoint before the first save', async () => {
    const store = new FileCheckpointStore(mkdtempSync(path.join(os.tmpdir(), 'cp-')), 'k');
    expect(await store.load()).toBeUndefined();
  });

  it('returns what was saved last, across store instances (a restart)', async () => {
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'cp-')), 'nested', 'state');
    await new FileCheckpointStore(dir, 'k').save(sample);
    await new FileCheckpointStore(dir, 'k').save({ ...sample, position: { ...position, nextToken: 'token-2' } });
    expect(await new FileCheckpointStore(dir, 'k').load()).toEqual({ ...sample, position: { ...position, nextToken: 'token-2' } });
    expect(readdirSync(dir)).toEqual(['k.json']);
  });

  it('refuses a corrupt checkpoint instead of silently starting over', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cp-'));
    writeFileSync(path.join(dir, 'k.json'), JSON.stringify({ version: 1, windowStart: 'yesterday' }));
    await expect(new FileCheckpointStore(dir, 'k').load()).rejects.toThrow(/not valid/);
  });

  it('keys checkpoints by what they track', () => {
    const a = checkpointKey('run', '/aws/eks/a/cluster', 'kube-apiserver-audit-');
    expect(a).toMatch(/^run-aws_eks_a_cluster-[0-9a-f]{12}$/);
    expect(checkpointKey('run', '/aws/eks/a/cluster', 'other-')).not.toBe(a);
  });
});
