import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const CHINCHILLA = 'test/fit/fixtures/chinchilla_besiroglu2024.csv';

function bitscale(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/bitscale.js', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** One line on stderr, exit 1, matching `pattern`. */
function failsWith(args: string[], pattern: RegExp): void {
  const r = bitscale(args);
  assert.equal(r.status, 1, `${args.join(' ')}: ${r.stdout}`);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, pattern);
}

test('plan --gpu a100-40gb --hours 12 --dataset GLM-Reasoning --json: a frontier and a recommendation that fits and takes at most 12 h', () => {
  const r = bitscale(['plan', '--gpu', 'a100-40gb', '--hours', '12', '--dataset', 'GLM-Reasoning', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  for (const k of ['recommended', 'next_best', 'gap_bpc', 'ranges_overlap', 'frontier', 'shape_rules', 'batch_sizes', 'excluded', 'assumptions']) assert.ok(k in out, k);
  const rec = out.recommended;
  assert.ok(rec.memory_bytes <= rec.usable_bytes);
  assert.ok(rec.hours <= 12 && rec.hours > 11.9);
  assert.equal(rec.micro_batches.reduce((s: number, p: { size: number; count: number }) => s + p.size * p.count, 0), rec.batch_size);
  assert.equal(rec.tokens, rec.steps * rec.batch_size * 256);
  // The recommendation is the frontier's lowest, and the frontier has one entry per size.
  assert.equal(Math.min(...out.frontier.map((c: { val_bpc: number }) => c.val_bpc)), rec.val_bpc);
  assert.equal(new Set(out.frontier.map((c: { params: number }) => c.params)).size, out.frontier.length);
  assert.ok(out.frontier.every((c: { memory_bytes: number; usable_bytes: number }) => c.memory_bytes <= c.usable_bytes));
  assert.ok(out.gap_bpc >= 0 && typeof out.ranges_overlap === 'boolean');
  // The committed report's §4 "best config for the seed's own budget" (one A100 40GB, 12 h) is this plan's recommendation.
  const report = readFileSync('reports/SCALING_REPORT.md', 'utf8');
  const best = /^\| shape \| .* \| .* \| (d=\d+ L=\d+ H=\d+ d_ff=\d+) \|$/m.exec(report);
  assert.ok(best, 'the report has the best-config table');
  assert.equal(best[1], `d=${rec.shape.d} L=${rec.shape.layers} H=${rec.shape.heads} d_ff=${rec.shape.d_ff}`);
  // Its size lies beyond the largest GLM-Reasoning run (46.4M): marked with the factor.
  if (rec.params > 46_399_488) assert.ok(Math.abs(rec.extrapolation.params_factor - rec.params / 46_399_488) < 1e-9);
});

test('plan: bad input is one line and exit 1 (unknown GPU lists the known ones; zero/negative hours and GPUs; a dataset with no runs; a file that is not a saved fit; no budget)', () => {
  failsWith(['plan', '--gpu', 'tpu-v9', '--hours', '1'], /unknown GPU 'tpu-v9' \(known: a100-40gb, a100-80gb, h100-80gb/);
  failsWith(['plan', '--gpu', 'a100-40gb', '--hours', '0'], /hours.*expected a number > 0, got '0'/);
  failsWith(['plan', '--gpu', 'a100-40gb', '--hours', '-3'], /hours/);
  failsWith(['plan', '--gpu', 'a100-40gb', '--hours', '1', '--gpus', '0'], /gpus.*expected an integer ≥ 1, got '0'/);
  failsWith(['plan', '--gpu', 'a100-40gb', '--hours', '1', '--dataset', 'nope'], /no runs with --dataset 'nope'.*GLM-Reasoning/);
  failsWith(['plan', '--gpu', 'a100-40gb', '--hours', '1', '--law', 'package.json'], /package\.json: not a saved fit/);
  failsWith(['plan', '--gpu', 'a100-40gb'], /give one budget: --hours H or --flops C/);
  failsWith(['plan', '--gpu', 'a100-40gb', '--hours', '1', '--shape', 'd=1000,L=2,H=32,dff=500'], /not divisible by H=32/);
});

test('fit --csv --form chinchilla --save, then predict --law on the Chinchilla data: L(N, D) from the saved parameters, a bootstrap interval, provenance, D flagged ×(4T / largest D)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-law-'));
  const lawFile = join(dir, 'law.json');
  const fit = bitscale(['fit', '--csv', CHINCHILLA, '--form', 'chinchilla', '--x', 'Model Size', '--flops', 'Training FLOP', '--y', 'loss', '--drop-highest', '5', '--bootstrap', '20', '--save', lawFile]);
  assert.equal(fit.status, 0, fit.stderr);
  const law = JSON.parse(readFileSync(lawFile, 'utf8'));
  assert.equal(law.format, 'bitscale-law');
  assert.equal(law.samples.length, 20);
  assert.equal(law.provenance.sha256, createHash('sha256').update(readFileSync(CHINCHILLA)).digest('hex'));
  assert.equal(law.provenance.used, 240);
  // The fitted ranges, recomputed from the CSV: the 240 rows left after dropping the 5 highest losses, D = C/(6N).
  const [header, ...lines] = readFileSync(CHINCHILLA, 'utf8').trim().split('\n');
  const cols = header.split(',');
  const rows = lines.map((l) => l.split(',')).map((f) => ({ n: Number(f[cols.indexOf('Model Size')]), c: Number(f[cols.indexOf('Training FLOP')]), loss: Number(f[cols.indexOf('loss')]) }));
  const used = [...rows].sort((a, b) => a.loss - b.loss).slice(0, 240);
  const maxD = Math.max(...used.map((r) => r.c / (6 * r.n)));
  assert.equal(law.ranges.params.max, Math.max(...used.map((r) => r.n)));
  assert.ok(Math.abs(law.ranges.tokens.max / maxD - 1) < 1e-12);

  const r = bitscale(['predict', '--law', lawFile, '--params', '7B', '--tokens', '4T', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const p = JSON.parse(r.stdout);
  const { E, A, B, alpha, beta } = law.params;
  assert.ok(Math.abs(p.value - (E + A / 7e9 ** alpha + B / 4e12 ** beta)) < 1e-12);
  assert.ok(p.interval.lo < p.interval.hi && p.interval.level === 0.8);
  assert.equal(p.extrapolation.params_factor, null);
  assert.ok(Math.abs(p.extrapolation.tokens_factor - 4e12 / maxD) < 1e-6);
  assert.match(r.stderr, /D is 12\.6× beyond the largest D/);
  assert.equal(p.provenance.file, CHINCHILLA);

  const human = bitscale(['predict', '--law', lawFile, '--params', '7B', '--tokens', '4T']);
  assert.match(human.stdout, /from: test\/fit\/fixtures\/chinchilla_besiroglu2024\.csv \(sha256 [0-9a-f]{12}…\): 240 of 245 rows/);
  assert.match(human.stdout, /extrapolation: D ×12\.6/);

  // plan --law uses it: the loss column, every candidate fits.
  const plan = bitscale(['plan', '--gpu', 'a100-40gb', '--hours', '12', '--law', lawFile, '--json']);
  assert.equal(plan.status, 0, plan.stderr);
  const out = JSON.parse(plan.stdout);
  assert.equal(out.metric, 'loss');
  assert.ok(Math.abs(out.recommended.val_bpc - (E + A / out.recommended.params ** alpha + B / out.recommended.tokens ** beta)) < 1e-12);
  failsWith(['predict', '--law', lawFile, '--params', '7B'], /--law FILE needs --tokens/);
});
