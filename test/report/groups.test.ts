/**
 * Analysis groups (issue 17): unrelated runs — another dataset, another architecture, per-token
 * units — leave every GLM-Reasoning and TinyStories number and every claim verdict as it was; a
 * per-token ladder is reported in its own unit everywhere; units never mix; a GPT-style run never
 * reaches the BitLM estimator.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countParams } from '../../src/arch/bitlm.js';
import { buildReport, type BuiltReport } from '../../src/report/build.js';
import { paramsLabel } from '../../src/report/view.js';
import { calibrateFromRuns } from '../../src/estimate/calibrate.js';
import { fitAnalysisGroup } from '../../src/fit/suite.js';
import { writeRunLog } from '../../src/runs/log.js';
import { loadRunTable } from '../../src/runs/table.js';
import type { HeaderRecord, RunLog } from '../../src/runs/types.js';
import { foreignHeader, sampleHeader } from '../helpers.js';

const root = new URL('../../', import.meta.url).pathname;
const LN2 = Math.LN2;

/** One completed run: a header and a single eval point at `steps` (plus an earlier point for a curve). */
function run(header: HeaderRecord, steps: number, loss: number, extra: { wall_s?: number; peak_bytes?: number } = {}): RunLog {
  const tokens = steps * header.batch_size * header.seq_len;
  return {
    header: { ...header, planned_steps: steps },
    steps: extra.peak_bytes ? [{ type: 'step', step: steps, tokens, train_loss: loss, peak_bytes: extra.peak_bytes, ...(extra.wall_s ? { wall_s: extra.wall_s } : {}) }] : [],
    evals: [
      { type: 'eval', step: Math.round(steps / 2), tokens: tokens / 2, val_bpc: loss * 1.1 },
      { type: 'eval', step: steps, tokens, val_bpc: loss },
    ],
    summary: { type: 'summary', status: 'completed', steps, tokens, final_val_bpc: loss, wall_s: extra.wall_s ?? null },
  };
}

/** A known ladder: loss = E + A/N^α + B/D^β, so every law has something to fit. */
const law = (E: number, n: number, d: number) => E + 400 / n ** 0.34 + 2000 / d ** 0.37;

