/**
 * A prediction at a batch size no run measured, by the critical-batch law of src/fit/batch-lr.ts.
 *
 * S(B) = S_min·(1 + B_noise/B) says that S steps at batch B reach the loss that
 *     S_eq = S · (1 + B_noise/B_ref) / (1 + B_noise/B)
 * steps reach at batch B_ref (equivalentSteps). So a law measured at B_ref answers a query at B by
 * asking it at S_eq steps. B_noise is counted in tokens per step (B·T), so that it carries across
 * contexts. Its two limits bound every answer: B_noise → 0 gives S_eq = S (steps are all that
 * matter), B_noise → ∞ gives S_eq = S·B/B_ref (tokens are all that matter).
 *
 * Where B_noise comes from (batchNoiseEvidence), in order:
 * 1. the query's own analysis group has a batch/LR grid (purpose batch-lr runs with ≥ 3 batch sizes
 *    at one size): the fitted B_noise at the grid's size nearest N and the target nearest the
 *    predicted loss, with its profile-likelihood interval ("own grid");
 * 2. the group has two runs of one size at two batch sizes (the seed's 46.4M pair): the larger
 *    batch reached the smaller one's final loss L₁ within its own steps S₂ ≤ S₂,final, so
 *        (1 + B_noise/B₁)/(1 + B_noise/B₂) = S₁/S₂ ≥ S₁/S₂,final,
 *    a lower bound on B_noise (pairBatchNoiseBound), open above ("own pair"). Where the smaller
 *    batch's runs measure a per-doubling gain g of steps (two or more step counts; least squares of
 *    the best loss on log₂ steps), the larger batch is taken to have needed
 *        S₂ = S₂,final · 2^((L₁ − L₂,final)/g)   (g < 0)
 *    steps to L₁, and that S₂ gives the estimate; otherwise the estimate is the bound;
 * 3. another group's grid lends its value, and the interval is then every B_noise (0 to ∞): a
 *    B_noise measured on other models at other losses says nothing certain about this one, so the
 *    answer is bounded only by the law's two limits ("borrowed").
 */
import type { RunRecord } from '../runs/types.js';
import { analysisGroupKey, byCodePoint } from '../runs/table.js';
import { analyseBatchLr, type BatchLrAnalysis } from './batch-lr-runs.js';
import type { Interval } from './types.js';
import { formatCount, formatSigned } from '../util/format.js';

/** Steps at `refBatch` that reach the loss `steps` reach at `batch` (module comment); B_noise in the batches' units, +∞ allowed. */
export function equivalentSteps(steps: number, batch: number, refBatch: number, bNoise: number): number {
  if (!Number.isFinite(bNoise)) return (steps * batch) / refBatch;
  return (steps * (1 + bNoise / refBatch)) / (1 + bNoise / batch);
}

/**
 * The least B_noise consistent with a pair (module comment, case 2): batch b1 took s1 steps to a
 * loss that batch b2 > b1 reached within s2 steps. Solves (1 + x/b1)/(1 + x/b2) = s1/s2 for x;
 * 0 when the larger batch saved no steps, +∞ when it saved b2/b1 or more (perfect scaling).
 */
export function pairBatchNoiseBound(b1: number, s1: number, b2: number, s2: number): number {
  const r = s1 / s2;
  if (r <= 1) return 0;
  if (r >= b2 / b1) return Number.POSITIVE_INFINITY;
  return (r - 1) / (1 / b1 - r / b2);
}

export interface BatchNoiseEstimate {
  /** B_noise in tokens per step; the interval's open ends are 0 and +∞. */
  tokens: number;
  interval: Interval;
  source: 'own grid' | 'own pair' | 'borrowed';
  /** The size (params) and loss it was measured at. */
  params: number;
  loss: number;
  /** The runs behind it, in code-point order. */
  runIds: string[];
  /** Where it came from, in words (without the interval). */
  from: string;
}

