/**
 * The interactive report in a real browser: headless Chromium (the system's, found on PATH or at
 * $CHROMIUM_PATH) driven by puppeteer-core. Without a Chromium the test skips with one line; on CI
 * (CI=true) a missing Chromium is a failure, so CI cannot pass without running it.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildReport } from '../../src/report/build.js';
import { chartId } from '../../src/report/html.js';

const root = new URL('../../', import.meta.url).pathname;

function findChromium(): string | null {
  if (process.env.CHROMIUM_PATH) return existsSync(process.env.CHROMIUM_PATH) ? process.env.CHROMIUM_PATH : null;
  for (const name of ['chromium', 'chromium-browser', 'google-chrome', 'google-chrome-stable']) {
    try {
      const path = execFileSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' }).trim();
      if (path) return path;
    } catch {
      // not on PATH
    }
  }
  return null;
}

const chromium = findChromium();
const MISSING = 'no Chromium found (install Debian\'s `chromium` or set CHROMIUM_PATH): the browser test of the HTML report did not run';

test('the HTML report in headless Chromium: no console errors, no network, every chart drawn with its marks, a tooltip on hover, the extrapolation toggle, a table that sorts, a screenshot', { timeout: 240_000 }, async (t) => {
  if (!chromium) {
    if (process.env.CI === 'true') assert.fail(`${MISSING}; CI must run it`);
    t.skip(MISSING);
    return;
  }
  const outDir = mkdtempSync(join(tmpdir(), 'bitscale-html-'));
  const built = await buildReport({
    runsDir: join(root, 'runs'),
    outDir,
    templatesDir: join(root, 'templates'),
    claimsFile: join(root, 'claims/seed-report.json'),
    analysis: { bootstrap: 200, candidateBootstrap: 50 },
    html: true,
  });
  assert.ok(built.htmlPath);
  const html = readFileSync(built.htmlPath, 'utf8');
  // Self-contained: no script, stylesheet or image is fetched from anywhere.
  assert.ok(!/<script[^>]+src=|<link[^>]+href=|<img[^>]+src="https?:/.test(html), 'nothing fetched by the page\'s markup');

  const puppeteer = (await import('puppeteer-core')).default;
  const browser = await puppeteer.launch({ executablePath: chromium, headless: true, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    const page = await browser.newPage();
    // tsx compiles this file keeping function names through a helper, __name, that the functions
    // passed to page.evaluate carry into the page: define it there (a no-op).
    await page.evaluateOnNewDocument('globalThis.__name = (f) => f;');
    await page.setViewport({ width: 1100, height: 900 });
    const errors: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('request', (r) => requests.push(r.url()));
    const url = pathToFileURL(built.htmlPath).href;
    await page.goto(url, { waitUntil: 'load', timeout: 120_000 });
    const charts = built.charts.filter((c) => html.includes(`id="${chartId(c.path)}"`));
    assert.equal(charts.length, built.charts.length, 'every chart is on the page');
    await page.waitForFunction((n: number) => document.body.dataset.chartsRendered === String(n), { timeout: 120_000 }, charts.length);

    // Every chart: an SVG with data marks (points, lines, bars or rules), as many as in its SVG file.
    for (const c of charts) {
      const id = chartId(c.path);
      const marks = await page.$$eval(`#${id} svg .role-mark path, #${id} svg .role-mark line`, (els) => els.length);
      const fileMarks = (readFileSync(join(outDir, c.path), 'utf8').match(/<path|<line/g) ?? []).length;
      assert.ok(marks > 0, `${c.path}: marks drawn`);
      assert.ok(marks <= fileMarks, `${c.path}: ${marks} marks in the page, ${fileMarks} elements in the SVG`);
    }

    // A tooltip names the run under the pointer.
    const point = await page.$(`#${chartId('charts/params.svg')} svg g.mark-symbol.role-mark path`);
    assert.ok(point, 'a measured point in the params chart');
    await point.hover();
    await page.waitForSelector('#vg-tooltip-element.visible', { timeout: 10_000 });
    const tip = await page.$eval('#vg-tooltip-element', (el) => el.textContent ?? '');
    const runIds = built.analysis.runs.map((r) => r.id);
    assert.ok(runIds.some((id) => tip.includes(id)), `tooltip names a run: ${tip}`);
    assert.match(tip, /val_bpc/);

    // The extrapolation toggle hides the dashed part of the params chart and shows it again.
    const visibleDashed = () => page.$$eval(`#${chartId('charts/params.svg')} svg .mark-line.role-mark path`, (els) => els.filter((e) => e.getAttribute('stroke-dasharray') === '7,4' && e.getAttribute('opacity') !== '0').length);
    const before = await visibleDashed();
    assert.ok(before > 0, 'the extrapolated part is drawn dashed');
    await page.click(`#${chartId('charts/params.svg')} .vega-bindings input[type=checkbox]`);
    await page.waitForFunction((sel: string) => [...document.querySelectorAll(sel)].every((e) => e.getAttribute('stroke-dasharray') !== '7,4' || e.getAttribute('opacity') === '0'), { timeout: 10_000 }, `#${chartId('charts/params.svg')} svg .mark-line.role-mark path`);
    await page.click(`#${chartId('charts/params.svg')} .vega-bindings input[type=checkbox]`);
    await page.waitForFunction((sel: string, n: number) => [...document.querySelectorAll(sel)].filter((e) => e.getAttribute('stroke-dasharray') === '7,4' && e.getAttribute('opacity') !== '0').length === n, { timeout: 10_000 }, `#${chartId('charts/params.svg')} svg .mark-line.role-mark path`, before);

    // A table sorts by a numeric column, both ways: the runs table's val_bpc column.
    const sorted = await page.evaluate(() => {
      const tables = [...document.querySelectorAll('table')];
      for (const table of tables) {
        const heads = [...table.querySelectorAll('thead th')];
        const col = heads.findIndex((h) => /val_bpc|final/.test(h.textContent ?? ''));
        if (col < 0 || table.tBodies[0].rows.length < 3) continue;
        const values = () => [...table.tBodies[0].rows].map((r) => Number(r.cells[col].textContent!.trim().split(/\s/)[0]));
        if (values().some(Number.isNaN)) continue;
        const original = values();
        (heads[col] as HTMLElement).click();
        const up = values();
        (heads[col] as HTMLElement).click();
        const down = values();
        return { header: heads[col].textContent, original, up, down, aria: heads[col].getAttribute('aria-sort') };
      }
      return null;
    });
    assert.ok(sorted, 'a table with a numeric val_bpc column');
    assert.deepEqual(sorted.up, [...sorted.original].sort((a, b) => a - b), `${sorted.header} ascending`);
    assert.deepEqual(sorted.down, [...sorted.original].sort((a, b) => b - a), `${sorted.header} descending`);
    assert.equal(sorted.aria, 'descending');

    const shot = await page.screenshot({ fullPage: false });
    assert.ok(shot.length > 10_000 && Buffer.from(shot).subarray(1, 4).toString() === 'PNG', 'a PNG screenshot');
    if (process.env.BITSCALE_SCREENSHOT) {
      await page.evaluate(() => document.getElementById('chart-params')!.scrollIntoView());
      writeFileSync(process.env.BITSCALE_SCREENSHOT, await page.screenshot({ fullPage: false }));
    }

    assert.deepEqual(errors, [], 'no console errors');
    assert.deepEqual(requests.filter((u) => !/^(file|data|about|blob):/.test(u)), [], 'no network requests');
  } finally {
    await browser.close();
  }
});
