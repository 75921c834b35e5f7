import type { Client } from '@elastic/elasticsearch';
import type { DoctorContext, DoctorResult } from '../../component.js';
import { errorText, maskSecrets } from '../../error-text.js';
import { auditIndexPrefix } from './index-names.js';
import { auditTemplateName, deadLetterTemplateName } from './index-template.js';
import type { ElasticsearchSettings } from './settings.js';

/** The checks of the Elasticsearch sink, in the order they depend on each other. */
export const ELASTICSEARCH_CHECKS = ['Elasticsearch reachable', 'Elasticsearch write permission', 'index templates'] as const;

const PROBE_ID = 'eks-log-forwarder-doctor-probe';

interface Ctx extends DoctorContext {
  add: (r: DoctorResult) => void;
  skip: (names: string[], why: string) => void;
}

/**
 * Reachability, write permission and templates. `es` is the client, or the error creating it
 * threw (an unreadable CA bundle). Writes nothing but a probe document deleted at once.
 */
export async function elasticsearchDoctor(settings: ElasticsearchSettings, es: Client | Error, context: DoctorContext): Promise<DoctorResult[]> {
  const results: DoctorResult[] = [];
  const add = (r: DoctorResult) => results.push(r);
  const skip = (names: string[], why: string) => names.forEach((name) => add({ name, ok: false, skipped: true, detail: `not checked: ${why}` }));
  await elasticChecks(settings, es instanceof Error ? undefined : es, es instanceof Error ? es : undefined, { ...context, add, skip });
  return results;
}

async function elasticChecks(settings: ElasticsearchSettings, es: Client | undefined, createError: unknown, ctx: Ctx): Promise<void> {
  const names = ['Elasticsearch write permission', 'index templates'];
  const node = maskSecrets(settings.node);
  const req = { requestTimeout: ctx.timeoutMs, maxRetries: 0 };
  if (!es) {
    ctx.add({ name: 'Elasticsearch reachable', ok: false, detail: errorText(createError), hint: 'fix ELASTIC_CA (a readable PEM bundle)' });
    ctx.skip(names, 'no Elasticsearch client');
    return;
  }

  // 5. Reachable: cluster health (the test server has no `GET /`, and `HEAD /` says little).
  try {
    const h = await es.cluster.health({}, req);
    const red = h.status === 'red';
    ctx.add({
      name: 'Elasticsearch reachable',
      ok: !red,
      detail: `${node}: cluster ${h.cluster_name} is ${h.status}, ${h.number_of_nodes} node(s)`,
      ...(red ? { hint: 'a red cluster has unassigned primary shards: writes to them fail until it recovers' } : {}),
    });
  } catch (err) {
    const status = statusOf(err);
    if (status === 403) {
      ctx.add({ name: 'Elasticsearch reachable', ok: true, warning: true, detail: `${node}: answered, but cluster health is not permitted (no monitor privilege)` });
    } else {
      ctx.add({ name: 'Elasticsearch reachable', ok: false, detail: `${node}: ${errorText(err)}`, hint: elasticHint(err) });
      ctx.skip(names, 'Elasticsearch is not reachable');
      return;
    }
  }

  ctx.add(await writeCheck(settings, es, req));
  ctx.add(await templateCheck(settings, es, req));
}

