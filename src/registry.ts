import { elasticsearch } from './sink/elasticsearch/index.js';
import { cloudwatch } from './source/cloudwatch/index.js';

/**
 * The components this build has. A new sink is a directory under src/sink/ exporting a
 * ComponentKind with `create`, and one line here; its settings, health target, metrics and
 * doctor checks come with it.
 */
export const SOURCE = cloudwatch;
export const SINK = elasticsearch;
