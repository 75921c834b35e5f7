import { z } from 'zod';

/**
 * The checkpoint of release 0.1.0: the CloudWatch cursor, the run's lateness state, a backfill's
 * `done` and the lag statistic in one flat object. Read so that an upgrade resumes exactly where
 * the old release stopped, mid-window and mid-token included.
 */
export const v1Schema = z.object({
  version: z.literal(1),
  groupName: z.string(),
  streamPrefix: z.string(),
  windowStart: z.number().int(),
  windowEnd: z.number().int().optional(),
  pass: z.number().int().min(0).optional(),
  nextToken: z.string().optional(),
  readUpTo: z.number().int().optional(),
  done: z.boolean().optional(),
  newestForwarded: z.number().int().optional(),
  updatedAt: z.string(),
});

/** The v1 fields, moved unchanged: the cursor into a CloudWatch position, the rest into the envelope. */
export function migrateV1(v1: z.infer<typeof v1Schema>) {
  const { version: _, newestForwarded, updatedAt, ...position } = v1;
  return {
    version: 2 as const,
    source: 'cloudwatch',
    position,
    ...(newestForwarded !== undefined ? { newestForwarded } : {}),
    updatedAt,
  };
}
