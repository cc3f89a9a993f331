import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { expandGrid, readGrid } from '../../src/train/sweep.js';
import { countParams } from '../../src/arch/bitlm.js';

const root = new URL('../..', import.meta.url).pathname;

test('reports/next-runs.json is a sweep grid of the report\'s §5 candidates: same order, configs, budgets and GPU-hours as the table', () => {
  const path = `${root}reports/next-runs.json`;
  const grid = readGrid(path);
  const runs = expandGrid(grid, path);
  const table = readFileSync(`${root}reports/SCALING_REPORT.md`, 'utf8').split('## 5.')[1].split('\n## ')[0].split('\n').filter((l) => /^\| \d+ \|/.test(l)).map((l) => l.split('|').map((c) => c.trim()));
  assert.equal(runs.length, table.length);
  runs.forEach((r, i) => {
    const row = table[i];
    const notes = (grid.models[i] as { notes: { gpu_hours: number; params: number } }).notes;
    assert.equal(r.runId, `next-runs-${row[2]}-s${r.config.steps}`);
    assert.equal(row[4], `d=${r.config.model.d}, L=${r.config.model.layers}, H=${r.config.model.heads}, d_ff=${r.config.model.dFf}`);
    assert.match(row[6], new RegExp(`steps, bs ${r.config.batchSize},`));
    assert.equal(countParams(r.config.model), notes.params);
    assert.ok(row[11].startsWith(`${notes.gpu_hours.toFixed(1)} h`), `${row[11]} vs ${notes.gpu_hours}`);
    assert.ok(!('notes' in r.config), 'notes are not passed to the trainer');
  });
  assert.equal(runs.find((r) => r.runId.includes('46M-steps-x2'))!.config.steps, 2 * runs[0].config.steps, 'each entry keeps its own step budget');
});
