import { z } from 'zod';
import type { PositionSummary } from '../source.js';
import { iso } from '../../time.js';

/**
 * Where reading a CloudWatch log group stands: the window being read (its pass and the next
 * page's token), how far the head has read, and how far each lateness sweep has re-read.
 */
export const cloudwatchPositionSchema = z.object({
  groupName: z.string(),
  streamPrefix: z.string(),
  /** Start of the window being read, or where the first head window starts (epoch ms). */
  windowStart: z.number().int(),
  /** Inclusive end of the window being read; absent between windows. */
  windowEnd: z.number().int().optional(),
  /** The window being read is the sweep of this age (ms); absent: the head's. */
  sweep: z.number().int().min(0).optional(),
  /** With a prefilter, the pass of the window being read (0: the policy's pattern, 1: cut-off events). */
  pass: z.number().int().min(0).optional(),
  /** Token of the window's next unread page. */
  nextToken: z.string().optional(),
  /** Timestamp of the last event read before that token (where to start again if it cannot be used). */
  tokenAfter: z.number().int().optional(),
  /** What the token and pass were made under (stream prefix and filter pattern): another configuration restarts the window. */
  under: z.string().optional(),
  /** Every event timestamped at or before this was read by the head; a new one found there is late. */
  readUpTo: z.number().int().optional(),
  /** Per sweep age (ms): every timestamp at or before this was read again once it had reached that age. */
  sweptUpTo: z.record(z.string().regex(/^\d+$/), z.number().int()).optional(),
  /** A backfill whose whole window is acknowledged. */
  done: z.boolean().optional(),
});

export type CloudWatchPosition = z.infer<typeof cloudwatchPositionSchema>;

export function describePosition(p: CloudWatchPosition): PositionSummary {
  return {
    windowStart: iso(p.windowStart),
    ...(p.windowEnd !== undefined ? { windowEnd: iso(p.windowEnd) } : {}),
    tokenPresent: Boolean(p.nextToken),
    ...(p.sweep !== undefined ? { sweep: p.sweep } : {}),
    ...(p.pass !== undefined ? { pass: p.pass } : {}),
    ...(p.readUpTo !== undefined ? { readUpTo: iso(p.readUpTo) } : {}),
    ...(p.sweptUpTo ? { sweptUpTo: Object.entries(p.sweptUpTo).map(([age, t]) => `${iso(t)} (${Number(age) / 1000} s old)`).join(', ') } : {}),
    ...(p.done !== undefined ? { done: p.done } : {}),
  };
}

/** The lines `status` prints of a position summary. */
export function positionLines(s: PositionSummary): [string, string][] {
  const lines: [string, string][] = [
    ['window', `${String(s.windowStart)} .. ${s.windowEnd ?? '(none open: the next starts here)'}`],
    ['next page', s.tokenPresent ? 'token saved (resumes mid-window)' : 'none'],
  ];
  if (s.readUpTo) lines.push(['read up to', String(s.readUpTo)]);
  if (s.sweptUpTo) lines.push(['swept up to', String(s.sweptUpTo)]);
  if (s.done !== undefined) lines.push(['done', s.done ? 'yes' : 'no']);
  return lines;
}

/** One line of a position, for `doctor`. */
export function positionLine(s: PositionSummary): string {
  return `window from ${String(s.windowStart)}${s.windowEnd !== undefined ? ` to ${String(s.windowEnd)}` : ''}, ${s.tokenPresent ? 'next-page token saved' : 'no token'}`;
}
