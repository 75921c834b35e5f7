import type { CloudWatchPosition } from './position.js';

/**
 * The window after a drained one starts `reRead` behind its end, and remembers how far has
 * been read, so a new event found there counts as a late arrival. Only the very first window
 * (nothing read before it) bounds how far back the next may go.
 */
export function nextWindow(cp: CloudWatchPosition, reRead: number): CloudWatchPosition {
  const end = cp.windowEnd ?? cp.windowStart;
  const floor = cp.readUpTo === undefined ? cp.windowStart : Number.NEGATIVE_INFINITY;
  return {
    ...cp,
    windowStart: Math.max(floor, end - reRead),
    windowEnd: undefined,
    nextToken: undefined,
    readUpTo: Math.max(cp.readUpTo ?? 0, end),
  };
}

/**
 * How far behind the head to re-read. The overlap is twice the worst lateness
 * (ingestionTime - timestamp) of recent windows, between the configured floor and ceiling; a
 * range counts as closed only once the overlap has passed over it. Re-reading the whole overlap
 * on every poll would cost a busy cluster many pages a second at a short interval, so most
 * windows re-read only the head slack (twice the lateness, at least 5 s) and a full sweep runs
 * every half overlap, reaching back far enough that an event up to `overlap` late is still seen.
 */
export class LatenessBudget {
  private readonly recent: number[] = [];
  private lastSweepAt = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly floorMs: number,
    private readonly ceilingMs: number,
    private readonly intervalMs: number,
    private readonly windows = 10,
  ) {}

  private get worst(): number {
    return this.recent.length ? Math.max(...this.recent) : 0;
  }

  get overlapMs(): number {
    return Math.min(this.ceilingMs, Math.max(this.floorMs, 2 * this.worst));
  }

  /** Records the window's lateness and says how far behind its end the next window starts. */
  reReadAfter(windowLatenessMs: number, now: number): number {
    const plan = this.plan(windowLatenessMs, now);
    plan.commit();
    return plan.reReadMs;
  }

  /**
   * The same decision without recording it: `commit` once the window it ends is acknowledged,
   * so a window read again after a failed write decides again (a sweep is not used up).
   */
  plan(windowLatenessMs: number, now: number): { reReadMs: number; commit: () => void } {
    const recent = [...this.recent, windowLatenessMs].slice(-this.windows);
    const worst = Math.max(...recent);
    const overlap = Math.min(this.ceilingMs, Math.max(this.floorMs, 2 * worst));
    const sweepEvery = Math.max(this.intervalMs, overlap / 2);
    const sweep = now - this.lastSweepAt >= sweepEvery;
    return {
      reReadMs: sweep ? overlap + sweepEvery - this.intervalMs : Math.min(overlap, Math.max(5_000, 2 * worst)),
      commit: () => {
        this.recent.splice(0, this.recent.length, ...recent);
        if (sweep) this.lastSweepAt = now;
      },
    };
  }
}
