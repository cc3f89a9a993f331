/**
 * Everything the scaling report says, computed from the run table: fits, predictions, the
 * estimator's verdict on the recommended config, ranked next runs and the claim checks. Pure: the
 * same runs and inputs give the same analysis; no I/O here (src/report/build.ts reads and writes).
 */
import { countParams, type ModelConfig } from '../arch/bitlm.js';
import { fitRunTable, predictBpc, type FitSuite, type Prediction, type FitRunTableOptions } from '../fit/index.js';
import type { GroupFits } from '../fit/suite.js';
import { fitAnalysisGroup } from '../fit/suite.js';
import { backtestGroups, type GroupBacktest } from '../fit/backtest.js';
import { analyseBatchLr, type BatchLrAnalysis } from '../fit/batch-lr-runs.js';
import { calibrateFromRuns, type Calibration } from '../estimate/calibrate.js';
import { estimateTraining, sweepBatchSizes, type TrainingEstimate, type SweepRow } from '../estimate/estimate.js';
import type { MemoryPrecision } from '../estimate/memory.js';
import { GPUS } from '../estimate/hardware.js';
import type { RunRecord } from '../runs/types.js';
import { analysisGroups, byCodePoint, scalingRuns as scalingRunsOf } from '../runs/table.js';
import { planTraining, type PlanResult } from '../plan/plan.js';
import { familyComparisons, SEED_V52_PARAMS, type FamilyComparisonEntry } from './families.js';
import { measuredRanges, planBatchSizes, runTablePredictor } from '../plan/predictors.js';
import { BITLM_V57_FAMILY, planShapes } from '../plan/shapes.js';
import { requireGpu } from '../estimate/hardware.js';
import { BitscaleError } from '../util/errors.js';
import { tellApart, type TellApart } from '../plan/tell-apart.js';
import { WHAT_IF_BOOTSTRAP, WhatIf, defaultCandidates, heldLaw, rankCandidates, type CandidateRun, type RankedCandidate } from '../plan/what-if.js';

export { defaultCandidates, hypotheticalRun, predictionSpan, type CandidateRun, type RankedCandidate } from '../plan/what-if.js';

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

/**
 * The collections (folders of runs/) whose main-architecture runs make §1–§5 and the claims; the
 * runs of every other collection get a local section each.
 */
export const MAIN_COLLECTIONS = ['seed', 'ingested', ''];

/** Runs grouped by local collection (every collection outside MAIN_COLLECTIONS), in name order. */
export function localCollections(runs: RunRecord[]): string[] {
  return [...new Set(runs.map((r) => r.collection))].filter((c) => !MAIN_COLLECTIONS.includes(c)).sort(byCodePoint);
}

export interface ReportAnalysis {
  runs: RunRecord[];
  scalingRuns: RunRecord[];
  /** The family comparisons on the Brown family ladders (src/report/families.ts), or why each could not be made. */
  families: FamilyComparisonEntry[];
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
  /** The cheapest run that would tell the plan's best from its next best (§5's refits, shared); null without a plan. */
  planTellApart: TellApart | null;
  /** The same plan at other budgets (PLAN_CHART_HOURS on one GPU), for the GPU-hours chart. */
  planSweep: { hours: number; plan: PlanResult }[];
  /** Each local collection's backtest (its largest size predicted from the smaller ones), per analysis group. */
  backtests: { collection: string; groups: GroupBacktest[] }[];
  /** The batch/LR laws of each collection of purpose batch-lr runs (src/fit/batch-lr-runs.ts), or why not. */
  batchLr: { collection: string; analysis: BatchLrAnalysis | null; refusal: string | null }[];
}

/** The batch/LR laws of every collection holding purpose batch-lr runs; a refused grid says why. */
export function batchLrAnalyses(runs: readonly RunRecord[]): ReportAnalysis['batchLr'] {
  const collections = [...new Set(runs.filter((r) => r.purpose === 'batch-lr').map((r) => r.collection))].sort(byCodePoint);
  return collections.map((collection) => {
    try {
      return { collection, analysis: analyseBatchLr(runs.filter((r) => r.purpose === 'batch-lr'), collection), refusal: null };
    } catch (err) {
      if (err instanceof BitscaleError) return { collection, analysis: null, refusal: err.message };
      throw err;
    }
  });
}

/** Budgets of the GPU-hours chart: 1 to 64 hours on one GPU, doubling, plus the planned hours. */
export const PLAN_CHART_HOURS = [1, 2, 4, 8, 16, 32, 64];

/**
 * The best config for the recommended config's own budget (one GPU of its kind for its planned
 * hours), as `bitscale plan` finds it: the family's shapes at the batch sizes planBatchSizes gives
 * (those with a parameter law and, where B_noise is measured, 1/4 to 4× around them).
 */
