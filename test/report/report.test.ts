import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildReport } from '../../src/report/build.js';
import { memoryRows } from '../../src/estimate/memory.js';
import { RUN_LOG_FORMAT_VERSION } from '../../src/runs/types.js';
import { writeLadder } from '../fit/ladder-fixture.js';

const root = new URL('../../', import.meta.url).pathname;

/** A runs directory holding only the seed's runs (independent of local studies added later). */
function seedRuns(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-report-runs-'));
  cpSync(join(root, 'runs/seed'), join(dir, 'seed'), { recursive: true });
  return dir;
}

async function build(runsDir: string, outDir = mkdtempSync(join(tmpdir(), 'bitscale-report-out-'))) {
  const built = await buildReport({
    runsDir,
    outDir,
    templatesDir: join(root, 'templates'),
    claimsFile: join(root, 'claims/seed-report.json'),
    analysis: { bootstrap: 300, candidateBootstrap: 100 },
  });
  return { built, outDir, markdown: readFileSync(built.reportPath, 'utf8') };
}

const seed = seedRuns();
const first = build(seed);

test('the seed report carries the known answers: β ≈ 0.49, L∞ ≈ 1.00, α ≈ 0.215, B ≈ 1.75, slopes −0.53 and −0.45, 369.6M params', async () => {
  const { markdown } = await first;
  assert.match(markdown, /\| Linf \| 0\.99\d\d \|/);
  assert.match(markdown, /\| beta \| 0\.49\d\d \|/);
  assert.match(markdown, /\| alpha \| 0\.21\d\d \| \[/);
  assert.match(markdown, /\| B \| 1\.75\d\d \| \[/);
  assert.match(markdown, /\| 13\.7M \| glm_14M_bs256 \| 2\.003 \| −0\.533 per decade \|/);
  assert.match(markdown, /\| 46\.4M \| glm_50M_bs256_hlr \| 1\.766 \| −0\.447 per decade \|/);
  assert.match(markdown, /\*\*369\.6M parameters\*\* \(369,623,040\)/);
  // Section 5: ranked by span narrowing; a span always holds its interval.
  const next = (await first).built.analysis.nextRuns;
  assert.ok(next.length >= 3);
  for (let i = 1; i < next.length; i++) assert.ok(next[i - 1].narrowing >= next[i].narrowing);
  for (const n of next) assert.ok(n.spanAfter >= n.widthAfter - 1e-12);
  assert.match(markdown, /\| GLM-Reasoning, 46\.4M \| glm_50M_a100_bf16: .* \| −0\.026 \| 0\.64× \(−36%\) \| 1\.50× \|/);
  for (const heading of ['## 1. Measured runs', '### 2.1 Step scaling', '### 2.2 Parameter scaling', '### 2.3 Batch size', '### 2.4 Dataset offset', '## 3. Predictions', '## 4. The recommended config', '## 5. Suggested next runs', '## TL;DR', '## Checks against the hand-written report']) {
    assert.ok(markdown.includes(heading), heading);
  }
});

test('the claims table flags the β and parameter-count claims as disagreeing, and the measured ones as agreeing', async () => {
  const { built, markdown } = await first;
  const verdict = (id: string) => built.claims.find((c) => c.claim.id === id)!.agrees;
  assert.equal(verdict('step-beta'), false);
  assert.equal(verdict('params-300M'), false);
  assert.equal(verdict('doubling-delta'), true);
  assert.equal(verdict('batch-delta'), true);
  assert.equal(verdict('sat-alpha'), true);
  assert.equal(built.claims.find((c) => c.claim.id === 'params-300M')!.value, 369_623_040);
  assert.match(markdown, /\| §2\.1 \| loss − loss_∞ ∝ steps\^−β with β ≈ 0\.12–0\.15 \| 0\.491 \| \*\*disagrees\*\* \| exact: L∞ \+ C·S\^−β with 3 free parameters through 3 points \(0 dof\), untested by its own data \|/);
  assert.match(markdown, /\| §4 \| Total: ~290M params \| 369\.6M parameters \| \*\*disagrees\*\* \| arithmetic: the exact count \|/);
});

test('each verdict says what it rests on (exact fit, k dof, measured, estimator); a claimed uncertainty is wider or narrower than computed, not right or wrong', async () => {
  const { built, markdown } = await first;
  const check = (id: string) => built.claims.find((c) => c.claim.id === id)!;
  assert.deepEqual(check('step-beta').evidence.kind, 'exact');
  assert.equal(check('step-beta').evidence.dof, 0);
  assert.deepEqual([check('sat-alpha').evidence.kind, check('sat-alpha').evidence.dof], ['fitted', 1]);
  assert.equal(check('batch-delta').evidence.kind, 'measured');
  assert.equal(check('mem-total').evidence.kind, 'estimator');
  assert.equal(check('pred-30K').evidence.kind, 'prediction');
  // ±0.05 claimed against a computed half-range of about 0.02: wider, and neither agreeing nor disagreeing.
  const u = check('pred-uncertainty');
  assert.ok((u.value as number) < 0.05);
  assert.equal(u.verdict, 'wider than computed');
  assert.equal(u.agrees, null);
  assert.match(markdown, /\| §3\.1 \| Uncertainty: ±0\.05 BPC \| 0\.0\d\d \| wider than computed \| prediction: a saturating law fitted with 1 dof/);
  assert.match(markdown, /\| § \| claim \| computed \| verdict \| evidence \| how \|/);
  assert.match(markdown, /of which step-beta, step-beta-glm rest on a fit exact through its points/);
});

test('every chart is an SVG file with the marks it should have, linked from the markdown', async () => {
  const { built, outDir, markdown } = await first;
  const expected: Record<string, string[]> = {
    'steps.svg': ['mark-line', 'mark-symbol'],
    'params.svg': ['mark-line', 'mark-symbol', 'mark-area'],
    'predictions.svg': ['mark-line', 'mark-rule', 'mark-symbol'],
    'memory.svg': ['mark-rect', 'mark-rule'],
    'plan.svg': ['mark-line', 'mark-symbol', 'mark-text'],
  };
  assert.deepEqual(readdirSync(join(outDir, 'charts')).sort(), Object.keys(expected).sort());
  for (const [name, marks] of Object.entries(expected)) {
    const svg = readFileSync(join(outDir, 'charts', name), 'utf8');
    assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    assert.match(svg, /<\/svg>\n$/);
    assert.equal((svg.match(/<g[ >]/g) ?? []).length, (svg.match(/<\/g>/g) ?? []).length, `${name}: balanced groups`);
    for (const m of marks) assert.ok(svg.includes(`class="${m} `), `${name} has ${m}`);
    assert.ok(markdown.includes(`](charts/${name})`), `${name} linked`);
  }
  assert.equal(built.chartPaths.length, 5);
  // Axis titles carry units.
  assert.match(readFileSync(join(outDir, 'charts/params.svg'), 'utf8'), /parameters \(count, log scale\)/);
  assert.match(readFileSync(join(outDir, 'charts/memory.svg'), 'utf8'), /memory \(GiB\)/);
});

test('the memory chart\'s segments are the memory table\'s parts: same names, each segment the sum of its rows, none drawn at 0', async () => {
  const { built, outDir, markdown } = await first;
  // vega prints the data value in the label to ~12 significant digits.
  const close = (a: number, b: number, what = '') => assert.ok(Math.abs(a - b) < 1e-9, `${what}: ${a} vs ${b}`);
  const svg = readFileSync(join(outDir, 'charts/memory.svg'), 'utf8');
  const e = built.analysis.estimate;
  const bar = `369.6M, bs ${e.batchSize}`;
  const segments = new Map<string, number>();
  for (const m of svg.matchAll(/aria-label="memory \(GiB\): ([0-9.e+-]+); bar: ([^;]+); part: ([^;]+); order: \d+[;"]/g)) {
    if (m[2] === bar) segments.set(m[3], Number(m[1]));
  }
  // The table: | part | component | shape | storage | memory |, one line per row, in the same order.
  const section = markdown.slice(markdown.indexOf('| part (chart segment) |'), markdown.indexOf('| **total** |'));
  const tableParts = [...new Set(section.split('\n').slice(2).filter((l) => l.startsWith('| ')).map((l) => l.split(' | ')[0].slice(2)))];
  assert.deepEqual([...segments.keys()], tableParts);
  for (const [label, gib] of segments) assert.ok(gib > 0, `${label} drawn at ${gib}`);
  const rows = memoryRows(e.memory);
  for (const [label, gib] of segments) {
    const bytes = rows.filter((r) => r.groupLabel === label).reduce((s, r) => s + r.bytes, 0);
    close(gib, bytes / 2 ** 30, label);
  }
  // The two parts the old chart drew at 0: dL/dW is its own segment, fragmentation its own.
  close(segments.get('weight gradients dL/dW')!, e.memory.components.find((c) => c.key === 'gradients')!.bytes / 2 ** 30);
  close(segments.get('allocator fragmentation')!, e.memory.fragmentationBytes / 2 ** 30);
  close([...segments.values()].reduce((a, b) => a + b, 0), e.totalBytes / 2 ** 30);
});

test('the same runs give a byte-identical report and charts', async () => {
  const a = await first;
  const b = await build(seed);
  assert.equal(b.markdown, a.markdown);
  for (const name of readdirSync(join(a.outDir, 'charts'))) {
    assert.equal(readFileSync(join(b.outDir, 'charts', name), 'utf8'), readFileSync(join(a.outDir, 'charts', name), 'utf8'), name);
  }
});

test('adding a run log updates the affected numbers: a 4th GLM size at the matched budget moves the fit and the prediction', async () => {
  const a = await first;
  const runs = seedRuns();
  const config = { d: 1280, layers: 10, heads: 32, d_ff: 640, seq_len: 256, vocab: 128 };
  const params = 10 * (4 * 1280 * 1280 + 3 * 1280 * 640) + 2 * 128 * 1280;
  const tokens = 15000 * 256 * 256;
  const header = {
    type: 'header', format_version: RUN_LOG_FORMAT_VERSION, run_id: 'synthetic_90M', arch: 'bitlm-v57', config, params, batch_size: 256, seq_len: 256,
    lr: { peak: 6e-4, schedule: 'cosine', warmup_steps: 500, final: 0 }, planned_steps: 15000, seed: 1,
    dataset: { name: 'GLM-Reasoning', bytes: null, sha256: null, token_unit: 'byte' }, loss_unit: 'bits', precision: 'bf16-autocast', backend: 'synthetic', hardware: 'A100 40GB', tool: { name: 'test', version: '0' },
  };
  const lines = [header, { type: 'eval', step: 15000, tokens, val_bpc: 1.62 }, { type: 'summary', status: 'completed', steps: 15000, tokens, final_val_bpc: 1.62, wall_s: null }];
  writeFileSync(join(runs, 'seed', 'synthetic_90M.jsonl'), lines.map((l) => JSON.stringify(l)).join('\n') + '\n');
  const b = await build(runs);
  assert.equal(params, 90_439_680);
  assert.match(b.markdown, /\| synthetic_90M \| 90\.4M \|/);
  assert.match(b.markdown, /\| 90\.4M \| synthetic_90M \| 1\.620 \| −0\.\d{3} per decade \|/);
  const budget = (x: typeof a) => x.built.analysis.suite.paramBudgets.find((p) => p.dataset === 'GLM-Reasoning' && p.batchSize === 256)!;
  assert.equal(budget(a).points.length, 3);
  assert.equal(budget(b).points.length, 4);
  assert.notEqual(budget(b).fixedA.params.alpha, budget(a).fixedA.params.alpha);
  assert.notEqual(b.built.analysis.headline.valBpc, a.built.analysis.headline.valBpc);
  assert.notEqual(b.built.inputsHash, a.built.inputsHash);
  assert.match(b.markdown, /from 11 run logs/);
});

test('a local collection gains "Backtest: predicting the largest size": the table and chart for a 5-size ladder, and the reason (≥ 3 smaller sizes) for a 3-size study (the three smallest sizes of the shipped ladder)', async () => {
  const dir = seedRuns();
  mkdirSync(join(dir, 'brown-small'));
  for (const d of [32, 48, 80]) for (const steps of [280, 560, 1120]) cpSync(join(root, `runs/brown-ladder/brown-ladder-d${d}-L2-s${steps}.jsonl`), join(dir, 'brown-small', `brown-ladder-d${d}-L2-s${steps}.jsonl`));
  const ladder = writeLadder(dir, { collection: 'ladder', probe: true });
  const { markdown, built } = await build(dir);
  const section = (name: string) => markdown.slice(markdown.indexOf(`## Local data set: \`runs/${name}/\``)).split(/\n## /)[0];
  const brown = section('brown-small');
  assert.match(brown, /#### Backtest: predicting the largest size\n\nNot computed: the backtest holds out the largest size and needs at least 3 smaller sizes to fit on; 9 runs at 3 size\(s\) \(19\.5K, 37\.6K, 90\.9K\) leave 2 \(19\.5K, 37\.6K\)\. Train at least 4 sizes for a backtest\./);
  const lad = section('ladder');
  assert.match(lad, /#### Backtest: predicting the largest size\n\nEvery run of the largest size, 1\.2M \(3 runs\), is held out\./);
  assert.match(lad, /!\[charts\/ladder-backtest\.svg\]\(charts\/ladder-backtest\.svg\)/);
  const rows = [...lad.matchAll(/^\| (ladder-d224-L4-s\d+) \| 1\.2M \| [^|]+ \| [^|]+ \| ([0-9.]+) \| ([0-9.]+) \| ([−+][0-9.]+)% \| \[([0-9.]+), ([0-9.]+)\] \| (yes|\*\*no\*\*) \|/gm)];
  assert.equal(rows.length, 3, lad);
  for (const [, id, measured, predicted, err, lo, hi, held] of rows) {
    const run = ladder.find((r) => r.id === id)!;
    assert.equal(measured, run.loss.toFixed(4));
    const e = (Number(predicted) - Number(measured)) / Number(measured);
    assert.ok(Math.abs(100 * e - Number(err.replace('−', '-'))) < 0.01, `${id}: ${err} vs ${e}`);
    assert.equal(held === 'yes', Number(lo) <= Number(measured) && Number(measured) <= Number(hi));
  }
  assert.match(lad, /Mean \\\|relative error\\\| [0-9.]+% \(largest [0-9.]+%\) at 2\.51× the largest fitted size; the 80% prediction interval held [0-3] of 3 held-out runs, the range over laws [0-3] of 3\./);
  assert.ok(!lad.includes('probe'), 'the LR probe is neither held out nor fitted');
  // The TL;DR carries the ladder's backtest (and nothing for the study too small to backtest).
  assert.match(markdown, /^- Backtest on `runs\/ladder\/`: the joint law L\(N, D\) fitted on the 4 smaller sizes \(19\.5K–463\.4K\) predicts the held-out 1\.2M runs, 2\.51× beyond them in N, within [0-9.]+% on average \(at most [0-9.]+%\); the 80% prediction interval held [0-3] of 3(, and [0-9]+ of 15 \([0-9]+%\) with every size held out in turn)?\.$/m);
  assert.doesNotMatch(markdown, /^- Backtest on `runs\/brown-small\/`/m);
  assert.ok(built.chartPaths.some((p) => p.endsWith('charts/ladder-backtest.svg')));
  assert.ok(!built.chartPaths.some((p) => p.endsWith('charts/brown-small-backtest.svg')));
});

test('the report made with its worker threads (shared refits, charts ahead) is byte for byte the one made on one thread', async () => {
  const common = { runsDir: join(root, 'runs'), templatesDir: join(root, 'templates'), claimsFile: join(root, 'claims/seed-report.json'), analysis: { bootstrap: 200, candidateBootstrap: 50 } };
  const outThreads = mkdtempSync(join(tmpdir(), 'bitscale-report-threads-'));
  const outOne = mkdtempSync(join(tmpdir(), 'bitscale-report-one-'));
  await buildReport({ ...common, outDir: outThreads });
  await buildReport({ ...common, outDir: outOne, inProcess: true });
  const files = (dir: string) => [...readdirSync(dir), ...readdirSync(join(dir, 'charts')).map((n) => `charts/${n}`)].filter((n) => n !== 'charts').sort();
  assert.deepEqual(files(outThreads), files(outOne));
  assert.ok(files(outOne).includes('charts/brown-ladder-backtest.svg'), 'the shipped runs, with the Brown ladder and its joint law');
  for (const f of files(outOne)) assert.equal(readFileSync(join(outThreads, f), 'utf8'), readFileSync(join(outOne, f), 'utf8'), f);
});
