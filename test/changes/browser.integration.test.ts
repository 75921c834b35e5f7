import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { installChromium } from '../../scripts/services/chromium.js';
import { REPO_ROOT, runCli } from '../support/cli.js';
import { at, EVIL, seedLife, withUi } from './life.js';

/** Screenshots of each view, kept as the run's artefacts (git ignores .scratch). */
const ARTEFACTS = path.join(REPO_ROOT, '.scratch', 'test-artefacts');

/** What a person sees, in Debian's Chromium (headless), of the report and of the live ui. */
describe('the change views in a real browser', () => {
  let browser: Browser;
  let life: Awaited<ReturnType<typeof seedLife>>;
  let report: string;
  let reportDir: string;
  beforeAll(async () => {
    const installed = await installChromium();
    life = await seedLife('browser');
    const forwarded = await runCli(['backfill', '--from', life.from, '--to', life.to], life.env);
    expect(forwarded.code).toBe(0);
    reportDir = mkdtempSync(path.join(os.tmpdir(), 'eksfwd-report-'));
    report = path.join(reportDir, 'report.html');
    const made = await runCli(['changes', '--from', life.from, '--to', life.to, '--html', report, '--verify'], life.env);
    expect(made.code).toBe(0);
    // Root in a container has no user namespaces for Chromium's sandbox.
    browser = await chromium.launch({ executablePath: installed.executablePath, env: { ...process.env, ...installed.env }, args: ['--no-sandbox'] });
    mkdirSync(ARTEFACTS, { recursive: true });
  }, 300_000);
  afterAll(async () => {
    await browser?.close();
    if (reportDir) rmSync(reportDir, { recursive: true, force: true });
  });

  /** A page that records every request and every dialog (an injected script would raise one). */
  async function open(url: string): Promise<{ page: Page; requests: string[]; dialogs: string[] }> {
    const page = await browser.newPage({ viewport: { width: 1200, height: 900 } });
    const requests: string[] = [];
    const dialogs: string[] = [];
    page.on('request', (r) => requests.push(r.url()));
    page.on('dialog', (d) => {
      dialogs.push(d.message());
      void d.dismiss();
    });
    await page.goto(url);
    return { page, requests, dialogs };
  }

  const visibleRows = (page: Page) => page.locator('.timeline tbody tr:visible');

  it('the report, opened from its file: the banner, filtered rows, both sides of a diff, and no request beyond the file', async () => {
    const url = pathToFileURL(report).href;
    const { page, requests, dialogs } = await open(url);
    await expect.poll(() => page.locator('#completeness').getAttribute('class')).toBe('banner complete');
    expect(await page.locator('#completeness').innerText()).toMatch(/complete/i);
    expect(await visibleRows(page).count()).toBe(5);
    await page.screenshot({ path: path.join(ARTEFACTS, 'report.png'), fullPage: true });

    // The client-side filters run under the report's CSP (its script is allowed by hash only).
    await page.selectOption('#filters select[name="verb"]', 'patch');
    await expect.poll(() => visibleRows(page).count()).toBe(1);
    expect(await visibleRows(page).first().innerText()).toMatch(/patch\s+bob/);
    expect(await page.locator('#shown').innerText()).toBe('1 shown');
    await page.screenshot({ path: path.join(ARTEFACTS, 'report-filtered.png') });

    // Its diff link opens the change, collapsed in the change log, side by side: resourceVersion
    // 100 on the left, 105 on the right, Egress added.
    await visibleRows(page).first().getByRole('link', { name: 'diff' }).click();
    const diff = page.locator('details.change', { hasText: 'by bob' }).locator('table.diff');
    await expect.poll(() => diff.isVisible()).toBe(true);
    const headers = await diff.locator('thead th').allInnerTexts();
    expect(headers[0]).toContain('resourceVersion 100');
    expect(headers[1]).toContain('resourceVersion 105');
    const added = diff.locator('tbody tr', { hasText: '- Egress' });
    expect(await added.locator('td.add').innerText()).toBe('    - Egress');
    expect((await added.locator('td').nth(1).innerText()).trim()).toBe('');
    // Line numbers in a narrow gutter, the text in the rest of each half.
    const gutter = (await added.locator('td.n').nth(1).boundingBox())!;
    const text = (await added.locator('td.add').boundingBox())!;
    expect(gutter.width).toBeLessThan(text.width / 5);
    await diff.screenshot({ path: path.join(ARTEFACTS, 'report-diff.png') });

    await page.selectOption('#filters select[name="verb"]', '');
    await page.fill('#filters input[name="text"]', '<script>');
    await expect.poll(() => visibleRows(page).count()).toBe(1);
    expect(await visibleRows(page).first().innerText()).toContain(EVIL);

    expect(requests.filter((r) => r.split('#')[0] !== url)).toEqual([]);
    expect(dialogs).toEqual([]);
    await page.close();
  });

  it('the live ui: the rows a filter selects, the banner, and no request to any other origin', async () => {
    await withUi(life.env, async (base) => {
      const { page, requests, dialogs } = await open(`${base}?from=${encodeURIComponent(life.from)}&to=${encodeURIComponent(at(10))}`);
      expect(await visibleRows(page).count()).toBe(5);
      expect(await page.locator('#completeness').getAttribute('class')).toBe('banner not-verified');
      await page.screenshot({ path: path.join(ARTEFACTS, 'ui.png'), fullPage: true });
      await page.selectOption('#filters select[name="verb"]', 'delete');
      await expect.poll(() => visibleRows(page).count()).toBe(1);
      expect(await visibleRows(page).first().innerText()).toMatch(/delete\s+alice/);
      const origin = new URL(base).origin;
      expect(requests.filter((r) => new URL(r).origin !== origin)).toEqual([]);
      expect(dialogs).toEqual([]);
      await page.close();
    });
  });
});
