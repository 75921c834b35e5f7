// Faults a test can switch on while the emulator runs. Each is one of the ways a real Linseed
// makes a forwarder lose or duplicate data: an error answer (before or after the documents
// landed), a timeout after they landed, lines refused among good ones (a 200 with `failed`),
// and a token that stops being accepted. Certificate rotation lives on the emulator itself.
import { createHash } from 'node:crypto';

export type Route = 'bulk' | 'read';

export interface FailNextOptions {
  /** HTTP status to answer (default 503). */
  status?: number;
  /** Which requests count (default: any). */
  route?: Route | 'any';
  /** Bulk only: write the documents first, then answer with the error (the outcome a client cannot tell). */
  afterWrite?: boolean;
}

export interface TimeoutOptions {
  /**
   * `hold` (default): never answer; the socket stays open until the client gives up.
   * `destroy`: reset the connection at once.
   */
  mode?: 'hold' | 'destroy';
}

export type LineMatcher = string | RegExp | ((line: string) => boolean);

export interface RefuseOptions {
  /** Refuse only this many matching lines, then accept them again (default: every one). */
  times?: number;
  /** The Elasticsearch-like error reported for each (no line number, as Linseed). */
  type?: string;
  reason?: string;
}

/** What tests see of the faults: switches and counts of what was injected. */
export interface FaultControl {
  /** The next `count` requests (of `route`) answer `status`. */
  failNext(count: number, opts?: FailNextOptions): void;
  /** The next `count` bulk requests are written to Elasticsearch, then get no answer. */
  timeoutAfterWrite(count: number, opts?: TimeoutOptions): void;
  /** Lines matching are not stored; they count in `failed` with an error naming no line. */
  refuseLines(match: LineMatcher, opts?: RefuseOptions): void;
  /** From `at` (default now) the token is refused with 401, as an expired one is. */
  expireToken(token: string, at?: Date | number): void;
  /** Everything off (counts kept). */
  reset(): void;
  readonly injected: Readonly<{ failures: number; timeouts: number; refusedLines: number; expiredTokens: number }>;
}

interface Failure {
  remaining: number;
  status: number;
  route: Route | 'any';
  afterWrite: boolean;
}

interface Refusal {
  test: (line: string) => boolean;
  remaining: number;
  type: string;
  reason: string;
}

// Tokens are kept only as digests: the emulator holds no secret it could leak in a dump.
const digest = (token: string): string => createHash('sha256').update(token).digest('hex');

export class Faults implements FaultControl {
  private failures: Failure[] = [];
  private timeouts: { remaining: number; mode: 'hold' | 'destroy' }[] = [];
  private refusals: Refusal[] = [];
  private expiries = new Map<string, number>();
  readonly injected = { failures: 0, timeouts: 0, refusedLines: 0, expiredTokens: 0 };

  failNext(count: number, opts: FailNextOptions = {}): void {
    const status = opts.status ?? 503;
    if (status < 400 || status > 599) throw new Error(`failNext wants an error status, not ${status}`);
    if (opts.afterWrite && opts.route === 'read') throw new Error('afterWrite applies to bulk requests');
    this.failures.push({ remaining: count, status, route: opts.route ?? 'any', afterWrite: !!opts.afterWrite });
  }

  timeoutAfterWrite(count: number, opts: TimeoutOptions = {}): void {
    this.timeouts.push({ remaining: count, mode: opts.mode ?? 'hold' });
  }

  refuseLines(match: LineMatcher, opts: RefuseOptions = {}): void {
    const test = typeof match === 'string' ? (l: string) => l.includes(match) : match instanceof RegExp ? (l: string) => match.test(l) : match;
    this.refusals.push({
      test,
      remaining: opts.times ?? Number.POSITIVE_INFINITY,
      type: opts.type ?? 'document_parsing_exception',
      reason: opts.reason ?? '[1:1] failed to parse: the document was refused',
    });
  }

  expireToken(token: string, at: Date | number = Date.now()): void {
    this.expiries.set(digest(token), typeof at === 'number' ? at : at.getTime());
  }

  reset(): void {
    this.failures = [];
    this.timeouts = [];
    this.refusals = [];
    this.expiries.clear();
  }

  /** A failure due now for this request, if any (consumed). `phase` is before or after the write. */
  takeFailure(route: Route, phase: 'before' | 'after'): number | undefined {
    const f = this.failures.find((x) => x.remaining > 0 && (x.route === 'any' || x.route === route) && (phase === 'after') === x.afterWrite && (route === 'bulk' || !x.afterWrite));
    if (!f) return undefined;
    f.remaining--;
    this.failures = this.failures.filter((x) => x.remaining > 0);
    this.injected.failures++;
    return f.status;
  }

  takeTimeout(): 'hold' | 'destroy' | undefined {
    const t = this.timeouts.find((x) => x.remaining > 0);
    if (!t) return undefined;
    t.remaining--;
    this.timeouts = this.timeouts.filter((x) => x.remaining > 0);
    this.injected.timeouts++;
    return t.mode;
  }

  /** The error for a line refused now (consumed), if any. */
  refusal(line: string): { type: string; reason: string } | undefined {
    const r = this.refusals.find((x) => x.remaining > 0 && x.test(line));
    if (!r) return undefined;
    r.remaining--;
    this.injected.refusedLines++;
    return { type: r.type, reason: r.reason };
  }

  tokenExpired(token: string, now = Date.now()): boolean {
    const at = this.expiries.get(digest(token));
    if (at === undefined || now < at) return false;
    this.injected.expiredTokens++;
    return true;
  }
}
