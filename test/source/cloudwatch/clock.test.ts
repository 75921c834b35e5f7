import { describe, expect, it } from 'vitest';
import { AwsClock } from '../../../src/source/cloudwatch/clock.js';

describe("AWS's clock", () => {
  it('follows the Date header with the monotonic time since, in whole milliseconds, whatever the pod clock says', () => {
    let local = Date.parse('2026-12-01T10:05:00Z');
    let mono = 1_000.25;
    const clock = new AwsClock(() => local, () => mono);
    expect(clock.known).toBe(false);
    expect(clock.now()).toBe(local);
    clock.observeDate('Tue, 01 Dec 2026 10:00:00 GMT');
    mono += 1_500.7;
    local += 1_500;
    expect(clock.known).toBe(true);
    expect(clock.now()).toBe(Date.parse('2026-12-01T10:00:01.500Z'));
    expect(Number.isInteger(clock.now())).toBe(true);
    expect(clock.skewMs()).toBe(300_000);
  });

  it('never runs behind the newest ingestion time seen (a lower bound of AWS now too)', () => {
    const clock = new AwsClock(() => 0, () => 0);
    clock.observeDate('Tue, 01 Dec 2026 10:00:00 GMT');
    clock.observeIngestion(Date.parse('2026-12-01T10:00:00.800Z'));
    expect(clock.now()).toBe(Date.parse('2026-12-01T10:00:00.800Z'));
  });
});