async function writeCheck(settings: ElasticsearchSettings, es: Client, req: { requestTimeout: number; maxRetries: number }): Promise<DoctorResult> {
  const name = 'Elasticsearch write permission';
  const { deadLetterIndex, indexSuffix, installTemplate } = settings;
  const auditPattern = `${auditIndexPrefix(indexSuffix)}eks-*`;
  // With security enabled: ask, without writing anything.
  try {
    const res = await es.security.hasPrivileges(
      {
        cluster: installTemplate ? ['manage_index_templates'] : [],
        index: [
          { names: [auditPattern], privileges: ['create_doc', 'create_index', 'read'] },
          { names: [deadLetterIndex], privileges: ['create_doc', 'create_index'] },
        ],
      },
      req,
    );
    const missing: string[] = [];
    for (const [priv, granted] of Object.entries(res.cluster ?? {})) if (!granted) missing.push(`cluster ${priv}`);
    for (const [index, privs] of Object.entries(res.index ?? {})) {
      for (const [priv, granted] of Object.entries(privs)) if (!granted) missing.push(`${priv} on ${index}`);
    }
    if (missing.length === 0) return { name, ok: true, detail: `user ${res.username} may create documents and indices in ${auditPattern} and ${deadLetterIndex}` };
    return {
      name,
      ok: false,
      detail: `user ${res.username} lacks ${missing.join(', ')}`,
      hint: `grant a role with indices [${auditPattern}, ${deadLetterIndex}] privileges [create_doc, create_index, read]${installTemplate ? ' and cluster privilege manage_index_templates (or set ELASTIC_INSTALL_TEMPLATE=false where the operator installs the templates)' : ''}`,
    };
  } catch (err) {
    const status = statusOf(err);
    if (status === 401) return { name, ok: false, detail: errorText(err), hint: 'check ELASTIC_USER/ELASTIC_PASSWORD or ELASTIC_API_KEY' };
    // Anything else means the security API is absent or disabled: fall through to a probe.
  }

  // Security disabled: anyone may write, unless the cluster or index is read-only. A probe
  // document proves it, but only where it cannot create an index with the wrong mappings.
  try {
    const [indexExists, templateExists] = await Promise.all([
      es.indices.exists({ index: deadLetterIndex }, req),
      es.indices.existsIndexTemplate({ name: deadLetterTemplateName(indexSuffix) }, req),
    ]);
    if (!indexExists && !templateExists) {
      const blocks = await readOnlyBlocks(es, req);
      if (blocks.length) return { name, ok: false, detail: `the cluster is read-only (${blocks.join(', ')})`, hint: 'free disk space, then clear the block' };
      return {
        name,
        ok: true,
        detail: `security is disabled (any client may write), no cluster write block; no probe written: ${deadLetterIndex} and its template do not exist yet`,
      };
    }
    try {
      await es.create({ index: deadLetterIndex, id: PROBE_ID, document: { '@timestamp': new Date().toISOString(), reason: 'eks-log-forwarder doctor write probe' } }, req);
    } catch (err) {
      if (statusOf(err) !== 409) throw err; // 409: a leftover probe, and the write was authorized
    }
    await es.delete({ index: deadLetterIndex, id: PROBE_ID }, req);
    return { name, ok: true, detail: `security is disabled; wrote and deleted a probe document in ${deadLetterIndex}` };
  } catch (err) {
    return { name, ok: false, detail: errorText(err), hint: elasticHint(err) };
  }
}

