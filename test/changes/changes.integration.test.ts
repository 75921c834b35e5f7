import { readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli, type CliResult } from '../support/cli.js';
import { eventually } from '../support/elastic.js';
import { postAuditDocuments, startLinseedWorld, throughLinseed, type LinseedWorld } from '../support/linseed.js';
import { forwarderEnv, uniqueCluster } from '../support/scenario.js';
import { at, EVIL, seedLife, withUi } from './life.js';
import { doc, policy, T0 } from './sequences.js';

const EXPECTED_PATCH_DIFF = `--- before (resourceVersion 100)
+++ after (resourceVersion 105)
@@ -8,3 +8,4 @@
   podSelector: {}
   policyTypes:
     - Ingress
+    - Egress
`;

function checkListing(stdout: string): void {
  const rows = stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
  expect(rows.map((r) => `${r.verb} ${r.user} ${r.name}`)).toEqual(['create alice deny-all', 'patch bob deny-all', 'update alice deny-all', `create alice ${EVIL}`, 'delete alice deny-all']);
}

describe('changes, the report and the ui read what the forwarder delivered to Elasticsearch', () => {
  let life: Awaited<ReturnType<typeof seedLife>>;
  beforeAll(async () => {
    life = await seedLife('changes');
    const forwarded = await runCli(['backfill', '--from', life.from, '--to', life.to], life.env);
    expect(forwarded.code).toBe(0);
  });

  it('lists the changes with Timeline semantics (no dryRun, no 403), in time order', async () => {
    const listed = await runCli(['changes', '--from', life.from, '--to', life.to, '--json'], life.env);
    expect(listed.code).toBe(0);
    checkListing(listed.stdout);
    const text = await runCli(['changes', '--from', life.from, '--to', life.to, '--user', 'bob'], life.env);
    expect(text.stdout.split('\n')[0]).toMatch(/^TIME\s+VERB\s+USER\s+RESOURCE\s+OBJECT$/);
    expect(text.stdout.trim().split('\n')).toHaveLength(2);
    expect(text.stdout).toMatch(/patch\s+bob\s+networkpolicies\.networking\.k8s\.io\s+prod\/deny-all/);
    // Not a terminal: no colour codes.
    expect(text.stdout).not.toContain('\u001b[');
  });

  it('diffs each change against the previous version, found before --from too', async () => {
    const fromPatch = at(3.5);
    const diffed = await runCli(['changes', '--from', fromPatch, '--to', life.to, '--diff', '--json', '--name', 'deny-all'], life.env);
    expect(diffed.code).toBe(0);
    const rows = diffed.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    expect(rows.map((r) => r.verb)).toEqual(['patch', 'update', 'delete']);
    expect(rows[0]!.diff).toBe(EXPECTED_PATCH_DIFF);
    const text = await runCli(['changes', '--from', fromPatch, '--to', life.to, '--diff', '--name', 'deny-all', '--look-back', '30s'], life.env);
    expect(text.stdout).toContain('no earlier version of this object within the look-back of 30s');
  });

  it('writes a self-contained report with the verdict of verify, the attacker-named object inert', async () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'eksfwd-report-')), 'report.html');
    const made = await runCli(['changes', '--from', life.from, '--to', life.to, '--html', file, '--verify'], life.env);
    expect(made.stderr).toContain(`wrote ${file}`);
    expect(made.code).toBe(0);
    const html = readFileSync(file, 'utf8');
    expect(html).toContain('class="banner complete"');
    expect(html).toContain(`<td>${life.cluster}</td>`);
    expect(html).not.toContain(EVIL);
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(html).toContain('<td class="add">    - Egress</td>');
    expect(html.match(/<tr data-verb=/g)).toHaveLength(5);
  });

  it('serves the same views read-only on loopback', async () => {
    await withUi(life.env, async (url) => {
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/$/);
      const page = await fetch(`${url}?from=${encodeURIComponent(life.from)}&to=${encodeURIComponent(life.to)}&verb=patch`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toContain("default-src 'none'");
      const html = await page.text();
      expect(html.match(/<tr data-verb=/g)).toHaveLength(1);
      expect(html).toContain('class="banner not-verified"');
      expect((await fetch(url, { method: 'POST' })).status).toBe(405);
    });
  });

  it('refuses to listen beyond loopback without --allow-pod-network (exit 2, naming the setting)', async () => {
    const refused = await runCli(['ui', '--listen', '0.0.0.0:0'], life.env);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/--listen: 0\.0\.0\.0 is not loopback.*--allow-pod-network/);
  });
});

