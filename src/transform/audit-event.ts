import { z } from 'zod';

/** Audit levels, lowest first: the order the API server compares them in. */
export const LEVELS = ['None', 'Metadata', 'Request', 'RequestResponse'] as const;
export type Level = (typeof LEVELS)[number];

export const STAGES = ['RequestReceived', 'ResponseStarted', 'ResponseComplete', 'Panic'] as const;
export type Stage = (typeof STAGES)[number];

/**
 * The fields of a Kubernetes audit `Event` (audit.k8s.io v1 and v1beta1) that the forwarder reads.
 * Unknown fields pass through untouched: the Calico document is the event itself.
 */
export const auditEventSchema = z.looseObject({
  kind: z.literal('Event').optional(),
  apiVersion: z.string().optional(),
  level: z.enum(LEVELS),
  auditID: z.string().min(1),
  stage: z.enum(STAGES),
  requestURI: z.string(),
  verb: z.string().min(1),
  user: z.looseObject({
    username: z.string().optional(),
    uid: z.string().optional(),
    groups: z.array(z.string()).optional(),
  }),
  objectRef: z
    .looseObject({
      resource: z.string().optional(),
      namespace: z.string().optional(),
      name: z.string().optional(),
      uid: z.string().optional(),
      apiGroup: z.string().optional(),
      apiVersion: z.string().optional(),
      resourceVersion: z.string().optional(),
      subresource: z.string().optional(),
    })
    .optional(),
  requestObject: z.unknown().optional(),
  responseObject: z.unknown().optional(),
  requestReceivedTimestamp: z.string().optional(),
  stageTimestamp: z.string().optional(),
});

export type AuditEvent = z.infer<typeof auditEventSchema>;

export type ParseResult =
  | { ok: true; event: AuditEvent }
  | { ok: false; reason: string };

/** EKS cuts messages over CloudWatch's event size limit and appends this marker. */
export const TRUNCATION_MARKER = '[Truncated...]';

/** Parses one CloudWatch message as an audit event; never throws. */
export function parseAuditEvent(message: string): ParseResult {
  let json: unknown;
  try {
    json = JSON.parse(message);
  } catch (err) {
    const truncated = message.trimEnd().endsWith(TRUNCATION_MARKER);
    return {
      ok: false,
      reason: truncated
        ? `truncated by CloudWatch (${Buffer.byteLength(message)} bytes, ends with ${TRUNCATION_MARKER})`
        : `invalid JSON: ${(err as Error).message}`,
    };
  }
  const parsed = auditEventSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const path = issue?.path.join('.') || '(root)';
    return { ok: false, reason: `not an audit event: ${path}: ${issue?.message ?? 'invalid'}` };
  }
  return { ok: true, event: parsed.data };
}
