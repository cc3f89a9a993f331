/**
 * Everything the scaling report says, computed from the run table: fits, predictions, the
 * estimator's verdict on the recommended config, ranked next runs and the claim checks. Pure: the
 * same runs and inputs give the same analysis; no I/O here (src/report/build.ts reads and writes).
 */
import { countParams, tokensSeen, type ModelConfig } from '../arch/bitlm.js';
import { fitRunTable, predictBpc, type FitSuite, type Prediction, type FitRunTableOptions } from '../fit/index.js';
import type { GroupFits } from '../fit/suite.js';
import { fitAnalysisGroup } from '../fit/suite.js';
import { calibrateFromRuns, type Calibration } from '../estimate/calibrate.js';
import { estimateTraining, sweepBatchSizes, type MicroBatchSplit, type TrainingEstimate, type SweepRow } from '../estimate/estimate.js';
import type { MemoryPrecision } from '../estimate/memory.js';
import { GPUS } from '../estimate/hardware.js';
import type { RunLog, RunRecord } from '../runs/types.js';
import { analysisGroups, byCodePoint, scalingRuns as scalingRunsOf, toRunRecord } from '../runs/table.js';
import { planTraining, type PlanResult } from '../plan/plan.js';
import { lawBatchSizes, measuredRanges, runTablePredictor } from '../plan/predictors.js';
import { BITLM_V57_FAMILY, planShapes } from '../plan/shapes.js';
import { requireGpu } from '../estimate/hardware.js';
import { BitscaleError } from '../util/errors.js';

/** The configuration under evaluation (claims/seed-report.json "recommended"). */
export interface RecommendedConfig {
  label: string;
  claimedParams: number;
  dataset: string;
  config: ModelConfig;
  batchSize: number;
  lr: number;
  steps: number;
  budgets: number[];
  gpu: string;
  precision: MemoryPrecision;
  /** Hours the report planned on one such GPU: the budget for "the best config for the seed's own budget"; null: not planned. */
  plannedHours: number | null;
}

/** A run the report could suggest: a config at a budget on the recommended config's dataset. */
export interface CandidateRun {
  id: string;
  why: string;
  config: ModelConfig;
  batchSize: number;
  lr: number;
  steps: number;
}

export interface RankedCandidate {
  candidate: CandidateRun;
  params: number;
  tokens: number;
  /** val_bpc the current fits predict for it (what it is assumed to measure). */
  predictedBpc: number;
  /** Headline bootstrap-interval width with the candidate added at its predicted value. */
  widthAfter: number;
  /** Width of the headline's span over its interval and the other laws' values, after. */
  spanAfter: number;
  /** 1 − spanAfter / spanBefore: what the ranking sorts by. */
  narrowing: number;
  /** A100-hours (or the recommended GPU's) the run would take, from the estimator. */
  gpuHours: number | null;
  /** The micro-batches of one optimizer step (they sum to the candidate's batch size); null when none fits. */
  split: MicroBatchSplit | null;
}

/**
 * The architecture the report's main sections, claims, predictions and estimator are about.
 * Every other architecture's runs get a section of their own per analysis group.
 */
export const MAIN_ARCH = 'bitlm-v57';

/** One analysis group outside the main architecture: its runs and its own fits (general laws only). */
export interface GroupAnalysis {
  /** analysisGroupKey of its runs. */
  key: string;
  dataset: string;
  arch: string;
  lossUnit: string;
  runs: RunRecord[];
  suite: FitSuite;
}

export interface ReportAnalysis {
  runs: RunRecord[];
  scalingRuns: RunRecord[];
  /** Scaling runs of the main architecture (MAIN_ARCH): what `suite`, the predictions and the claims use. */
  mainRuns: RunRecord[];
  suite: FitSuite;
  /** Every other architecture's scaling runs, one entry per analysis group, each fitted on its own. */
  otherGroups: GroupAnalysis[];
  recommended: RecommendedConfig;
  recommendedParams: number;
  /** Predictions for the recommended config at each budget, and at the report's claimed size. */
  predictions: { steps: number; params: number; label: string; prediction: Prediction }[];
  headline: Prediction;
  calibration: Calibration;
  estimate: TrainingEstimate;
  /** The same config and batch on other GPUs of the catalog, for comparison. */
  otherGpus: TrainingEstimate[];
  sweep: SweepRow[];
  nextRuns: RankedCandidate[];
  /** The headline's interval width and span (interval ∪ other laws) from the same refit settings. */
  nextRunsBaseline: { width: number; span: number } | null;
  /** `bitscale plan` for one recommended GPU over the planned hours; null with planNote when it could not run. */
  plan: PlanResult | null;
  planNote: string | null;
  /** The same plan at other budgets (PLAN_CHART_HOURS on one GPU), for the GPU-hours chart. */
  planSweep: { hours: number; plan: PlanResult }[];
}

