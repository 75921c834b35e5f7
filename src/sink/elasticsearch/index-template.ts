import type { Client } from '@elastic/elasticsearch';
import { auditIndexPrefix } from './index-names.js';

const keyword = { type: 'keyword' } as const;
const date = { type: 'date' } as const;
const text = { type: 'text' } as const;
const stored = { type: 'object', enabled: false } as const;

/** Calico's field types for the audit index (calico-compat.md). */
export function auditMappings(annotations: 'flattened' | 'object') {
  return {
    properties: {
      apiVersion: keyword,
      auditID: keyword,
      kind: keyword,
      level: keyword,
      name: keyword,
      requestURI: keyword,
      verb: keyword,
      stage: text,
      sourceIPs: text,
      userAgent: text,
      requestReceivedTimestamp: date,
      stageTimestamp: date,
      timestamp: date,
      generated_time: date,
      objectRef: {
        properties: Object.fromEntries(
          ['apiGroup', 'apiVersion', 'name', 'resource', 'namespace', 'resourceVersion', 'subresource', 'uid'].map((f) => [f, keyword]),
        ),
      },
      user: { properties: { username: keyword, uid: keyword, groups: keyword } },
      responseStatus: {
        properties: {
          message: keyword,
          kind: keyword,
          apiVersion: keyword,
          status: keyword,
          reason: keyword,
          code: { type: 'long' },
          metadata: stored,
          details: stored,
        },
      },
      requestObject: stored,
      responseObject: { properties: { metadata: stored, spec: stored, status: stored, data: stored } },
      metadata: stored,
      // `flattened` needs x-pack's mapper; a server without it still stores the annotations.
      annotations: annotations === 'flattened' ? { type: 'flattened' } : stored,
    },
  };
}

export interface TemplateOptions {
  indexSuffix: string;
  deadLetterIndex: string;
  ilmPolicy?: string;
}

/** Names of the index templates this forwarder installs for a cluster suffix. */
export const auditTemplateName = (suffix: string) => `eks-log-forwarder-audit.${suffix}`;
export const deadLetterTemplateName = (suffix: string) => `eks-log-forwarder-deadletter.${suffix}`;

/** Installs the audit index template of one cluster suffix unless it exists (push mode writes several clusters). */
export async function ensureAuditTemplate(client: Client, opts: Omit<TemplateOptions, 'deadLetterIndex'>): Promise<string[]> {
  const installed: string[] = [];
  const auditName = auditTemplateName(opts.indexSuffix);
  if (!(await client.indices.existsIndexTemplate({ name: auditName }))) {
    const settings = {
      number_of_shards: 1,
      ...(opts.ilmPolicy ? { 'index.lifecycle.name': opts.ilmPolicy } : {}),
    };
    const put = (annotations: 'flattened' | 'object') =>
      client.indices.putIndexTemplate({
        name: auditName,
        index_patterns: [`${auditIndexPrefix(opts.indexSuffix)}eks-*`],
        // An uncommon priority, so it never collides with the operator's own templates.
        priority: 317,
        template: { settings, mappings: auditMappings(annotations) as never },
        _meta: { managed_by: 'eks-log-forwarder' },
      });
    try {
      await put('flattened');
    } catch (err) {
      if (!/flattened/.test(String((err as Error).message))) throw err;
      await put('object');
    }
    installed.push(auditName);
  }
  return installed;
}

/** Installs the audit and dead-letter index templates unless they already exist. */
export async function ensureIndexTemplates(client: Client, opts: TemplateOptions): Promise<string[]> {
  const installed = await ensureAuditTemplate(client, opts);
  const deadName = deadLetterTemplateName(opts.indexSuffix);
  if (!(await client.indices.existsIndexTemplate({ name: deadName }))) {
    await client.indices.putIndexTemplate({
      name: deadName,
      index_patterns: [opts.deadLetterIndex],
      priority: 317,
      template: {
        settings: { number_of_shards: 1 },
        mappings: {
          properties: {
            '@timestamp': date,
            reason: text,
            logGroup: keyword,
            logStream: keyword,
            eventId: keyword,
            auditID: keyword,
            cloudwatchTimestamp: date,
            ingestionTime: date,
            // Kept whole for a human or a replay; never searched, so never too long to store.
            message: { type: 'text', index: false },
          },
        },
      },
      _meta: { managed_by: 'eks-log-forwarder' },
    });
    installed.push(deadName);
  }
  return installed;
}
