import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, runCli, startCli, type RunningCli } from '../support/cli.js';
import { eventually } from '../support/elastic.js';
import { seedCluster, type SeededCluster } from '../support/scenario.js';

describe('doctor, status and the ops endpoints of a running forwarder', () => {
  let seeded: SeededCluster;
  beforeAll(async () => {
    seeded = await seedCluster({ prefix: 'ops', events: 1_000, seed: 515, auditStreams: 2 });
  });

  it('doctor passes on a healthy setup and fails, naming the check, on a wrong group', async () => {
    const ok = await runCli(['doctor'], seeded.env);
    expect(ok.stdout).toMatch(/all \d+ checks passed/);
    expect(ok.code).toBe(0);
    const bad = await runCli(['doctor', '--json'], { ...seeded.env, EKS_CLOUDWATCH_LOG_GROUP: '/aws/eks/nosuch/cluster' });
    const verdicts = JSON.parse(bad.stdout) as { name: string; ok: boolean }[];
    expect(verdicts.find((v) => v.name === 'log group')?.ok).toBe(false);
    expect(bad.code).toBe(1);
  });

  describe('while running', () => {
    let run: RunningCli;
    let base: string;
    beforeAll(async () => {
      const port = await freePort();
      base = `http://127.0.0.1:${port}`;
      run = startCli(['run'], { ...seeded.env, EKS_FORWARDER_HTTP_PORT: String(port), EKS_CLOUDWATCH_LOG_FETCH_INTERVAL: '1', EKS_FORWARDER_START_FROM: new Date(seeded.window.from).toISOString() });
    });
    afterAll(async () => {
      run.child.kill('SIGTERM');
      expect(await run.exited).toBe(0);
    });

    it('answers /healthz and /readyz, and /metrics counts what it forwarded', async () => {
      await eventually(async () => (await fetch(`${base}/readyz`)).status === 200, 'ready', 60_000);
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      // Forwarded counts the sweeps' re-reads too (already present): what was created is what was expected.
      const sample = (text: string, name: string) => Number(text.split('\n').find((l) => l.startsWith(`${name} `))?.split(' ')[1]);
      await eventually(async () => {
        const text = await (await fetch(`${base}/metrics`)).text();
        return sample(text, 'eks_log_forwarder_events_forwarded_total') - sample(text, 'eks_log_forwarder_documents_already_present_total') === seeded.expected.size;
      }, 'all documents counted', 60_000);
      const text = await (await fetch(`${base}/metrics`)).text();
      expect(text).toMatch(/eks_log_forwarder_lag_seconds\{group="[^"]+"\} \d/);
      expect(text).not.toMatch(/test.*secret|AWS_SECRET/i);
    });

    it('status shows the checkpoint and the running process', async () => {
      const status = await runCli(['status', '--url', base], seeded.env);
      expect(status.code).toBe(0);
      expect(status.stdout).toMatch(/running at http:\/\/127\.0\.0\.1:\d+: single, ready/);
      expect(status.stdout).toMatch(/checkpoint\s+\/.*run-/);
    });
  });
});