/** Budgets of the GPU-hours chart: 1 to 64 hours on one GPU, doubling, plus the planned hours. */
export const PLAN_CHART_HOURS = [1, 2, 4, 8, 16, 32, 64];

/**
 * The best config for the recommended config's own budget (one GPU of its kind for its planned
 * hours), as `bitscale plan` finds it: the family's shapes at the batch sizes with a parameter law.
 */
export function planForBudget(suite: FitSuite, runs: RunRecord[], calibration: Calibration, rec: RecommendedConfig, hours: number | null = rec.plannedHours, borrow: { borrowGains?: boolean } = {}): { plan: PlanResult | null; note: string | null } {
  if (hours === null) return { plan: null, note: 'no planned hours in the claims file' };
  const seqLen = rec.config.seqLen;
  const withLaw = lawBatchSizes(suite, rec.dataset, seqLen);
  try {
    const plan = planTraining({
      gpu: requireGpu(rec.gpu),
      gpus: 1,
      budget: { kind: 'hours', hours },
      shapes: planShapes(BITLM_V57_FAMILY, seqLen, [rec.config]),
      batchSizes: withLaw.length ? withLaw : [rec.batchSize],
      predict: runTablePredictor(suite, rec.dataset, seqLen, borrow),
      calibration,
      precision: rec.precision,
      measured: measuredRanges(runs, rec.dataset),
    });
    return { plan, note: null };
  } catch (err) {
    if (err instanceof BitscaleError) return { plan: null, note: err.message };
    throw err;
  }
}

export interface AnalysisOptions {
  /** Bootstrap resamples for the suite (default 1000). */
  bootstrap?: number;
  /** Bootstrap resamples for the section-5 refits (default 400: a ranking, not a headline). */
  candidateBootstrap?: number;
  candidates?: CandidateRun[];
  /**
   * Let predictions borrow step gains from other analysis groups (other datasets of the same
   * loss unit) where their own group has too few doublings. Off by default; when on and used,
   * every affected prediction says so (Prediction.borrowing, its method and assumptions).
   */
  borrowGains?: boolean;
  /** Fits of some of the main suite's analysis groups made elsewhere (a worker), from mainSuiteInput's runs and options. */
  precomputed?: ReadonlyMap<string, GroupFits>;
}

/** The runs and options of the report's main suite (the BitLMv57 scaling runs): what analyseRuns fits. */
export function mainSuiteInput(runs: RunRecord[], options: AnalysisOptions = {}): { mainRuns: RunRecord[]; suiteOptions: FitRunTableOptions } {
  return { mainRuns: scalingRunsOf(runs).filter((r) => r.arch === MAIN_ARCH), suiteOptions: { bootstrap: { count: options.bootstrap ?? 1000, seed: 1, level: 0.8 } } };
}

/**
 * The default candidate next runs: new sizes at the headline's matched budget (d_ff = d/2, 32
 * heads, as the seed's family), the recommended config itself at the shortest budget, and the
 * 46.4M model at the recommended batch size and step count (a step family at that batch size).
 */
export function defaultCandidates(rec: RecommendedConfig, matchedSteps: number): CandidateRun[] {
  const shape = (d: number, layers: number, heads = 32): ModelConfig => ({ d, layers, heads, dFf: d / 2, seqLen: rec.config.seqLen, vocab: rec.config.vocab });
  const at = (id: string, why: string, config: ModelConfig, steps: number): CandidateRun => ({ id, why, config, batchSize: rec.batchSize, lr: rec.lr, steps });
  return [
    at('size-d768-L6', 'a 4th point below the measured range (d=768, L=6)', shape(768, 6), matchedSteps),
    at('size-d1280-L10', 'a size between 46M and the target (d=1280, L=10)', shape(1280, 10), matchedSteps),
    at('size-d1536-L12', 'a size nearer the target (d=1536, L=12)', shape(1536, 12), matchedSteps),
    at('target-short', 'the recommended config itself at the matched step budget', rec.config, matchedSteps),
    at('46M-steps-x2', 'the 46.4M model at twice the matched steps: the step gain at this batch size', shape(1024, 8), matchedSteps * 2),
  ];
}

/** A run record for a hypothetical run (section 5): measured nothing, assumed to land on `valBpc`. */
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

function intervalWidth(p: Prediction): number | null {
  return p.interval ? p.interval.hi - p.interval.lo : null;
}

/** Width of a prediction's range over laws (its interval ∪ the other laws' values). */
export function predictionSpan(p: Prediction): number | null {
  return p.range ? p.range.hi - p.range.lo : null;
}

