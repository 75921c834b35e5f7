import { mkdir, open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';
import { parseCheckpoint, type Checkpoint, type CheckpointStore } from './checkpoint.js';

/**
 * A checkpoint in a local file, replaced atomically: the new content is written and fsynced to
 * a temporary file, renamed over the old one, and the directory is fsynced, so a crash at any
 * instant leaves either the old or the new checkpoint, never a torn one.
 */
export class FileCheckpointStore implements CheckpointStore {
  readonly location: string;

  constructor(dir: string, key: string) {
    this.location = path.join(dir, `${key}.json`);
  }

  async load(): Promise<Checkpoint | undefined> {
    let text: string;
    try {
      text = await readFile(this.location, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
    return parseCheckpoint(JSON.parse(text), this.location);
  }

  async save(checkpoint: Checkpoint): Promise<void> {
    const dir = path.dirname(this.location);
    await mkdir(dir, { recursive: true });
    const tmp = `${this.location}.${process.pid}.tmp`;
    const file = await open(tmp, 'w');
    try {
      await file.writeFile(JSON.stringify(checkpoint, null, 2));
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tmp, this.location);
    const dirHandle = await open(dir, 'r');
    try {
      await dirHandle.sync();
    } finally {
      await dirHandle.close();
    }
  }
}
