/**
 * reports/report.json: the data the templates render, with raw numbers, snake_case keys sorted at
 * every depth, so a notebook reads every number the Markdown shows. Checked against the Markdown
 * itself: each number, formatted as the template formats it, is the text the report prints.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildReport, REPORT_JSON_FILE } from '../../src/report/build.js';
import { FORMAT_HELPERS } from '../../src/report/templates.js';
import { formatCount, formatGiB, formatInterval, formatLoss, formatNumber, formatSigned } from '../../src/util/format.js';
import { stableStringify } from '../../src/util/json.js';

const root = new URL('../../', import.meta.url).pathname;

async function build(claimsFile = join(root, 'claims/seed-report.json')) {
  const runsDir = mkdtempSync(join(tmpdir(), 'bitscale-report-json-runs-'));
  cpSync(join(root, 'runs/seed'), join(runsDir, 'seed'), { recursive: true });
  const outDir = mkdtempSync(join(tmpdir(), 'bitscale-report-json-out-'));
  const built = await buildReport({ runsDir, outDir, templatesDir: join(root, 'templates'), claimsFile, analysis: { bootstrap: 200, candidateBootstrap: 50 } });
  return { built, markdown: readFileSync(built.reportPath, 'utf8'), text: readFileSync(join(outDir, REPORT_JSON_FILE), 'utf8') };
}

const seed = build();

/** Every key of a JSON value, at every depth. */
function keys(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(keys);
  if (value !== null && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => [k, ...keys(v)]);
  return [];
}

test('report.json is written beside the report: snake_case keys only, sorted at every depth, the same data the templates rendered', async () => {
  const { built, text } = await seed;
  const json = JSON.parse(text);
  assert.equal(built.dataPath.endsWith(`/${REPORT_JSON_FILE}`), true);
  assert.deepEqual(keys(json).filter((k) => /[a-z][A-Z]/.test(k)), [], 'no camelCase key');
  assert.equal(text, `${stableStringify(json)}\n`, 'keys sorted at every depth');
  assert.equal(json.run_count, built.analysis.runs.length);
  assert.equal(json.recommended.params, built.analysis.recommendedParams);
  assert.equal(json.recommended.config.d_ff, built.analysis.recommended.config.dFf);
});

test('report.json holds the step exponent β of the TinyStories law (no interval: the law is exact through 3 runs) and the GLM size law\'s α with its interval as numbers; formatted, they are the Markdown\'s text', async () => {
  const { markdown, text } = await seed;
  const json = JSON.parse(text);
  const family = json.steps.families.find((f: { title: string; fit: unknown }) => f.title.startsWith('TinyStories') && f.fit);
  const beta = family.fit.params.find((p: { name: string }) => p.name === 'beta');
  assert.equal(typeof beta.value, 'number');
  assert.ok(beta.value > 0.4 && beta.value < 0.6, `β = ${beta.value} (the seed's runs give about 0.49)`);
  assert.equal(family.fit.determination, 'exactly determined');
  assert.equal(beta.interval, null);
  assert.ok(markdown.includes(`| beta | ${formatNumber(beta.value, 4)} | — |  |`), 'the β row of the Markdown');
  assert.ok(markdown.includes(`RMSE ${family.fit.rmse.toFixed(4)} ${family.fit.unit}`));

  const glm = json.params.budgets.find((b: { title: string }) => b.title.startsWith('GLM-Reasoning'));
  const alpha = glm.fits[0].params.find((p: { name: string }) => p.name === 'alpha');
  assert.ok(alpha.value > 0.2 && alpha.value < 0.23, `α = ${alpha.value} (the seed's runs give about 0.215)`);
  assert.ok(alpha.interval.lo < alpha.value && alpha.value < alpha.interval.hi && alpha.interval.level === 0.8);
  assert.ok(markdown.includes(`| alpha | ${formatNumber(alpha.value, 4)} | ${formatInterval(alpha.interval, 4)} |  |`), 'the α row of the Markdown');
});

