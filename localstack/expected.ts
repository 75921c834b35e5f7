import { parseAuditEvent } from '../src/transform/audit-event.js';
import { applyPolicy, compilePolicy, DEFAULT_POLICY, type AuditPolicy } from '../src/transform/policy.js';
import { auditEvents, type Scenario } from './scenario.js';
import { dedupKey } from '../src/transform/dedup-key.js';

/**
 * What a correct forwarder indexes from a seeded scenario: the dedup keys of the events the
 * policy keeps, and the audit-stream messages that are not audit events (they belong in dead letters).
 * Uses the policy module (proved against the corpus on its own), not the forwarder's pipeline.
 */
export function expectedDocuments(scenario: Scenario, policy: AuditPolicy = DEFAULT_POLICY): { expected: Set<string>; invalidMessages: string[] } {
  const compiled = compilePolicy(policy);
  const expected = new Set<string>();
  const invalidMessages: string[] = [];
  for (const e of auditEvents(scenario)) {
    const parsed = parseAuditEvent(e.message);
    if (!parsed.ok) {
      invalidMessages.push(e.message);
      continue;
    }
    const kept = applyPolicy(compiled, parsed.event);
    if (kept) expected.add(dedupKey(kept));
  }
  return { expected, invalidMessages };
}