export function analyseRuns(runs: RunRecord[], rec: RecommendedConfig, options: AnalysisOptions = {}): ReportAnalysis {
  const scalingRuns = scalingRunsOf(runs);
  const { mainRuns, suiteOptions } = mainSuiteInput(runs, options);
  const suite = fitRunTable(mainRuns, { ...suiteOptions, precomputed: options.precomputed });
  const otherGroups: GroupAnalysis[] = [...analysisGroups(scalingRuns.filter((r) => r.arch !== MAIN_ARCH))].map(([key, group]) => ({
    key,
    dataset: group[0].dataset,
    arch: group[0].arch,
    lossUnit: group[0].lossUnit,
    runs: group,
    suite: fitAnalysisGroup(group, suiteOptions),
  }));
  const recommendedParams = countParams(rec.config);
  const query = (params: number, steps: number) => ({ params, steps, batchSize: rec.batchSize, dataset: rec.dataset, seqLen: rec.config.seqLen, vocab: rec.config.vocab });

  const borrow = { borrowGains: options.borrowGains === true };
  const predictions = rec.budgets.flatMap((steps) => [
    { steps, params: recommendedParams, label: rec.label, prediction: predictBpc(suite, query(recommendedParams, steps), borrow) },
    { steps, params: rec.claimedParams, label: 'the report\'s claimed size', prediction: predictBpc(suite, query(rec.claimedParams, steps), borrow) },
  ]);
  const headline = predictBpc(suite, query(recommendedParams, rec.steps), borrow);

  const calibration = calibrateFromRuns(runs);
  const estimate = estimateTraining({ config: rec.config, batchSize: rec.batchSize, gpu: rec.gpu, precision: rec.precision, steps: rec.steps }, calibration);
  const otherGpus = GPUS.filter((g) => g.id !== estimate.gpu.id).map((g) => estimateTraining({ config: rec.config, batchSize: rec.batchSize, gpu: g.id, precision: rec.precision, steps: rec.steps }, calibration));
  const sweep = sweepBatchSizes({ config: rec.config, gpu: rec.gpu, precision: rec.precision, steps: rec.steps }, calibration);

  // Section 5: add each candidate at its predicted value, refit, and see how the headline's
  // uncertainty moves: its bootstrap interval and its span over the other laws.
  const candidates = options.candidates ?? defaultCandidates(rec, headline.base.steps);
  const candidateSuite: FitRunTableOptions = { bootstrap: { count: options.candidateBootstrap ?? 400, seed: 1, level: 0.8 }, jointMinRuns: Number.MAX_SAFE_INTEGER };
  // Hold the headline's law (A fixed or A free) so that a refit compares like with like.
  const law = { law: headline.base.law === 'A fixed' ? ('fixedA' as const) : ('free' as const), ...borrow };
  const refitBase = predictBpc(fitRunTable(mainRuns, candidateSuite), query(recommendedParams, rec.steps), law);
  const baseWidth = intervalWidth(refitBase);
  const baseSpan = predictionSpan(refitBase);
  const nextRuns: RankedCandidate[] = [];
  for (const c of candidates) {
    const params = countParams(c.config);
    const predicted = predictBpc(suite, { params, steps: c.steps, batchSize: c.batchSize, dataset: rec.dataset, seqLen: c.config.seqLen }, borrow).valBpc;
    const withRun = [...mainRuns, hypotheticalRun(c, rec.dataset, predicted)];
    const after = predictBpc(fitRunTable(withRun, candidateSuite), query(recommendedParams, rec.steps), law);
    const widthAfter = intervalWidth(after);
    const spanAfter = predictionSpan(after);
    if (widthAfter === null || spanAfter === null || baseSpan === null) continue;
    const est = estimateTraining({ config: c.config, batchSize: c.batchSize, gpu: rec.gpu, precision: rec.precision, steps: c.steps }, calibration);
    nextRuns.push({
      candidate: c,
      params,
      tokens: tokensSeen(c.steps, c.batchSize, c.config.seqLen),
      predictedBpc: predicted,
      widthAfter,
      spanAfter,
      narrowing: 1 - spanAfter / baseSpan,
      gpuHours: est.totalHours,
      split: est.split,
    });
  }
  nextRuns.sort((a, b) => b.narrowing - a.narrowing || byCodePoint(a.candidate.id, b.candidate.id));
  const planned = planForBudget(suite, mainRuns, calibration, rec, rec.plannedHours, borrow);
  const planSweep = planned.plan
    ? [...new Set([...PLAN_CHART_HOURS, rec.plannedHours!])].sort((x, y) => x - y).flatMap((hours) => {
        const p = planForBudget(suite, mainRuns, calibration, rec, hours, borrow).plan;
        return p ? [{ hours, plan: p }] : [];
      })
    : [];

  return {
    runs,
    scalingRuns,
    mainRuns,
    suite,
    otherGroups,
    recommended: rec,
    recommendedParams,
    predictions,
    headline,
    calibration,
    estimate,
    otherGpus,
    sweep,
    nextRuns,
    nextRunsBaseline: baseWidth !== null && baseSpan !== null ? { width: baseWidth, span: baseSpan } : null,
    plan: planned.plan,
    planNote: planned.note,
    planSweep,
  };
}
