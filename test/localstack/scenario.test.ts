import { describe, expect, it } from 'vitest';
import {
  AUDIT_EVENT_KEY_ORDER,
  AUDIT_STREAM_PREFIX,
  CW_EVENT_OVERHEAD_BYTES,
  CW_MAX_EVENT_BYTES,
  auditEvents,
  generateScenario,
  type Scenario,
  type ScenarioOptions,
} from '../../localstack/scenario.js';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import { PUT_MAX_BYTES, PUT_MAX_EVENTS, PUT_MAX_SPAN_MS, putEvents, seedScenario, toBatches } from '../../localstack/seed.js';
import { TRUNCATION_MARKER, parseAuditEvent } from '../../src/transform/audit-event.js';

const START = Date.UTC(2025, 10, 22, 2, 0, 0);
const SPAN = 3_600_000;
const base: ScenarioOptions = { cluster: 'demo', seed: 42, events: 6_000, startMs: START, spanMs: SPAN, truncated: 3 };
const scenario = generateScenario(base);

type Ev = Record<string, any>;
const parsedAudit = (s: Scenario): Ev[] =>
  auditEvents(s).flatMap((e) => {
    try {
      return [JSON.parse(e.message) as Ev];
    } catch {
      return [];
    }
  });
const audit = parsedAudit(scenario);

const CALICO_RELEVANT = new Set([
  '/pods',
  '/namespaces',
  '/serviceaccounts',
  '/endpoints',
  'networking.k8s.io/networkpolicies',
  'extensions/networkpolicies',
  'projectcalico.org/networkpolicies',
  'projectcalico.org/globalnetworkpolicies',
  'projectcalico.org/tiers',
  'projectcalico.org/globalnetworksets',
  'projectcalico.org/networksets',
  'projectcalico.org/hostendpoints',
]);
const resourceKey = (e: Ev): string => `${e.objectRef?.apiGroup ?? ''}/${e.objectRef?.resource ?? ''}`;
const isKeptShaped = (e: Ev): boolean =>
  e.level === 'RequestResponse' &&
  e.stage === 'ResponseComplete' &&
  ['create', 'update', 'patch', 'delete'].includes(e.verb) &&
  !e.objectRef?.subresource &&
  CALICO_RELEVANT.has(resourceKey(e)) &&
  e.responseStatus?.code >= 200 &&
  e.responseStatus?.code < 300 &&
  !String(e.requestURI).includes('dryRun');

