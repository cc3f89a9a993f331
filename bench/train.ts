/**
 * Benchmark of the embedded trainer: ms/step, tokens/s and achieved GFLOP/s (FLOPs from the shared
 * `trainingFlopsPerStep`) for the three shapes at T=128, bs=16, beside the backend's own
 * plain 2-D matMul GFLOP/s, the ratio to a PyTorch CPU implementation on this machine (2 threads:
 * 88 ms/step for the first shape, 650 ms/step for the third; issue 5), and where the time goes
 * (tf.profile kernel times by kind; the remainder is JavaScript: tensor creation, the attention's
 * per-head loops, the Gumbel bias).
 *
 *   node --import tsx bench/train.ts [--backend wasm|cpu|node|gpu|all] [--steps 5] [--json]
 *
 * On a shared 2-core machine, figures taken while other work runs read slow.
 */
import * as tf from '@tensorflow/tfjs-core';
import { availableParallelism, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { trainingFlopsPerStep, type ModelConfig } from '../src/arch/bitlm.js';
import { createModel } from '../src/model/model.js';
import { AdamW, DEFAULT_ADAMW } from '../src/train/adamw.js';
import { selectBackend, type BackendChoice } from '../src/train/backend.js';
import { GumbelPool } from '../src/train/noise.js';
import { trainingStep } from '../src/train/trainer.js';
import { stableStringify } from '../src/util/json.js';
import { formatTable } from '../src/util/format.js';
import { timeRepeated } from './timing.js';

const T = 128;
const BS = 16;
const SHAPES: { name: string; model: ModelConfig; pytorchMs: number | null }[] = [
  { name: 'd128-L2-H8-ff64', model: { d: 128, layers: 2, heads: 8, dFf: 64, seqLen: T, vocab: 128 }, pytorchMs: 88 },
  { name: 'd256-L4-H8-ff128', model: { d: 256, layers: 4, heads: 8, dFf: 128, seqLen: T, vocab: 128 }, pytorchMs: null },
  { name: 'd512-L4-H16-ff256', model: { d: 512, layers: 4, heads: 16, dFf: 256, seqLen: T, vocab: 128 }, pytorchMs: 650 },
];

/** GFLOP/s of a plain [m×k]·[k×n] matMul on the current backend (median of `repeat`). */
function matMulGflops(m: number, k: number, n: number, repeat = 5): number {
  const a = tf.randomNormal([m, k]);
  const b = tf.randomNormal([k, n]);
  const { median } = timeRepeated(
    () =>
      tf.tidy(() => {
        tf.matMul(a, b).dataSync(); // returning the array from tidy would make tidy scan every element
      }),
    { repeat, warmup: 2 },
  );
  a.dispose();
  b.dispose();
  return (2 * m * k * n) / (median / 1000) / 1e9;
}

interface Breakdown {
  linearMatMulMs: number;
  attentionMatMulMs: number;
  otherKernelsMs: number;
  kernels: number;
}

/** Kernel time of one step by kind: the model's 2-D linear products (a side of B·T rows), the per-head attention products, the rest. */
async function profileStep(step: () => void, tokens: number): Promise<Breakdown> {
  const info = await tf.profile(step);
  const out: Breakdown = { linearMatMulMs: 0, attentionMatMulMs: 0, otherKernelsMs: 0, kernels: 0 };
  for (const k of info.kernels) {
    if (k.name === 'forward') continue; // a custom op's wrapper: its inner kernels are listed too
    const ms = (await k.kernelTimeMs) as number;
    out.kernels++;
    if (k.name === 'BatchMatMul' || k.name === '_FusedMatMul') {
      const touchesTokens = k.inputShapes.some((s) => s.includes(tokens));
      if (touchesTokens) out.linearMatMulMs += ms;
      else out.attentionMatMulMs += ms;
    } else out.otherKernelsMs += ms;
  }
  return out;
}

async function benchBackend(choice: BackendChoice, steps: number) {
  const { backend } = await selectBackend(choice);
  const rows = [];
  for (const s of SHAPES) {
    const n = backend === 'cpu' ? 1 : s.model.d >= 512 ? Math.max(2, Math.ceil(steps / 2)) : steps;
    if (backend === 'cpu' && s.model.d > 128) continue; // the pure-JS backend takes minutes per step here
    const model = createModel(s.model, { arch: 'bitlm-v57', ste: 'clipped', initStd: 0.02, seed: 1 });
    const opt = new AdamW(model.variables, DEFAULT_ADAMW);
    const pool = new GumbelPool(1, s.model.heads * T * T);
    const tokens = new Int32Array(BS * T).map((_, i) => (i * 31) % 128);
    const targets = new Int32Array(BS * T).map((_, i) => (i * 17 + 3) % 128);
    let t = 0;
    const step = () => {
      trainingStep(model, opt, pool, { tokens, targets }, t, 1e-3, 1);
      t++;
    };
    // One untimed step first: kernel set-up, pool pages.
    const ms = timeRepeated(step, { repeat: n, warmup: 1 }).median;
    const br = await profileStep(step, BS * T);
    const flops = trainingFlopsPerStep(s.model, BS);
    const plain = matMulGflops(BS * T, s.model.d, s.model.d);
    rows.push({
      backend,
      shape: s.name,
      ms_per_step: ms,
      tokens_per_s: (BS * T) / (ms / 1000),
      achieved_gflops: flops / (ms / 1000) / 1e9,
      plain_matmul_gflops: plain,
      vs_pytorch: s.pytorchMs ? ms / s.pytorchMs : null,
      kernel_ms: { linear_matmul: br.linearMatMulMs, attention_matmul: br.attentionMatMulMs, other: br.otherKernelsMs },
      kernels_per_step: br.kernels,
      steps_timed: n,
    });
    opt.dispose();
    model.dispose();
  }
  return { backend, rows, reference_matmul_gflops: matMulGflops(4096, 512, 512, 3) };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { backend: { type: 'string', default: 'wasm' }, steps: { type: 'string', default: '5' }, json: { type: 'boolean', default: false } } });
  const choices: BackendChoice[] = values.backend === 'all' ? ['gpu', 'node', 'wasm', 'cpu'] : [values.backend as BackendChoice];
  const results = [];
  for (const c of choices) {
    try {
      results.push(await benchBackend(c, Number(values.steps)));
    } catch (err) {
      process.stderr.write(`${c}: skipped (${err instanceof Error ? err.message.split('\n')[0] : String(err)})\n`);
    }
  }
  const load = loadavg()[0];
  if (values.json) {
    process.stdout.write(`${stableStringify({ load_average_1min: load, results })}\n`);
    return;
  }
  const table = results.flatMap((r) =>
    r.rows.map((x) => [
      x.backend,
      x.shape,
      x.ms_per_step.toFixed(0),
      x.tokens_per_s.toFixed(0),
      x.achieved_gflops.toFixed(2),
      x.plain_matmul_gflops.toFixed(1),
      x.vs_pytorch === null ? '—' : `${x.vs_pytorch.toFixed(2)}×`,
      `${x.kernel_ms.linear_matmul.toFixed(0)} / ${x.kernel_ms.attention_matmul.toFixed(0)} / ${x.kernel_ms.other.toFixed(0)} / ${(x.ms_per_step - x.kernel_ms.linear_matmul - x.kernel_ms.attention_matmul - x.kernel_ms.other).toFixed(0)}`,
    ]),
  );
  process.stdout.write(`${formatTable(['backend', 'shape (T=128, bs=16)', 'ms/step', 'tokens/s', 'GFLOP/s', 'matMul GFLOP/s', 'vs PyTorch', 'ms: linear / attn matmul / other kernels / JS'], table)}\n`);
  for (const r of results) process.stdout.write(`${r.backend}: plain matMul [4096×512]·[512×512] ${r.reference_matmul_gflops.toFixed(1)} GFLOP/s\n`);
  process.stdout.write(`load average (1 min) while measuring: ${load.toFixed(2)} on ${availableParallelism()} cores: figures read slow when it is above ~1\n`);
}

await main();