/** Batch/LR grids per collection, fitted once and reused (each is a few milliseconds, predictions are many). */
export type GridCache = Map<string, BatchLrAnalysis | null>;

/** Every collection of purpose batch-lr runs analysed (analyseBatchLr; a refused grid is left out), with its analysis group and context. */
export function gridAnalyses(runs: readonly RunRecord[], cache?: GridCache): { group: string; seqLen: number; analysis: BatchLrAnalysis }[] {
  const gridRuns = runs.filter((r) => r.purpose === 'batch-lr' && r.status === 'completed');
  const collections = [...new Set(gridRuns.map((r) => r.collection))].sort(byCodePoint);
  return collections.flatMap((c) => {
    let analysis = cache?.get(c);
    if (analysis === undefined) {
      try {
        analysis = analyseBatchLr(gridRuns, c);
      } catch {
        analysis = null; // a refused grid lends nothing; `fit --batch-lr` says why
      }
      cache?.set(c, analysis);
    }
    const first = gridRuns.find((r) => r.collection === c)!;
    return analysis ? [{ group: analysisGroupKey(first), seqLen: first.seqLen, analysis }] : [];
  });
}

/** The fitted B_noise of a grid nearest (N, loss): size nearest in ln N, then target nearest in loss. */
function nearestFit(g: { seqLen: number; analysis: BatchLrAnalysis }, params: number, loss: number) {
  const sizes = g.analysis.sizes
    .map((s) => ({ s, targets: s.targets.filter((t) => t.fit.refusal === null && t.fit.interval !== null) }))
    .filter((x) => x.targets.length > 0)
    .sort((a, b) => Math.abs(Math.log(a.s.params / params)) - Math.abs(Math.log(b.s.params / params)) || a.s.params - b.s.params);
  if (sizes.length === 0) return null;
  const { s, targets } = sizes[0];
  const t = [...targets].sort((a, b) => Math.abs(a.target - loss) - Math.abs(b.target - loss) || a.target - b.target)[0];
  const perSeq = g.seqLen;
  return { s, t, tokens: t.fit.bNoise * perSeq, lo: t.fit.interval!.lo * perSeq, hi: t.fit.interval!.hi * perSeq };
}

/**
 * B_noise for a prediction in `group` at N = `params` near loss `loss` (module comment), or null when
 * no run anywhere measures one. `runs` is the whole run table (grids are purpose batch-lr runs).
 */
export function batchNoiseEvidence(runs: readonly RunRecord[], group: string, params: number, loss: number, level = 0.8, cache?: GridCache): BatchNoiseEstimate | null {
  const all = gridAnalyses(runs, cache);
  // A grid's fit nearest (N, loss) as an estimate: its own interval in its own group, every B_noise (0 to ∞) lent to another.
  const fromGrid = (g: (typeof all)[number], own: boolean): BatchNoiseEstimate | null => {
    const f = nearestFit(g, params, loss);
    if (!f) return null;
    const where = `${own ? 'the' : 'borrowed from the'} ${g.analysis.collection} grid${own ? '' : ` (${g.analysis.lossUnit})`} at N = ${f.s.params}, target ${f.t.target.toFixed(3)}`;
    const interval = own ? { level, lo: f.lo, hi: f.hi } : { level, lo: 0, hi: Number.POSITIVE_INFINITY };
    return { tokens: f.tokens, interval, source: own ? 'own grid' : 'borrowed', params: f.s.params, loss: f.t.target, runIds: f.t.points.map((p) => p.runId).sort(byCodePoint), from: where };
  };
  for (const g of all.filter((x) => x.group === group)) {
    const e = fromGrid(g, true);
    if (e) return e;
  }
  const pair = ownPair(runs, group, params, level);
  if (pair) return pair;
  for (const g of all.filter((x) => x.group !== group)) {
    const e = fromGrid(g, false);
    if (e) return e;
  }
  return null;
}

