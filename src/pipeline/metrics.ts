import type { MetricDefinition } from '../component.js';
import type { Stats } from './stats.js';

/** The pipeline as metrics see it: its counters and the log group that labels lag. */
export interface PipelineView {
  stats: Stats;
  /** Dead letters in the local spool now. */
  spooled: number;
  /** The `group` label of lag and checkpoint age. */
  group: string;
}

const perGroup = (view: PipelineView | undefined, value: number | undefined) =>
  view === undefined || value === undefined ? undefined : [{ labels: { group: view.group }, value }];

/** The pipeline's metrics, whatever the source and sink (names as dashboards and alerts know them). */
export const pipelineMetrics: readonly MetricDefinition<PipelineView>[] = [
  { name: 'events_read_total', type: 'counter', help: 'Audit-stream events read from CloudWatch Logs.', read: (v) => v?.stats.eventsRead ?? 0 },
  { name: 'events_forwarded_total', type: 'counter', help: 'Audit documents Elasticsearch acknowledged (created or already present).', read: (v) => v?.stats.forwarded ?? 0 },
  { name: 'events_filtered_total', type: 'counter', help: 'Events the audit policy dropped.', read: (v) => v?.stats.filtered ?? 0 },
  { name: 'events_dead_lettered_total', type: 'counter', help: 'Dead letters stored (events that did not parse or that Elasticsearch refused).', read: (v) => v?.stats.deadLettered ?? 0 },
  { name: 'events_late_caught_total', type: 'counter', help: 'Events found new in a range already read (late arrivals caught by the overlap).', read: (v) => v?.stats.lateCaught ?? 0 },
  {
    name: 'events_late_beyond_ceiling_total',
    type: 'counter',
    help: 'Late events found that arrived later than the lateness ceiling (delivered, but beyond what is promised).',
    read: (v) => v?.stats.lateBeyondLimit ?? 0,
  },
  { name: 'ranges_verified_total', type: 'counter', help: 'Closed ranges re-counted after the lateness ceiling (EKS_FORWARDER_RECOUNT_SHARE).', read: (v) => v?.stats.rangesVerified ?? 0 },
  {
    name: 'ranges_incomplete_total',
    type: 'counter',
    help: 'Re-counted ranges where documents were missing from the store (they were then delivered).',
    read: (v) => v?.stats.rangesIncomplete ?? 0,
  },
  { name: 'dead_letters_spooled_total', type: 'counter', help: 'Dead letters the store refused, kept in the local spool instead.', read: (v) => v?.stats.spooled ?? 0 },
  { name: 'dead_letter_spool_size', type: 'gauge', help: 'Dead letters waiting in the local spool for the store to take them.', read: (v) => v?.spooled ?? 0 },
  { name: 'events_invalid_total', type: 'counter', help: 'Audit-stream events that did not parse as audit events.', read: (v) => v?.stats.invalid ?? 0 },
  { name: 'documents_already_present_total', type: 'counter', help: 'Documents that were already indexed (replays absorbed by the deterministic id).', read: (v) => v?.stats.alreadyPresent ?? 0 },
  {
    name: 'documents_held_under_other_ids_total',
    type: 'counter',
    help: 'Of those, documents found by content under another id (written by release 0.1 or the old forwarder) and not written again.',
    read: (v) => v?.stats.heldUnderOtherIds ?? 0,
  },
  { name: 'documents_rejected_total', type: 'counter', help: 'Documents Elasticsearch refused for good (dead-lettered instead).', read: (v) => v?.stats.rejected ?? 0 },
  { name: 'pages_total', type: 'counter', help: 'FilterLogEvents pages forwarded and checkpointed.', read: (v) => v?.stats.pages ?? 0 },
  {
    name: 'lag_seconds',
    type: 'gauge',
    help: 'Now minus the newest forwarded event timestamp.',
    labelNames: ['group'],
    read: (v, now) => {
      const newest = v?.stats.newestKnownForwarded;
      return perGroup(v, newest === undefined ? undefined : Math.max(0, (now - newest) / 1000));
    },
  },
  {
    name: 'checkpoint_age_seconds',
    type: 'gauge',
    help: 'Now minus the last checkpoint save.',
    labelNames: ['group'],
    read: (v, now) => {
      const at = v?.stats.lastCheckpointAt;
      return perGroup(v, at === undefined ? undefined : Math.max(0, (now - at) / 1000));
    },
  },
];
