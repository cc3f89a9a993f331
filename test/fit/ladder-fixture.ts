/**
 * A synthetic CPU ladder with known parameters, shaped like the Brown ladder (issue 11): five
 * BitLMv57 sizes spanning more than 20× in parameters, each at three step budgets spanning 4×,
 * on the `brown` dataset at bs 16, T 128. Its val_bpc follow L(N, D) = E + A/N^α + B/D^β plus
 * noise of a known size drawn from a seeded generator, so a backtest on it has a known answer.
 * Also one LR probe (purpose "lr-probe") at a larger size than any scaling run: a backtest must
 * leave it out, or it would hold out the probe's size instead of the ladder's largest.
 */
import { countParams } from '../../src/arch/bitlm.js';
import { chinchillaLoss, type ChinchillaParams } from '../../src/fit/chinchilla.js';
import { seededRandom, standardNormal } from '../../src/fit/stats.js';
import type { BacktestRun } from '../../src/fit/backtest.js';
import { writeRunLog } from '../../src/runs/log.js';
import type { RunLog } from '../../src/runs/types.js';
import { join } from 'node:path';
import { sampleHeader } from '../helpers.js';

/** The law the ladder is drawn from: about 3.4–4.2 bits/byte over the ladder, as Brown's runs. */
export const LADDER_TRUTH: ChinchillaParams = { E: 2.0, A: 25, B: 55, alpha: 0.3, beta: 0.3 };

/** Five shapes, 19.5K to 1.16M parameters (60×; the largest 2.5× the next). */
export const LADDER_SHAPES = [
  { d: 32, layers: 2, heads: 2, dFf: 16 },
  { d: 64, layers: 2, heads: 4, dFf: 32 },
  { d: 96, layers: 3, heads: 6, dFf: 48 },
  { d: 160, layers: 3, heads: 8, dFf: 80 },
  { d: 224, layers: 4, heads: 8, dFf: 112 },
] as const;

export const LADDER_STEPS = [250, 500, 1000];
export const LADDER_BATCH = 16;
export const LADDER_SEQ_LEN = 128;

/** Standard normal draws from a seeded uniform (Box–Muller). */
export function gaussian(random: () => number): () => number {
  return () => standardNormal(random);
}

/** A ladder run: what the backtest reads (id, N, budget, tokens, loss). */
export type LadderRun = BacktestRun;

/** The ladder's runs: val_bpc = the law + `noise` × a standard normal draw (seeded). */
export function ladderRuns(noise = 0, seed = 1, truth: ChinchillaParams = LADDER_TRUTH): LadderRun[] {
  const normal = gaussian(seededRandom(seed));
  return LADDER_SHAPES.flatMap((s) => {
    const params = countParams({ d: s.d, layers: s.layers, dFf: s.dFf, vocab: 128 });
    return LADDER_STEPS.map((steps) => {
      const tokens = steps * LADDER_BATCH * LADDER_SEQ_LEN;
      return { id: `ladder-d${s.d}-L${s.layers}-s${steps}`, params, steps, batchSize: LADDER_BATCH, seqLen: LADDER_SEQ_LEN, tokens, loss: chinchillaLoss(truth, params, tokens) + noise * normal() };
    });
  });
}

/** A completed run log for one ladder run (header, an eval half-way and at the end, a summary). */
function ladderLog(r: LadderRun, shape: { d: number; layers: number; heads: number; dFf: number }, purpose?: string): RunLog {
  const config = { d: shape.d, layers: shape.layers, heads: shape.heads, d_ff: shape.dFf, seq_len: r.seqLen, vocab: 128 };
  return {
    header: {
      ...sampleHeader({ run_id: r.id, config, params: r.params, batch_size: r.batchSize, seq_len: r.seqLen, planned_steps: r.steps, lr: { peak: 3e-3, schedule: 'cosine', warmup_steps: 25, final: 0 } }),
      ...(purpose ? { purpose } : {}),
    },
    steps: [],
    evals: [
      { type: 'eval', step: r.steps / 2, tokens: r.tokens / 2, val_bpc: r.loss + 0.1 },
      { type: 'eval', step: r.steps, tokens: r.tokens, val_bpc: r.loss },
    ],
    summary: { type: 'summary', status: 'completed', steps: r.steps, tokens: r.tokens, final_val_bpc: r.loss, wall_s: null },
  };
}

/**
 * Write the ladder's logs under `dir/collection/` (and, with `probe`, an LR probe at a larger size
 * than the ladder's largest, 250 steps). Returns the runs written (the probe not among them).
 */
export function writeLadder(dir: string, options: { collection?: string; noise?: number; seed?: number; probe?: boolean } = {}): LadderRun[] {
  const collection = options.collection ?? 'ladder';
  const runs = ladderRuns(options.noise ?? 0.01, options.seed ?? 7);
  runs.forEach((r, i) => writeRunLog(join(dir, collection, `${r.id}.jsonl`), ladderLog(r, LADDER_SHAPES[Math.floor(i / LADDER_STEPS.length)], undefined)));
  if (options.probe) {
    const shape = { d: 320, layers: 4, heads: 8, dFf: 160 };
    const params = countParams({ d: shape.d, layers: shape.layers, dFf: shape.dFf, vocab: 128 });
    const tokens = 250 * LADDER_BATCH * LADDER_SEQ_LEN;
    writeRunLog(join(dir, collection, 'ladder-probe-d320.jsonl'), ladderLog({ id: 'ladder-probe-d320', params, steps: 250, batchSize: LADDER_BATCH, seqLen: LADDER_SEQ_LEN, tokens, loss: 4.5 }, shape, 'lr-probe'));
  }
  return runs;
}