/**
 * The pair bound (module comment, case 2) of the group's size nearest N that has completed scaling
 * runs at two or more batch sizes: the smallest and the largest batch, the smaller's best final
 * loss as the target; the interval is [bound, ∞), the estimate from the step gain where there is one.
 */
function ownPair(runs: readonly RunRecord[], group: string, params: number, level: number): BatchNoiseEstimate | null {
  const mine = runs.filter((r) => r.status === 'completed' && r.purpose === 'scaling' && analysisGroupKey(r) === group);
  const sizes = [...new Set(mine.map((r) => r.params))]
    .filter((n) => new Set(mine.filter((r) => r.params === n).map((r) => r.batchSize)).size >= 2)
    .sort((a, b) => Math.abs(Math.log(a / params)) - Math.abs(Math.log(b / params)) || a - b);
  for (const n of sizes) {
    const rs = mine.filter((r) => r.params === n);
    const small = Math.min(...rs.map((r) => r.batchSize));
    const large = Math.max(...rs.map((r) => r.batchSize));
    const best = (b: number) => rs.filter((r) => r.batchSize === b).sort((x, y) => x.finalValBpc - y.finalValBpc || x.steps - y.steps || byCodePoint(x.id, y.id))[0];
    const [r1, r2] = [best(small), best(large)];
    // The larger batch must reach the smaller one's loss for its step count to bound the crossing.
    if (r2.finalValBpc > r1.finalValBpc) continue;
    const bound = pairBatchNoiseBound(small, r1.steps, large, r2.steps);
    if (!(bound > 0)) continue;
    const g = perDoublingGain(rs.filter((r) => r.batchSize === small));
    const crossing = g !== null && g < 0 ? r2.steps * 2 ** ((r1.finalValBpc - r2.finalValBpc) / g) : null;
    const estimate = crossing === null ? bound : pairBatchNoiseBound(small, r1.steps, large, crossing);
    const lr = r1.lr === r2.lr ? '' : `; LR ${r1.lr} vs ${r2.lr}, so the rate's change is read as the batch's`;
    const how = crossing === null ? 'the bound itself, no step gain at the smaller batch to place the crossing' : `the larger batch taken to reach ${r1.finalValBpc} at ${Math.round(crossing)} steps by the smaller batch's ${formatSigned(g!)} per doubling of steps`;
    return {
      tokens: estimate * r1.seqLen,
      interval: { level, lo: bound * r1.seqLen, hi: Number.POSITIVE_INFINITY },
      source: 'own pair',
      params: n,
      loss: r1.finalValBpc,
      runIds: [r1.id, r2.id].sort(byCodePoint),
      from: `the pair ${r1.id} (bs ${small}, ${r1.steps} steps to ${r1.finalValBpc}) and ${r2.id} (bs ${large}, ${r2.finalValBpc} at ${r2.steps} steps): at least ${formatCount(Math.round(bound * r1.seqLen), 0)} tokens, estimate from ${how}${lr}`,
    };
  }
  return null;
}

/** Least-squares slope of the best final loss per step count on log₂ steps: the loss change per doubling; null with one step count. */
export function perDoublingGain(runs: readonly RunRecord[]): number | null {
  const steps = [...new Set(runs.map((r) => r.steps))].sort((a, b) => a - b);
  if (steps.length < 2) return null;
  const pts = steps.map((st) => ({ x: Math.log2(st), y: Math.min(...runs.filter((r) => r.steps === st).map((r) => r.finalValBpc)) }));
  const mx = pts.reduce((a, p) => a + p.x, 0) / pts.length;
  const my = pts.reduce((a, p) => a + p.y, 0) / pts.length;
  return pts.reduce((a, p) => a + (p.x - mx) * (p.y - my), 0) / pts.reduce((a, p) => a + (p.x - mx) ** 2, 0);
}
