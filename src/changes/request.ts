import { z } from 'zod';
import { ConfigError, type ConfigIssue } from '../config/errors.js';
import { parseDuration, parseInstant } from '../time.js';
import type { ChangesRequest } from './changes.js';
import { CHANGE_VERBS, type ChangeVerb } from './timeline-filter.js';

/** The request as a person gives it: command-line options or the ui's query string. */
export interface RawRequest {
  from?: unknown;
  to?: unknown;
  resource?: unknown;
  namespace?: unknown;
  name?: unknown;
  user?: unknown;
  verb?: unknown;
  lookBack?: unknown;
}

export const DEFAULT_LOOK_BACK = '30d';

const text = z.string().trim().min(1).optional();
const rawSchema = z.object({ from: z.string(), to: z.string(), resource: text, namespace: text, name: text, user: text, verb: text, lookBack: z.string() });

/** Validates a request at the edge; every bad option is named in one ConfigError. */
export function parseRequest(raw: RawRequest, now = Date.now()): ChangesRequest & { lookBack: string; filters: string[] } {
  const issues: ConfigIssue[] = [];
  const empty = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
  const parsed = rawSchema.safeParse({
    from: raw.from ?? '',
    to: empty(raw.to) ?? 'now',
    resource: empty(raw.resource),
    namespace: empty(raw.namespace),
    name: empty(raw.name),
    user: empty(raw.user),
    verb: empty(raw.verb),
    lookBack: empty(raw.lookBack) ?? DEFAULT_LOOK_BACK,
  });
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => ({ setting: `--${String(i.path[0])}`, message: i.message })));
  const o = parsed.data;
  const from = parseInstant(o.from, now);
  const to = parseInstant(o.to, now);
  if (from === undefined) issues.push({ setting: '--from', message: `must be ISO 8601 (2026-11-21T00:00:00Z), "now" or a duration ago like 24h, got "${o.from}"` });
  if (to === undefined) issues.push({ setting: '--to', message: `must be ISO 8601, "now" or a duration ago, got "${o.to}"` });
  if (from !== undefined && to !== undefined && from >= to) issues.push({ setting: '--from', message: 'must be before --to' });
  const lookBackMs = parseDuration(o.lookBack);
  if (lookBackMs === undefined) issues.push({ setting: '--look-back', message: `must be a duration like 30d or 12h, got "${o.lookBack}"` });
  const verbs = o.verb?.split(',').map((v) => v.trim().toLowerCase()).filter(Boolean);
  const unknown = verbs?.filter((v) => !CHANGE_VERBS.includes(v as ChangeVerb));
  if (unknown?.length) issues.push({ setting: '--verb', message: `must be among ${CHANGE_VERBS.join(', ')} (comma-separated), got "${unknown.join(',')}"` });
  if (issues.length > 0) throw new ConfigError(issues);
  const filter = { resource: o.resource, namespace: o.namespace, name: o.name, user: o.user, verbs: verbs as ChangeVerb[] | undefined };
  const filters = Object.entries({ resource: o.resource, namespace: o.namespace, name: o.name, user: o.user, verb: o.verb })
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `--${k} ${v}`);
  return { from: from!, to: to!, filter, lookBackMs: lookBackMs!, lookBack: o.lookBack, filters };
}
