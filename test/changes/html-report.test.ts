import { describe, expect, it } from 'vitest';
import { HtmlReport, REPORT_CSP, type ReportHeader } from '../../src/changes/html-report.js';
import { toChange } from '../../src/changes/timeline-filter.js';
import { VersionChains } from '../../src/changes/versions.js';
import { parseListen } from '../../src/changes/ui-server.js';
import { changeLine } from '../../src/changes/text-output.js';
import { doc, policy } from './sequences.js';

const header = (over: Partial<ReportHeader> = {}): ReportHeader => ({
  from: '2026-03-01T00:00:00.000Z',
  to: '2026-03-02T00:00:00.000Z',
  store: 'Elasticsearch http://127.0.0.1:9200',
  cluster: 'prod',
  filters: [],
  completeness: { state: 'not-verified', detail: '' },
  lookBack: '30d',
  keepNoise: false,
  generatedAt: '2026-03-02T00:00:01.000Z',
  ...over,
});

async function render(docs: Record<string, unknown>[], h = header()): Promise<string> {
  let html = '';
  const report = new HtmlReport((chunk) => void (html += chunk), h);
  await report.start();
  const changes = docs.map((d) => toChange(d)!);
  for (const c of changes) await report.timelineRow(c);
  await report.startChangeLog();
  const chains = new VersionChains();
  for (const c of changes) chains.push(c);
  for (const v of chains.flush()) await report.logEntry(v, false);
  await report.end();
  return html;
}

describe('the HTML report', () => {
  it('renders a <script> in an object name and an annotation inert', async () => {
    const evil = '<script>alert(1)</script>';
    const obj = policy('100', { podSelector: {} }, { name: evil, annotations: { note: `"><img src=x onerror=alert(2)>${evil}` } });
    const html = await render([doc('create', 1, obj, { name: evil, user: `<b>${evil}</b>` })]);
    expect(html).not.toContain(evil);
    expect(html).not.toContain('<img');
    expect(html).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    // The one script is the report's own, allowed by hash; nothing else may run or load.
    expect(html.match(/<script>/g)).toHaveLength(1);
    expect(REPORT_CSP).toContain("default-src 'none'");
    expect(html).toContain(`content="${REPORT_CSP.replace(/'/g, '&#39;')}"`);
  });

  it('refers to nothing outside itself', async () => {
    const html = await render([doc('create', 1, policy('100', { podSelector: {} }))]);
    expect(html).not.toMatch(/\b(src|href)=["']?(https?:)?\/\//i);
    expect(html).not.toMatch(/@import|url\(/i);
  });

  it('states the verdict of verify clearly', async () => {
    const complete = await render([], header({ completeness: { state: 'complete', detail: 'expected 3, found 3' } }));
    expect(complete).toMatch(/class="banner complete"[^>]*>Complete: verify found every audit event/);
    const incomplete = await render([], header({ completeness: { state: 'incomplete', detail: 'missing 2' } }));
    expect(incomplete).toMatch(/class="banner incomplete"[^>]*>INCOMPLETE/);
    expect(await render([])).toMatch(/class="banner not-verified"[^>]*>Not verified/);
  });

  it('shows both sides of a change side by side', async () => {
    const html = await render([doc('create', 1, policy('100', { podSelector: {} })), doc('patch', 2, policy('105', { podSelector: { matchLabels: { app: 'web' } } }))]);
    expect(html).toContain('<td class="del">  podSelector: {}</td>');
    expect(html).toContain('<td class="add">  podSelector:</td>');
    expect(html).toContain('<td class="add">      app: web</td>');
  });
});

describe('the text listing', () => {
  it('shows control characters of a name as escapes', () => {
    const line = changeLine(toChange(doc('create', 1, policy('1', {}), { name: 'x\u001b[31mred' }))!);
    expect(line).not.toContain('\u001b');
    expect(line).toContain('x\\u001b[31mred');
  });
});

describe('the ui binding rule', () => {
  it('serves loopback by default and elsewhere only with --allow-pod-network', () => {
    expect(parseListen('127.0.0.1:8080', false)).toEqual({ host: '127.0.0.1', port: 8080, exposed: false });
    expect(() => parseListen('0.0.0.0:8080', false)).toThrow(/--allow-pod-network/);
    expect(parseListen('0.0.0.0:8080', true).exposed).toBe(true);
    expect(() => parseListen('8080', false)).toThrow(/HOST:PORT/);
  });
});
