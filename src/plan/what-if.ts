/**
 * What a run not yet made would do to the fits: the report's §5 "Suggested next runs" and
 * `bitscale plan`'s "cheapest run that would tell them apart" both ask it. The run is added to the
 * run table at the val_bpc the current fits predict for it, the fits are redone (the §5 refit
 * settings), and a target's prediction is recomputed with its law held; candidates are ranked by
 * how much they shrink the target's span (its interval ∪ the other laws' values). Pure.
 */
import { countParams, tokensSeen, type ModelConfig } from '../arch/bitlm.js';
import { fitRunTable, predictBpc, type FitRunTableOptions, type FitSuite, type Prediction, type PredictOptions, type PredictQuery } from '../fit/index.js';
import type { MicroBatchSplit } from '../estimate/estimate.js';
import type { RunLog, RunRecord } from '../runs/types.js';
import { byCodePoint, toRunRecord } from '../runs/table.js';
import { predictionRuns } from './predictors.js';

/** Bootstrap resamples of the what-if refits (a ranking, not a headline). */
export const WHAT_IF_BOOTSTRAP = 400;

/** A run that could be made: a config at a budget on the target's dataset. */
export interface CandidateRun {
  id: string;
  why: string;
  config: ModelConfig;
  batchSize: number;
  lr: number;
  steps: number;
}

/** What the §5 candidates are built around: a target config, its batch size and learning rate. */
export interface CandidateTarget {
  config: ModelConfig;
  batchSize: number;
  lr: number;
}

/** The family's sizes at the matched budget (d_ff = d/2, 32 heads, as the seed's family) and the 46.4M model at twice the matched steps. */
export function familyCandidates(t: CandidateTarget, matchedSteps: number): CandidateRun[] {
  const shape = (d: number, layers: number, heads = 32): ModelConfig => ({ d, layers, heads, dFf: d / 2, seqLen: t.config.seqLen, vocab: t.config.vocab });
  const at = (id: string, why: string, config: ModelConfig, steps: number): CandidateRun => ({ id, why, config, batchSize: t.batchSize, lr: t.lr, steps });
  return [
    at('size-d768-L6', 'a 4th point below the measured range (d=768, L=6)', shape(768, 6), matchedSteps),
    at('size-d1280-L10', 'a size between 46M and the target (d=1280, L=10)', shape(1280, 10), matchedSteps),
    at('size-d1536-L12', 'a size nearer the target (d=1536, L=12)', shape(1536, 12), matchedSteps),
    at('46M-steps-x2', 'the 46.4M model at twice the matched steps: the step gain at this batch size', shape(1024, 8), matchedSteps * 2),
  ];
}

/**
 * The §5 candidates: new sizes at the headline's matched budget, the target config itself at that
 * budget, and the 46.4M model at twice the matched steps (a step family at that batch size).
 */
export function defaultCandidates(t: CandidateTarget, matchedSteps: number): CandidateRun[] {
  const [d768, d1280, d1536, steps46M] = familyCandidates(t, matchedSteps);
  const targetShort: CandidateRun = { id: 'target-short', why: 'the recommended config itself at the matched step budget', config: t.config, batchSize: t.batchSize, lr: t.lr, steps: matchedSteps };
  return [d768, d1280, d1536, targetShort, steps46M];
}

/** The peak LR most of the dataset's runs at this batch size used (ties: the smaller); null without such runs. */
export function usualLr(runs: readonly RunRecord[], dataset: string, batchSize: number): number | null {
  const counts = new Map<number, number>();
  for (const r of runs) if (r.dataset.toLowerCase() === dataset.toLowerCase() && r.batchSize === batchSize && r.lr > 0) counts.set(r.lr, (counts.get(r.lr) ?? 0) + 1);
  const best = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0] - b[0])[0];
  return best ? best[0] : null;
}

/** A run record for a hypothetical run: measured nothing, assumed to land on `valBpc`. */
export function hypotheticalRun(c: CandidateRun, dataset: string, valBpc: number): RunRecord {
  const params = countParams(c.config);
  const config = { d: c.config.d, layers: c.config.layers, heads: c.config.heads, d_ff: c.config.dFf, seq_len: c.config.seqLen, vocab: c.config.vocab };
  const tokens = tokensSeen(c.steps, c.batchSize, c.config.seqLen);
  const log: RunLog = {
    header: {
      type: 'header', format_version: 1, run_id: `hypothetical-${c.id}`, arch: 'bitlm-v57', config, params, batch_size: c.batchSize, seq_len: c.config.seqLen, purpose: 'scaling',
      lr: { peak: c.lr, schedule: 'unknown', warmup_steps: null, final: null }, planned_steps: c.steps, seed: null,
      dataset: { name: dataset, bytes: null, sha256: null, token_unit: 'byte' }, loss_unit: 'bits', precision: 'unknown', backend: 'hypothetical', hardware: 'hypothetical', tool: { name: 'bitscale report', version: '' },
    },
    steps: [],
    evals: [{ type: 'eval', step: c.steps, tokens, val_bpc: valBpc }],
    summary: { type: 'summary', status: 'completed', steps: c.steps, tokens, final_val_bpc: valBpc, wall_s: null },
  };
  return toRunRecord(log, 'hypothetical/' + log.header.run_id + '.jsonl')!;
}

/** A prediction to watch: the query, with the law held so that a refit compares like with like. */
export interface WhatIfTarget {
  query: PredictQuery;
  law: 'fixedA' | 'free';
}

/** The law to hold for a prediction made under 'A fixed' or 'A free'. */
export function heldLaw(law: 'A fixed' | 'A free'): 'fixedA' | 'free' {
  return law === 'A fixed' ? 'fixedA' : 'free';
}

