import { elasticsearch } from './sink/elasticsearch/index.js';
import { linseed } from './sink/linseed/index.js';
import { cloudwatch } from './source/cloudwatch/index.js';

/**
 * The components this build has. A new sink is a directory under src/sink/ exporting a
 * ComponentKind with `create`, and one entry here; its settings, health target, metrics and
 * doctor checks come with it. EKS_FORWARDER_SINK chooses among the sinks.
 */
export const SOURCE = cloudwatch;
export const SINKS = { elasticsearch, linseed } as const;

export type SinkKind = keyof typeof SINKS;
export const SINK_KINDS = Object.keys(SINKS) as SinkKind[];
