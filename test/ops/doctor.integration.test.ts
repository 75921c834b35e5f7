import { writeFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Client } from '@elastic/elasticsearch';
import { doctorChecks, doctorFor, runCheckpointKey } from '../../src/components.js';
import { ConfigError } from '../../src/config/errors.js';
import { resolveSettings, settingsFromEnv, type Settings } from '../../src/settings.js';
import { doctorPassed, formatDoctor, type DoctorResult } from '../../src/ops/doctor.js';
import { ensureIndexTemplates } from '../../src/sink/elasticsearch/index-template.js';
import { elasticClient } from '../support/elastic.js';
import { deadLetterIndex, seedCluster, type SeededCluster } from '../support/scenario.js';
import { freePort } from '../support/cli.js';
import { elasticsearchOf } from '../support/components.js';

const settingsOf = (env: Record<string, string>): Settings => resolveSettings(settingsFromEnv(env));
const byName = (results: DoctorResult[]) => Object.fromEntries(results.map((r) => [r.name, r]));

describe('doctor against LocalStack and Elasticsearch', () => {
  let es: Client;
  let seeded: SeededCluster;
  beforeAll(async () => {
    es = elasticClient();
    seeded = await seedCluster({ prefix: 'doctor', events: 300, seed: 808, auditStreams: 2 });
  });
  afterAll(async () => {
    await es.indices.deleteIndexTemplate({ name: `*.${seeded.cluster}` }).catch(() => undefined);
    await es.indices.delete({ index: deadLetterIndex(seeded.cluster), ignore_unavailable: true }).catch(() => undefined);
    await es.close();
  });

  it('passes every check, in order, for a seeded cluster; then proves writes with a probe it deletes', async () => {
    const settings = settingsOf(seeded.env);
    const first = await doctorFor(settings);
    expect(first.map((r) => r.name)).toEqual(doctorChecks('elasticsearch'));
    expect(first.filter((r) => !r.ok)).toEqual([]);
    expect(doctorPassed(first)).toBe(true);
    const r = byName(first);
    expect(r['AWS credentials']!.detail).toMatch(/environment variables/);
    expect(r['log group']!.detail).toContain(`${seeded.scenario.logGroupName} exists`);
    expect(r['audit streams']!.detail).toMatch(/^2 stream\(s\) named kube-apiserver-audit-\*, newest event /);
    expect(r.FilterLogEvents!.detail).toMatch(/^permitted/);
    expect(r['Elasticsearch reachable']!.detail).toMatch(/cluster \S+ is (green|yellow)/);
    expect(r['index templates']!.detail).toMatch(/not installed yet; `run` installs them at start/);
    expect(r.checkpoint!.detail).toMatch(/^none yet at /);
    const text = formatDoctor(first);
    expect(text).toMatch(/^  ✓ configuration /m);
    expect(r['dead-letter spool']!.detail).toMatch(/^empty \(/);
    expect(text.trimEnd().split('\n').at(-1)).toMatch(/^all 10 checks passed/);

    // With the templates installed, the dead-letter index can be probed without bad mappings.
    await ensureIndexTemplates(es, elasticsearchOf(settings));
    const second = byName(await doctorFor(settings));
    expect(second['index templates']).toMatchObject({ ok: true, detail: `installed: eks-log-forwarder-audit.${seeded.cluster}, eks-log-forwarder-deadletter.${seeded.cluster}` });
    expect(second['Elasticsearch write permission']).toMatchObject({ ok: true, detail: `security is disabled; wrote and deleted a probe document in ${deadLetterIndex(seeded.cluster)}` });
    expect(await es.exists({ index: deadLetterIndex(seeded.cluster), id: 'eks-log-forwarder-doctor-probe' })).toBe(false);
  });

  it('names the cluster Secret as the credential source, never the keys', async () => {
    const keys = { accessKeyId: 'AKIAZZZZDOCTORTEST01', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/doctorSecretKey01' };
    const s = settingsOf(seeded.env);
    const results = await doctorFor({ ...s, cloudwatch: { ...s.cloudwatch, awsCredentials: keys } });
    expect(byName(results)['AWS credentials']).toMatchObject({ ok: true, detail: 'resolved from the cluster Secret (aws-id / aws-key)' });
    expect(doctorPassed(results)).toBe(true);
    const out = formatDoctor(results) + JSON.stringify(results);
    expect(out).not.toContain(keys.accessKeyId);
    expect(out).not.toContain(keys.secretAccessKey);
  });

  it('fails the log group check with a hint when the group is wrong, and skips what depends on it', async () => {
    const wrong = `/aws/eks/${seeded.cluster}-typo/cluster`;
    const results = await doctorFor(settingsOf({ ...seeded.env, EKS_CLOUDWATCH_LOG_GROUP: wrong }));
    const r = byName(results);
    expect(r['AWS credentials']!.ok).toBe(true);
    expect(r['log group']).toMatchObject({ ok: false, detail: expect.stringContaining(`${wrong} does not exist`) });
    expect(r['log group']!.hint).toMatch(/EKS_CLOUDWATCH_LOG_GROUP/);
    expect(r['log group']!.hint).toMatch(/groups found: .*\/aws\/eks\//);
    expect(r['audit streams']).toMatchObject({ ok: false, skipped: true });
    expect(r.FilterLogEvents).toMatchObject({ ok: false, skipped: true });
    expect(r['Elasticsearch reachable']!.ok).toBe(true);
    expect(doctorPassed(results)).toBe(false);
    const text = formatDoctor(results);
    expect(text).toMatch(/^  ✗ log group /m);
    expect(text).toMatch(/hint: set EKS_CLOUDWATCH_LOG_GROUP/);
    expect(text).toMatch(/^  - audit streams /m);
    expect(text.trimEnd().split('\n').at(-1)).toBe('1 of 10 checks failed (log group), 2 not run: fix the first failure and run doctor again');
  });

  it('fails the audit streams check when no stream has the prefix, naming the streams there are', async () => {
    const r = byName(await doctorFor(settingsOf({ ...seeded.env, EKS_CLOUDWATCH_LOG_STREAM_PREFIX: 'kube-apiserver-audit-nope' })));
    expect(r['log group']!.ok).toBe(true);
    expect(r['audit streams']).toMatchObject({ ok: false, detail: expect.stringMatching(/^no stream named kube-apiserver-audit-nope\*/) });
    expect(r['audit streams']!.hint).toMatch(/streams in the group: .*kube-apiserver-audit-/);
  });

  it('fails the Elasticsearch check when it is unreachable, without showing the credentials in its URL', async () => {
    const url = `http://forwarder:Sup3rSecret@127.0.0.1:${await freePort()}`;
    const results = await doctorFor(settingsOf({ ...seeded.env, ELASTIC_URL: url }));
    const r = byName(results);
    expect(r.FilterLogEvents!.ok).toBe(true);
    expect(r['Elasticsearch reachable']).toMatchObject({ ok: false, detail: expect.stringMatching(/ConnectionError/) });
    expect(r['Elasticsearch reachable']!.hint).toMatch(/ELASTIC_URL/);
    expect(r['Elasticsearch write permission']).toMatchObject({ ok: false, skipped: true });
    expect(r['index templates']).toMatchObject({ ok: false, skipped: true });
    const text = formatDoctor(results);
    expect(text).not.toContain('Sup3rSecret');
    expect(JSON.stringify(results)).not.toContain('Sup3rSecret');
    expect(text).toContain('http://***@127.0.0.1:');
  });

  it('without template installation, fails unless some template covers the indices', async () => {
    const env = { ...seeded.env, ELASTIC_INDEX_SUFFIX: `${seeded.cluster}-managed`, ELASTIC_INSTALL_TEMPLATE: 'false' };
    const settings = settingsOf(env);
    const r = byName(await doctorFor(settings));
    expect(r['index templates']).toMatchObject({ ok: false, detail: expect.stringMatching(/no index template covers .* and ELASTIC_INSTALL_TEMPLATE is false/) });

    const name = `operator-audit.${seeded.cluster}`;
    await es.indices.putIndexTemplate({
      name,
      index_patterns: [`tigera_secure_ee_audit_kube.${seeded.cluster}-managed.*`, elasticsearchOf(settings).deadLetterIndex],
      priority: 11,
      template: { settings: { number_of_shards: 1 } },
    });
    try {
      const again = byName(await doctorFor(settings));
      expect(again['index templates']).toMatchObject({ ok: true, detail: `managed elsewhere: ${name} cover the audit and dead-letter indices` });
    } finally {
      await es.indices.deleteIndexTemplate({ name });
    }
  });

  it('fails the checkpoint check for an unreadable checkpoint, with what to do', async () => {
    const settings = settingsOf(seeded.env);
    const file = path.join(settings.pipeline.stateDir, `${runCheckpointKey(settings)}.json`);
    mkdirSync(settings.pipeline.stateDir, { recursive: true });
    writeFileSync(file, JSON.stringify({ version: 1, groupName: settings.cloudwatch.groupName }));
    const r = byName(await doctorFor(settings));
    expect(r.checkpoint).toMatchObject({ ok: false, detail: expect.stringContaining(`${file}: Error: checkpoint ${file} is not valid`) });
    expect(r.checkpoint!.hint).toMatch(/move the file aside/);

    writeFileSync(file, JSON.stringify({ version: 1, groupName: settings.cloudwatch.groupName, streamPrefix: settings.cloudwatch.streamPrefix, windowStart: 1_700_000_000_000, nextToken: 't', updatedAt: '2026-01-01T00:00:00.000Z' }));
    const ok = byName(await doctorFor(settings));
    expect(ok.checkpoint).toMatchObject({ ok: true, detail: `${file}: window from 2023-11-14T22:13:20.000Z, next-page token saved, updated 2026-01-01T00:00:00.000Z` });
  });

  it('reports a configuration error first and checks nothing else', async () => {
    let error: unknown;
    try {
      settingsOf({ ...seeded.env, EKS_FORWARDER_REQUESTS_PER_SECOND: '50' });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const results = await doctorFor(error as ConfigError);
    expect(results[0]).toMatchObject({ name: 'configuration', ok: false, detail: expect.stringMatching(/^EKS_FORWARDER_REQUESTS_PER_SECOND \/ --requests-per-second: must be above 0 and at most 5/) });
    expect(results.slice(1).every((r) => r.skipped && !r.ok)).toBe(true);
    expect(results).toHaveLength(10);
    expect(formatDoctor(results).trimEnd().split('\n').at(-1)).toBe('1 of 10 checks failed (configuration), 9 not run: fix the first failure and run doctor again');
  });
});