describe('generateScenario', () => {
  it('is deterministic: the same options give byte-identical output, another seed different output', () => {
    expect(generateScenario(base)).toEqual(scenario);
    const other = generateScenario({ ...base, seed: 43 });
    expect(other.streams.map((s) => s.name)).not.toEqual(scenario.streams.map((s) => s.name));
    expect(auditEvents(other)[0]!.message).not.toEqual(auditEvents(scenario)[0]!.message);
  });

  it('names the log group and streams like EKS does', () => {
    expect(scenario.logGroupName).toBe('/aws/eks/demo/cluster');
    const auditStreams = scenario.streams.filter((s) => s.audit);
    expect(auditStreams).toHaveLength(2);
    for (const s of auditStreams) expect(s.name).toMatch(/^kube-apiserver-audit-[0-9a-f]{32}$/);
    const others = scenario.streams.filter((s) => !s.audit).map((s) => s.name);
    for (const prefix of ['kube-apiserver-', 'authenticator-', 'kube-controller-manager-', 'kube-scheduler-', 'cloud-controller-manager-']) {
      expect(others.some((n) => new RegExp(`^${prefix}[0-9a-f]{32}$`).test(n))).toBe(true);
    }
    for (const n of others) expect(n.startsWith(AUDIT_STREAM_PREFIX)).toBe(false);
    expect(generateScenario({ ...base, events: 10, truncated: 0, auditStreams: 4 }).streams.filter((s) => s.audit)).toHaveLength(4);
  });

  it('sorts every stream by timestamp and keeps every timestamp inside the window', () => {
    for (const s of scenario.streams) {
      for (let i = 0; i < s.events.length; i++) {
        const t = s.events[i]!.timestamp;
        expect(t).toBeGreaterThanOrEqual(START);
        expect(t).toBeLessThan(START + SPAN);
        if (i > 0) expect(t).toBeGreaterThanOrEqual(s.events[i - 1]!.timestamp);
      }
    }
  });

  it('puts exactly `events` events in the audit streams, each in kube-apiserver key order', () => {
    expect(auditEvents(scenario)).toHaveLength(base.events);
    expect(audit).toHaveLength(base.events - 3);
    for (const e of audit) {
      const idx = Object.keys(e).map((k) => AUDIT_EVENT_KEY_ORDER.indexOf(k as (typeof AUDIT_EVENT_KEY_ORDER)[number]));
      expect(idx.every((i, n) => i >= 0 && (n === 0 || i > idx[n - 1]!)), Object.keys(e).join(',')).toBe(true);
      expect(e.kind).toBe('Event');
      expect(e.apiVersion).toBe('audit.k8s.io/v1');
      expect(Object.keys(e.objectRef ?? {}).every((k, n, ks) => n === 0 || ORDER_REF.indexOf(k) > ORDER_REF.indexOf(ks[n - 1]!))).toBe(true);
    }
  });

  it('stamps each event with its stageTimestamp in ms, microsecond timestamps and UUID auditIDs shared by the stages of one request', () => {
    const micro = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/;
    const stagesById = new Map<string, string[]>();
    for (const e of auditEvents(scenario)) {
      let ev: Ev;
      try {
        ev = JSON.parse(e.message) as Ev;
      } catch {
        continue;
      }
      expect(ev.stageTimestamp).toMatch(micro);
      expect(ev.requestReceivedTimestamp).toMatch(micro);
      expect(ev.requestReceivedTimestamp <= ev.stageTimestamp).toBe(true);
      expect(e.timestamp).toBe(Date.parse(ev.stageTimestamp));
      expect(ev.auditID).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
      stagesById.set(ev.auditID, [...(stagesById.get(ev.auditID) ?? []), ev.stage]);
    }
    const shapes = new Set([...stagesById.values()].map((s) => s.join('+')));
    expect(shapes).toEqual(new Set(['ResponseComplete', 'RequestReceived+ResponseComplete', 'ResponseStarted+ResponseComplete']));
    // watches log ResponseStarted, then ResponseComplete when they time out
    const watch = audit.filter((e) => e.verb === 'watch');
    expect(new Set(watch.map((e) => e.stage))).toEqual(new Set(['ResponseStarted', 'ResponseComplete']));
  });

  it('cuts oversized events like EKS: marker at the end, within 256 KB with overhead, not parseable', () => {
    const truncated = auditEvents(scenario).filter((e) => e.message.endsWith(TRUNCATION_MARKER));
    expect(truncated).toHaveLength(3);
    for (const e of truncated) {
      const bytes = Buffer.byteLength(e.message, 'utf8');
      expect(bytes + CW_EVENT_OVERHEAD_BYTES).toBe(CW_MAX_EVENT_BYTES);
      expect(() => JSON.parse(e.message)).toThrow();
      expect(e.message).toMatch(/^\{"kind":"Event","apiVersion":"audit\.k8s\.io\/v1","level":"RequestResponse","auditID":"[0-9a-f-]{36}"/);
      const parsed = parseAuditEvent(e.message);
      expect(parsed.ok).toBe(false);
      if (!parsed.ok) expect(parsed.reason).toContain('truncated');
    }
  });

  it('mixes kept-shaped mutations on Calico-relevant resources with reads, leases and other noise', () => {
    const kept = audit.filter(isKeptShaped);
    expect(kept.length).toBeGreaterThan(base.events * 0.08);
    expect(kept.length).toBeLessThan(base.events * 0.25);
    for (const e of kept) {
      if (e.verb !== 'delete') expect(e.responseObject?.metadata?.name ?? e.responseObject?.details?.name).toBeTruthy();
      expect(e.requestObject).toBeDefined();
    }
    const reads = audit.filter((e) => ['get', 'list', 'watch'].includes(e.verb));
    expect(reads.length).toBeGreaterThan(base.events * 0.2);
    for (const e of reads) {
      expect(['Metadata', 'Request']).toContain(e.level);
      expect(e.responseObject).toBeUndefined();
    }
    const leases = audit.filter((e) => e.objectRef?.resource === 'leases' && e.verb === 'update');
    expect(leases.length).toBeGreaterThan(base.events * 0.2);
    // RequestResponse mutations Calico does not need, so a level+verb filter alone is wrong
    expect(audit.some((e) => e.level === 'RequestResponse' && e.verb === 'update' && e.objectRef?.subresource === 'status')).toBe(true);
    expect(audit.some((e) => e.level === 'RequestResponse' && e.verb === 'create' && e.objectRef?.subresource === 'binding')).toBe(true);
  });

  it('has the EKS shapes the corpus lacks', () => {
    const has = (p: (e: Ev) => boolean): boolean => audit.some(p);
    expect(has((e) => resourceKey(e) === 'networking.k8s.io/networkpolicies' && isKeptShaped(e))).toBe(true);
    expect(has((e) => resourceKey(e) === 'extensions/networkpolicies')).toBe(true);
    expect(has((e) => e.objectRef?.apiGroup === 'projectcalico.org' && isKeptShaped(e))).toBe(true);
    for (const r of ['/endpoints', '/namespaces', '/serviceaccounts', '/pods']) expect(has((e) => resourceKey(e) === r && isKeptShaped(e)), r).toBe(true);
    expect(has((e) => e.user.username === 'eks:certificate-controller')).toBe(true);
    expect(has((e) => /^system:node:ip-10-0-\d+-\d+\./.test(e.user.username) && e.objectRef?.resource === 'leases')).toBe(true);
    expect(has((e) => e.user.username === 'kubernetes-admin' && String(e.user.extra?.arn?.[0]).startsWith('arn:aws:iam::'))).toBe(true);
    for (const sub of ['status', 'exec', 'log']) expect(has((e) => e.objectRef?.resource === 'pods' && e.objectRef?.subresource === sub), sub).toBe(true);
    for (const uri of ['/healthz', '/readyz', '/version', '/apis']) expect(has((e) => e.requestURI.split('?')[0] === uri && !e.objectRef), uri).toBe(true);
    expect(has((e) => e.requestURI.includes('dryRun=All') && e.level === 'RequestResponse')).toBe(true);
    for (const code of [403, 404]) expect(has((e) => e.responseStatus?.code === code), String(code)).toBe(true);
    expect(has((e) => e.impersonatedUser !== undefined)).toBe(true);
    // secrets are logged at Metadata only: never their data
    expect(audit.filter((e) => e.objectRef?.resource === 'secrets').every((e) => e.level === 'Metadata' && !e.requestObject)).toBe(true);
  });

  it('lets mutationShare move the share of Calico-relevant mutations', () => {
    const share = (m: number): number => {
      const evs = parsedAudit(generateScenario({ ...base, events: 4_000, truncated: 0, otherStreams: false, mutationShare: m }));
      return evs.filter(isKeptShaped).length / evs.length;
    };
    const none = share(0);
    const half = share(0.5);
    expect(none).toBe(0);
    expect(half).toBeGreaterThan(0.3);
    expect(half).toBeGreaterThan(share(0.15));
  });

  it('sizes mutation objects around payloadBytes', () => {
    const sizes = (payloadBytes: number): number => {
      const evs = parsedAudit(generateScenario({ ...base, events: 3_000, truncated: 0, otherStreams: false, payloadBytes }));
      const objs = evs.filter((e) => isKeptShaped(e) && resourceKey(e) === 'networking.k8s.io/networkpolicies' && e.verb !== 'delete');
      const lens = objs.map((e) => JSON.stringify(e.responseObject).length).sort((a, b) => a - b);
      return lens[Math.floor(lens.length / 2)]!;
    };
    const small = sizes(2_048);
    const large = sizes(16_384);
    expect(small).toBeGreaterThan(1_000);
    expect(small).toBeLessThan(4_500);
    expect(large).toBeGreaterThan(10_000);
    expect(large).toBeLessThan(30_000);
  });

  it('fills the other streams with component logs plus some audit JSON that a stream filter must drop', () => {
    const lines = scenario.streams.filter((s) => !s.audit).flatMap((s) => s.events.map((e) => e.message));
    expect(lines.some((l) => /^[IWE]\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ [\w.]+:\d+\] /.test(l))).toBe(true);
    expect(lines.some((l) => /^time="[^"]+" level=info msg="access granted" arn="arn:aws:iam::/.test(l))).toBe(true);
    const json = lines.flatMap((l) => {
      try {
        return [JSON.parse(l) as Ev];
      } catch {
        return [];
      }
    });
    expect(json.length).toBeGreaterThanOrEqual(3);
    expect(json.every(isKeptShaped)).toBe(true);
    expect(generateScenario({ ...base, otherStreams: false }).streams.every((s) => s.audit)).toBe(true);
    // other streams never change the audit data
    expect(auditEvents(generateScenario({ ...base, otherStreams: false }))).toEqual(auditEvents(scenario));
  });

  it('rejects impossible options', () => {
    expect(() => generateScenario({ ...base, truncated: base.events + 1 })).toThrow(RangeError);
    expect(() => generateScenario({ ...base, spanMs: 0 })).toThrow(RangeError);
    expect(() => generateScenario({ ...base, mutationShare: 1.5 })).toThrow(RangeError);
    expect(() => generateScenario({ ...base, cluster: 'a/b' })).toThrow(RangeError);
  });
});

