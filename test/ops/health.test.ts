import { describe, expect, it } from 'vitest';
import { errorText as safeErrorText, maskSecrets } from '../../src/error-text.js';
import { Health, maxStallFor, targetOf } from '../../src/ops/health.js';
import { waitTicking as sleepTicking } from '../../src/wait.js';

/** A clock the test moves by hand. */
function clock(start = Date.parse('2026-03-01T10:00:00Z')) {
  let t = start;
  return { now: () => t, advance: (ms: number) => (t += ms) };
}

describe('Health', () => {
  it('is not ready until configured, then ready with both targets never failed', () => {
    const h = new Health(clock().now);
    expect(h.ready()).toEqual({ ready: false, reasons: ['not configured: configuration not loaded yet'] });
    h.setConfigured(true);
    expect(h.ready()).toEqual({ ready: true, reasons: [] });
    expect(h.configured).toEqual({ ok: true });
    expect(h.role).toBe('single');
  });

  it('a failed target makes it unready until that target succeeds again; the last error stays on record', () => {
    const c = clock();
    const h = new Health(c.now);
    h.setConfigured(true);
    h.ok('elasticsearch');
    c.advance(1_000);
    const err = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:9200'), { name: 'ConnectionError' });
    h.failed('elasticsearch', err);
    const r = h.ready();
    expect(r.ready).toBe(false);
    expect(r.reasons).toHaveLength(1);
    expect(r.reasons[0]).toMatch(/^elasticsearch failing since 2026-03-01T10:00:01.000Z: ConnectionError: connect ECONNREFUSED/);
    expect(h.target('elasticsearch')).toEqual({
      ok: false,
      lastError: 'ConnectionError: connect ECONNREFUSED 127.0.0.1:9200',
      lastErrorAt: '2026-03-01T10:00:01.000Z',
      lastOkAt: '2026-03-01T10:00:00.000Z',
    });
    expect(h.target('cloudwatch')).toEqual({ ok: true });

    c.advance(1_000);
    h.ok('elasticsearch');
    expect(h.ready()).toEqual({ ready: true, reasons: [] });
    expect(h.target('elasticsearch').ok).toBe(true);
    expect(h.target('elasticsearch').lastError).toMatch(/ECONNREFUSED/);
    expect(h.target('elasticsearch').lastOkAt).toBe('2026-03-01T10:00:02.000Z');
  });

  it('lists every reason at once: configuration and both targets', () => {
    const h = new Health(clock().now);
    h.setConfigured(false, 'LogCollector tigera-secure has no eksCloudwatchLog source');
    h.failed('cloudwatch', Object.assign(new Error('User is not authorized to perform: logs:FilterLogEvents'), { name: 'AccessDeniedException' }));
    h.failed('elasticsearch', new Error('boom'));
    const r = h.ready();
    expect(r.ready).toBe(false);
    expect(r.reasons.map((s) => s.split(':')[0])).toEqual(['not configured', 'cloudwatch failing since 2026-03-01T10', 'elasticsearch failing since 2026-03-01T10']);
    expect(r.reasons[1]).toMatch(/AccessDeniedException: User is not authorized/);
  });

  it('every role is ready once healthy (a standby must not block a rollout); the role is reported', () => {
    const h = new Health(clock().now);
    h.setConfigured(true);
    for (const role of ['leader', 'standby', 'single'] as const) {
      h.setRole(role);
      expect(h.role).toBe(role);
      expect(h.ready().ready).toBe(true);
      expect(h.snapshot().role).toBe(role);
    }
  });

  it('is live while the loop ticks, and not after a stall longer than the limit', () => {
    const c = clock();
    const h = new Health(c.now);
    expect(h.live(c.now(), 60_000).live).toBe(true);
    c.advance(59_000);
    expect(h.live(c.now(), 60_000).live).toBe(true);
    c.advance(2_000);
    const stalled = h.live(c.now(), 60_000);
    expect(stalled.live).toBe(false);
    expect(stalled.reason).toMatch(/no loop activity for 61 s \(limit 60 s\)/);
    h.tick();
    expect(h.lastLoopAt).toBe(new Date(c.now()).toISOString());
    expect(h.live(c.now(), 60_000)).toEqual({ live: true, lastActivityAt: h.lastLoopAt });
  });

  it('counts a reported retry as a sign of life: a loop waiting out an outage is not stuck', () => {
    const c = clock();
    const h = new Health(c.now);
    c.advance(10 * 60_000);
    expect(h.live(c.now(), 60_000).live).toBe(false);
    h.failed('elasticsearch', new Error('503'));
    expect(h.live(c.now(), 60_000).live).toBe(true);
  });

  it('keeps only name and message of an error, never credentials or bodies', () => {
    const h = new Health(clock().now);
    const err = Object.assign(new Error('getaddrinfo ENOTFOUND for https://forwarder:hunter2@es.example:9200/_bulk\n{"create":{"_id":"x"}}\n{"requestObject":"secret"}'), {
      name: 'ConnectionError',
      meta: { body: { password: 'hunter2' }, meta: { request: { params: { headers: { authorization: 'Basic Zm9vOmJhcg==' } } } } },
    });
    h.failed('elasticsearch', err);
    const text = JSON.stringify(h.snapshot()) + h.ready().reasons.join();
    expect(text).not.toMatch(/hunter2|Zm9vOmJhcg|requestObject/);
    expect(h.target('elasticsearch').lastError).toBe('ConnectionError: getaddrinfo ENOTFOUND for https://***@es.example:9200/_bulk');
    h.setConfigured(false, 'ELASTIC_URL https://u:pw@x:9200 is unreachable');
    expect(h.configured.reason).toBe('ELASTIC_URL https://***@x:9200 is unreachable');
  });
});

