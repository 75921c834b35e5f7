import type { AuditReader, ChangeQuery } from '../sink/sink.js';
import { HtmlReport, type ReportHeader } from './html-report.js';
import { CHANGE_VERBS, matchesChange, matchesObject, parseResource, toChange, type Change, type ChangeFilter } from './timeline-filter.js';
import { withPrevious, type VersionedChange } from './versions.js';

/** What the change views are asked for. */
export interface ChangesRequest {
  from: number;
  to: number;
  filter: ChangeFilter;
  /** How far before `from` earlier versions are looked for (epoch ms span). */
  lookBackMs: number;
}

/** The store query of a request: the object filters always; who and how only for the timeline (an earlier version may be anyone's). */
export function storeQuery(r: ChangesRequest, order: ChangeQuery['order']): ChangeQuery {
  const resource = r.filter.resource ? parseResource(r.filter.resource) : undefined;
  const common = { resources: resource?.names, group: resource?.group, namespace: r.filter.namespace, name: r.filter.name };
  if (order === 'time') return { ...common, order, from: r.from, to: r.to, verbs: r.filter.verbs?.length ? r.filter.verbs : CHANGE_VERBS, user: r.filter.user, withObjects: false };
  return { ...common, order, from: r.from - r.lookBackMs, to: r.to, verbs: CHANGE_VERBS, withObjects: true };
}

/** The changes of the range in time order (the timeline, the listing). */
export async function* timeline(reader: AuditReader, r: ChangesRequest, signal: AbortSignal): AsyncGenerator<Change> {
  for await (const doc of reader.changeDocuments(storeQuery(r, 'time'), signal)) {
    const c = toChange(doc);
    if (c && c.time >= r.from && c.time <= r.to && matchesChange(c, r.filter)) yield c;
  }
}

/**
 * The changes of the range by object, each with the version it replaced: read from the
 * look-back on, so that the first change of the range finds its predecessor; earlier changes
 * and those the filter leaves out only serve as predecessors.
 */
export async function* changeLog(reader: AuditReader, r: ChangesRequest, signal: AbortSignal, reorderWindow?: number): AsyncGenerator<VersionedChange> {
  async function* versions(): AsyncGenerator<Change> {
    for await (const doc of reader.changeDocuments(storeQuery(r, 'object'), signal)) {
      const c = toChange(doc);
      if (c && matchesObject(c, r.filter)) yield c;
    }
  }
  for await (const v of withPrevious(versions(), { reorderWindow })) {
    if (v.change.time >= r.from && v.change.time <= r.to && matchesChange(v.change, r.filter)) yield v;
  }
}

/** The whole HTML report, written piece by piece: two reads of the store (timeline, then change log). */
export async function writeReport(reader: AuditReader, r: ChangesRequest, header: ReportHeader, write: (chunk: string) => Promise<void> | void, keepNoise: boolean, signal: AbortSignal): Promise<void> {
  const report = new HtmlReport(write, header);
  await report.start();
  for await (const c of timeline(reader, r, signal)) await report.timelineRow(c);
  await report.startChangeLog();
  for await (const v of changeLog(reader, r, signal)) await report.logEntry(v, keepNoise);
  await report.end();
}
