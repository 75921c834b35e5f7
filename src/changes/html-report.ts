import { createHash } from 'node:crypto';
import { objectLabel, resourceLabel, type Change } from './timeline-filter.js';
import { compare, sideBySide } from './yaml-diff.js';
import { chainKey, type VersionedChange } from './versions.js';

/** What `verify` said of the range, as the report's banner shows it. */
export type Completeness = { state: 'complete'; detail: string } | { state: 'incomplete'; detail: string } | { state: 'not-verified'; detail: string };

export interface ReportHeader {
  from: string;
  to: string;
  store: string;
  cluster: string;
  /** The filters as given (`--namespace prod`); empty: none. */
  filters: string[];
  completeness: Completeness;
  lookBack: string;
  keepNoise: boolean;
  generatedAt: string;
}

/** Everything goes through here: audit documents are attacker-influenced. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
const e = escapeHtml;

/** An id for an anchor, from any text (auditIDs and object keys are not trusted to be id-safe). */
function anchor(prefix: string, text: string): string {
  return `${prefix}-${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
}

const CSS = `
body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#222}
h1{font-size:1.5em}table{border-collapse:collapse}td,th{padding:2px 8px;text-align:left;vertical-align:top}
.meta th{color:#555;font-weight:normal}
.banner{padding:.6em 1em;margin:1em 0;font-weight:bold;border:2px solid}
.banner.complete{background:#e6f4ea;border-color:#1e7e34}.banner.incomplete{background:#fdecea;border-color:#b00020}.banner.not-verified{background:#fff4e5;border-color:#b26a00}
.timeline tr:nth-child(even){background:#f6f6f6}.timeline td{font-family:ui-monospace,monospace;font-size:12px;white-space:nowrap}
.v-create{color:#1e7e34}.v-delete{color:#b00020}.v-update,.v-patch{color:#8a5a00}
.diff{font-family:ui-monospace,monospace;font-size:12px;width:100%;table-layout:fixed;border:1px solid #ddd;margin:.4em 0 1em}
.diff td{white-space:pre-wrap;word-break:break-all}.diff col.n{width:3.5em}.diff td.n{color:#999;text-align:right;padding-right:.5em}
.diff .del{background:#fdecea}.diff .add{background:#e6f4ea}.diff .gap td{color:#999;background:#f3f3f3}
.diff th{background:#f0f0f0}
details{margin:.3em 0}summary{cursor:pointer}.note{color:#666}
#filters{margin:.5em 0}#filters input,#filters select{margin-right:1em}
@media print{#filters{display:none}details>summary{list-style:none}}
`;

/** Client-side filters of the timeline; the report reads and prints the same without it. */
const SCRIPT = `(function(){
var f=document.getElementById('filters');f.hidden=false;
var rows=document.querySelectorAll('.timeline tbody tr');
function apply(){var v=f.verb.value,u=f.user.value.toLowerCase(),t=f.text.value.toLowerCase(),n=0;
for(var i=0;i<rows.length;i++){var r=rows[i];var ok=(!v||r.dataset.verb===v)&&(!u||r.dataset.user.toLowerCase().indexOf(u)>=0)&&(!t||r.dataset.text.toLowerCase().indexOf(t)>=0);r.hidden=!ok;if(ok)n++;}
document.getElementById('shown').textContent=n+' shown';
var on=v||u||t;document.querySelectorAll('details.page').forEach(function(d){if(on)d.open=true;});}
f.addEventListener('input',apply);
window.addEventListener('beforeprint',function(){document.querySelectorAll('details').forEach(function(d){d.open=true;});});
})();`;
const SCRIPT_HASH = createHash('sha256').update(SCRIPT).digest('base64');
/** Nothing from anywhere: no request leaves the page, whatever an audit document holds. */
export const REPORT_CSP = `default-src 'none'; style-src 'unsafe-inline'; script-src 'sha256-${SCRIPT_HASH}'; img-src data:; form-action 'self'; base-uri 'none'`;

/** Timeline rows per collapsible page. */
export const PAGE_ROWS = 500;

type Write = (chunk: string) => Promise<void> | void;

/**
 * Writes the report in pieces as the changes stream by: the header, the timeline (changes in
 * time order, a page of PAGE_ROWS at a time), then the change log (changes by object, each
 * with its side-by-side diff). It holds one page's count and one object's key, never the range.
 */
export class HtmlReport {
  private rows = 0;
  private inPage = false;
  private object: string | undefined;
  private objects = 0;
  private logged = 0;

  constructor(
    private readonly write: Write,
    private readonly header: ReportHeader,
  ) {}

  async start(): Promise<void> {
    const h = this.header;
    const banner = {
      complete: `Complete: verify found every audit event of the range in the store, and nothing else.`,
      incomplete: `INCOMPLETE: verify found the record of this range not whole. Do not rely on it as the full record.`,
      'not-verified': `Not verified: completeness of this range was not checked (run with --verify).`,
    }[h.completeness.state];
    await this.write(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${e(REPORT_CSP)}">
<meta name="referrer" content="no-referrer">
<title>Who changed what: ${e(h.cluster)} ${e(h.from)} .. ${e(h.to)}</title>
<style>${CSS}</style></head><body>
<h1>Who changed what</h1>
<table class="meta">
<tr><th>Range</th><td>${e(h.from)} .. ${e(h.to)} (request time)</td></tr>
<tr><th>Store</th><td>${e(h.store)}</td></tr>
<tr><th>Cluster</th><td>${e(h.cluster)}</td></tr>
<tr><th>Filters</th><td>${h.filters.length ? e(h.filters.join(' ')) : 'none'}</td></tr>
<tr><th>Semantics</th><td>Calico's Timeline: ResponseComplete, RequestResponse, create/update/patch/delete, 2xx, no dryRun. Versions ordered by resourceVersion; earlier versions looked up to ${e(h.lookBack)} before the range. ${h.keepNoise ? 'Noise kept.' : 'Noise left out of diffs (managedFields, resourceVersion, generation, last-applied-configuration, status-only changes).'}</td></tr>
<tr><th>Generated</th><td>${e(h.generatedAt)}</td></tr>
</table>
<div class="banner ${h.completeness.state}" id="completeness">${e(banner)}${h.completeness.detail ? `<br><span class="note">${e(h.completeness.detail)}</span>` : ''}</div>
<h2 id="timeline">Timeline</h2>
<form id="filters" hidden onsubmit="return false">
<label>Verb <select name="verb"><option value="">any</option><option>create</option><option>update</option><option>patch</option><option>delete</option></select></label>
<label>User <input name="user" type="search"></label>
<label>Resource or object <input name="text" type="search"></label>
<span id="shown" class="note"></span>
</form>
`);
  }

  /** One timeline row (changes in time order). */
  async timelineRow(c: Change): Promise<void> {
    let out = '';
    if (this.rows % PAGE_ROWS === 0) {
      if (this.inPage) out += '</tbody></table></details>\n';
      out += `<details class="page"${this.rows === 0 ? ' open' : ''}><summary>Changes ${this.rows + 1} to ${this.rows + PAGE_ROWS} (from ${e(c.timeText)})</summary>
<table class="timeline"><thead><tr><th>Time</th><th>Verb</th><th>User</th><th>Resource</th><th>Object</th><th></th></tr></thead><tbody>\n`;
      this.inPage = true;
    }
    this.rows++;
    const user = c.impersonatedUser ? `${c.user} as ${c.impersonatedUser}` : c.user;
    const res = resourceLabel(c);
    const objectName = objectLabel(c);
    out += `<tr data-verb="${e(c.verb)}" data-user="${e(user)}" data-text="${e(`${res} ${objectName}`)}"><td>${e(c.timeText)}</td><td class="v-${e(c.verb)}">${e(c.verb)}</td><td>${e(user)}</td><td>${e(res)}</td><td>${e(objectName)}</td><td><a href="#${anchor('c', c.auditID)}">diff</a></td></tr>\n`;
    await this.write(out);
  }

  async startChangeLog(): Promise<void> {
    await this.write(`${this.inPage ? '</tbody></table></details>\n' : ''}<p class="note">${this.rows} change(s) in the range.</p>\n<h2 id="changelog">Change log by object</h2>\n`);
    this.inPage = false;
  }

  /** One change with its diff (changes by object, in resourceVersion order within each). */
  async logEntry(v: VersionedChange, keepNoise: boolean): Promise<void> {
    const c = v.change;
    const key = chainKey(c);
    let out = '';
    if (key !== this.object) {
      if (this.object !== undefined) out += '</details>\n';
      this.object = key;
      this.objects++;
      out += `<details class="object" id="${anchor('o', key)}"><summary><b>${e(resourceLabel(c))}</b> ${e(objectLabel(c))}</summary>\n`;
    }
    this.logged++;
    out += `<details class="change" id="${anchor('c', c.auditID)}" open><summary>${e(c.timeText)} <span class="v-${e(c.verb)}">${e(c.verb)}</span> by ${e(c.user)}${c.resourceVersion ? ` (resourceVersion ${e(c.resourceVersion)})` : ''}</summary>\n${diffTable(v, keepNoise, this.header.lookBack)}</details>\n`;
    await this.write(out);
  }

  async end(): Promise<void> {
    await this.write(`${this.object !== undefined ? '</details>\n' : ''}<p class="note">${this.logged} change(s) of ${this.objects} object(s) in the change log.</p>
<script>${SCRIPT}</script>
</body></html>\n`);
  }
}

/** A side-by-side diff of one change, or what stands in for it. */
export function diffTable(v: VersionedChange, keepNoise: boolean, lookBack: string): string {
  const cmp = compare(v, keepNoise);
  if (cmp.kind === 'noise-only') return '<p class="note">Only status or noise changed (shown with --keep-noise).</p>\n';
  const before = cmp.kind === 'compare' ? cmp.before : '';
  const after = cmp.after;
  const labels = cmp.kind === 'compare' ? [cmp.beforeLabel, cmp.afterLabel] : [`before: no earlier version within ${lookBack} before the range`, 'after'];
  const cell = (side: { n: number; text: string; changed: boolean } | undefined, cls: string) =>
    side ? `<td class="n">${side.n}</td><td${side.changed ? ` class="${cls}"` : ''}>${e(side.text)}</td>` : '<td class="n"></td><td></td>';
  let rows = '';
  for (const r of sideBySide(before, after)) {
    rows += 'gap' in r ? `<tr class="gap"><td colspan="4">${r.gap} unchanged line(s)</td></tr>\n` : `<tr>${cell(r.left, 'del')}${cell(r.right, 'add')}</tr>\n`;
  }
  // The colgroup sizes the gutters: a fixed layout takes widths from the first row, the headers' colspans.
  return `<table class="diff"><colgroup><col class="n"><col><col class="n"><col></colgroup><thead><tr><th colspan="2">${e(labels[0]!)}</th><th colspan="2">${e(labels[1]!)}</th></tr></thead><tbody>\n${rows}</tbody></table>\n`;
}
