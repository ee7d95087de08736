/// <reference lib="dom" />
/**
 * The HTML report in a real browser: Debian's Chromium (installed by .ci/run) driven headless by
 * playwright-core. The page must render charts and the table with no console errors, in light and
 * dark themes and for print, and must not be blank.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser } from 'playwright-core';
import { CLI, ROOT, tempDir } from '../../helpers/gen.js';

const CHROMIUM = process.env.GENWATT_CHROMIUM ?? '/usr/bin/chromium';
const SESSIONS = ['fixtures/sessions/h100-nvml-turbo.json', 'fixtures/sessions/demo-8.json', 'fixtures/sessions/demo-killed.jsonl'].map((f) => join(ROOT, f));

let browser: Browser;
let file: string;

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(
      `Chromium is not installed at ${CHROMIUM}: .ci/run installs Debian's "chromium" package; install it (or set GENWATT_CHROMIUM) to run this test`,
    );
  const dir = tempDir('gw-html-');
  file = join(dir, 'report.html');
  const r = spawnSync(process.execPath, [CLI, 'report', ...SESSIONS, '--format', 'html', '--out', file, '--price-kwh', '0.3'], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  const { chromium } = await import('playwright-core');
  // The flags keep Chromium from reaching for the network, which this machine refuses.
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
}, 60000);

afterAll(async () => {
  await browser?.close();
});

describe('HTML report in Chromium', () => {
  it('renders the comparison table, the bars and a timeline per session, with no console errors and no requests', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('request', (r) => {
      if (!r.url().startsWith('file://')) requests.push(r.url());
    });
    await page.goto(`file://${file}`);
    expect(await page.locator('table.comparison tbody tr').count()).toBe(3);
    expect(await page.locator('svg.chart.bars').count()).toBe(2);
    expect(await page.locator('svg.chart.bars rect.bar').count()).toBe(6);
    expect(await page.locator('section.session').count()).toBe(3);
    expect(await page.locator('svg.chart.timeline').count()).toBe(3);
    // every timeline draws its power line and one marker per image
    for (let i = 0; i < 3; i++) {
      const sec = page.locator('section.session').nth(i);
      // a drawn line: moves followed by many line segments (not a dotted row of moves)
      const d = (await sec.locator('path.power-line').first().getAttribute('d'))!;
      expect(d.split('L').length - 1).toBeGreaterThan(50);
      expect(d.split('L').length).toBeGreaterThan(5 * d.split('M').length);
      const images = Number((await sec.locator('details summary').textContent())!.match(/^(\d+) images/)![1]);
      expect(await sec.locator('path.marker').count()).toBe(images);
    }
    expect(await page.locator('h2', { hasText: 'unfinished recording' }).count()).toBe(1);
    const box = await page.locator('svg.chart.timeline').first().boundingBox();
    expect(box!.width).toBeGreaterThan(800);
    expect(box!.height).toBeGreaterThan(150);
    const shot = await page.screenshot({ fullPage: true });
    writeFileSync(join(tempDir('gw-html-shot-'), 'report.png'), shot);
    const blank = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await blank.setContent('<html><body></body></html>');
    const blankShot = await blank.screenshot({ fullPage: true });
    expect(shot.length).toBeGreaterThan(blankShot.length * 10); // a blank page compresses to almost nothing
    expect(problems).toEqual([]);
    expect(requests).toEqual([]);
  }, 60000);

  it('dark theme and print: colours follow the reader; details are expanded for print', async () => {
    const page = await browser.newPage();
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.goto(`file://${file}`);
    const bgDark = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    await page.emulateMedia({ colorScheme: 'light' });
    const bgLight = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(bgDark).toBe('rgb(20, 23, 27)');
    expect(bgLight).toBe('rgb(255, 255, 255)');
    await page.emulateMedia({ media: 'print', colorScheme: 'dark' });
    expect(await page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(255, 255, 255)');
    expect(await page.evaluate(() => getComputedStyle(document.querySelector('details > summary')!).display)).toBe('none');
    const pdf = await page.pdf({ format: 'A4' });
    expect(pdf.subarray(0, 5).toString()).toBe('%PDF-');
    expect(pdf.length).toBeGreaterThan(20000);
  }, 60000);

  it('fits 1400 px: no table scrolls sideways, names do not break at hyphens, configurations and the Pareto chart are there', async () => {
    for (const colorScheme of ['light', 'dark'] as const) {
      const page = await browser.newPage({ viewport: { width: 1400, height: 900 }, colorScheme });
      await page.goto(`file://${file}`);
      const tables = await page.evaluate(() => [...document.querySelectorAll('div.scroll')].map((d) => ({ scroll: d.scrollWidth, client: d.clientWidth })));
      expect(tables.length).toBeGreaterThanOrEqual(3);
      for (const t of tables) expect(t.scroll).toBeLessThanOrEqual(t.client);
      expect(await page.locator('table.groups').count()).toBe(1);
      expect(await page.locator('svg.chart.pareto circle.point').count()).toBeGreaterThanOrEqual(2);
      // the session names keep their hyphens together (non-breaking)
      const names = await page.locator('table.comparison tbody tr td:first-child').allTextContents();
      expect(names.every((n) => !n.includes('-'))).toBe(true);
      await page.close();
    }
  });
});