describe('changes reads through Linseed (emulator) what the forwarder delivered there', () => {
  let world: LinseedWorld;
  beforeAll(async () => {
    // Offset paging, limited to 10,000 documents a query as Linseed's is.
    world = await startLinseedWorld({ paging: 'startFrom' });
  }, 300_000);
  afterAll(async () => {
    await world?.close();
  });

  it('lists and diffs the same changes', async () => {
    const life = await seedLife('lschanges');
    const env = throughLinseed(life.env, world, life.cluster);
    const forwarded = await runCli(['backfill', '--from', life.from, '--to', life.to], env);
    expect(forwarded.code, forwarded.stderr).toBe(0);
    // Linseed's store refreshes every second: poll until the documents are searchable.
    let listed: CliResult = { code: null, signal: null, stdout: '', stderr: '' };
    await eventually(async () => {
      listed = await runCli(['changes', '--from', life.from, '--to', life.to, '--json'], env);
      return listed.stdout.trim().split('\n').length === 5;
    }, 'the documents to be searchable in Linseed', 60_000);
    expect(listed.code).toBe(0);
    checkListing(listed.stdout);
    const diffed = await runCli(['changes', '--from', at(3.5), '--to', life.to, '--diff', '--json', '--name', 'deny-all'], env);
    const rows = diffed.stdout.trim().split('\n').map((l) => JSON.parse(l) as Record<string, string>);
    expect(rows[0]!.diff).toBe(EXPECTED_PATCH_DIFF);
    const html = path.join(mkdtempSync(path.join(os.tmpdir(), 'eksfwd-report-')), 'r.html');
    const made = await runCli(['changes', '--from', life.from, '--to', life.to, '--html', html], env);
    expect(made.code).toBe(0);
    expect(readFileSync(html, 'utf8')).toContain(`<td>Linseed ${world.linseed.url}</td>`);
  });

  it('diffs a range of more documents than Linseed pages in one query (12,000 versions of 400 objects), each object whole and in order', async () => {
    const cluster = uniqueCluster('lsbig');
    const objects = 400;
    const versions = 30;
    const docs: Record<string, unknown>[] = [];
    for (let v = 0; v < versions; v++) {
      for (let o = 0; o < objects; o++) {
        const name = `np-${String(o).padStart(3, '0')}`;
        const rv = String(1_000 + v * objects + o);
        const d = doc(v === 0 ? 'create' : 'update', v + o / objects, policy(rv, { podSelector: { matchLabels: { version: String(v) } } }, { name }), { name, auditID: `${cluster}-${v}-${o}` });
        // Microseconds, as the API server writes them (Linseed decodes RFC3339Micro).
        const micro = String(d.requestReceivedTimestamp).replace('Z', '000Z');
        docs.push({ ...d, requestReceivedTimestamp: micro, stageTimestamp: micro });
      }
    }
    await postAuditDocuments(world, cluster, docs);
    const env = { ...forwarderEnv('/aws/eks/unused/cluster', cluster), ...world.env, LINSEED_CLUSTER_ID: cluster };
    delete (env as Record<string, string | undefined>).ELASTIC_URL;
    const range = ['--from', new Date(T0 - 60_000).toISOString(), '--to', new Date(T0 + (versions + 1) * 60_000).toISOString()];
    await eventually(async () => (await runCli(['changes', ...range, '--json'], env)).stdout.trim().split('\n').length === docs.length, 'every version searchable and listed', 120_000);
    const diffed = await runCli(['changes', ...range, '--diff', '--json', '--look-back', '1m'], env);
    expect(diffed.code, diffed.stderr).toBe(0);
    const rows = diffed.stdout.trim().split('\n').map((l) => JSON.parse(l) as { name: string; verb: string; diff: string });
    // Object by object, in name order, each object's versions in order: every update diffs against the one before.
    expect(rows.map((r) => r.name)).toEqual([...docs.map((d) => (d.objectRef as { name: string }).name)].sort());
    for (let i = 0; i < rows.length; i++) {
      const v = i % versions;
      expect(rows[i]!.verb).toBe(v === 0 ? 'create' : 'update');
      if (v > 0) {
        expect(rows[i]!.diff).toMatch(new RegExp(`^-\\s+version: "${v - 1}"$`, 'm'));
        expect(rows[i]!.diff).toMatch(new RegExp(`^\\+\\s+version: "${v}"$`, 'm'));
      }
    }
  });
});
