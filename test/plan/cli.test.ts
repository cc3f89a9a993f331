import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bitscaleCli as bitscale, failsWith } from '../helpers.js';
import { writeFamilies } from '../fit/family-ladders.js';

const CHINCHILLA = 'test/fit/fixtures/chinchilla_besiroglu2024.csv';

test('plan --gpu a100-40gb --hours 12 --dataset GLM-Reasoning --json: a frontier and a recommendation that fits and takes at most 12 h', () => {
  const r = bitscale(['plan', '--gpu', 'a100-40gb', '--hours', '12', '--dataset', 'GLM-Reasoning', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  for (const k of ['recommended', 'next_best', 'gap_bpc', 'ranges_overlap', 'tell_apart', 'frontier', 'shape_rules', 'batch_sizes', 'excluded', 'assumptions']) assert.ok(k in out, k);
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
  // The report's "cheapest run that would tell them apart" is the CLI's, word for word.
  const text = bitscale(['plan', '--gpu', 'a100-40gb', '--hours', '12', '--dataset', 'GLM-Reasoning']).stdout.split('\n');
  const from = text.findIndex((l) => l.startsWith('Cheapest run that would tell them apart:'));
  const sentences = [text[from]];
  for (const l of text.slice(from + 1)) {
    if (!/^ {2}(The one|After it)/.test(l)) break;
    sentences.push(l.trim());
  }
  assert.ok(report.includes(`\n${sentences.join(' ')}\n`), sentences.join(' '));
  // Its size lies beyond the largest GLM-Reasoning run (46.4M): marked with the factor.
  if (rec.params > 46_399_488) assert.ok(Math.abs(rec.extrapolation.params_factor - rec.params / 46_399_488) < 1e-9);
});

test('plan: the cheapest run that would tell the two best apart, in the text and under tell_apart in --json (GLM-Reasoning, 1 h: their ranges overlap)', () => {
  const args = ['plan', '--gpu', 'a100-40gb', '--hours', '1', '--dataset', 'GLM-Reasoning'];
  const json = bitscale([...args, '--json']);
  assert.equal(json.status, 0, json.stderr);
  const out = JSON.parse(json.stdout);
  assert.equal(out.ranges_overlap, true);
  const t = out.tell_apart;
  for (const k of ['needed', 'note', 'rule', 'before', 'pick', 'pick_separates', 'candidates']) assert.ok(k in t, k);
  assert.equal(t.needed, true);
  for (const k of ['id', 'shape', 'params', 'batch_size', 'steps', 'gpu_hours', 'assumed_val_bpc', 'rank', 'recommended_range_after', 'next_best_range_after', 'overlap_after_bpc', 'separates']) assert.ok(k in t.pick, k);
  // The rule: the cheapest separating candidate, else the largest overlap shrink per GPU-hour.
  type Row = { id: string; gpu_hours: number; overlap_after_bpc: number; separates: boolean; rank: number; recommended_range_after: { lo: number; hi: number }; next_best_range_after: { lo: number; hi: number } };
  const rows: Row[] = t.candidates;
  for (const r of rows) assert.equal(r.separates, Math.min(r.recommended_range_after.hi, r.next_best_range_after.hi) - Math.max(r.recommended_range_after.lo, r.next_best_range_after.lo) < 0);
  const sep = rows.filter((r) => r.separates).sort((a, b) => a.gpu_hours - b.gpu_hours);
  const per = (r: Row) => (t.before.overlap_bpc - r.overlap_after_bpc) / r.gpu_hours;
  const expected = sep[0] ?? [...rows].sort((a, b) => per(b) - per(a))[0];
  assert.equal(t.pick.id, expected.id);
  assert.equal(t.pick_separates, sep.length > 0);
  // The text names the same run, its GPU-hours and rank.
  const text = bitscale(args);
  assert.equal(text.status, 0, text.stderr);
  const line = text.stdout.split('\n').find((l) => l.startsWith('Cheapest run that would tell them apart:'));
  assert.ok(line, text.stdout);
  const named = t.pick_separates ? line : text.stdout.split('\n').find((l) => l.includes('shrinks their overlap most per GPU-hour'))!;
  assert.ok(named.includes(`${t.pick.id}: `) && named.includes(`${t.pick.gpu_hours.toFixed(1)} GPU-hours on NVIDIA A100 40GB`) && named.includes(`(rank ${t.pick.rank} of ${rows.length} `), named);
});

test('plan: where the two best do not overlap (TinyStories, 1 h), no run is needed, in the text and the JSON', () => {
  // The seed's two TinyStories sizes differ in recipe (v70: bs 256, LR 3.2e-3), and no size law joins
  // recipes: a 5.5M twin of v70 at the 46.4M runs' recipe (bs 64, LR 3e-4) gives TinyStories its law.
  const runs = mkdtempSync(join(tmpdir(), 'bitscale-plan-ts-'));
  cpSync('runs/seed', join(runs, 'seed'), { recursive: true });
  const v70 = readFileSync('runs/seed/v70.jsonl', 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const twin = v70.map((rec) => (rec.type === 'header' ? { ...rec, run_id: 'ts_5M_bs64', batch_size: 64, lr: { ...rec.lr, peak: 3e-4 } } : { ...rec, tokens: (rec.step ?? rec.steps) * 64 * 256 }));
  writeFileSync(join(runs, 'seed', 'ts_5M_bs64.jsonl'), twin.map((rec) => JSON.stringify(rec)).join('\n') + '\n');
  const args = ['plan', '--runs', runs, '--gpu', 'a100-40gb', '--hours', '1', '--dataset', 'TinyStories'];
  const out = JSON.parse(bitscale([...args, '--json']).stdout);
  assert.equal(out.ranges_overlap, false);
  assert.equal(out.tell_apart.needed, false);
  assert.equal(out.tell_apart.pick, null);
  assert.deepEqual(out.tell_apart.candidates, []);
  assert.match(bitscale(args).stdout, /^Cheapest run that would tell them apart: none needed — their ranges do not overlap: no run is needed\.$/m);
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

test('plan without --dataset plans for the report\'s headline dataset (GLM-Reasoning): the README\'s 8 × H100 command works and says why', () => {
  const r = bitscale(['plan', '--gpu', 'h100-80gb', '--gpus', '8', '--hours', '24', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.dataset, 'GLM-Reasoning');
  assert.match(out.dataset_source, /the report's headline dataset, from claims\/seed-report\.json/);
  const text = bitscale(['plan', '--gpu', 'h100-80gb', '--gpus', '8', '--hours', '24']);
  assert.match(text.stdout, /^dataset: GLM-Reasoning \(the report's headline dataset/m);
});

test('plan keeps 5% of the memory free by default and says so; --headroom changes it; every candidate carries its T×T verdict', () => {
  const plan = (extra: string[]) => JSON.parse(bitscale(['plan', '--gpu', 'a100-40gb', '--hours', '12', '--dataset', 'GLM-Reasoning', '--json', ...extra]).stdout);
  const usable = 39 * 2 ** 30;
  for (const [extra, headroom] of [[[], 0.05], [['--headroom', '0.2'], 0.2]] as const) {
    const out = plan([...extra]);
    assert.equal(out.headroom, headroom);
    assert.ok(out.assumptions.some((a: string) => a.startsWith(`memory: ${Math.round(headroom * 100)}% of the usable memory kept free`)));
    for (const c of out.frontier) {
      assert.equal(c.usable_bytes, usable);
      assert.equal(c.limit_bytes, usable * (1 - headroom));
      assert.ok(c.memory_bytes <= c.limit_bytes);
      assert.ok(['fits', 'depends'].includes(c.memory_verdict.kind));
      assert.deepEqual(c.memory_verdict.tt_bytes_range.map((x: number) => x.toFixed(2)), ['2.00', '6.23']);
      // "depends" names the largest T×T bytes/element at which it still fits, inside the range.
      if (c.memory_verdict.kind === 'depends') assert.ok(c.memory_verdict.max_tt_bytes >= 2 && c.memory_verdict.max_tt_bytes < 6.23);
    }
  }
  const text = bitscale(['plan', '--gpu', 'a100-40gb', '--hours', '12', '--dataset', 'GLM-Reasoning']).stdout;
  assert.match(text, /^memory: 5% of each GPU's usable memory kept free \(--headroom 0\.05\)/m);
  assert.match(text, /of 37\.05 GiB \(39\.00 GiB usable less 5% headroom\)/);
});

test('plan\'s "micro × accum" column prints the micro-batch first: 16 × 2 is two micro-steps of 16', () => {
  // At bs 256 (the law's own batch size) the largest shapes need accumulation on 8 GPUs (32 sequences each).
  const out = JSON.parse(bitscale(['plan', '--gpu', 'h100-80gb', '--gpus', '8', '--hours', '24', '--batch-size', '256', '--json']).stdout);
  const accumulated = out.frontier.find((c: { grad_accum_steps: number }) => c.grad_accum_steps > 1);
  assert.ok(accumulated, 'some candidate accumulates');
  const text = bitscale(['plan', '--gpu', 'h100-80gb', '--gpus', '8', '--hours', '24', '--batch-size', '256']).stdout;
  const row = text.split('\n').find((l) => l.includes(`d=${accumulated.shape.d} L=${accumulated.shape.layers} `))!;
  assert.ok(row.includes(` ${accumulated.micro_batch} × ${accumulated.grad_accum_steps} `), row);
  assert.equal(accumulated.micro_batch * accumulated.grad_accum_steps, accumulated.per_gpu_batch);
});

test('plan for a dataset whose laws are at another context blames seq-len, not the GPU', () => {
  failsWith(['plan', '--gpu', 'h100-80gb', '--hours', '24', '--dataset', 'brown'], /^bitscale: field 'seq-len': no parameter law for dataset 'brown' at seq_len 256: its laws are at seq_len 128$/m);
});

test('plan --law says that the law is applied to byte-level ±1 shapes; step time grows with size (369.6M < 721.6M)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-plan-law-'));
  const law = join(dir, 'law.json');
  const fit = bitscale(['fit', '--csv', CHINCHILLA, '--form', 'chinchilla', '--x', 'Model Size', '--flops', 'Training FLOP', '--y', 'loss', '--drop-highest', '5', '--bootstrap', '0', '--save', law, '--json']);
  assert.equal(fit.status, 0, fit.stderr);
  const r = bitscale(['plan', '--gpu', 'a100-40gb', '--flops', '1e19', '--law', law, '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /the law is applied to byte-level strict ±1 BitLMv57 shapes, with D = steps × batch × T bytes/);
  const out = JSON.parse(r.stdout);
  const at = (n: number) => out.frontier.find((c: { params: number }) => Math.abs(c.params - n) < 1e5);
  assert.ok(at(369_623_040).seconds_per_step < at(721_551_360).seconds_per_step);
  const perSize = [...out.frontier].sort((a: { params: number }, b: { params: number }) => a.params - b.params);
  const sameBatch = perSize.filter((c: { batch_size: number }) => c.batch_size === perSize[0].batch_size);
  for (let i = 1; i < sameBatch.length; i++) assert.ok(sameBatch[i].seconds_per_step >= sameBatch[i - 1].seconds_per_step, `${sameBatch[i].params}`);
});

test('plan states the recommended run\'s passes over the dataset (GLM-Reasoning\'s 387M bytes from its runs, or --dataset-bytes) and warns when the passes beyond the first gain less than the interval is wide', () => {
  const r = bitscale(['plan', '--gpu', 'a100-40gb', '--hours', '12', '--dataset', 'GLM-Reasoning', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const plan = JSON.parse(r.stdout);
  const rep = plan.repetition;
  assert.ok(Math.abs(rep.passes - plan.recommended.tokens / 387e6) < 1e-9, `${rep.passes}`);
  assert.equal(rep.evidence.source, 'borrowed');
  assert.ok(rep.cost > 0 && rep.repeats_gain > 0, JSON.stringify(rep));
  // A corpus just below the run's tokens: 1.1 passes, whose 0.1 pass beyond the first gains far less than the interval's width.
  const near = bitscale(['plan', '--gpu', 'a100-40gb', '--hours', '12', '--dataset', 'GLM-Reasoning', '--dataset-bytes', String(Math.round(plan.recommended.tokens / 1.1)), '--json']);
  assert.equal(near.status, 0, near.stderr);
  const nearRep = JSON.parse(near.stdout).repetition;
  assert.ok(Math.abs(nearRep.passes - 1.1) < 1e-6);
  const width = plan.recommended.interval.hi - plan.recommended.interval.lo;
  assert.ok(nearRep.repeats_gain < width, `${nearRep.repeats_gain} vs ${width}`);
  assert.match(near.stderr, /the passes beyond the first are predicted to gain .* less than its 80% prediction interval is wide/);
  assert.doesNotMatch(r.stderr, /passes beyond the first are predicted to gain/);
});

test('plan searches batch sizes 1/4–4× the law\'s (GLM-Reasoning: 64–1024 around 256), each answered by the critical-batch law, and prints the wall-clock trade', () => {
  const r = bitscale(['plan', '--gpu', 'a100-40gb', '--hours', '12', '--dataset', 'GLM-Reasoning', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.deepEqual(out.batch_sizes, [64, 128, 256, 512, 1024]);
  assert.match(out.batch_size_note, /measured at bs 256; other batch sizes are predicted by the critical-batch law S\(B\) = S_min\(1 \+ B_noise\/B\)/);
  assert.match(out.batch_size_note, /glm_50M_a100_bf16 .* glm_50M_bs256_hlr/);
  const trade = out.batch_trade as { batch_size: number; steps: number; equivalent_steps: number | null; law_batch: number | null }[];
  assert.deepEqual(trade.map((x) => x.batch_size), [64, 128, 256, 512, 1024]);
  for (const x of trade) {
    if (x.batch_size === 256) {
      assert.equal(x.equivalent_steps, null);
      continue;
    }
    // Between the law's two limits: B_noise → 0 (steps only) and B_noise → ∞ (tokens only).
    const [a, b] = [x.steps, (x.steps * x.batch_size) / 256].sort((p, q) => p - q);
    assert.equal(x.law_batch, 256);
    assert.ok(x.equivalent_steps! >= a - 1e-6 && x.equivalent_steps! <= b + 1e-6, `bs ${x.batch_size}: ${x.equivalent_steps} outside [${a}, ${b}]`);
  }
  // More, cheaper steps at a smaller batch: steps fall as the batch grows within the same 12 h.
  for (let i = 1; i < trade.length; i++) assert.ok(trade[i].steps < trade[i - 1].steps);
  const text = bitscale(['plan', '--gpu', 'a100-40gb', '--hours', '12', '--dataset', 'GLM-Reasoning']).stdout;
  assert.match(text, /^Batch size for d=\d+ L=\d+ H=\d+ d_ff=\d+: the wall-clock trade/m);
  assert.match(text, /^ +256 +[\d.]+ +[\d,]+ +[\d.]+[KMB] +measured bs /m);
});

test('plan --arch bitlm-v52 predicts with the bitlm-v57 laws at N_eff = m·N, m its measured multiplier (synthetic: m = 0.5), and says it is borrowed', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-plan-arch-'));
  // L = 1.5 + 30/(m·N)^0.3 + 40/D^0.3 on brown, T 128, bs 16: v57 at m = 1, v52 at m = 0.5.
  writeFamilies(dir, [
    { arch: 'bitlm-v57', m: 1, dffRatio: 0.5, prefix: 'v57' },
    { arch: 'bitlm-v52', m: 0.5, dffRatio: 0.5, prefix: 'v52' },
  ]);
  // The synthetic logs state a 1,000-byte corpus; --unique-tokens gives the plan a real one.
  const args = ['--runs', dir, 'plan', '--gpu', 'a100-40gb', '--hours', '1', '--dataset', 'brown', '--seq-len', '128', '--unique-tokens', '10B', '--json'];
  const v57 = bitscale(args);
  const v52 = bitscale([...args, '--arch', 'bitlm-v52']);
  assert.equal(v57.status, 0, v57.stderr);
  assert.equal(v52.status, 0, v52.stderr);
  const [a, b] = [JSON.parse(v57.stdout), JSON.parse(v52.stdout)];
  const m = Number(/N_eff = m·N, m = ([\d.]+)/.exec(b.assumptions[0])![1]);
  assert.ok(Math.abs(m - 0.5) < 2e-3, b.assumptions[0]);
  assert.match(b.assumptions[0], /measured on brown's family ladders \(4 \+ 4 runs at 1000 steps, `bitscale compare --dataset brown --families bitlm-v57,bitlm-v52 --steps 1000`\) — borrowed from another architecture's runs, and assumed constant in N and in the budget/);
  assert.match(v52.stderr, /plan --arch bitlm-v52: the bitlm-v57 laws at N_eff = m·N/);
  // Each shape of the same batch and steps: the v52 prediction is v57's law at half the parameters, so worse.
  for (const c of b.frontier) {
    const same = a.frontier.find((x: { shape: { d: number }; batch_size: number; steps: number }) => x.shape.d === c.shape.d && x.batch_size === c.batch_size && x.steps === c.steps);
    if (same) assert.ok(c.val_bpc > same.val_bpc, `d ${c.shape.d}: ${c.val_bpc} vs ${same.val_bpc}`);
  }
  failsWith(['--runs', dir, 'plan', '--gpu', 'a100-40gb', '--hours', '1', '--dataset', 'brown', '--seq-len', '128', '--arch', 'float-v52'], /plan --arch float-v52 needs its multiplier against bitlm-v57 .*no completed scaling runs of arch float-v52 on brown/);
});