async function templateCheck(settings: ElasticsearchSettings, es: Client, req: { requestTimeout: number; maxRetries: number }): Promise<DoctorResult> {
  const name = 'index templates';
  const { indexSuffix, deadLetterIndex, installTemplate } = settings;
  const wanted = [auditTemplateName(indexSuffix), deadLetterTemplateName(indexSuffix)];
  try {
    const present = await Promise.all(wanted.map((t) => es.indices.existsIndexTemplate({ name: t }, req)));
    const absent = wanted.filter((_, i) => !present[i]);
    if (absent.length === 0) return { name, ok: true, detail: `installed: ${wanted.join(', ')}` };
    if (installTemplate) {
      return { name, ok: true, detail: `${absent.join(', ')} not installed yet; \`run\` installs ${absent.length > 1 ? 'them' : 'it'} at start (ELASTIC_INSTALL_TEMPLATE=true)` };
    }
    // Managed elsewhere (the operator)? Look for any template that covers the indices.
    const sampleAudit = `${auditIndexPrefix(indexSuffix)}eks-20260101`;
    const covering = await coveringTemplates(es, [sampleAudit, deadLetterIndex], req);
    const uncovered = [sampleAudit, deadLetterIndex].filter((i) => !covering.has(i));
    if (uncovered.length === 0) {
      return { name, ok: true, detail: `managed elsewhere: ${[...new Set([...covering.values()].flat())].join(', ')} cover the audit and dead-letter indices` };
    }
    return {
      name,
      ok: false,
      detail: `no index template covers ${uncovered.join(', ')} and ELASTIC_INSTALL_TEMPLATE is false`,
      hint: 'set ELASTIC_INSTALL_TEMPLATE=true (--install-template true), or have the operator install the audit templates',
    };
  } catch (err) {
    if (statusOf(err) === 403) {
      return { name, ok: true, warning: true, detail: 'cannot read index templates (no manage_index_templates privilege)', hint: installTemplate ? 'run needs manage_index_templates to install them, or set ELASTIC_INSTALL_TEMPLATE=false' : undefined };
    }
    return { name, ok: false, detail: errorText(err), hint: elasticHint(err) };
  }
}



function statusOf(err: unknown): number | undefined {
  return (err as { meta?: { statusCode?: number } })?.meta?.statusCode;
}

function elasticHint(err: unknown): string {
  const status = statusOf(err);
  const name = (err as { name?: string })?.name ?? '';
  if (status === 401) return 'the credentials were refused: check ELASTIC_USER/ELASTIC_PASSWORD or ELASTIC_API_KEY';
  if (status === 403) return 'the user lacks a privilege: see the detail';
  if (name === 'ConnectionError' && /certificate|self.signed|CERT_|unable to verify/i.test(String((err as Error).message))) {
    return 'TLS verification failed: set ELASTIC_CA to the cluster CA bundle (ELASTIC_SSL_VERIFY=false only for testing)';
  }
  if (name === 'ConnectionError' || name === 'TimeoutError' || name === 'NoLivingConnectionsError') {
    return 'check ELASTIC_URL (or ELASTIC_SCHEME/ELASTIC_HOST/ELASTIC_PORT) and that Elasticsearch is reachable from here';
  }
  return 'see the detail; Elasticsearch answered with an error';
}

async function readOnlyBlocks(es: Client, req: { requestTimeout: number; maxRetries: number }): Promise<string[]> {
  try {
    const s = await es.cluster.getSettings({ flat_settings: true }, req);
    const all = { ...(s.persistent ?? {}), ...(s.transient ?? {}) } as Record<string, unknown>;
    return ['cluster.blocks.read_only', 'cluster.blocks.read_only_allow_delete'].filter((k) => String(all[k]) === 'true');
  } catch {
    return [];
  }
}

/** For each index name, the composable or legacy templates whose patterns match it. */
async function coveringTemplates(es: Client, indices: string[], req: { requestTimeout: number; maxRetries: number }): Promise<Map<string, string[]>> {
  const patterns: [string, string[]][] = [];
  const composable = await es.indices.getIndexTemplate({}, req).catch(() => ({ index_templates: [] }));
  for (const t of composable.index_templates) patterns.push([t.name, ([] as string[]).concat(t.index_template.index_patterns as string | string[])]);
  const legacy = (await es.indices.getTemplate({}, req).catch(() => ({}))) as Record<string, { index_patterns?: string[] }>;
  for (const [name, t] of Object.entries(legacy)) patterns.push([name, t.index_patterns ?? []]);
  const out = new Map<string, string[]>();
  for (const index of indices) {
    const names = patterns.filter(([, ps]) => ps.some((p) => globMatch(p, index))).map(([n]) => n);
    if (names.length) out.set(index, names);
  }
  return out;
}

function globMatch(pattern: string, name: string): boolean {
  const re = new RegExp(`^${pattern.split('*').map((s) => s.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
  return re.test(name);
}

