// Linseed's wire shapes: the error body, the bulk answer, the read request and answer.
// Validation of what clients send happens here, at the edge, with zod.
import { z } from 'zod';

export const BULK_PATH = '/api/v1/audit/logs/kube/bulk';
export const READ_PATH = '/api/v1/audit/logs';
export const NDJSON = 'application/x-ndjson';
export const JSON_TYPE = 'application/json';

/** Linseed's error body (its v1.HTTPError). */
export interface HttpError {
  status: number;
  msg: string;
}

/** One failed document. Linseed names the index and Elasticsearch's error, never the line. */
export interface BulkError {
  resource: string;
  type: string;
  reason: string;
}

export interface BulkResponse {
  total: number;
  succeeded: number;
  failed: number;
  errors: BulkError[];
}

/** The read API's request (Linseed's AuditLogParams; fields it has beyond these are accepted and ignored). */
export const ReadParams = z.object({
  type: z.enum(['kube', 'ee']),
  max_page_size: z.number().int().min(0).max(10_000).optional(),
  sort: z.array(z.object({ field: z.string().min(1), descending: z.boolean().optional() })).nullish(),
  time_range: z
    .object({
      from: z.iso.datetime({ offset: true }).optional(),
      to: z.iso.datetime({ offset: true }).optional(),
      // The default filters on requestReceivedTimestamp; Linseed also accepts generated_time.
      field: z.enum(['requestReceivedTimestamp', 'generated_time']).optional(),
    })
    .nullish(),
  after_key: z.record(z.string(), z.unknown()).nullish(),
});
export type ReadParams = z.infer<typeof ReadParams>;

export interface ReadResponse {
  items: Record<string, unknown>[];
  total_hits: number;
  /** Present while there are more pages; send it back as `after_key` for the next. */
  after_key?: Record<string, unknown>;
}

/** Linseed's default when a client names no page size. */
export const DEFAULT_PAGE_SIZE = 1_000;