function unrelatedRuns(dir: string): void {
  // 1. Another dataset, same architecture (BitLMv57): a 3 × 3 ladder at step counts that the old
  //    code would have pooled into the GLM interval (10K–40K is within 4× of 15K → 30K).
  mkdirSync(join(dir, 'ingested'), { recursive: true });
  for (const [d, layers] of [[128, 2], [192, 3], [256, 4]] as const) {
    const config = { d, layers, heads: 4, d_ff: d / 2, seq_len: 256, vocab: 128 };
    const params = countParams({ d, layers, dFf: d / 2, vocab: 128 });
    for (const steps of [10_000, 20_000, 40_000]) {
      const h = sampleHeader({ run_id: `wiki-d${d}-s${steps}`, config, params, batch_size: 32, seq_len: 256, dataset: { name: 'wikitext-bytes', bytes: null, sha256: null, token_unit: 'byte' }, tool: { name: 'bitscale', version: '0.1.0' } });
      writeRunLog(join(dir, 'ingested', `${h.run_id}.jsonl`), run(h, steps, law(0.6, params, steps * 32 * 256) / 3));
    }
  }
  // 2. Another architecture on GLM-Reasoning itself, byte-level and in bits per byte, at the
  //    seed's 46.4M / bs 256 / LR 6e-4 / 15K recipe: only its architecture tells it apart.
  mkdirSync(join(dir, 'gpt'));
  for (const [params, loss] of [[13_680_640, 1.9], [46_399_488, 1.6], [120_000_000, 1.45]] as const) {
    for (const steps of [15_000, 30_000]) {
      const h = foreignHeader({ run_id: `gpt-glm-${params}-${steps}`, params, config: null, batch_size: 256, seq_len: 256, lr: { peak: 6e-4, schedule: 'cosine', warmup_steps: 100, final: 0 }, dataset: { name: 'GLM-Reasoning', bytes: null, sha256: null, token_unit: 'byte' }, loss_unit: 'bits' });
      writeRunLog(join(dir, 'gpt', `${h.run_id}.jsonl`), run(h, steps, loss - (steps === 30_000 ? 0.2 : 0), { wall_s: 69 * 60 }));
    }
  }
  // 3. Per-token units: an OLMo-style ladder on c4 in nats per token (3 sizes × 3 step counts).
  mkdirSync(join(dir, 'olmo'));
  for (const params of [150e6, 400e6, 1e9]) {
    for (const steps of [2_000, 4_000, 8_000]) {
      const h = foreignHeader({ run_id: `olmo-${params / 1e6}M-${steps}`, arch: 'olmo2', params, config: null, batch_size: 512, seq_len: 2048, dataset: { name: 'c4-en', bytes: null, sha256: null, token_unit: 'token', tokenizer: 'olmo2' }, loss_unit: 'nats' });
      writeRunLog(join(dir, 'olmo', `${h.run_id}.jsonl`), run(h, steps, law(1.7, params, steps * 512 * 2048) * LN2));
    }
  }
  // 4. Runs of the main architecture outside seed/: one trained to the top level of runs/, and a
  //    collection ingested from another trainer's CSV (its tool is not bitscale's trainer).
  const top = sampleHeader({ run_id: 'top-level-run', dataset: { name: 'top-corpus', bytes: null, sha256: null, token_unit: 'byte' }, tool: { name: 'bitscale', version: '0.1.0' } });
  writeRunLog(join(dir, 'top-level-run.jsonl'), run(top, 500, 3.1));
  mkdirSync(join(dir, 'lab'));
  for (const steps of [300, 600, 1200]) {
    const h = sampleHeader({ run_id: `lab-s${steps}`, dataset: { name: 'lab-corpus', bytes: null, sha256: null, token_unit: 'byte' }, tool: { name: 'bitscale ingest (csv)', version: '0.1.0' }, backend: 'pytorch', hardware: 'RTX 4090' });
    writeRunLog(join(dir, 'lab', `${h.run_id}.jsonl`), run(h, steps, 3.5 - steps / 2000));
  }
  // 5. A GPT-style memory probe with a measured peak: the BitLM estimator must never read it.
  const probe = foreignHeader({ run_id: 'gpt-mem-probe', arch: 'gpt2', purpose: 'memory-measurement', precision: 'fp32', backend: 'tensorflow', hardware: 'test cpu', batch_size: 8, seq_len: 64, config: { d: 64, layers: 2, heads: 4, d_ff: 128, seq_len: 64, vocab: 128 }, params: 100_000, dataset: { name: 'brown', bytes: null, sha256: null, token_unit: 'byte' }, loss_unit: 'bits' });
  writeRunLog(join(dir, 'tfjs-memory', 'gpt-mem-probe.jsonl'), run(probe, 10, 3, { wall_s: 5, peak_bytes: 123_456_789 }));
}

