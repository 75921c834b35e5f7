import ms from 'ms';

/** Parses `90s`, `15m`, `24h`, `7d` (or a bare number of seconds) into milliseconds. */
export function parseDuration(text: string): number | undefined {
  const trimmed = text.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Number(trimmed) * 1000;
  const value = ms(trimmed as ms.StringValue);
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? value : undefined;
}

/**
 * Parses a point in time: ISO 8601, `now`, or a duration meaning that long ago (`24h`).
 * Returns epoch milliseconds.
 */
export function parseInstant(text: string, now = Date.now()): number | undefined {
  const trimmed = text.trim();
  if (trimmed === 'now') return now;
  if (/^\d{4}-\d{2}-\d{2}/.test(trimmed)) {
    const t = Date.parse(trimmed);
    return Number.isNaN(t) ? undefined : t;
  }
  const ago = parseDuration(trimmed);
  return ago === undefined ? undefined : now - ago;
}

/** ISO 8601 in UTC of epoch milliseconds. */
export const iso = (ms: number): string => new Date(ms).toISOString();

/** A human length of time: `45 s`, `12 min`, `3.5 h`, `2.0 d`. */
export function humanDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 120) return `${s} s`;
  if (s < 7200) return `${Math.round(s / 60)} min`;
  if (s < 172_800) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86_400).toFixed(1)} d`;
}
