/**
 * AWS's clock as the forwarder can know it: the `Date` of CloudWatch's last answer plus the time
 * since (monotonic), and the newest `ingestionTime` seen, whichever is later. Both are lower
 * bounds of AWS's now, so a window that ends at this clock never reaches into AWS's future, and
 * lateness is measured against the clock that stamped `ingestionTime`, not the pod's.
 */
export class AwsClock {
  private date: { value: number; at: number } | undefined;
  private newestIngestion = Number.NEGATIVE_INFINITY;

  constructor(
    private readonly local: () => number = Date.now,
    private readonly monotonic: () => number = () => performance.now(),
  ) {}

  /** A response's `Date` header (second resolution, so this is at most a second behind). */
  observeDate(header: string | undefined): void {
    const value = header ? Date.parse(header) : Number.NaN;
    if (Number.isFinite(value)) this.date = { value, at: this.monotonic() };
  }

  observeIngestion(ms: number): void {
    if (ms > this.newestIngestion) this.newestIngestion = ms;
  }

  /** Whether AWS has told the time yet (otherwise `now` is the pod's clock). */
  get known(): boolean {
    return this.date !== undefined;
  }

  /** Whole milliseconds, as FilterLogEvents and the checkpoint take them. */
  now(): number {
    if (!this.date) return Math.floor(this.local());
    return Math.floor(Math.max(this.date.value + (this.monotonic() - this.date.at), this.newestIngestion));
  }

  /** The pod's clock minus AWS's (positive: the pod is ahead). */
  skewMs(): number {
    return this.local() - this.now();
  }
}