const ORDER_REF = ['resource', 'namespace', 'name', 'uid', 'apiGroup', 'apiVersion', 'resourceVersion', 'subresource'];

describe('toBatches (the seeder)', () => {
  it('splits a scenario into PutLogEvents batches within count, byte and span limits', () => {
    const big = generateScenario({ ...base, events: 25_000, truncated: 6, spanMs: 3 * 86_400_000 });
    for (const s of big.streams) {
      const batches = toBatches(s.events);
      expect(batches.flatMap((b) => b.events)).toEqual(s.events);
      for (const b of batches) {
        expect(b.events.length).toBeLessThanOrEqual(PUT_MAX_EVENTS);
        const bytes = b.events.reduce((n, e) => n + Buffer.byteLength(e.message!, 'utf8') + CW_EVENT_OVERHEAD_BYTES, 0);
        expect(bytes).toBeLessThanOrEqual(PUT_MAX_BYTES);
        expect(b.events.at(-1)!.timestamp! - b.events[0]!.timestamp!).toBeLessThan(PUT_MAX_SPAN_MS);
      }
    }
  });

  it('refuses an event over CloudWatch size limit instead of sending it', () => {
    expect(() => toBatches([{ timestamp: START, message: 'x'.repeat(CW_MAX_EVENT_BYTES) }])).toThrow(RangeError);
  });

  it('retries throttled calls and fails loudly when CloudWatch rejects events', async () => {
    const sent: string[] = [];
    let throttles = 2;
    const client = {
      send: async (cmd: { constructor: { name: string } }) => {
        sent.push(cmd.constructor.name);
        if (cmd.constructor.name === 'PutLogEventsCommand' && throttles-- > 0) {
          throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } });
        }
        if (cmd.constructor.name === 'CreateLogGroupCommand') {
          throw Object.assign(new Error('exists'), { name: 'ResourceAlreadyExistsException' });
        }
        return {};
      },
    } as unknown as CloudWatchLogsClient;
    const small = generateScenario({ ...base, events: 50, truncated: 0, otherStreams: false, auditStreams: 1 });
    const r = await seedScenario(client, small);
    expect(r.events).toBe(50);
    expect(sent.filter((n) => n === 'PutLogEventsCommand')).toHaveLength(3);
    expect(r.calls).toBe(sent.length);

    const rejecting = { send: async () => ({ rejectedLogEventsInfo: { tooOldLogEventEndIndex: 0 } }) } as unknown as CloudWatchLogsClient;
    await expect(putEvents(rejecting, 'g', 's', [{ timestamp: START, message: 'x' }])).rejects.toThrow(/rejected/);
  });
});