test('report.json\'s predictions, memory total and per-decade slopes, formatted, are the Markdown\'s cells', async () => {
  const { markdown, text } = await seed;
  const json = JSON.parse(text);
  assert.ok(json.predictions.rows.length > 0);
  for (const r of json.predictions.rows) {
    assert.equal(typeof r.val_bpc, 'number');
    assert.ok(markdown.includes(`| ${formatCount(r.params)} (${r.label}) |`));
    assert.ok(markdown.includes(`| ${formatLoss(r.val_bpc)} | ${formatInterval(r.interval)} |`), `prediction ${r.val_bpc}`);
  }
  assert.ok(markdown.includes(`| **total** | | | | **${formatGiB(json.recommended.total_bytes)}** |`));
  const glm = json.params.budgets.find((b: { title: string }) => b.title.startsWith('GLM-Reasoning'));
  const slopes = glm.rows.filter((r: { slope_per_decade: number | null }) => r.slope_per_decade !== null);
  assert.ok(slopes.length >= 2);
  for (const r of slopes) assert.ok(markdown.includes(`| ${formatLoss(r.val_bpc)} | ${formatSigned(r.slope_per_decade)} per decade |`));
  assert.ok(markdown.includes(`${json.claims.agree} of ${json.claims.total} agree`));
});

test('the TL;DR\'s numbers are in report.json: the headline prediction, its interval and the step law, formatted, are the bullets\' text', async () => {
  const { built, markdown, text } = await seed;
  const t = JSON.parse(text).tldr;
  assert.equal(t.prediction.val_bpc, built.analysis.headline.valBpc);
  assert.ok(markdown.includes(`bitscale predicts ${formatLoss(t.prediction.val_bpc)} bits/byte, interval ${formatInterval(t.prediction.interval)}`));
  assert.ok(markdown.includes(`L∞ = ${t.step_scaling.linf.toFixed(3)}, β = ${t.step_scaling.beta.toFixed(3)} (${t.step_scaling.determination};`));
  assert.ok(markdown.includes(`per-decade slopes ${t.param_scaling.slopes_per_decade.map((x: number) => formatSigned(x, 2)).join(', ')}.`));
  assert.equal(t.next_run.id, JSON.parse(text).next_runs.rows[0].id);
});

test('no shipped template prints a bare {{name}} of a formatting helper (it would call the helper, not print the field of that name)', () => {
  const dir = join(root, 'templates');
  const files = ['report.md.hbs', ...readdirSync(join(dir, 'partials')).map((f) => `partials/${f}`)];
  const bare = files.flatMap((f) => [...readFileSync(join(dir, f), 'utf8').matchAll(/\{\{\s*([A-Za-z]+)\s*\}\}/g)].filter((m) => m[1] in FORMAT_HELPERS).map((m) => `${f}: ${m[0]}`));
  assert.deepEqual(bare, []);
  assert.ok(files.length > 10);
});

test('without planned hours the plan section says why, and its heading names the GPU (strict templates: no field is missing)', async () => {
  const claims = JSON.parse(readFileSync(join(root, 'claims/seed-report.json'), 'utf8'));
  delete claims.recommended.planned_hours;
  const file = join(mkdtempSync(join(tmpdir(), 'bitscale-report-json-claims-')), 'claims.json');
  writeFileSync(file, JSON.stringify(claims));
  const { markdown, text } = await build(file);
  const json = JSON.parse(text);
  assert.match(json.recommended.gpu, /^NVIDIA A100/);
  assert.ok(markdown.includes(`\n### The best config for the seed's own budget (${json.recommended.gpu})\n\nNot computed: no planned hours in the claims file.\n`));
  assert.deepEqual(json.best_for_budget, { available: false, gpu: json.recommended.gpu, hours: null, note: 'no planned hours in the claims file' });
});