/** The report's blocks (a heading and what follows it up to the next heading), keyed by heading. */
function blocks(markdown: string): Map<string, string> {
  const out = new Map<string, string>();
  let key = '(top)';
  for (const line of markdown.split('\n')) {
    // The list of runs left out of the fits closes §1 (after whichever dataset comes last): its own block.
    if (/^#{2,5} /.test(line) || line.startsWith('Left out of the scaling fits') || line === '---') key = line;
    out.set(key, (out.get(key) ?? '') + line + '\n');
  }
  return out;
}

const GUARDED = /^(## TL;DR|### (GLM-Reasoning|TinyStories)$|#### (GLM-Reasoning|TinyStories),|## 3\.|## 4\.|### Memory|### Wall-clock|## 5\.|## Checks)/;

let built: Promise<{ base: BuiltReport; more: BuiltReport; baseDir: string; moreDir: string; moreRuns: string }> | null = null;
function reports() {
  built ??= (async () => {
    const tmp = mkdtempSync(join(tmpdir(), 'bitscale-groups-'));
    const baseRuns = join(tmp, 'runs-base');
    const moreRuns = join(tmp, 'runs-more');
    cpSync(join(root, 'runs'), baseRuns, { recursive: true });
    cpSync(join(root, 'runs'), moreRuns, { recursive: true });
    unrelatedRuns(moreRuns);
    const common = { templatesDir: join(root, 'templates'), claimsFile: join(root, 'claims', 'seed-report.json'), analysis: { bootstrap: 300, candidateBootstrap: 100 } };
    const base = await buildReport({ ...common, runsDir: baseRuns, outDir: join(tmp, 'out-base') });
    const more = await buildReport({ ...common, runsDir: moreRuns, outDir: join(tmp, 'out-more') });
    return { base, more, baseDir: join(tmp, 'out-base'), moreDir: join(tmp, 'out-more'), moreRuns };
  })();
  return built;
}

test('invariance: another dataset, another architecture and per-token runs leave every GLM-Reasoning and TinyStories number and every claim verdict byte-identical', async () => {
  const { base, more, baseDir, moreDir } = await reports();
  assert.equal(more.analysis.runs.length, base.analysis.runs.length + 9 + 6 + 9 + 1 + 3 + 1, 'the unrelated runs were read');
  // The JSON side: headline, predictions, claims, next runs, estimator, and the GLM/TinyStories fits.
  assert.deepEqual(more.analysis.headline, base.analysis.headline);
  assert.deepEqual(more.analysis.predictions, base.analysis.predictions);
  assert.deepEqual(more.analysis.nextRuns, base.analysis.nextRuns);
  assert.deepEqual(more.analysis.calibration, base.analysis.calibration);
  assert.deepEqual(more.analysis.estimate, base.analysis.estimate);
  assert.deepEqual(more.claims, base.claims);
  const seedFits = (b: BuiltReport) => {
    const s = b.analysis.suite;
    const seed = (x: { dataset: string }) => x.dataset === 'GLM-Reasoning' || x.dataset === 'TinyStories';
    return { stepLaws: s.stepLaws.filter(seed), paramBudgets: s.paramBudgets.filter(seed), joint: s.joint.filter(seed), batchLr: s.batchLr.filter(seed) };
  };
  assert.deepEqual(seedFits(more), seedFits(base));
  // The report side: every guarded block, byte for byte, and the prediction and memory charts.
  const a = blocks(readFileSync(join(baseDir, 'SCALING_REPORT.md'), 'utf8'));
  const b = blocks(readFileSync(join(moreDir, 'SCALING_REPORT.md'), 'utf8'));
  const guarded = [...a.keys()].filter((k) => GUARDED.test(k));
  assert.ok(guarded.length >= 12, `guarded blocks found: ${guarded.join(' / ')}`);
  for (const k of guarded) assert.equal(b.get(k), a.get(k), `block "${k}" changed`);
  for (const chart of ['predictions.svg', 'memory.svg']) assert.equal(readFileSync(join(moreDir, 'charts', chart), 'utf8'), readFileSync(join(baseDir, 'charts', chart), 'utf8'), chart);
  // The unrelated runs are reported, each in a table of its own section.
  const text = readFileSync(join(moreDir, 'SCALING_REPORT.md'), 'utf8');
  for (const id of ['wiki-d128-s10000', 'gpt-glm-46399488-15000', 'olmo-150M-2000']) assert.match(text, new RegExp(`^\\| ${id} \\|`, 'm'), id);
  assert.match(text, /^## Other architecture: gpt2 on GLM-Reasoning \(bits per byte\)$/m);
  assert.match(text, /^## Other architecture: olmo2 on c4-en \(bits per token \(olmo2\)\)$/m);
});

test('a per-token ladder is reported in bits per token everywhere: tables, fit units and every chart of its section', async () => {
  const { more, moreDir } = await reports();
  const text = readFileSync(join(moreDir, 'SCALING_REPORT.md'), 'utf8');
  const start = text.indexOf('## Other architecture: olmo2 on c4-en');
  const end = text.indexOf('\n## ', start + 1);
  const section = text.slice(start, end);
  assert.doesNotMatch(section, /bits per byte|bits\/byte|val_bpc/);
  assert.match(section, /\| run \| params \| steps \| bs \| T \| tokens \| passes \| val loss \(bits per token \(olmo2\)\) \| setup \| notes \|/);
  assert.match(section, /\| E \| [0-9.]+ \| \[.*\] \(80%\) \| bits\/token \(olmo2\) \|/, 'joint law E with its interval in bits per token');
  assert.match(section, /RMSE [0-9.]+ bits\/token \(olmo2\)/);
  assert.match(section, /#### Compute-optimal line \(C = 6·N·D\)\n\n`N_opt = G/);
  // The losses were nats per token: 1 nat = 1/ln 2 bits.
  const olmo = more.analysis.otherGroups.find((g) => g.arch === 'olmo2')!;
  const r = olmo.runs.find((x) => x.id === 'olmo-150M-2000')!;
  assert.ok(Math.abs(r.finalValBpc - law(1.7, 150e6, 2000 * 512 * 2048)) < 1e-9);
  const charts = [...section.matchAll(/!\[(charts\/[^\]]+)\]/g)].map((m) => m[1]);
  assert.ok(charts.length >= 3, `charts: ${charts.join(', ')}`);
  for (const c of charts) {
    const svg = readFileSync(join(moreDir, c), 'utf8');
    assert.doesNotMatch(svg, /bits per byte|val_bpc/, c);
    if (!c.endsWith('-allocation.svg')) assert.match(svg, /bits per token \(olmo2\)/, c);
  }
});

test('a GPT-style run never reaches the BitLM estimator, not even a memory probe with a config and a measured peak', async () => {
  const { moreRuns } = await reports();
  const all = loadRunTable(moreRuns);
  const probe = all.find((r) => r.id === 'gpt-mem-probe')!;
  assert.ok(probe.config && probe.peakBytes === 123_456_789);
  const without = all.filter((r) => r.arch !== 'gpt2' && r.arch !== 'olmo2');
  assert.deepEqual(calibrateFromRuns(all), calibrateFromRuns(without));
  // The same probe labelled as BitLM would be read: the test can see the difference.
  const asBitlm = { ...probe, arch: 'bitlm-v57' };
  assert.notDeepEqual(calibrateFromRuns([...without, asBitlm]), calibrateFromRuns(without));
});

test('a fit over runs of different loss units is refused, naming the runs of each unit', () => {
  const runs = loadRunTable(join(root, 'runs')).filter((r) => r.dataset === 'TinyStories');
  const perToken = { ...runs[0], id: 'tok-run', tokenUnit: 'token' as const, tokenizer: 'gpt2', lossPer: 'token' as const, lossUnit: 'bits per token (gpt2)' };
  assert.throws(
    () => fitAnalysisGroup([...runs, perToken], { bootstrap: false }),
    new RegExp(`one fit would mix loss units \\(bits per byte: ${runs.map((r) => r.id).join(', ')}; bits per token \\(gpt2\\): tok-run\\)`),
  );
  assert.equal(fitAnalysisGroup(runs, { bootstrap: false }).stepLaws[0].lossUnit, 'bits per byte');
});

test('every run the report counts appears in a table; provenance comes from each log\'s tool', async () => {
  const { more, moreDir } = await reports();
  const text = readFileSync(join(moreDir, 'SCALING_REPORT.md'), 'utf8');
  const listed = (id: string) => new RegExp(`^\\| ${id.replace(/[.]/g, '\\.')} \\|`, 'm').test(text) || text.includes(`| \`${id}\` |`);
  const missing = more.analysis.runs.filter((r) => !listed(r.id)).map((r) => r.id);
  assert.deepEqual(missing, [], 'runs counted in the header but in no table');
  assert.match(text, /^\| top-level-run \|/m, 'a run at the top level of runs/ has a row');
  const lab = text.slice(text.indexOf('## Local data set: `runs/lab/`'));
  assert.match(lab, /^Logs written by bitscale ingest \(csv\) 0\.1\.0 \(pytorch backend on RTX 4090\)\.$/m);
  assert.doesNotMatch(lab.slice(0, lab.indexOf('\n|')), /embedded trainer|Regenerate with the sweep/);
  assert.match(text, /^Trained with bitscale's embedded trainer \(bitscale 0\.1\.0; wasm backend on .*\)\. Regenerate with the sweep named in the README\.$/m, 'brown-ladder, trained by bitscale, says so');
});

test('params_reported is shown only when it differs from the count printed at its own precision', () => {
  assert.equal(paramsLabel({ params: 5_520_000, paramsReported: '5.52M' }), '5.52M', 'the seed 5M run: no discrepancy to suggest');
  assert.equal(paramsLabel({ params: 5_500_000, paramsReported: '5.5M' }), '5.5M');
  assert.equal(paramsLabel({ params: 46_399_488, paramsReported: '46.4M' }), '46.4M');
  assert.equal(paramsLabel({ params: 46_399_488, paramsReported: '46.45M' }), '46.40M (report: 46.45M)');
  assert.equal(paramsLabel({ params: 13_680_640, paramsReported: '13.70M' }), '13.68M (report: 13.70M)');
  assert.equal(paramsLabel({ params: 61_440, paramsReported: null }), '61.4K');
});
