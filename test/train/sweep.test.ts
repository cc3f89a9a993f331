import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandGrid, readGrid, runState, type SweepGrid } from '../../src/train/sweep.js';
import { submitSweep } from '../../src/sweep/submit.js';
import { localPool } from '../../src/sweep/local.js';
import { trainingFlopsPerStep } from '../../src/arch/bitlm.js';
import { readConfigObject, resolveConfig } from '../../src/train/presets.js';
import { defaultThreads } from '../../src/train/workers.js';
import { readRunLog } from '../../src/runs/log.js';

const grid: SweepGrid = {
  name: 'g',
  out: 'unused',
  base: { preset: 'small', warmup: 10 },
  models: [
    { name: 'a', model: { d: 64, layers: 2, heads: 4, d_ff: 32 }, lr: 4e-3 },
    { name: 'b', model: { d: 128 } },
  ],
  steps: [100, 200],
  seeds: [0],
};

/** The grid as a file (the sweep re-reads it to check its data). */
function gridFile(dir: string, g: SweepGrid): string {
  const path = join(dir, 'grid.json');
  writeFileSync(path, JSON.stringify(g));
  return path;
}

test('a grid expands to models × steps runs named grid-model-s<steps>, each a full config', () => {
  const runs = expandGrid(grid);
  assert.deepEqual(runs.map((r) => r.runId), ['g-a-s100', 'g-a-s200', 'g-b-s100', 'g-b-s200']);
  const a = runs[1].config;
  assert.deepEqual(a.model, { d: 64, layers: 2, heads: 4, dFf: 32, seqLen: 128, vocab: 128 });
  assert.equal(a.lr, 4e-3);
  assert.equal(a.steps, 200);
  assert.equal(a.warmup, 10);
  assert.equal(runs[2].config.lr, resolveConfig('small').lr);
  assert.equal(runs[1].flops, trainingFlopsPerStep(a.model, 16) * 200);
});

test('completed logs are skipped, a log without a summary is resumed, a missing one is new', async () => {
  const out = mkdtempSync(join(tmpdir(), 'bitscale-sweep-'));
  const header = { type: 'header', format_version: 1, run_id: 'x', arch: 'bitlm-v57', config: { d: 64, layers: 2, heads: 4, d_ff: 32, seq_len: 128, vocab: 128 }, params: 2 * (4 * 64 * 64 + 3 * 64 * 32) + 2 * 128 * 64, batch_size: 16, seq_len: 128, lr: { peak: 1e-3, schedule: 'cosine', warmup_steps: 1, final: 0 }, planned_steps: 100, seed: 0, dataset: { name: 'brown', bytes: 10, sha256: null, token_unit: 'byte' }, loss_unit: 'bits', precision: 'fp32', backend: 'wasm', hardware: 'cpu', tool: { name: 'bitscale', version: '0' } };
  const summary = { type: 'summary', status: 'completed', steps: 100, tokens: 204800, final_val_bpc: 3.5, wall_s: 1 };
  writeFileSync(join(out, 'g-a-s100.jsonl'), [header, summary].map((r) => JSON.stringify(r)).join('\n') + '\n');
  writeFileSync(join(out, 'g-a-s200.jsonl'), JSON.stringify(header) + '\n');
  assert.equal(runState(out, 'g-a-s100'), 'done');
  assert.equal(runState(out, 'g-a-s200'), 'partial');
  assert.equal(runState(out, 'g-b-s100'), 'new');
  const only = expandGrid(grid).slice(0, 1);
  const sweepDir = join(out, 'work');
  const r = await submitSweep({ grid: { ...grid, out }, gridPath: gridFile(out, grid), runs: only, sweepDir, backend: 'wasm', submit: true, options: { maxParallel: 2, signalSeconds: 120, extra: [] }, scheduler: localPool({ sweepDir }) });
  assert.deepEqual(r.skipped, [{ run_id: 'g-a-s100', why: 'finished' }]);
  assert.deepEqual(r.ran, []);
  assert.equal(r.script, null);
});

test('a sweep shares the cores among its jobs and every run log records threads and jobs', async () => {
  const out = mkdtempSync(join(tmpdir(), 'bitscale-sweep-'));
  const tiny: SweepGrid = { name: 't', out, base: { preset: 'tiny', batchSize: 4, evalWindows: 2, checkpointEvery: 0 }, models: [{ name: 'a', model: { d: 16, layers: 1, heads: 2, d_ff: 16, seq_len: 16 } }], steps: [2], seeds: [0] };
  const sweepDir = join(out, 'work');
  const r = await submitSweep({ grid: tiny, gridPath: gridFile(out, tiny), runs: expandGrid(tiny), sweepDir, backend: 'wasm', submit: true, options: { maxParallel: 2, signalSeconds: 120, extra: [] }, scheduler: localPool({ sweepDir }) });
  assert.deepEqual(r.ran!.map((x) => x.exit_code), [0]);
  const header = readRunLog(join(out, 't-a-s2.jsonl')).header;
  assert.equal(header.jobs, 2);
  assert.equal(header.threads, defaultThreads(4, 2));
});

test('a grid file needs a name, models and positive step budgets', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-grid-'));
  const path = join(dir, 'grid.json');
  writeFileSync(path, JSON.stringify({ name: 'ok', models: [{ name: 'm' }], steps: [0] }));
  assert.throws(() => readGrid(path), /steps/);
  writeFileSync(path, JSON.stringify({ name: 'ok', models: [{ name: 'm', preset: 'tiny' }], steps: [5] }));
  assert.equal(readGrid(path).out, join('runs', 'ok'));
});

test('config objects accept the run log\'s snake_case model keys and reject unknown presets', () => {
  const c = readConfigObject({ preset: 'tiny', model: { d_ff: 96, seq_len: 48 } }, 'x.json');
  assert.equal(c.model.dFf, 96);
  assert.equal(c.model.seqLen, 48);
  assert.equal(c.model.d, 64);
  assert.throws(() => readConfigObject({ preset: 'huge' }, 'x.json'), /unknown preset 'huge'/);
  assert.throws(() => readConfigObject({ preset: 'tiny', model: { heads: 5 } }, 'x.json'), /not divisible/);
});

test('a model entry may carry its own step budgets (replacing the grid\'s) and notes that do not reach the trainer', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-grid-'));
  const path = join(dir, 'grid.json');
  writeFileSync(path, JSON.stringify({ name: 'n', base: { preset: 'tiny' }, models: [{ name: 'a', steps: [10, 20], notes: { gpu_hours: 1.5 } }, { name: 'b', steps: [30] }] }));
  const runs = expandGrid(readGrid(path), path);
  assert.deepEqual(runs.map((r) => [r.runId, r.config.steps]), [['n-a-s10', 10], ['n-a-s20', 20], ['n-b-s30', 30]]);
  assert.ok(!('notes' in runs[0].config));
  writeFileSync(path, JSON.stringify({ name: 'n', models: [{ name: 'a', steps: [10] }, { name: 'b' }] }));
  assert.throws(() => readGrid(path), /field 'steps'/);
  writeFileSync(path, JSON.stringify({ name: 'n', models: [{ name: 'a', steps: 10 }] }));
  assert.throws(() => readGrid(path), /field 'models\[0\]\.steps'/);
});
