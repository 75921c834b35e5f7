import type { Change } from './timeline-filter.js';

/**
 * The versions of an object, ordered by metadata.resourceVersion as Calico's compliance replayer
 * orders them (not by arrival), and the version each change replaced.
 */

/** What an object was before a change. */
export type Before =
  /** A create: nothing (or, after a delete, nothing again). */
  | { state: 'absent' }
  /** No earlier version in the range nor in the look-back before it. */
  | { state: 'unknown' }
  | { state: 'version'; object: Record<string, unknown>; change: Change };

export interface VersionedChange {
  change: Change;
  before: Before;
}

/**
 * The chain a change belongs to. A change through the `status` subresource answers with the
 * whole object, so it is a version of the object itself; any other subresource (`scale`,
 * `binding`, ...) answers with another kind, so it has a chain of its own.
 */
export function chainKey(c: Change): string {
  const sub = c.subresource && c.subresource !== 'status' ? c.subresource : '';
  return JSON.stringify([c.group, c.resource, c.namespace ?? '', c.name ?? '', sub]);
}

/** The object a change is about, subresources aside: how the stores sort for the change log. */
export function objectKey(c: Change): string {
  return JSON.stringify([c.group, c.resource, c.namespace ?? '', c.name ?? '']);
}

function numeric(rv: string | undefined): bigint | undefined {
  return rv !== undefined && /^\d{1,30}$/.test(rv) ? BigInt(rv) : undefined;
}

/**
 * resourceVersion as integers when both are numeric (etcd's revision; compared as strings "9"
 * would follow "10"); otherwise, and on a tie, request time and then auditID, so the order is
 * stable whatever order the store returned.
 */
export function compareVersions(a: Change, b: Change): number {
  const ra = numeric(a.resourceVersion);
  const rb = numeric(b.resourceVersion);
  if (ra !== undefined && rb !== undefined && ra !== rb) return ra < rb ? -1 : 1;
  if (a.time !== b.time) return a.time - b.time;
  return a.auditID < b.auditID ? -1 : a.auditID > b.auditID ? 1 : 0;
}

interface Chain {
  /** Changes not yet emitted, sorted by compareVersions. */
  pending: Change[];
  /** auditIDs emitted lately: one request stored twice (two writers after a cut-over) is one change. */
  recent: string[];
  last: Before;
}

export interface VersionChainsOptions {
  /**
   * How far out of resourceVersion order a change may arrive and still be put in its place: a
   * chain holds up to this many changes before emitting the lowest. Bounds memory per chain.
   */
  reorderWindow?: number;
}

/**
 * Pairs each change with the version it replaced. Push changes in any order; each comes out
 * once the chain holds more than `reorderWindow` newer ones, or at `endObject`/`flush`. When
 * the input is sorted by object (as the change log reads it), call `endObject` between objects
 * and only one object's chains are ever held.
 */
export class VersionChains {
  private readonly chains = new Map<string, Chain>();
  private readonly window: number;

  constructor(opts: VersionChainsOptions = {}) {
    this.window = Math.max(1, opts.reorderWindow ?? 64);
  }

  push(c: Change): VersionedChange[] {
    const key = chainKey(c);
    let chain = this.chains.get(key);
    if (!chain) this.chains.set(key, (chain = { pending: [], recent: [], last: { state: 'unknown' } }));
    if (chain.recent.includes(c.auditID) || chain.pending.some((p) => p.auditID === c.auditID)) return [];
    // Insertion keeps the buffer sorted; it is small (reorderWindow).
    let i = chain.pending.length;
    while (i > 0 && compareVersions(chain.pending[i - 1]!, c) > 0) i--;
    chain.pending.splice(i, 0, c);
    const out: VersionedChange[] = [];
    while (chain.pending.length > this.window) out.push(this.emit(chain));
    return out;
  }

  /** Emits every held change (the input moved on to another object, or ended). */
  flush(): VersionedChange[] {
    const out: VersionedChange[] = [];
    for (const chain of this.chains.values()) while (chain.pending.length > 0) out.push(this.emit(chain));
    this.chains.clear();
    return out;
  }

  private emit(chain: Chain): VersionedChange {
    const change = chain.pending.shift()!;
    const before: Before = change.verb === 'create' ? { state: 'absent' } : chain.last.state === 'absent' ? { state: 'unknown' } : chain.last;
    chain.last = change.verb === 'delete' || !change.after ? { state: 'absent' } : { state: 'version', object: change.after, change };
    chain.recent.push(change.auditID);
    if (chain.recent.length > this.window) chain.recent.shift();
    return { change, before };
  }
}

/**
 * The changes of a stream sorted by object, each with the version it replaced; only one
 * object's chains are held at a time.
 */
export async function* withPrevious(changes: AsyncIterable<Change>, opts: VersionChainsOptions = {}): AsyncGenerator<VersionedChange> {
  const chains = new VersionChains(opts);
  let current: string | undefined;
  for await (const c of changes) {
    const key = objectKey(c);
    if (key !== current) {
      yield* chains.flush();
      current = key;
    }
    yield* chains.push(c);
  }
  yield* chains.flush();
}