export function planForBudget(suite: FitSuite, runs: RunRecord[], calibration: Calibration, rec: RecommendedConfig, hours: number | null = rec.plannedHours, borrow: { borrowGains?: boolean } = {}, allRuns: readonly RunRecord[] = runs): { plan: PlanResult | null; note: string | null } {
  if (hours === null) return { plan: null, note: 'no planned hours in the claims file' };
  const seqLen = rec.config.seqLen;
  const own = runs.filter((r) => r.dataset.toLowerCase() === rec.dataset.toLowerCase());
  const { batchSizes, batch } = planBatchSizes(allRuns, own, suite, rec.dataset, seqLen);
  try {
    const plan = planTraining({
      gpu: requireGpu(rec.gpu),
      gpus: 1,
      budget: { kind: 'hours', hours },
      shapes: planShapes(BITLM_V57_FAMILY, seqLen, [rec.config]),
      batchSizes: batchSizes.length ? batchSizes : [rec.batchSize],
      predict: runTablePredictor(suite, rec.dataset, seqLen, { ...borrow, batch }),
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

/** The analysis of the recommended config: it reads only the fits of the config's own dataset. */
export type RecommendedAnalysis = Pick<
  ReportAnalysis,
  'recommendedParams' | 'predictions' | 'headline' | 'calibration' | 'estimate' | 'otherGpus' | 'sweep' | 'nextRuns' | 'nextRunsBaseline' | 'plan' | 'planNote' | 'planTellApart' | 'planSweep'
>;

/** The part of the recommended config's analysis that no chart draws from: §5's ranking and the plan's tell-apart (refits with a run added). */
export type RecommendedRanking = Pick<RecommendedAnalysis, 'nextRuns' | 'nextRunsBaseline' | 'planTellApart'>;

/** The rest: the predictions, the estimate and the plan, which the charts draw from. */
export type RecommendedCore = Omit<RecommendedAnalysis, keyof RecommendedRanking>;

/**
 * The recommended config's predictions, estimate, §5 ranking and plan. They read only the fits of
 * `rec.dataset` (predictBpc, the plan's predictor and §5's refits stay inside one dataset unless
 * borrowGains is on), so `suite` may fit the laws of that dataset alone (lawDatasets): the report
 * computes this part from the recommended group's fits while a worker fits the others.
 */
export function analyseRecommended(suite: FitSuite, runs: RunRecord[], rec: RecommendedConfig, options: AnalysisOptions = {}): RecommendedAnalysis {
  const core = recommendedCore(suite, runs, rec, options);
  return { ...core, ...rankRecommended(core, suite, runs, rec, options) };
}

const recommendedQuery = (rec: RecommendedConfig, params: number, steps: number) => ({ params, steps, batchSize: rec.batchSize, dataset: rec.dataset, seqLen: rec.config.seqLen, vocab: rec.config.vocab });

/** analyseRecommended's predictions, estimate and plan (the report draws its first view from these, before the ranking). */
export function recommendedCore(suite: FitSuite, runs: RunRecord[], rec: RecommendedConfig, options: AnalysisOptions = {}): RecommendedCore {
  const { mainRuns } = mainSuiteInput(runs, options);
  const recommendedParams = countParams(rec.config);
  const query = (params: number, steps: number) => recommendedQuery(rec, params, steps);

  const borrow = { borrowGains: options.borrowGains === true };
  // Passes over the dataset and the cost of repetition (R*_D fitted once, own or borrowed).
  const withRepetition = { ...borrow, repetition: { runs, evidenceCache: new Map() } };
  const predictions = rec.budgets.flatMap((steps) => [
    { steps, params: recommendedParams, label: rec.label, prediction: predictBpc(suite, query(recommendedParams, steps), withRepetition) },
    { steps, params: rec.claimedParams, label: 'the report\'s claimed size', prediction: predictBpc(suite, query(rec.claimedParams, steps), withRepetition) },
  ]);
  const headline = predictBpc(suite, query(recommendedParams, rec.steps), withRepetition);

  const calibration = calibrateFromRuns(runs);
  const estimate = estimateTraining({ config: rec.config, batchSize: rec.batchSize, gpu: rec.gpu, precision: rec.precision, steps: rec.steps }, calibration);
  const otherGpus = GPUS.filter((g) => g.id !== estimate.gpu.id).map((g) => estimateTraining({ config: rec.config, batchSize: rec.batchSize, gpu: g.id, precision: rec.precision, steps: rec.steps }, calibration));
  const sweep = sweepBatchSizes({ config: rec.config, gpu: rec.gpu, precision: rec.precision, steps: rec.steps }, calibration);

  const planned = planForBudget(suite, mainRuns, calibration, rec, rec.plannedHours, borrow, runs);
  const planSweep = planned.plan
    ? [...new Set([...PLAN_CHART_HOURS, rec.plannedHours!])].sort((x, y) => x - y).flatMap((hours) => {
        const p = planForBudget(suite, mainRuns, calibration, rec, hours, borrow, runs).plan;
        return p ? [{ hours, plan: p }] : [];
      })
    : [];
  return { recommendedParams, predictions, headline, calibration, estimate, otherGpus, sweep, plan: planned.plan, planNote: planned.note, planSweep };
}

/**
 * Section 5: add each candidate at its predicted value, refit, and see how the headline's
 * uncertainty moves (its bootstrap interval and its span over the other laws); and the plan's
 * tell-apart, from the same refits.
 */
export function rankRecommended(core: RecommendedCore, suite: FitSuite, runs: RunRecord[], rec: RecommendedConfig, options: AnalysisOptions = {}): RecommendedRanking {
  const { mainRuns } = mainSuiteInput(runs, options);
  const borrow = { borrowGains: options.borrowGains === true };
  const { headline, calibration, recommendedParams } = core;
  const candidates = options.candidates ?? defaultCandidates(rec, headline.base.steps);
  const whatIf = new WhatIf(mainRuns, suite, rec.dataset, { bootstrap: options.candidateBootstrap ?? WHAT_IF_BOOTSTRAP, ...borrow, batch: { runs, cache: new Map() } });
  const section5 = rankCandidates(whatIf, candidates, { query: recommendedQuery(rec, recommendedParams, rec.steps), law: heldLaw(headline.base.law) }, (c) => {
    const est = estimateTraining({ config: c.config, batchSize: c.batchSize, gpu: rec.gpu, precision: rec.precision, steps: c.steps }, calibration);
    return { gpuHours: est.totalHours, split: est.split };
  });
  const planTellApart = core.plan ? tellApart(core.plan, whatIf, { runs: mainRuns, seqLen: rec.config.seqLen, calibration, precision: rec.precision }) : null;
  return { nextRuns: section5.ranked, nextRunsBaseline: section5.baseline, planTellApart };
}

/** The suite analyseRecommended needs: the laws of the recommended dataset only, from its group's fits when given. */
export function recommendedSuite(runs: RunRecord[], rec: RecommendedConfig, options: AnalysisOptions = {}): FitSuite {
  const { mainRuns, suiteOptions } = mainSuiteInput(runs, options);
  return fitRunTable(mainRuns, { ...suiteOptions, lawDatasets: [rec.dataset], precomputed: options.precomputed });
}

/** Each local collection's backtest: its own fits of its own runs, none of the suite's. */
export function localBacktests(mainRuns: RunRecord[]): ReportAnalysis['backtests'] {
  return localCollections(mainRuns).map((collection) => ({ collection, groups: backtestGroups(mainRuns.filter((r) => r.collection === collection)) }));
}

/** Every other architecture's scaling runs, one analysis group each, each fitted on its own. */
export function otherGroupAnalyses(runs: RunRecord[], options: AnalysisOptions = {}): GroupAnalysis[] {
  const { suiteOptions } = mainSuiteInput(runs, options);
  return [...analysisGroups(scalingRunsOf(runs).filter((r) => r.arch !== MAIN_ARCH))].map(([key, group]) => ({
    key,
    dataset: group[0].dataset,
    arch: group[0].arch,
    lossUnit: group[0].lossUnit,
    runs: group,
    suite: fitAnalysisGroup(group, suiteOptions),
  }));
}

/** Parts of the analysis made beforehand from the same runs and options (the report makes them while a worker fits). */
export interface AnalysisParts {
  /** The main suite, already fitted (the report's first view passes recommendedSuite's). */
  suite?: FitSuite;
  recommended?: RecommendedAnalysis;
  backtests?: ReportAnalysis['backtests'];
  otherGroups?: GroupAnalysis[];
  families?: FamilyComparisonEntry[];
}

/** Bootstrap resamples of the report's family comparisons (a refit of two laws each; 200 keep the report fast). */
export const FAMILY_BOOTSTRAP = { count: 200, seed: 1, level: 0.8 };

/** The report's family comparisons (src/report/families.ts), m(N) and the gap also at the seed's 5.5M v52 size and the recommended size. */
export function reportFamilies(runs: readonly RunRecord[], rec: RecommendedConfig): FamilyComparisonEntry[] {
  return familyComparisons(runs, [SEED_V52_PARAMS, countParams(rec.config)], FAMILY_BOOTSTRAP);
}

/** Everything the report says; any of `parts` given is used as it is. */
export function analyseRuns(runs: RunRecord[], rec: RecommendedConfig, options: AnalysisOptions & AnalysisParts = {}): ReportAnalysis {
  const scalingRuns = scalingRunsOf(runs);
  const { mainRuns, suiteOptions } = mainSuiteInput(runs, options);
  const suite = options.suite ?? fitRunTable(mainRuns, { ...suiteOptions, precomputed: options.precomputed });
  const otherGroups = options.otherGroups ?? otherGroupAnalyses(runs, options);
  const recommended = options.recommended ?? analyseRecommended(suite, runs, rec, options);
  const backtests = options.backtests ?? localBacktests(mainRuns);
  const families = options.families ?? reportFamilies(runs, rec);
  return { backtests, batchLr: batchLrAnalyses(runs), families, runs, scalingRuns, mainRuns, suite, otherGroups, recommended: rec, ...recommended };
}
