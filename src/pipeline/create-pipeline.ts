import type { Logger } from 'pino';
import type { Settings } from '../config/settings.js';
import { createElasticClient } from '../sink/elastic-client.js';
import { createCloudWatchClient } from '../source/cloudwatch-client.js';
import { createRequestBudget, type RequestBudget } from '../source/request-budget.js';
import { compileFilterPattern } from '../transform/filter-pattern.js';
import { loadPolicyFile } from '../transform/policy-file.js';
import { compilePolicy, DEFAULT_POLICY } from '../transform/policy.js';
import type { Pipeline } from './forward-window.js';
import { Stats } from './stats.js';

export interface BuiltPipeline extends Pipeline {
  budget: RequestBudget;
}

/** Wires the stages from validated settings. Throws ConfigError for an unreadable policy file. */
export function createPipeline(settings: Settings, log: Logger): BuiltPipeline {
  const policy = settings.auditPolicyFile ? loadPolicyFile(settings.auditPolicyFile) : DEFAULT_POLICY;
  const stats = new Stats();
  const budget = createRequestBudget(settings.requestsPerSecond);
  const cloudwatch = createCloudWatchClient({
    region: settings.region,
    budget,
    credentials: settings.awsCredentials,
    onAttempt: (outcome) => {
      stats.cloudwatchAttempt(outcome);
      if (outcome.throttled) log.debug('CloudWatch throttled a request');
    },
  });
  const filterPattern = settings.prefilter ? compileFilterPattern(policy) : undefined;
  if (settings.prefilter) log.info({ filterPattern: filterPattern ?? null }, filterPattern ? 'CloudWatch prefilter on' : 'the policy compiles to no useful prefilter');
  return {
    cloudwatch,
    elastic: createElasticClient(settings.elastic),
    transform: {
      policy: compilePolicy(policy),
      groupName: settings.groupName,
      indexSuffix: settings.elastic.indexSuffix,
      deadLetterIndex: settings.elastic.deadLetterIndex,
    },
    streamPrefix: settings.streamPrefix,
    pageLimit: settings.pageLimit,
    filterPattern,
    stats,
    log,
    budget,
  };
}
