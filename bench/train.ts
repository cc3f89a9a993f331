/**
 * Benchmark of the embedded trainer as a user runs it: for the issue's shapes at T=128, bs=16, and
 * 1 … N data-parallel workers, a short `train()` run whose steady-state ms/step comes from its own
 * run log (median of the step records after the first). Beside each shape:
 *   - GFLOP/s achieved, with FLOPs from the shared `trainingFlopsPerStep`;
 *   - the scaling efficiency ms(1) / (N · ms(N));
 *   - the ceiling: cores × the backend's plain 2-D matMul GFLOP/s (measured here on the shape's own
 *     [B·T × d]·[d × d] product) against the step's FLOPs, and the fraction of it reached. On wasm
 *     and cpu the trainer does its products with a ±1 factor in bitscale's kernels (popcount, table
 *     lookup), without a multiply-add per FLOP counted, so it can pass 100% of that ceiling;
 *   - a PyTorch CPU run of the same model measured in the same invocation (bench/bitlm_torch.py),
 *     and PyTorch's own plain matMul GFLOP/s on the shape beside the backend's (on the 2-core VM:
 *     OpenBLAS with AVX-512 FMA against XNNPACK under wasm's 4-lane SIMD without FMA), and the
 *     ratio the ceiling itself would give against PyTorch's step, when python3 with torch is
 *     present (Debian: python3-torch, and libopenblas0-pthread: without an optimised BLAS, Debian's
 *     torch runs matMuls at ~1 GFLOP/s on the reference BLAS);
 * then where the time of one single-thread step goes (tf.profile kernel times by kind, and bitscale's
 * own kernels in src/model/kernels.wat by their own timers; the rest is JavaScript between kernels), and the same for one worker's share of the batch alone: N workers
 * cannot beat that, so the ceiling over it is the most "of ceiling" perfect scaling would reach.
 *
 *   node --import tsx bench/train.ts [--backend wasm|cpu] [--threads 1,2] [--steps 6]
 *        [--shapes d128,d512] [--arch bitlm-v57|float-v52] [--blocks 1] [--no-profile]
 *        [--torch-threads 2] [--no-torch] [--json]
 *
 * --blocks B repeats (PyTorch, then ours at each thread count) B times per shape, interleaved, and
 * keeps the fastest of each: on a shared machine a block that ran beside other work reads slow on
 * both sides alike only if both sides ran in it. --arch float-v52 times the float reference family
 * (docs/model.md) against bitlm_torch.py's float variant of the same shape.
 *
 * On a shared machine, figures taken while other work runs read slow, and scaling over workers
 * reads worst of all (a busy core stalls every step): compare ratios taken in one invocation.
 */
import * as tf from '@tensorflow/tfjs-core';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { trainingFlopsPerStep, type Architecture, type ModelConfig } from '../src/arch/bitlm.js';
import { loadBrownCorpus } from '../src/data/corpus.js';
import { MATMUL_EACH } from '../src/model/batched.js';
import { kernelMs } from '../src/model/kernels.js';
import { createModel } from '../src/model/model.js';
import { readRunLog } from '../src/runs/log.js';
import { AdamW, DEFAULT_ADAMW } from '../src/train/adamw.js';
import { selectBackend, type BackendChoice } from '../src/train/backend.js';
import { GumbelPool } from '../src/train/noise.js';
import { resolveConfig } from '../src/train/presets.js';
import { train, trainingStep } from '../src/train/trainer.js';
import { assignValues, sliceGradients } from '../src/train/replica.js';
import { reduceGradients, sliceOf, variableViews } from '../src/train/workers.js';
import { readValues } from '../src/model/wasm-kernels.js';
import { stableStringify } from '../src/util/json.js';
import { formatTable } from '../src/util/format.js';
import { timeRepeated } from './timing.js';

const T = 128;
const BS = 16;
const SHAPES: { name: string; model: ModelConfig }[] = [
  { name: 'd128-L2-H8-ff64', model: { d: 128, layers: 2, heads: 8, dFf: 64, seqLen: T, vocab: 128 } },
  { name: 'd256-L4-H8-ff128', model: { d: 256, layers: 4, heads: 8, dFf: 128, seqLen: T, vocab: 128 } },
  { name: 'd512-L4-H16-ff256', model: { d: 512, layers: 4, heads: 16, dFf: 256, seqLen: T, vocab: 128 } },
  { name: 'd1024-L2-H16-ff512', model: { d: 1024, layers: 2, heads: 16, dFf: 512, seqLen: T, vocab: 128 } },
];