describe('helpers', () => {
  it('masks credential-like text', () => {
    expect(maskSecrets('Authorization: ApiKey abc123==, Bearer eyJhbGci.x.y')).toBe('Authorization: ApiKey ***, Bearer ***');
    expect(maskSecrets('key AKIAIOSFODNN7EXAMPLE used')).toBe('key *** used');
    expect(maskSecrets('X-Amz-Signature=deadbeef&X-Amz-Credential=AKIA/2026')).toBe('X-Amz-Signature=***&X-Amz-Credential=***');
    expect(maskSecrets('password=hunter2 and "apiKey":"k"')).toBe('password=*** and "apiKey":"***"');
    expect(maskSecrets('The specified nextToken is expired')).toBe('The specified nextToken is expired');
  });

  it('renders any thrown value as one short line', () => {
    expect(safeErrorText('plain')).toBe('Error: plain');
    expect(safeErrorText(undefined)).toBe('Error: undefined');
    expect(safeErrorText(new TypeError('a\nb'))).toBe('TypeError: a');
    expect(safeErrorText(new Error('x'.repeat(1_000))).length).toBeLessThanOrEqual(300);
  });

  it('tells which target an error came from', () => {
    expect(targetOf(Object.assign(new Error('x'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 400 } }))).toBe('cloudwatch');
    expect(targetOf(Object.assign(new Error('x'), { name: 'ResponseError', meta: { statusCode: 500 } }))).toBe('elasticsearch');
    expect(targetOf(Object.assign(new Error('x'), { name: 'ConnectionError' }))).toBe('elasticsearch');
    expect(targetOf(Object.assign(new Error('ENOSPC'), { code: 'ENOSPC' }))).toBeUndefined();
    expect(targetOf('text')).toBeUndefined();
  });

  it('is not live once the pipeline stopped for good, whatever the loop does, and says why without secrets', () => {
    const c = clock();
    const h = new Health(c.now);
    expect(h.live().live).toBe(true);
    h.setStopped('StaleCheckpointError: checkpoint configmap/x was changed by another writer; token=abc123');
    h.tick();
    expect(h.live()).toMatchObject({ live: false, reason: 'pipeline stopped: StaleCheckpointError: checkpoint configmap/x was changed by another writer; token=***' });
  });

  it('sizes the stall limit from the fetch interval', () => {
    expect(maxStallFor(60_000)).toBe(6 * 60_000);
  });

  it('sleepTicking ticks while it sleeps and returns at once when stopped', async () => {
    let ticks = 0;
    const stop = new AbortController();
    await sleepTicking(30, stop.signal, { tick: () => void ticks++ }, 10);
    expect(ticks).toBeGreaterThanOrEqual(2);
    stop.abort();
    ticks = 0;
    await sleepTicking(60 * 60_000, stop.signal, { tick: () => void ticks++ });
    expect(ticks).toBe(1);
  });
});
