import { z } from 'zod';
import { parseDuration, parseInstant } from '../time.js';

/**
 * zod fields for raw setting strings (environment, flags, the cluster): each trims, treats an
 * empty string as unset, and names the expected form in its message.
 */
export const text = z.string().trim();
export const optionalText = text.optional().transform((v) => (v === '' ? undefined : v));

export const positiveSeconds = (fallback: number) =>
  optionalText.transform((v, ctx) => {
    if (v === undefined) return fallback * 1000;
    const n = Number(v);
    if (!Number.isFinite(n) || n <= 0) {
      ctx.addIssue({ code: 'custom', message: `must be a positive number of seconds, got "${v}"` });
      return z.NEVER;
    }
    return n * 1000;
  });

export const duration = (fallbackMs: number) =>
  optionalText.transform((v, ctx) => {
    if (v === undefined) return fallbackMs;
    const parsed = parseDuration(v);
    if (parsed === undefined) {
      ctx.addIssue({ code: 'custom', message: `must be a duration like 90s, 15m or 2h, got "${v}"` });
      return z.NEVER;
    }
    return parsed;
  });

export const isTrue = (v: string) => /^(true|1|yes)$/i.test(v);
export const isFalse = (v: string) => /^(false|0|no)$/i.test(v);

export const boolean = (fallback: boolean) =>
  optionalText.transform((v, ctx) => {
    if (v === undefined) return fallback;
    if (isTrue(v)) return true;
    if (isFalse(v)) return false;
    ctx.addIssue({ code: 'custom', message: `must be true or false, got "${v}"` });
    return z.NEVER;
  });

export const integerIn = (min: number, max: number) =>
  optionalText.transform((v, ctx) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) {
      ctx.addIssue({ code: 'custom', message: `must be an integer from ${min} to ${max}, got "${v}"` });
      return z.NEVER;
    }
    return n;
  });

export const instant = optionalText.transform((v, ctx) => {
  if (v === undefined) return undefined;
  const t = parseInstant(v);
  if (t === undefined) {
    ctx.addIssue({ code: 'custom', message: `must be ISO 8601 or a duration ago like 1h, got "${v}"` });
    return z.NEVER;
  }
  return t;
});

/** Lower-case names usable in an index name or a cluster id. */
export const lowerCaseName = (message: string) => z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/, message);