/** Two runs are the same run when their shape, batch, LR and steps are: a refit is shared between candidates of different names. */
export function runKey(c: CandidateRun): string {
  const m = c.config;
  return [m.d, m.layers, m.heads, m.dFf, m.seqLen, m.vocab, c.batchSize, c.lr, c.steps].join('|');
}

/**
 * The refits for one dataset's runs, each made once and shared by everything that asks (§5's
 * ranking and the plan's tell-apart in one report reuse each other's refits).
 */
export class WhatIf {
  readonly borrowGains: boolean;
  private readonly batch: PredictOptions['batch'];
  private readonly runs: RunRecord[];
  private readonly settings: FitRunTableOptions;
  private baseSuite: FitSuite | null = null;
  private readonly refits = new Map<string, { predictedBpc: number; suite: FitSuite }>();

  /**
   * @param runs the scaling runs the fits use (the main architecture's)
   * @param suite the current fits: they give each candidate's assumed val_bpc
   */
  constructor(runs: readonly RunRecord[], private readonly suite: FitSuite, readonly dataset: string, options: { bootstrap?: number; borrowGains?: boolean; batch?: PredictOptions['batch'] } = {}) {
    this.borrowGains = options.borrowGains === true;
    this.batch = options.batch;
    this.runs = predictionRuns(runs, dataset, this.borrowGains);
    this.settings = { bootstrap: { count: options.bootstrap ?? WHAT_IF_BOOTSTRAP, seed: 1, level: 0.8 }, jointMinRuns: Number.MAX_SAFE_INTEGER };
  }

  /** The fits redone at the refit settings with no run added: what each refit is compared with. */
  before(): FitSuite {
    this.baseSuite ??= fitRunTable(this.runs, this.settings);
    return this.baseSuite;
  }

  /** The fits redone with the candidate added at the val_bpc the current fits predict for it. */
  after(c: CandidateRun): { predictedBpc: number; suite: FitSuite } {
    const key = runKey(c);
    let hit = this.refits.get(key);
    if (!hit) {
      const predictedBpc = predictBpc(this.suite, { params: countParams(c.config), steps: c.steps, batchSize: c.batchSize, dataset: this.dataset, seqLen: c.config.seqLen }, { borrowGains: this.borrowGains, batch: this.batch }).valBpc;
      hit = { predictedBpc, suite: fitRunTable([...this.runs, hypotheticalRun(c, this.dataset, predictedBpc)], this.settings) };
      this.refits.set(key, hit);
    }
    return hit;
  }

  predict(suite: FitSuite, target: WhatIfTarget): Prediction {
    return predictBpc(suite, target.query, { law: target.law, borrowGains: this.borrowGains, batch: this.batch });
  }
}

/** What the ranking and the plan's tell-apart need of a WhatIf (a test may pass its own). */
export type Refitter = Pick<WhatIf, 'dataset' | 'before' | 'after' | 'predict'>;

function intervalWidth(p: Prediction): number | null {
  return p.interval ? p.interval.hi - p.interval.lo : null;
}

/** Width of a prediction's range over laws (its interval ∪ the other laws' values). */
export function predictionSpan(p: Prediction): number | null {
  return p.range ? p.range.hi - p.range.lo : null;
}

export interface RankedCandidate {
  candidate: CandidateRun;
  params: number;
  tokens: number;
  /** val_bpc the current fits predict for it (what it is assumed to measure). */
  predictedBpc: number;
  /** The target's prediction after the refit. */
  after: Prediction;
  /** Target's bootstrap-interval width with the candidate added at its predicted value. */
  widthAfter: number;
  /** Width of the target's span over its interval and the other laws' values, after. */
  spanAfter: number;
  /** 1 − spanAfter / spanBefore: what the ranking sorts by. */
  narrowing: number;
  /** GPU-hours the run would take, from the estimator (on the GPU the caller's gpuTime uses). */
  gpuHours: number | null;
  /** The micro-batches of one optimizer step (they sum to the candidate's per-GPU batch); null when none fits. */
  split: MicroBatchSplit | null;
}

/**
 * Rank candidates by how much each shrinks the target's span: 1 − span after / span before, both
 * at the refit settings with the target's law held; ties by id. `gpuTime` prices each run.
 * Candidates whose refit leaves the target without an interval are left out.
 */
export function rankCandidates(
  w: Refitter,
  candidates: readonly CandidateRun[],
  target: WhatIfTarget,
  gpuTime: (c: CandidateRun) => { gpuHours: number | null; split: MicroBatchSplit | null },
): { ranked: RankedCandidate[]; baseline: { width: number; span: number } | null } {
  const base = w.predict(w.before(), target);
  const baseWidth = intervalWidth(base);
  const baseSpan = predictionSpan(base);
  const ranked: RankedCandidate[] = [];
  for (const c of candidates) {
    const { predictedBpc, suite } = w.after(c);
    const after = w.predict(suite, target);
    const widthAfter = intervalWidth(after);
    const spanAfter = predictionSpan(after);
    if (widthAfter === null || spanAfter === null || baseSpan === null) continue;
    ranked.push({
      candidate: c,
      params: countParams(c.config),
      tokens: tokensSeen(c.steps, c.batchSize, c.config.seqLen),
      predictedBpc,
      after,
      widthAfter,
      spanAfter,
      narrowing: 1 - spanAfter / baseSpan,
      ...gpuTime(c),
    });
  }
  ranked.sort((a, b) => b.narrowing - a.narrowing || byCodePoint(a.candidate.id, b.candidate.id));
  return { ranked, baseline: baseWidth !== null && baseSpan !== null ? { width: baseWidth, span: baseSpan } : null };
}
