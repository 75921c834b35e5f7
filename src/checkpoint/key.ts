import { createHash } from 'node:crypto';

/**
 * A file-name-safe key that still tells a human what it is for: the kind, the first part made
 * readable, and a hash of all parts (so a changed group, prefix or cluster gets its own checkpoint).
 */
export function checkpointKey(kind: string, ...parts: (string | number)[]): string {
  const hash = createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 12);
  const readable = String(parts[0] ?? '').replace(/[^A-Za-z0-9]+/g, '_').replace(/^_|_$/g, '').slice(0, 48);
  return `${kind}-${readable}-${hash}`;
}