/**
 * GFLOP/s of a plain [m×k]·[k×n] matMul on the current backend: the fastest of `repeat` (a ceiling
 * is the best the backend does; on a shared machine one sample, or a median of a few, swings by a
 * third from one minute to the next and moves "of ceiling" with it).
 */
function matMulGflops(m: number, k: number, n: number, repeat = 15): number {
  const a = tf.randomNormal([m, k]);
  const b = tf.randomNormal([k, n]);
  const { min } = timeRepeated(
    () =>
      tf.tidy(() => {
        tf.matMul(a, b).dataSync(); // returning the array from tidy would make tidy scan every element
      }),
    { repeat, warmup: 2 },
  );
  a.dispose();
  b.dispose();
  return (2 * m * k * n) / (min / 1000) / 1e9;
}

/** Median ms/step of a short run through `train()` (the user's path), from its run log. */
async function trainedMsPerStep(model: ModelConfig, arch: Architecture, threads: number, steps: number): Promise<number> {
  const root = mkdtempSync(join(tmpdir(), 'bitscale-bench-'));
  try {
    const config = resolveConfig('small', { name: 'bench', arch, model, batchSize: BS, steps, warmup: 1, evalEvery: steps + 1, evalWindows: 1, checkpointEvery: 0, profileEvery: 0 });
    const r = await train({ config, corpus: loadBrownCorpus(), runId: 'bench', outDir: join(root, 'runs'), checkpointDir: join(root, 'ckpt'), threads });
    const ms = readRunLog(r.logPath)
      .steps.slice(1) // the first step also sets kernels up and measures memory
      .map((s) => ((BS * T) / s.tokens_per_s!) * 1000)
      .sort((a, b) => a - b);
    return ms[Math.floor(ms.length / 2)];
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** The first python with torch: `python3` on the PATH, then the system's (Debian's python3-torch). */
function torchPython(): string | null {
  for (const py of ['python3', '/usr/bin/python3']) if (spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0) return py;
  process.stderr.write('PyTorch peer skipped: no python3 with torch (Debian: apt-get install python3-torch libopenblas0-pthread)\n');
  return null;
}

/** PyTorch's ms/step for the same shape, or null (with the reason on stderr). */
function torchMsPerStep(python: string, m: ModelConfig, arch: Architecture, threads: number, steps: number): number | null {
  return torchResult(python, ['--d', m.d, '--layers', m.layers, '--heads', m.heads, '--dff', m.dFf, '--seq-len', T, '--batch', BS, '--threads', threads, '--steps', steps, '--arch', arch], 'ms_per_step');
}

/** GFLOP/s of PyTorch's plain [B·T, d]·[d, d] matMul on `threads` threads (fastest of 15), or null. */
function torchMatMulGflops(python: string, d: number, threads: number): number | null {
  return torchResult(python, ['--gemm', '--d', d, '--seq-len', T, '--batch', BS, '--threads', threads], 'gflops');
}

/** One field of bitlm_torch.py's JSON line for these arguments, or null (with the reason on stderr). */
function torchResult(python: string, args: (string | number)[], field: string): number | null {
  const script = new URL('./bitlm_torch.py', import.meta.url).pathname;
  // Passive OpenMP waiting: with the default spinning, 2 torch threads on a shared machine ran 11×
  // slower here (5.8 s against 0.53 s per d128 step); on an idle machine it costs next to nothing.
  const r = spawnSync(python, [script, ...args.map(String)], { encoding: 'utf8', env: { ...process.env, OMP_WAIT_POLICY: 'PASSIVE' } });
  if (r.status !== 0) {
    process.stderr.write(`PyTorch peer skipped: ${(r.error?.message ?? r.stderr ?? '').trim().split('\n').pop()}\n`);
    return null;
  }
  return JSON.parse(r.stdout.trim().split('\n').pop()!)[field] as number;
}

interface Breakdown {
  /** Samples in the profiled step: the whole batch, or one worker's share of it. */
  batch: number;
  /** Median wall-clock of the step (forward, backward, AdamW on every weight), alone on the machine. */
  step_ms: number;
  /** Fastest wall-clock of the forward and backward passes alone (what a worker computes before its share of the update), when asked for. */
  forward_backward_ms: number | null;
  linear_matmul: number;
  attention_matmul: number;
  /** bitscale's own kernels (kernels.wat), copies in and out included: the products with a ±1 factor, the causal attention. */
  sign_products: number;
  causal_attention: number;
  other_kernels: number;
  javascript: number;
  kernels: number;
}

/**
 * Where one single-thread step of `batch` samples goes: kernel time by kind (tf.profile), the rest
 * JavaScript. With one worker's share of the batch it bounds the workers from below: N workers on
 * N cores cannot step faster than one of them alone on its share (perfect scaling, no update).
 */
async function profileStep(model: ModelConfig, arch: Architecture, batch = BS, timeForwardBackward = false): Promise<Breakdown> {
  const bitlm = createModel(model, { arch, ste: 'clipped', initStd: 0.02, seed: 1 });
  const opt = new AdamW(bitlm.variables, DEFAULT_ADAMW);
  const pool = arch === 'bitlm-v57' ? new GumbelPool(1, model.heads * T * T) : null;
  const tokens = new Int32Array(batch * T).map((_, i) => (i * 31) % 128);
  const targets = new Int32Array(batch * T).map((_, i) => (i * 17 + 3) % 128);
  let t = 0;
  const step = () => void trainingStep(bitlm, opt, pool, { tokens, targets }, t++, 1e-3, 1);
  const ms = timeRepeated(step, { repeat: 2, warmup: 1 }).median;
  // The fastest of several: a lower bound is the best the machine does.
  const forwardBackward = timeForwardBackward ? timeRepeated(() => tf.tidy(() => void sliceGradients(bitlm, pool, { tokens, targets }, t++, 1, 0).value.dataSync()), { repeat: 5, warmup: 1 }).min : null;
  kernelMs.signProducts = kernelMs.causalAttention = 0;
  const info = await tf.profile(step);
  const out: Breakdown = { batch, step_ms: ms, forward_backward_ms: forwardBackward, linear_matmul: 0, attention_matmul: 0, sign_products: kernelMs.signProducts, causal_attention: kernelMs.causalAttention, other_kernels: 0, javascript: 0, kernels: 0 };
  for (const k of info.kernels) {
    if (k.name === 'forward') continue; // a custom op's wrapper: its inner kernels are listed too
    const kms = (await k.kernelTimeMs) as number;
    out.kernels++;
    if (k.name === MATMUL_EACH) out.attention_matmul += kms;
    else if (k.name === 'BatchMatMul' || k.name === '_FusedMatMul') {
      if (k.inputShapes.some((s) => s.includes(batch * T))) out.linear_matmul += kms;
      else out.attention_matmul += kms;
    } else out.other_kernels += kms;
  }
  out.javascript = Math.max(0, ms - out.linear_matmul - out.attention_matmul - out.sign_products - out.causal_attention - out.other_kernels);
  opt.dispose();
  bitlm.dispose();
  return out;
}

/**
 * What a data-parallel worker moves per update besides its forward and backward passes (see
 * src/train/worker-entry.ts), timed on this thread for worker 0 of `threads` at this shape: the
 * reload of every weight into its replica, the copy of its gradients into shared memory, the sum
 * of the workers' gradients over its range of the parameters, and AdamW over that range. Fastest
 * of 3, in ms.
 */
function workerUpdateMs(model: ModelConfig, arch: Architecture, threads: number): { reload: number; gradients_out: number; sum: number; adamw: number } {
  const bitlm = createModel(model, { arch, ste: 'clipped', initStd: 0.02, seed: 1 });
  const sizes = bitlm.variables.map((v) => v.size);
  const total = sizes.reduce((a, b) => a + b, 0);
  const buffers = Array.from({ length: 3 + threads }, () => new SharedArrayBuffer(4 * total));
  const [w, m, v, ...g] = buffers.map((b) => new Float32Array(b));
  const views = variableViews(buffers[0], sizes);
  const gradViews = variableViews(buffers[3], sizes);
  const { first: lo, count } = sliceOf(total, threads, 0);
  const hi = lo + count;
  const best = (f: () => void) => timeRepeated(f, { repeat: 3, warmup: 1 }).min;
  const out = {
    reload: best(() => assignValues(bitlm.variables, views)),
    gradients_out: best(() => bitlm.variables.forEach((x, i) => gradViews[i].set(readValues(x)))),
    sum: best(() => reduceGradients(g, g.map(() => 1 / threads), lo, hi)),
    adamw: best(() => AdamW.applyRange(DEFAULT_ADAMW, { w, m, v, g: g[0] }, lo, hi, 1, 0.5, 1e-3)),
  };
  bitlm.dispose();
  return out;
}

async function main(): Promise<void> {
  const cores = availableParallelism();
  const { values } = parseArgs({
    options: {
      backend: { type: 'string', default: 'wasm' },
      threads: { type: 'string', default: Array.from({ length: Math.min(cores, BS) }, (_, i) => i + 1).join(',') },
      steps: { type: 'string', default: '6' },
      shapes: { type: 'string', default: 'd128,d512' },
      'torch-threads': { type: 'string', default: '2' },
      'no-torch': { type: 'boolean', default: false },
      'no-profile': { type: 'boolean', default: false },
      arch: { type: 'string', default: 'bitlm-v57' },
      blocks: { type: 'string', default: '1' },
      json: { type: 'boolean', default: false },
    },
  });
  const { backend } = await selectBackend(values.backend as BackendChoice);
  const threadCounts = values.threads.split(',').map(Number);
  const steps = Number(values.steps);
  const torchThreads = Number(values['torch-threads']);
  const arch = values.arch as Architecture;
  if (arch !== 'bitlm-v57' && arch !== 'float-v52') throw new Error(`--arch: expected bitlm-v57 or float-v52, got ${arch}`);
  const blocks = Math.max(1, Number(values.blocks));
  const shapes = SHAPES.filter((s) => values.shapes.split(',').some((p) => s.name.startsWith(p)));
  const python = values['no-torch'] ? null : torchPython();
  const rows = [];
  const breakdowns: Record<string, Breakdown> = {};
  /** Per shape: one worker's share at the most threads measured, alone, against the ceiling. */
  const bounds: { shape: string; threads: number; share: Breakdown; ceilingMs: number; update: ReturnType<typeof workerUpdateMs> }[] = [];
  for (const s of shapes) {
    const flops = trainingFlopsPerStep(s.model, BS);
    const plain = matMulGflops(BS * T, s.model.d, s.model.d);
    const ceilingMs = (flops / (cores * plain * 1e9)) * 1000;
    const torchPlain = python === null ? null : torchMatMulGflops(python, s.model.d, torchThreads);
    const n = s.model.d >= 512 ? Math.max(3, Math.ceil(steps / 2)) : steps;
    // Interleaved blocks, the fastest of each side kept.
    let torchMs: number | null = null;
    const best = new Map<number, number>();
    for (let b = 0; b < blocks; b++) {
      const t = python === null ? null : torchMsPerStep(python, s.model, arch, torchThreads, n);
      if (t !== null) torchMs = Math.min(torchMs ?? Infinity, t);
      for (const threads of threadCounts) best.set(threads, Math.min(best.get(threads) ?? Infinity, await trainedMsPerStep(s.model, arch, threads, n + 1)));
    }
    let oneMs: number | null = null;
    for (const threads of threadCounts) {
      const ms = best.get(threads)!;
      if (threads === 1) oneMs = ms;
      rows.push({
        shape: s.name,
        threads,
        ms_per_step: ms,
        tokens_per_s: (BS * T) / (ms / 1000),
        achieved_gflops: flops / (ms / 1000) / 1e9,
        scaling_efficiency: oneMs === null ? null : oneMs / (threads * ms),
        plain_matmul_gflops: plain,
        ceiling_ms_per_step: ceilingMs,
        of_ceiling: ceilingMs / ms,
        pytorch_ms_per_step: torchMs,
        vs_pytorch: torchMs === null ? null : ms / torchMs,
        pytorch_matmul_gflops: torchPlain,
        ceiling_vs_pytorch: torchMs === null ? null : ceilingMs / torchMs,
      });
    }
    if (values['no-profile']) continue;
    breakdowns[s.name] = await profileStep(s.model, arch);
    const most = Math.max(...threadCounts);
    if (most > 1) {
      // The ceiling again, from a plain matMul measured just before: the machine's speed drifts
      // over the minutes this shape took, and the bound compares two figures of the same moment.
      const plainNow = matMulGflops(BS * T, s.model.d, s.model.d);
      bounds.push({ shape: s.name, threads: most, share: await profileStep(s.model, arch, sliceOf(BS, most, 0).count, true), ceilingMs: (flops / (cores * plainNow * 1e9)) * 1000, update: workerUpdateMs(s.model, arch, most) });
    }
  }
  const load = loadavg()[0];
  const reference = matMulGflops(4096, 512, 512, 3);
  if (values.json) {
    process.stdout.write(`${stableStringify({ backend, arch, blocks, cores, pytorch_threads: torchThreads, load_average_1min: load, reference_matmul_gflops: reference, rows, single_thread_breakdown_ms: breakdowns, one_worker_share: bounds })}\n`);
    return;
  }
  const pct = (x: number | null) => (x === null ? '—' : `${(100 * x).toFixed(0)}%`);
  process.stdout.write(
    `${formatTable(
      ['shape (T=128, bs=16)', 'threads', 'ms/step', 'tokens/s', 'GFLOP/s', 'scaling', 'ceiling ms/step', 'of ceiling', `PyTorch ${torchThreads}T ms`, 'ours/PyTorch', 'ceiling/PyTorch', `matMul GFLOP/s: ours 1T, PyTorch ${torchThreads}T`],
      rows.map((x) => [
        x.shape,
        x.threads,
        x.ms_per_step.toFixed(0),
        x.tokens_per_s.toFixed(0),
        x.achieved_gflops.toFixed(2),
        pct(x.scaling_efficiency),
        x.ceiling_ms_per_step.toFixed(0),
        pct(x.of_ceiling),
        x.pytorch_ms_per_step === null ? '—' : x.pytorch_ms_per_step.toFixed(0),
        x.vs_pytorch === null ? '—' : `${x.vs_pytorch.toFixed(2)}×`,
        x.ceiling_vs_pytorch === null ? '—' : `${x.ceiling_vs_pytorch.toFixed(2)}×`,
        `${x.plain_matmul_gflops.toFixed(0)}, ${x.pytorch_matmul_gflops === null ? '—' : x.pytorch_matmul_gflops.toFixed(0)}`,
      ]),
    )}\n\n`,
  );
  if (Object.keys(breakdowns).length) process.stdout.write(
    `${formatTable(
      ['one step, 1 thread', 'linear matMul ms', 'attention matMul ms', '±1 products ms', 'causal attention ms', 'other kernels ms', 'JavaScript ms', 'kernels'],
      Object.entries(breakdowns).map(([name, b]) => [name, b.linear_matmul.toFixed(0), b.attention_matmul.toFixed(0), b.sign_products.toFixed(0), b.causal_attention.toFixed(0), b.other_kernels.toFixed(0), b.javascript.toFixed(0), b.kernels]),
    )}\n\n`,
  );
  if (bounds.length) {
    process.stdout.write(
      `${formatTable(
        ['one worker\'s share, alone', 'threads', 'samples', 'forward+backward ms', 'ceiling ms/step', 'best of ceiling', 'whole step ms', 'linear matMul ms', 'attention matMul ms', '±1 products ms', 'causal attention ms', 'other kernels ms', 'update: reload+grads out+sum+AdamW ms'],
        bounds.map((b) => [b.shape, b.threads, b.share.batch, b.share.forward_backward_ms!.toFixed(0), b.ceilingMs.toFixed(0), pct(b.ceilingMs / b.share.forward_backward_ms!), b.share.step_ms.toFixed(0), b.share.linear_matmul.toFixed(0), b.share.attention_matmul.toFixed(0), b.share.sign_products.toFixed(0), b.share.causal_attention.toFixed(0), b.share.other_kernels.toFixed(0), [b.update.reload, b.update.gradients_out, b.update.sum, b.update.adamw].map((x) => x.toFixed(0)).join('+')]),
      )}\n`,
    );
    process.stdout.write(
      'best of ceiling: the ceiling over one worker\'s forward and backward passes on its share, alone on the machine; N workers cannot step faster than that (it leaves out their update, weight reload and every wait), so no code around these kernels reaches more of the ceiling\n\n',
    );
  }
  process.stdout.write(`${arch}, best of ${blocks} interleaved block(s) per side\n`);
  process.stdout.write(`${backend}: plain matMul [4096×512]·[512×512] ${reference.toFixed(1)} GFLOP/s; ceiling = ${cores} cores × the shape's plain matMul GFLOP/s against the step's FLOPs (bitscale's ±1 kernels do their share without float multiply-adds, so a step may pass it)\n`);
  process.stdout.write(`ceiling/PyTorch: the ours/PyTorch of a step whose every FLOP ran at the backend's plain matMul speed on every core; a family without ±1 factors (float-v52) cannot go below it\n`);
  process.stdout.write(`load average (1 min) while measuring: ${load.toFixed(2)} on ${cores} cores: figures read slow, and scaling low, when it is above ~1\n`);
}

await main();
