import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeRunLog } from '../../src/runs/log.js';
import { SEED_RUNS, seedRunLog } from './seed-runs.js';

const CHINCHILLA = 'test/fit/fixtures/chinchilla_besiroglu2024.csv';

function bitscale(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/bitscale.js', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function seedRunsDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-fit-'));
  for (const s of SEED_RUNS) writeRunLog(join(dir, 'runs', 'seed', `${s.id}.jsonl`), seedRunLog(s));
  return dir;
}

test('fit --csv on the Besiroglu et al. 2024 Chinchilla data (5 highest losses dropped) reproduces α = 0.3478 and β = 0.3658 to ±0.003', () => {
  const r = bitscale(['fit', '--csv', CHINCHILLA, '--form', 'chinchilla', '--x', 'Model Size', '--flops', 'Training FLOP', '--y', 'loss', '--drop-highest', '5', '--bootstrap', '20', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(Object.keys(out.params), ['A', 'B', 'E', 'alpha', 'beta']);
  assert.ok(Math.abs(out.params.alpha - 0.3478) < 0.003, `alpha ${out.params.alpha}`);
  assert.ok(Math.abs(out.params.beta - 0.3658) < 0.003, `beta ${out.params.beta}`);
  assert.ok(Math.abs(out.params.E - 1.82) < 0.01, `E ${out.params.E}`);
  assert.equal(out.input.rows, 245);
  assert.equal(out.input.used, 240);
  assert.equal(out.residuals.length, 240);
  assert.ok(out.objective > 0 && out.intervals.alpha.lo < out.params.alpha && out.intervals.alpha.hi > out.params.alpha);
  assert.equal(out.diagnostics.starts, 4500);
  assert.equal(out.samples, undefined);
});

test('fit --csv --form steps|saturating gives params keyed Linf, C, beta / A, B, alpha and honours --fix and --x-unit', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-csv-'));
  const steps = join(dir, 'steps.csv');
  writeFileSync(steps, 'steps,val_bpc\n10000,1.335\n20000,1.238\n40000,1.169\n');
  const a = bitscale(['fit', '--csv', steps, '--form', 'steps', '--x', 'steps', '--y', 'val_bpc', '--json']);
  assert.equal(a.status, 0, a.stderr);
  const sa = JSON.parse(a.stdout);
  assert.deepEqual(Object.keys(sa.params), ['C', 'Linf', 'beta']);
  assert.equal(sa.determination, 'exact');
  assert.ok(Math.abs(sa.params.beta - 0.4914) < 1e-3);
  assert.deepEqual(Object.keys(sa.intervals).sort(), ['C', 'Linf', 'beta']);
  const sizes = join(dir, 'sizes.csv');
  writeFileSync(sizes, 'n,bpc\n5520000,2.213\n13700000,2.003\n46450000,1.766\n');
  const b = bitscale(['fit', '--csv', sizes, '--form', 'saturating', '--x', 'n', '--y', 'bpc', '--fix', 'A=1.0', '--x-unit', '1e6', '--json']);
  assert.equal(b.status, 0, b.stderr);
  const sb = JSON.parse(b.stdout);
  assert.deepEqual(Object.keys(sb.params), ['A', 'B', 'alpha']);
  assert.equal(sb.params.A, 1);
  assert.ok(Math.abs(sb.params.alpha - 0.218) < 0.005 && Math.abs(sb.params.B - 1.76) < 0.01);
  const human = bitscale(['fit', '--csv', sizes, '--form', 'saturating', '--x', 'n', '--y', 'bpc', '--fix', 'A=1.0']);
  assert.match(human.stdout, /alpha\s+0\.21/);
  assert.match(human.stdout, /A\s+1\.0000\s+fixed/);
});

test('fit --csv names the file, line and column of a bad value and exits 1; --fix of an unknown parameter is refused', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-csv-'));
  const bad = join(dir, 'bad.csv');
  writeFileSync(bad, 'steps,val_bpc\n10000,1.3\n20000,oops\n');
  const r = bitscale(['fit', '--csv', bad, '--form', 'steps', '--x', 'steps', '--y', 'val_bpc']);
  assert.equal(r.status, 1);
  assert.equal(r.stderr.trim().split('\n').length, 1);
  assert.match(r.stderr, /bad\.csv:3: field 'val_bpc'/);
  const f = bitscale(['fit', '--csv', bad, '--form', 'steps', '--x', 'steps', '--y', 'val_bpc', '--fix', 'alpha=1']);
  assert.equal(f.status, 1);
  assert.match(f.stderr, /cannot fix 'alpha'/);
});

test('bitscale fit writes fits/*.json deterministically: the same runs give byte-identical files', () => {
  const dir = seedRunsDir();
  const outA = join(dir, 'fitsA');
  const outB = join(dir, 'fitsB');
  const a = bitscale(['--runs', join(dir, 'runs'), 'fit', '--out', outA, '--bootstrap', '200']);
  assert.equal(a.status, 0, a.stderr);
  assert.match(a.stdout, /GLM-Reasoning\s+bitlm-v57\s+bits per byte\s+256\s+15K/);
  const b = bitscale(['--runs', join(dir, 'runs'), 'fit', '--out', outB, '--bootstrap', '200', '--json']);
  assert.equal(b.status, 0, b.stderr);
  const files = readdirSync(outA).sort();
  assert.deepEqual(files, ['batch-lr.json', 'dataset-offsets.json', 'index.json', 'joint.json', 'params.json', 'steps.json']);
  for (const f of files) assert.equal(readFileSync(join(outA, f), 'utf8'), readFileSync(join(outB, f), 'utf8'), f);
  const params = JSON.parse(readFileSync(join(outA, 'params.json'), 'utf8'));
  assert.equal(params.paramBudgets[0].fixedA.samples, undefined, 'bootstrap draws are not written');
  assert.ok(!readFileSync(join(outA, 'index.json'), 'utf8').match(/20\d\d-\d\d-\d\dT/), 'no timestamps');
  assert.equal(JSON.parse(b.stdout).formatVersion, 1);
});

test('bitscale predict --params 369.6M --steps 30000 --bs 256 --dataset GLM-Reasoning --json gives value, 80% interval and its sources', () => {
  const dir = seedRunsDir();
  const r = bitscale(['--runs', join(dir, 'runs'), 'predict', '--params', '369.6M', '--steps', '30000', '--bs', '256', '--dataset', 'GLM-Reasoning', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const p = JSON.parse(r.stdout);
  assert.equal(p.query.params, 369600000);
  assert.ok(p.valBpc > 1.3 && p.valBpc < 1.5);
  assert.equal(p.interval.level, 0.8);
  assert.ok(p.interval.lo <= p.valBpc && p.valBpc <= p.interval.hi);
  assert.ok(p.assumptions.length >= 2 && p.fits.length >= 2);
  const human = bitscale(['--runs', join(dir, 'runs'), 'predict', '--params', '3.6B', '--steps', '15K', '--bs', '256', '--dataset', 'GLM-Reasoning']);
  assert.equal(human.status, 0, human.stderr);
  assert.match(human.stdout, /predicted val_bpc \d\.\d{3}/);
  assert.match(human.stderr, /beyond 10×/);
});
