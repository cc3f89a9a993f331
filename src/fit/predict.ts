/**
 * Predicted val_bpc for a model not yet trained: the saturating parameter law at the nearest
 * matched budget of the same dataset, moved to the asked step count by the per-doubling change of
 * the dataset's step families (the seed report §3.1 method). Every prediction says which fits and
 * assumptions produced it and carries a bootstrap interval when the fits have one.
 */
import type { RunRecord } from '../runs/types.js';
import { repetitionCost, repetitionEvidence, type CorpusSize, type RepetitionCost, type RepetitionEvidence } from './repetition-cost.js';
import { BitscaleError } from '../util/errors.js';
import { formatCount, formatFactor, formatInteger, formatLearningRate, formatLoss, formatNumber, formatPercent, formatSigned, formatSteps } from '../util/format.js';
import { analysisGroupKey, byCodePoint } from '../runs/table.js';
import type { FitResult, Interval } from './types.js';
import { holdsEstimate, percentileInterval } from './resample.js';
import { saturatingLoss, type SaturatingFit, type SaturatingParam } from './saturating.js';
import { chinchillaLoss, type ChinchillaFit } from './chinchilla.js';
import { mean, seededRandom, standardNormal } from './stats.js';
import { fitRunTable, type FitRunTableOptions, type FitSuite, type ParamBudgetFit } from './suite.js';
import { batchNoiseEvidence, equivalentSteps, type BatchNoiseEstimate, type GridCache } from './batch-transfer.js';
import { lrAdjustment, lrEvidence, type LrAdjustment } from './lr-transfer.js';

export interface PredictQuery {
  /** Parameter count N. */
  params: number;
  steps: number;
  batchSize: number;
  dataset: string;
  /** Context T; when given, only budgets at this T are used. */
  seqLen?: number;
  /** Architecture; when absent and the dataset has runs of several, bitlm-v57 (DEFAULT_ARCH). */
  arch?: string;
  /** Vocabulary size V (default 128, BitLMv57's bytes): no model gives more than log2(V) bits per token (per byte for a byte-level model). */
  vocab?: number;
  /** Peak learning rate; absent: the rate the law's budget stands for at the query's batch size (src/fit/lr-transfer.ts). */
  lr?: number;
}

/** BitLMv57's vocabulary: the 128 byte values. */
export const DEFAULT_VOCAB = 128;

export interface PredictOptions {
  /** Which saturating fit: 'auto' (A free when over-determined, else A fixed), 'fixedA' or 'free'. */
  law?: 'auto' | 'fixedA' | 'free';
  /** Options for fitRunTable when runs (not a suite) are given. */
  fit?: FitRunTableOptions;
  /**
   * Let the step gain (or, when the group has a single doubling, the interval's spread of gains)
   * come from other analysis groups of the same loss unit, at comparable step counts. Off by
   * default: a prediction uses only its own group's runs. When on and used, the prediction says so
   * in `borrowing`, its method, its assumptions and its warnings.
   */
  borrowGains?: boolean;
  /**
   * Say what repeating the corpus costs (src/fit/repetition-cost.ts): U from `corpus` (the user's
   * where it came from), else from the runs of the query's group in `runs` when they agree on it;
   * R*_D from those runs, own or borrowed. Absent: no repetition assessment.
   */
  repetition?: { runs: readonly RunRecord[]; corpus?: CorpusSize | null; bootstrap?: { count: number; seed: number; level: number }; /** R*_D per analysis group, reused across predictions (the fit behind it takes a second). */ evidenceCache?: Map<string, RepetitionEvidence | null> };
  /**
   * Answer a batch size the chosen budget did not measure with the critical-batch law
   * (src/fit/batch-transfer.ts): B_noise from `runs` (the whole run table), the query asked at the
   * equivalent steps of the budget's batch, the interval widened over B_noise's interval. Absent:
   * the budget's number with a warning that no batch-size correction was applied.
   */
  batch?: { runs: readonly RunRecord[]; cache?: GridCache };
}

/** The architecture a query means when it names none and its dataset has runs of several. */
export const DEFAULT_ARCH = 'bitlm-v57';

/** Evidence a prediction took from outside its analysis group. */
export interface Borrowing {
  /** 'step gain': the mean per-doubling gain; 'gain spread': the values the interval draws the gain from. */
  what: 'step gain' | 'gain spread';
  /** The analysis groups lent from (src/runs/table.ts analysisGroupKey). */
  groups: string[];
  /** How many per-doubling values came from them. */
  values: number;
}

export interface StepAdjustment {
  fromSteps: number;
  toSteps: number;
  /** log2(toSteps / fromSteps). */
  doublings: number;
  /** Mean change of the loss per doubling used, in the group's loss unit (from the dataset's own step families when it has any). */
  perDoubling: number;
  /**
   * Per-doubling values the interval draws from: the group's own. With borrowGains and fewer than
   * two of its own, every comparable doubling of the same loss unit (`borrowing` says so).
   */
  intervalPool: number[];
  /** The per-doubling values it was averaged from, with their step families. */
  evidence: { family: string; fromSteps: number; toSteps: number; perDoubling: number }[];
  /** True when the group has no step family and other groups' gains were used (only with borrowGains). */
  borrowed: boolean;
  /**
   * Each further doubling gains this fraction of the one before (2^−β): the first doubling moves
   * by `perDoubling`, and the gains shrink so that the move saturates instead of running linearly
   * past the law's floor. The smaller of the fitted step law's 2^−β and the ratio that would just
   * reach the floor.
   */
  ratio: number;
  /** Where `ratio` came from, in words. */
  ratioSource: string;
  delta: number;
}

/** A query outside the range the prediction's runs measured. */
export interface Extrapolation {
  quantity: 'params' | 'steps';
  value: number;
  measuredMin: number;
  measuredMax: number;
  /** How far outside: value / max above the range, min / value below it. */
  factor: number;
  direction: 'above' | 'below';
}

export interface Prediction {
  query: PredictQuery;
  valBpc: number;
  /** The unit of valBpc and every value below: the budget's group's loss unit, e.g. "bits per byte". */
  lossUnit: string;
  /**
   * Prediction interval for a new run (level stated): the law's bootstrap draws, moved by drawn
   * step gains, plus the run-to-run scatter (runScatter); null when the chosen law is exactly determined.
   */
  interval: Interval | null;
  /**
   * The smallest range holding the interval and every alternative law's value: the uncertainty
   * with the choice of law in it, which the bootstrap leaves out. Null without an interval.
   */
  range: { lo: number; hi: number } | null;
  /** The saturating law used: budget key, which variant, its parameters and its value at N. */
  base: { budget: string; law: 'A fixed' | 'A free'; params: Record<string, number>; nUnit: number; steps: number; batchSize: number | null; valBpc: number };
  stepAdjustment: StepAdjustment | null;
  /**
   * The same query under the other saturating variant (A fixed / A free) and, where the dataset has
   * one, the joint law at D = steps × batch size × T.
   */
  alternatives: { law: 'A fixed' | 'A free' | 'joint'; valBpc: number }[];
  /** Evidence taken from other analysis groups; empty unless borrowGains was asked for and used. */
  borrowing: Borrowing[];
  /** The chosen law's floor A: no prediction goes below it. */
  floor: number;
  /** log2(vocab): the entropy of a uniform guess; no prediction goes above it. */
  ceiling: number;
  /** Where the query lies outside the measured N or steps (each also a warning). */
  extrapolations: Extrapolation[];
  /** Laws that were fitted but not used, and why (flagged "do not extrapolate", or out of their domain here). */
  notUsed: { law: string; reason: string }[];
  /** One sentence: how the number was made. */
  method: string;
  /** Keys of the fits used. */
  fits: string[];
  assumptions: string[];
  warnings: string[];
  /** Passes over the corpus and the cost of repetition; null when not asked for (PredictOptions.repetition) or the corpus size is unknown (then a warning says so). */
  repetition: RepetitionCost | null;
  /** The critical-batch law's move from the query's batch size to the budget's; null at the budget's own batch size or when not asked for (PredictOptions.batch). */
  batch: BatchAdjustment | null;
  /**
   * The learning rate the prediction stands for and, for a query rate off it, the grid's loss
   * curvature's cost (src/fit/lr-transfer.ts); null when not asked for (PredictOptions.batch), the
   * budget mixes rates, or no grid measures lr_opt ∝ B^γ (then a query rate off the budget's is warned about).
   */
  lr: LrAdjustment | null;
}

/** A query at a batch size the budget did not measure, asked at the budget's batch (src/fit/batch-transfer.ts). */
export interface BatchAdjustment {
  fromBatch: number;
  toBatch: number;
  steps: number;
  /** Steps at toBatch worth `steps` at fromBatch, at B_noise's estimate and at its interval's ends (the ends' order follows B_noise's). */
  equivalentSteps: number;
  stepsRange: { lo: number; hi: number };
  bNoise: BatchNoiseEstimate;
  /** The predicted values at the two ends of B_noise's interval. */
  valueRange: { lo: number; hi: number };
}

/**
 * The run-to-run scatter a new run adds to the law's own uncertainty: the law's leave-one-out RMSE
 * (how far a run the law did not see lands from it) where it has one, else its residual standard
 * error sqrt(RSS/(n − p)); null when it has neither (an exactly determined law).
 */
export function runScatter(fit: FitResult): { sigma: number; source: string } | null {
  if (fit.loo && Number.isFinite(fit.loo.rmse) && fit.loo.rmse > 0) return { sigma: fit.loo.rmse, source: `the law's leave-one-out RMSE over ${fit.loo.errors.filter((e) => e !== null).length} runs` };
  if (fit.dof > 0 && Number.isFinite(fit.rmse)) return { sigma: fit.rmse * Math.sqrt(fit.n / fit.dof), source: `the law's residual standard error, ${fit.dof} dof` };
  return null;
}

/** "TinyStories (bitlm-v57, bits per byte)" from an analysis group key. */
export function groupLabel(key: string): string {
  const f = Object.fromEntries(key.split('|').map((p) => [p.slice(0, p.indexOf('=')), p.slice(p.indexOf('=') + 1)]));
  return `${f.dataset} (${f.arch}, ${f.loss})`;
}

/** A law predict may use: fitted (no failure) and not flagged "do not extrapolate". */
function usable(f: FitResult | null | undefined): f is FitResult {
  return !!f && f.failure === null && f.noExtrapolation === null;
}

/** Where `value` lies outside [min, max] of the measured values, or null inside. */
export function extrapolationOf(quantity: Extrapolation['quantity'], value: number, measured: readonly number[]): Extrapolation | null {
  const measuredMin = Math.min(...measured);
  const measuredMax = Math.max(...measured);
  if (value > measuredMax) return { quantity, value, measuredMin, measuredMax, factor: value / measuredMax, direction: 'above' };
  if (value < measuredMin) return { quantity, value, measuredMin, measuredMax, factor: measuredMin / value, direction: 'below' };
  return null;
}

export function describeExtrapolation(e: Extrapolation): string {
  const name = e.quantity === 'params' ? `N = ${formatCount(e.value)}` : `steps ${formatCount(e.value, 0)}`;
  const at = (v: number) => (e.quantity === 'params' ? formatCount(v) : formatCount(v, 0));
  return e.direction === 'above'
    ? `${name} is ${formatFactor(e.factor)} beyond the largest measured ${at(e.measuredMax)}: an extrapolation the runs do not test`
    : `${name} is ${formatFactor(e.factor)} below the smallest measured ${at(e.measuredMin)}: an extrapolation the runs do not test`;
}

/**
 * The per-doubling ratio actually used from a value `base` above `floor`: the fitted law's ratio
 * (null: none), but never slower than the ratio whose geometric sum of gains just reaches the
 * floor (1 + g/(base − floor)), so that no number of doublings passes it. A gain g ≥ 0 (loss not
 * falling with steps) keeps the law's ratio, or 1 (linear) without one. NaN when the first doubling
 * alone would pass the floor.
 */
export function stepRatio(base: number, floor: number, gain: number, lawRatio: number | null): number {
  if (!(gain < 0)) return lawRatio ?? 1;
  const toFloor = 1 + gain / (base - floor);
  if (!(base > floor) || !(toFloor > 0)) return Number.NaN;
  return lawRatio === null ? toFloor : Math.min(lawRatio, toFloor);
}

/**
 * The change over `doublings` doublings of steps when the first moves by `gain` and each further
 * one by `ratio` times the one before: gain·(1 − ratio^d)/(1 − ratio), gain·d at ratio 1. Holds for
 * fractional and negative d (fewer steps: the loss rises, faster the further back).
 */
export function stepMove(gain: number, doublings: number, ratio: number): number {
  if (Math.abs(1 - ratio) < 1e-12) return gain * doublings;
  return (gain * (1 - Math.pow(ratio, doublings))) / (1 - ratio);
}

/** Budgets of the dataset ranked: same batch size, same steps, more sizes, nearer steps, key. */
function rankBudgets(suite: FitSuite, q: PredictQuery): ParamBudgetFit[] {
  const name = q.dataset.toLowerCase();
  let cands = suite.paramBudgets.filter((b) => b.dataset.toLowerCase() === name && (q.arch === undefined || b.arch === q.arch) && (q.seqLen === undefined || b.seqLen === q.seqLen) && (usable(b.fixedA) || usable(b.free)));
  // A dataset with runs of several architectures: bitscale's own model unless another is named.
  if (q.arch === undefined && new Set(cands.map((b) => b.group)).size > 1 && cands.some((b) => b.arch === DEFAULT_ARCH)) cands = cands.filter((b) => b.arch === DEFAULT_ARCH);
  const groups = [...new Set(cands.map((b) => b.group))].sort(byCodePoint);
  if (groups.length > 1) throw new BitscaleError(`dataset '${q.dataset}' has parameter laws in ${groups.length} analysis groups (${groups.join('; ')}); name the architecture`, { field: 'arch' });
  const score = (b: ParamBudgetFit) => [b.matched ? 0 : 1, b.batchSize === q.batchSize ? 0 : 1, b.steps === q.steps ? 0 : 1, -new Set(b.points.map((p) => p.params)).size, Math.abs(Math.log(b.steps / q.steps))];
  return cands.sort((a, b) => {
    const sa = score(a);
    const sb = score(b);
    for (let i = 0; i < sa.length; i++) if (sa[i] !== sb[i]) return sa[i] - sb[i];
    return byCodePoint(a.key, b.key);
  });
}

/**
 * The saturating law a prediction uses. 'fixedA' and 'free' say which; 'auto' lets the runs say:
 * where both variants have a leave-one-out error, the one with the lower leave-one-out RMSE (each
 * refit without a run predicts it: the law's error on a run it did not see); otherwise A free when
 * it is over-determined and usable, else A held. The reason is returned for the assumptions.
 */
function chooseVariant(b: ParamBudgetFit, law: 'auto' | 'fixedA' | 'free'): { fit: SaturatingFit; name: 'A fixed' | 'A free'; why: string } {
  const why = (f: SaturatingFit | null) => (f ? f.failure ?? f.noExtrapolation : b.note ?? 'not identified');
  const free = usable(b.free) ? (b.free as SaturatingFit) : null;
  const fixed = usable(b.fixedA) ? b.fixedA : null;
  if (law === 'free' && !free) throw new BitscaleError(`budget ${b.key} has no usable saturating law with A fitted: ${why(b.free)}`, { field: 'law' });
  if (law === 'fixedA' && !fixed) throw new BitscaleError(`budget ${b.key} has no usable saturating law with A held: ${why(b.fixedA)}`, { field: 'law' });
  if (!free && !fixed) throw new BitscaleError(`budget ${b.key} has no usable saturating law (A fixed: ${why(b.fixedA)}; A free: ${why(b.free)})`, { field: 'law' });
  if (law === 'free') return { fit: free!, name: 'A free', why: 'A fitted, as asked (--law free)' };
  if (law === 'fixedA') return { fit: fixed!, name: 'A fixed', why: 'A held, as asked (--law fixed-a)' };
  if (!free) return { fit: fixed!, name: 'A fixed', why: `A held: the law with A fitted is not usable here (${why(b.free)})` };
  if (!fixed) return { fit: free, name: 'A free', why: `A fitted: the law with A held is not usable here (${why(b.fixedA)})` };
  const looFree = free.determination === 'over' ? free.loo?.rmse : undefined;
  const looFixed = fixed.determination === 'over' ? fixed.loo?.rmse : undefined;
  if (looFree !== undefined && looFixed !== undefined && Number.isFinite(looFree) && Number.isFinite(looFixed)) {
    const text = `leave-one-out RMSE ${formatLoss(looFree, 4)} with A fitted, ${formatLoss(looFixed, 4)} with A held at ${fixed.params.A}`;
    return looFree < looFixed ? { fit: free, name: 'A free', why: `A fitted, chosen by leave-one-out error over the budget's runs (${text})` } : { fit: fixed, name: 'A fixed', why: `A held, chosen by leave-one-out error over the budget's runs (${text})` };
  }
  return free.determination === 'over'
    ? { fit: free, name: 'A free', why: 'A fitted: over-determined, and A held has no leave-one-out error to compare' }
    : { fit: fixed, name: 'A fixed', why: `A held: with A fitted the law is ${free.determination === 'exact' ? 'exactly determined' : 'under-determined'}, so nothing measures its error on a run it did not see` };
}

/**
 * The per-doubling ratio 2^−β̄ of the dataset's own fitted step laws (three or more step counts,
 * not flagged); null when it has none. Another dataset's β is not borrowed: how fast gains shrink
 * is a property of the data, and without a law of its own the move saturates at the floor instead.
 */
function stepLawRatio(suite: FitSuite, budget: ParamBudgetFit): { ratio: number; source: string } | null {
  const own = suite.stepLaws.filter((s) => s.group === budget.group && usable(s.fit) && s.fit!.params.beta > 0);
  if (own.length === 0) return null;
  const beta = mean(own.map((s) => s.fit!.params.beta));
  const what = own.map((s) => `${formatCount(s.params)} bs ${s.batchSize}, ${s.fit!.determination === 'exact' ? 'exactly determined' : `${s.fit!.dof} dof`}`).join('; ');
  return { ratio: Math.pow(2, -beta), source: `${budget.dataset}'s fitted step law${own.length > 1 ? 's' : ''} L∞ + C·S^−β (${what})` };
}

// ---------------------------------------------------------------------------------------------
// A prediction in four steps: refit (the fits the query needs), chooseLaw (which budget, law and
// step evidence answer it), predictFromLaw (the number, its interval and the laws beside it) and
// explainPrediction (the sentences). predictBpc runs the four in turn.

/**
 * The fits a query needs: the suite as given, or the run table fitted for the query's dataset only
 * (only its parameter and joint laws are read).
 */
export function refitForQuery(input: readonly RunRecord[] | FitSuite, query: PredictQuery, options: PredictOptions = {}): FitSuite {
  return Array.isArray(input) ? fitRunTable(input as RunRecord[], { ...options.fit, lawDatasets: [query.dataset] }) : (input as FitSuite);
}

/**
 * The datasets with a usable parameter law, for the error that says the asked one has none: the
 * suite fitted for one dataset holds only its laws, so a run table is refitted, all datasets,
 * without the bootstrap (a few ms).
 */
function datasetsWithLaws(input: readonly RunRecord[] | FitSuite, options: PredictOptions): string {
  const all = Array.isArray(input) ? fitRunTable(input as RunRecord[], { ...options.fit, bootstrap: false }) : (input as FitSuite);
  return [...new Set(all.paramBudgets.filter((b) => usable(b.fixedA) || usable(b.free)).map((b) => b.dataset))].join(', ') || 'none';
}

/** One measured doubling of steps: a step family's per-doubling change, with its analysis group. */
export interface Doubling {
  family: string;
  group: string;
  fromSteps: number;
  toSteps: number;
  perDoubling: number;
}

/** The measured doublings of steps that move a budget's value to the asked step count. */
export interface StepEvidence {
  /** Other groups' doublings count only between lo and hi steps (4× beyond the move's ends). */
  lo: number;
  hi: number;
  /** How many doublings the budget's own group measured. */
  ownCount: number;
  /** The doublings whose mean is the gain: the group's own, else (borrowGains) other groups'. */
  pool: Doubling[];
  /** Every comparable doubling of the group or its loss unit. */
  everywhere: Doubling[];
  /** True when the interval draws its gains from `everywhere` (one doubling of its own, borrowGains). */
  spreadBorrowed: boolean;
  /** The fitted step law's per-doubling ratio 2^−β̄ (null: the group has none). */
  lawRatio: { ratio: number; source: string } | null;
}

/** A law shown beside the chosen one: evaluated at the query, or not used (`notUsed` says why). */
export type AlternativeLaw =
  | { law: 'A fixed' | 'A free'; fit: SaturatingFit; notUsed: string | null }
  | { law: 'joint'; fit: ChinchillaFit; notUsed: string | null; key: string };

/** Which fits answer a query: the budget, its saturating variant and why, the step evidence, the alternatives. */
export interface LawChoice {
  budget: ParamBudgetFit;
  fit: SaturatingFit;
  name: 'A fixed' | 'A free';
  why: string;
  /** The unit N is counted in by the law's B (1e6 unless the fit says). */
  nUnit: number;
  /** Null when the query asks for the budget's own step count. */
  steps: StepEvidence | null;
  alternatives: AlternativeLaw[];
}

/**
 * Which fits answer `query` in `suite`: the best-ranked budget of its dataset (rankBudgets), its
 * saturating variant (chooseVariant), the doublings of steps that move it to the asked steps, and
 * the other laws shown beside it. Throws BitscaleError when the query is not positive, the dataset
 * has no parameter law (naming those that do, from `knownDatasets`), the asked variant is not
 * usable, or no step family measures the move.
 */
export function chooseLaw(suite: FitSuite, query: PredictQuery, options: PredictOptions = {}, knownDatasets: () => string = () => datasetsWithLaws(suite, options)): LawChoice {
  if (!(query.params > 0) || !(query.steps > 0) || !(query.batchSize > 0)) throw new BitscaleError('params, steps and batch size must be positive', { field: 'query' });
  const budgets = rankBudgets(suite, query);
  if (budgets.length === 0) {
    // Say the real reason: no law for the dataset at all, or none at the asked seq_len (the dataset has laws at others).
    const usableBudgets = suite.paramBudgets.filter((b) => usable(b.fixedA) || usable(b.free));
    const ofDataset = usableBudgets.filter((b) => b.dataset.toLowerCase() === query.dataset.toLowerCase());
    if (ofDataset.length > 0 && query.seqLen !== undefined) {
      const lens = [...new Set(ofDataset.map((b) => b.seqLen))].sort((a, b) => a - b).join(', ');
      throw new BitscaleError(`no parameter law for dataset '${query.dataset}' at seq_len ${query.seqLen}: its laws are at seq_len ${lens}`, { field: 'seq-len' });
    }
    throw new BitscaleError(`no parameter law for dataset '${query.dataset}': it needs runs at two or more sizes with one batch size, LR and step budget (datasets with one: ${knownDatasets()})`, { field: 'dataset' });
  }
  const budget = budgets[0];
  const { fit, name, why } = chooseVariant(budget, options.law ?? 'auto');
  const alternatives: AlternativeLaw[] = [];
  const otherName = name === 'A fixed' ? 'A free' : 'A fixed';
  const other = name === 'A fixed' ? budget.free : budget.fixedA;
  if (other?.noExtrapolation) alternatives.push({ law: otherName, fit: other, notUsed: other.noExtrapolation });
  else if (usable(other)) alternatives.push({ law: otherName, fit: other as SaturatingFit, notUsed: null });
  // The joint law of the budget's own recipe only: another recipe's law is another law.
  const joint = suite.joint.find((j) => j.group === budget.group && j.recipe === budget.recipe && j.fit && j.fit.failure === null);
  if (joint?.fit) alternatives.push({ law: 'joint', fit: joint.fit, notUsed: joint.fit.noExtrapolation, key: `dataset=${joint.dataset}|arch=${joint.arch}` });
  return { budget, fit, name, why, nUnit: Number(fit.diagnostics.nUnit ?? 1e6), steps: query.steps === budget.steps ? null : stepEvidence(suite, budget, query, options), alternatives };
}

/**
 * The doublings that move `budget` to the asked steps. A prediction uses its own analysis group's
 * step gains. Other groups lend theirs only when borrowGains asks for it, only at the same loss
 * unit, and only within 4× of the move's ends (a gain measured from 250 to 500 steps on a small CPU
 * model says little about 15K → 30K).
 */
function stepEvidence(suite: FitSuite, budget: ParamBudgetFit, query: PredictQuery, options: PredictOptions): StepEvidence {
  const lo = Math.min(budget.steps, query.steps) / 4;
  const hi = Math.max(budget.steps, query.steps) * 4;
  const comparable = (d: { fromSteps: number; toSteps: number }) => d.toSteps >= lo && d.fromSteps <= hi;
  const doublingsOf = (families: typeof suite.stepLaws): Doubling[] => families.flatMap((s) => s.perDoubling.map((d) => ({ family: s.key, group: s.group, fromSteps: d.fromSteps, toSteps: d.toSteps, perDoubling: d.perDoubling })));
  const own = doublingsOf(suite.stepLaws.filter((s) => s.group === budget.group));
  const lendable = doublingsOf(suite.stepLaws.filter((s) => s.group !== budget.group && s.lossUnit === budget.lossUnit)).filter(comparable);
  const borrowHint = lendable.length ? `; --borrow-gains would use ${lendable.length} doubling(s) of other groups (${lentGroupNames(budget, lendable)}) between ${formatCount(lo, 0)} and ${formatCount(hi, 0)} steps` : '';
  if (own.length === 0 && !options.borrowGains) {
    throw new BitscaleError(`no step family with two step counts in ${budget.dataset} (${budget.arch}, ${budget.lossUnit}) to move from ${budget.steps} to ${query.steps} steps${borrowHint}`, { field: 'steps' });
  }
  const pool = own.length ? own : lendable;
  if (pool.length === 0) throw new BitscaleError(`no step family with two step counts (other groups: between ${formatCount(lo, 0)} and ${formatCount(hi, 0)} steps, in ${budget.lossUnit}) to move from ${budget.steps} to ${query.steps} steps`, { field: 'steps' });
  const everywhere = doublingsOf(suite.stepLaws.filter((s) => s.group === budget.group || s.lossUnit === budget.lossUnit)).filter(comparable);
  const spreadBorrowed = pool.length < 2 && options.borrowGains === true && everywhere.length >= 2;
  return { lo, hi, ownCount: own.length, pool, everywhere, spreadBorrowed, lawRatio: stepLawRatio(suite, budget) };
}

/** The other analysis groups among `pool`'s doublings, in key order. */
function lentGroups(budget: ParamBudgetFit, pool: readonly Doubling[]): string[] {
  return [...new Set(pool.filter((d) => d.group !== budget.group).map((d) => d.group))].sort(byCodePoint);
}

function lentGroupNames(budget: ParamBudgetFit, pool: readonly Doubling[]): string {
  return lentGroups(budget, pool).map(groupLabel).join(', ');
}

/** The numbers of a prediction, before any sentence: predictFromLaw's result. */
export interface PredictedValue {
  valBpc: number;
  /** The chosen law's value at N, at the budget's steps. */
  baseBpc: number;
  step: StepAdjustment | null;
  borrowing: Borrowing[];
  floor: number;
  ceiling: number;
  extrapolations: Extrapolation[];
  alternatives: Prediction['alternatives'];
  notUsed: Prediction['notUsed'];
  interval: Interval | null;
  /** An interval computed and withheld because it excluded the value (holdsEstimate). */
  withheld: Interval | null;
  range: Prediction['range'];
  /** The run-to-run scatter added to each draw (runScatter). */
  scatter: { sigma: number; source: string } | null;
  /** How many bootstrap draws the interval came from; null when the law has too few to give one. */
  draws: number | null;
}

/**
 * The value the chosen law gives at the query: the saturating law at N, moved by the step gains
 * (saturating above the law's floor, stepMove), its prediction interval for a new run (each
 * bootstrap draw of the law, a per-doubling gain drawn from the evidence, and the run-to-run scatter
 * of runScatter), and the alternative laws' values. Throws BitscaleError when the value lies
 * outside what any law can give: non-finite, below the law's floor A, or above log2(vocab); the
 * message is in the budget's loss unit.
 */
export function predictFromLaw(choice: LawChoice, query: PredictQuery): PredictedValue {
  const { budget, fit, name, nUnit } = choice;
  const unit = budget.lossUnit;
  const baseBpc = saturatingLoss(fit.params, query.params, nUnit);
  const floor = fit.params.A;
  const ceiling = Math.log2(query.vocab ?? DEFAULT_VOCAB);
  const lawRatio = choice.steps?.lawRatio ?? null;
  const { step, borrowing } = stepAdjustmentOf(choice, query, baseBpc);
  // A saturating law's value at the query: its value at N, moved by the step gains (saturating
  // above its own floor).
  const atQuery = (p: Record<SaturatingParam, number>, gain = step?.perDoubling ?? 0) => {
    const b = saturatingLoss(p, query.params, nUnit);
    return step ? b + stepMove(gain, step.doublings, stepRatio(b, p.A, gain, lawRatio?.ratio ?? null)) : b;
  };
  const valBpc = baseBpc + (step?.delta ?? 0);
  const measuredSteps = [budget.steps, ...(step ? step.evidence.flatMap((e) => [e.fromSteps, e.toSteps]) : [])];
  const extrapolations = [extrapolationOf('params', query.params, budget.points.map((p) => p.params)), extrapolationOf('steps', query.steps, measuredSteps)].filter((e): e is Extrapolation => e !== null);
  const beyond = extrapolations.length ? ` (${extrapolations.map(describeExtrapolation).join('; ')})` : '';
  // A value no law can give is an error, not a prediction.
  if (!Number.isFinite(valBpc)) throw new BitscaleError(`the ${name} law gives no finite value here${beyond}`, { field: 'params' });
  if (valBpc < floor - 1e-12) throw new BitscaleError(`the ${name} law gives ${formatLoss(valBpc)} ${unit}, below its own floor A = ${floor}: no law can give this${beyond}`, { field: 'params' });
  if (valBpc > ceiling) throw new BitscaleError(`the ${name} law gives ${formatLoss(valBpc)} ${unit}, above log2(${query.vocab ?? DEFAULT_VOCAB}) = ${formatLoss(ceiling)}, the entropy of a uniform guess over the vocabulary: no model gives this${beyond}`, { field: 'params' });

  const alternatives: Prediction['alternatives'] = [];
  const notUsed: Prediction['notUsed'] = [];
  for (const alt of choice.alternatives) {
    if (alt.notUsed !== null) {
      notUsed.push({ law: alt.law, reason: alt.notUsed });
      continue;
    }
    const [value, lawFloor] = alt.law === 'joint' ? [chinchillaLoss(alt.fit.params, query.params, query.steps * query.batchSize * (query.seqLen ?? budget.seqLen)), alt.fit.params.E] : [atQuery(alt.fit.params as Record<SaturatingParam, number>), alt.fit.params.A];
    if (Number.isFinite(value) && value >= lawFloor - 1e-12 && value <= ceiling) alternatives.push({ law: alt.law, valBpc: value });
    else notUsed.push({ law: alt.law, reason: `gives ${Number.isFinite(value) ? formatLoss(value) : 'no finite value'} here, outside [${formatLoss(lawFloor)}, log2(V) = ${formatLoss(ceiling)}]` });
  }
  const scatter = runScatter(fit);
  const { interval, withheld, draws } = newRunInterval(fit, valBpc, step?.intervalPool ?? [], scatter, atQuery);
  const ends = interval ? [interval.lo, interval.hi, ...alternatives.map((x) => x.valBpc)] : [];
  return { valBpc, baseBpc, step, borrowing, floor, ceiling, extrapolations, alternatives, notUsed, interval, withheld, range: interval ? { lo: Math.min(...ends), hi: Math.max(...ends) } : null, scatter, draws };
}

/**
 * The move from the budget's step count to the asked one: the mean per-doubling gain of the
 * evidence, its ratio (stepRatio: the fitted step law's 2^−β, never past the floor) and the
 * saturating sum (stepMove); null at the budget's own steps. Throws BitscaleError when the first
 * doubling alone would pass the law's floor.
 */
function stepAdjustmentOf(choice: LawChoice, query: PredictQuery, baseBpc: number): { step: StepAdjustment | null; borrowing: Borrowing[] } {
  if (!choice.steps) return { step: null, borrowing: [] };
  const { budget } = choice;
  const floor = choice.fit.params.A;
  const { pool, everywhere, spreadBorrowed, lawRatio } = choice.steps;
  const perDoubling = mean(pool.map((p) => p.perDoubling));
  const doublings = Math.log2(query.steps / budget.steps);
  const ratio = stepRatio(baseBpc, floor, perDoubling, lawRatio?.ratio ?? null);
  if (!Number.isFinite(ratio))
    throw new BitscaleError(`the per-doubling gain ${formatSigned(perDoubling)} is more than the ${formatLoss(baseBpc - floor)} left above the law's floor A = ${floor} at N = ${formatCount(query.params)}: no law gives a value for ${formatSteps(query.steps)} steps`, { field: 'params' });
  const ratioSource =
    ratio === lawRatio?.ratio
      ? `2^−β with β = ${(-Math.log2(ratio)).toFixed(3)} from ${lawRatio.source}`
      : `1 + gain/(${formatLoss(baseBpc)} − A), the ratio whose gains add up to the distance to the floor A = ${floor}, ${lawRatio ? `since 2^−β = ${lawRatio.ratio.toFixed(3)} from ${lawRatio.source} would pass it` : `since ${budget.dataset} has no step law with three step counts`}`;
  const intervalPool = spreadBorrowed ? everywhere.map((d) => d.perDoubling) : pool.map((p) => p.perDoubling);
  const step: StepAdjustment = { fromSteps: budget.steps, toSteps: query.steps, doublings, perDoubling, intervalPool, evidence: pool.map(({ group: _g, ...d }) => d), borrowed: choice.steps.ownCount === 0, ratio, ratioSource, delta: stepMove(perDoubling, doublings, ratio) };
  const borrowing: Borrowing[] = [];
  if (step.borrowed) borrowing.push({ what: 'step gain', groups: lentGroups(budget, pool), values: pool.length });
  if (spreadBorrowed) borrowing.push({ what: 'gain spread', groups: lentGroups(budget, everywhere), values: everywhere.length });
  return { step, borrowing };
}

/**
 * The prediction interval for a new run: the percentiles of `atQuery` over the law's bootstrap
 * draws, each moved by a gain drawn from `gains` and given a normal run-to-run scatter (runScatter).
 * None (draws null) when the law has fewer than two draws; computed but withheld when it excludes
 * `value` (holdsEstimate, the rule for a fit's parameters).
 */
function newRunInterval(fit: SaturatingFit, value: number, gains: readonly number[], scatter: { sigma: number } | null, atQuery: (p: Record<SaturatingParam, number>, gain: number) => number): { interval: Interval | null; withheld: Interval | null; draws: number | null } {
  const samples = fit.samples ?? [];
  if (samples.length < 2 || !fit.bootstrap) return { interval: null, withheld: null, draws: null };
  const random = seededRandom(fit.bootstrap.seed + 7919);
  const order = fit.paramOrder;
  // One parameter object, refilled for each draw (a thousand draws per prediction, many predictions per report).
  const p = { ...fit.params } as Record<SaturatingParam, number>;
  const values = samples.map((s) => {
    order.forEach((k, j) => (p[k] = s[j]));
    const g = gains.length ? gains[Math.floor(random() * gains.length)] : 0;
    // A draw whose gain would pass its floor in one doubling stops at the floor.
    const v = atQuery(p, g);
    return (Number.isFinite(v) ? v : p.A) + (scatter ? scatter.sigma * standardNormal(random) : 0);
  });
  const interval = percentileInterval(values, fit.bootstrap.level);
  if (interval && !holdsEstimate(interval, value)) return { interval: null, withheld: interval, draws: samples.length };
  return { interval, withheld: null, draws: samples.length };
}

/** The sentences of a prediction: how it was made, the fits it used, what it assumes and what to beware of. */
export interface PredictionText {
  method: string;
  fits: string[];
  assumptions: string[];
  warnings: string[];
}

/** The words for a prediction, every loss in the budget's loss unit. Pure: the same choice and value give the same text. */
export function explainPrediction(choice: LawChoice, value: PredictedValue, query: PredictQuery): PredictionText {
  const { budget, fit, name } = choice;
  const { step, interval } = value;
  const unit = budget.lossUnit;
  const fits = [`saturating ${name} @ ${budget.key}`];
  const assumptions = [
    `law: ${choice.why}`,
    `val_bpc(N) at ${formatSteps(budget.steps)} steps${budget.matched ? `, bs ${budget.batchSize}, LR ${budget.lr}` : ''} follows ${name === 'A fixed' ? `A + B/N^α with A held at ${fit.params.A}` : 'A + B/N^α with A fitted'} (${budget.points.length} runs: ${budget.runIds.join(', ')})`,
  ];
  const warnings: string[] = [];
  if (!budget.matched) warnings.push(`the ${budget.dataset} budget ${budget.note}; no correction applied`);
  else if (budget.batchSize !== query.batchSize) warnings.push(`no ${budget.dataset} budget at bs ${query.batchSize}; used bs ${budget.batchSize} without a batch-size correction`);
  if (fit.determination === 'exact') warnings.push(`the ${name} law is exactly determined: no interval`);
  const evidence = choice.steps;
  if (step && evidence) {
    const { pool, everywhere, lo, hi } = evidence;
    fits.push(...new Set(pool.map((p) => `per-doubling @ ${p.family}`)));
    assumptions.push(
      `the first doubling of steps changes val_bpc by ${formatSigned(step.perDoubling)} (mean of ${pool.length} per-doubling Δ in ${unit} from ${evidence.ownCount ? budget.dataset : `other groups' (borrowed: ${lentGroupNames(budget, pool)})`} step families), the same at N = ${formatCount(query.params)} and bs ${query.batchSize}`,
      `each further doubling gains ${step.ratio.toFixed(3)}× the one before (${step.ratioSource}), so the move saturates above the floor instead of running on linearly`,
    );
    if (evidence.spreadBorrowed) assumptions.push(`the interval draws the per-doubling gain from all ${everywhere.length} measured doublings between ${formatCount(lo, 0)} and ${formatCount(hi, 0)} steps (${everywhere.map((d) => formatSigned(d.perDoubling)).join(', ')}), since ${budget.dataset} has ${pool.length}: borrowed from ${lentGroupNames(budget, everywhere)} (--borrow-gains)`);
    // Said without naming other groups, so that adding unrelated runs never changes this text.
    else if (pool.length < 2) assumptions.push(`${budget.dataset} has ${pool.length} measured doubling of steps, so the interval has no spread of gains to draw from: it holds the law's bootstrap spread and the run-to-run scatter, not the uncertainty of the gain (--borrow-gains would draw the spread from other datasets' doublings of the same loss unit)`);
    if (step.borrowed) warnings.push(`${budget.dataset} has no step family; the per-doubling gain is borrowed from other groups (${lentGroupNames(budget, pool)})`);
    if (Math.abs(step.doublings) > 2) warnings.push(`moves ${Math.abs(step.doublings).toFixed(1)} doublings of steps from the fitted budget`);
  }
  for (const e of value.extrapolations) warnings.push(describeExtrapolation(e));
  const joint = choice.alternatives.find((a) => a.law === 'joint' && a.notUsed === null);
  if (joint?.law === 'joint') fits.push(`joint @ ${joint.key} (alternative)`);
  for (const n of value.notUsed) assumptions.push(`the ${n.law} law is shown in the fits but not used here: ${n.reason}`);
  if (value.withheld) warnings.push(`the ${formatPercent(value.withheld.level, 0)} interval [${formatLoss(value.withheld.lo)}, ${formatLoss(value.withheld.hi)}] excludes the prediction ${formatLoss(value.valBpc)}: no interval is given`);
  if (value.draws !== null && fit.bootstrap) {
    const { scatter } = value;
    assumptions.push(
      `interval: ${formatPercent(fit.bootstrap.level, 0)} prediction interval for a new run, the percentiles of ${value.draws} bootstrap refits of the law over ${budget.points.length} runs${step ? ', each moved by a per-doubling gain drawn from the evidence,' : ''} ${scatter ? `plus a normal run-to-run scatter of σ = ${formatLoss(scatter.sigma, 4)} (${scatter.source})` : 'with no run-to-run scatter (the law leaves no residual to measure it by): it holds the law\'s uncertainty only'}; it does not include the choice of law`,
    );
    if (!scatter) warnings.push('the interval holds the law\'s uncertainty only: with no leave-one-out error or residual degree of freedom, the run-to-run scatter is not measured');
  }
  for (const alt of value.alternatives)
    if (interval && (alt.valBpc < interval.lo || alt.valBpc > interval.hi)) warnings.push(`the ${alt.law} law gives ${formatLoss(alt.valBpc)}, outside the ${formatPercent(interval.level, 0)} prediction interval: the choice of law matters more than the spread the interval holds`);
  const lentText = value.borrowing.length ? ` (${value.borrowing.map((b) => `${b.what} borrowed from ${b.groups.map(groupLabel).join(', ')}`).join('; ')})` : '';
  const method = `${name === 'A fixed' ? `A + B/N^α (A = ${fit.params.A})` : 'A + B/N^α (A fitted)'} at the ${formatSteps(budget.steps)}-step${budget.matched ? ` bs ${budget.batchSize}` : ' (mixed bs/LR)'} ${budget.dataset} budget${step ? ` ${step.doublings < 0 ? '−' : '+'} ${Math.abs(step.doublings).toFixed(2)} doubling(s) of steps, the first ${formatSigned(step.perDoubling)} ${unit} and each further one ${step.ratio.toFixed(3)}× the one before` : ''}${lentText}`;
  return { method, fits, assumptions, warnings };
}

/**
 * Predict val_bpc for (params, steps, batch size, dataset), in the loss unit of the dataset's
 * analysis group. Accepts the run table (fitted here with `options.fit`) or a suite from
 * fitRunTable: refitForQuery, then chooseLaw, predictFromLaw and explainPrediction. Throws
 * BitscaleError when the dataset has no budget with at least two sizes, and when the value lies
 * outside what any law can give: non-finite, below the law's floor A, or above log2(vocab). A query
 * beyond the measured N or steps carries an extrapolation (a warning with its factor). Laws flagged
 * "do not extrapolate" are never used.
 */
export function predictBpc(input: readonly RunRecord[] | FitSuite, query: PredictQuery, options: PredictOptions = {}): Prediction {
  const suite = refitForQuery(input, query, options);
  const known = () => datasetsWithLaws(input, options);
  const first = chooseLaw(suite, query, options, known);
  const moved = options.batch ? moveBatch(suite, first, query, options, known) : null;
  const { choice, asked } = moved ?? { choice: first, asked: query };
  const value = moved ? moved.value : predictFromLaw(choice, query);
  const text = explainPrediction(choice, value, asked);
  if (moved) text.assumptions.unshift(...batchText(moved.batch, choice.budget.lossUnit, text.warnings));
  const { budget, fit, name } = choice;
  const lr = options.batch ? moveLr(choice, query, options.batch, value, text) : null;
  if (!lr && query.lr !== undefined && budget.lr !== null && Math.abs(Math.log(query.lr / budget.lr)) > 1e-9)
    text.warnings.push(`LR ${formatLearningRate(query.lr)} is not the budget's ${formatLearningRate(budget.lr)}, and no batch/LR grid measures what that costs: the prediction is for the budget's rate`);
  // Under a batch move, S steps at the query's batch are S × (S_eq/S) at the budget's (S_eq ∝ S).
  const lawAt = moved ? (steps: number) => predictFromLaw(choice, { ...asked, steps: (steps * moved.batch.equivalentSteps) / query.steps }).valBpc : (steps: number) => predictFromLaw(choice, { ...query, steps }).valBpc;
  const repetition = options.repetition ? assessRepetition(choice, query, options.repetition, text.warnings, lawAt) : null;
  return {
    query,
    valBpc: value.valBpc,
    lossUnit: budget.lossUnit,
    interval: value.interval,
    range: value.range,
    base: { budget: budget.key, law: name, params: { ...fit.params }, nUnit: choice.nUnit, steps: budget.steps, batchSize: budget.batchSize, valBpc: value.baseBpc },
    stepAdjustment: value.step,
    borrowing: value.borrowing,
    alternatives: value.alternatives,
    floor: value.floor,
    ceiling: value.ceiling,
    extrapolations: value.extrapolations,
    notUsed: value.notUsed,
    method: text.method,
    fits: text.fits,
    assumptions: text.assumptions,
    warnings: text.warnings,
    repetition,
    batch: moved?.batch ?? null,
    lr,
  };
}

/**
 * The rate the prediction stands for (the budget's, moved by lr_opt ∝ B^γ to the query's batch) and,
 * for a query rate off it, the grid's curvature's cost added to the value and to the interval's ends
 * (src/fit/lr-transfer.ts); the words go into `text`. Null without a matched budget rate or a grid.
 */
function moveLr(choice: LawChoice, query: PredictQuery, o: NonNullable<PredictOptions['batch']>, value: PredictedValue, text: PredictionText): LrAdjustment | null {
  const { budget } = choice;
  if (!budget.matched || budget.lr === null || budget.batchSize === null) return null;
  const evidence = lrEvidence(o.runs, budget.group, budget.lossUnit, o.cache);
  if (!evidence) return null;
  const adj = lrAdjustment(evidence, budget.lr, budget.batchSize, query.batchSize, query.lr ?? null);
  value.valBpc += adj.penalty;
  if (value.interval) value.interval = { ...value.interval, lo: value.interval.lo + adj.penaltyRange.lo, hi: value.interval.hi + adj.penaltyRange.hi };
  if (value.range) value.range = { lo: value.range.lo + adj.penaltyRange.lo, hi: value.range.hi + adj.penaltyRange.hi };
  const from = `runs/${evidence.collection}/${evidence.source === 'borrowed' ? ', borrowed' : ''}`;
  const gammaText = `lr_opt ∝ B^γ, γ = ${evidence.gamma.toFixed(3)} (${formatSigned(evidence.gammaRange.lo)} to ${formatSigned(evidence.gammaRange.hi)}; ${from})`;
  const stands = query.batchSize === budget.batchSize ? `LR ${formatLearningRate(budget.lr)}, the budget's own` : `LR ${formatLearningRate(adj.expectedLr)} (${formatLearningRate(adj.expectedRange.lo)}–${formatLearningRate(adj.expectedRange.hi)}): the budget's ${formatLearningRate(budget.lr)} at bs ${budget.batchSize} moved to bs ${query.batchSize} by ${gammaText}`;
  text.assumptions.unshift(
    adj.askedLr === null
      ? `LR: the prediction is for ${stands}, the budget's rate read as its best`
      : `LR: ${formatLearningRate(adj.askedLr)} against ${stands}; the grid's loss curvature in ln lr (c = ${formatNumber(adj.evidence.curvatures[0], 3)} to ${formatNumber(adj.evidence.curvatures.at(-1)!, 3)} ${budget.lossUnit} per (ln lr)², over ${adj.evidence.curvatures.length} optima; ${from}) costs ${formatSigned(adj.penalty, 4)} (${formatLoss(adj.penaltyRange.lo, 4)} to ${formatLoss(adj.penaltyRange.hi, 4)}), added to the value and to the interval's ends`,
  );
  if (adj.askedLr !== null && evidence.source === 'borrowed') text.warnings.push(`the cost of LR ${formatLearningRate(adj.askedLr)} rests on another dataset's batch/LR grid (runs/${evidence.collection}/): borrowed`);
  return adj;
}

/**
 * The query at a batch size its budget did not measure, asked at the budget's batch size and the
 * equivalent steps (src/fit/batch-transfer.ts); its interval spans the values at B_noise's interval
 * ends as well as the point's own. Null when the budget measured the query's batch size (or mixes
 * batch sizes) or no run anywhere measures B_noise (then explainPrediction's warning stands).
 */
function moveBatch(suite: FitSuite, first: LawChoice, query: PredictQuery, options: PredictOptions, known: () => string): { choice: LawChoice; asked: PredictQuery; value: PredictedValue; batch: BatchAdjustment } | null {
  const ref = first.budget.batchSize;
  if (!first.budget.matched || ref === null || ref === query.batchSize) return null;
  // The loss B_noise is read near: the law's value at N (the step move barely shifts which target is nearest).
  const guess = saturatingLoss(first.fit.params, query.params, first.nUnit);
  const bNoise = batchNoiseEvidence(options.batch!.runs, first.budget.group, query.params, guess, first.fit.bootstrap?.level ?? 0.8, options.batch!.cache);
  if (!bNoise) return null;
  const seqLen = query.seqLen ?? first.budget.seqLen;
  const at = (tokens: number) => equivalentSteps(query.steps, query.batchSize, ref, tokens / seqLen);
  const askAt = (steps: number) => {
    const asked = { ...query, steps, batchSize: ref };
    const choice = chooseLaw(suite, asked, options, known);
    return { asked, choice, value: predictFromLaw(choice, asked) };
  };
  const point = askAt(at(bNoise.tokens));
  const ends = [askAt(at(bNoise.interval.lo)), askAt(at(bNoise.interval.hi))];
  const iv = point.value.interval;
  const interval = iv ? { level: iv.level, lo: Math.min(iv.lo, ...ends.map((e) => e.value.interval?.lo ?? e.value.valBpc)), hi: Math.max(iv.hi, ...ends.map((e) => e.value.interval?.hi ?? e.value.valBpc)) } : null;
  const value: PredictedValue = { ...point.value, interval, range: interval && point.value.range ? { lo: Math.min(point.value.range.lo, interval.lo), hi: Math.max(point.value.range.hi, interval.hi) } : point.value.range };
  const [s0, s1] = ends.map((e) => e.asked.steps);
  const [v0, v1] = ends.map((e) => e.value.valBpc);
  return {
    ...point,
    value,
    batch: { fromBatch: query.batchSize, toBatch: ref, steps: query.steps, equivalentSteps: point.asked.steps, stepsRange: { lo: Math.min(s0, s1), hi: Math.max(s0, s1) }, bNoise, valueRange: { lo: Math.min(v0, v1), hi: Math.max(v0, v1) } },
  };
}

/** The batch move in words: one assumption (returned) and, for a borrowed or one-sided B_noise, a warning (pushed). */
function batchText(b: BatchAdjustment, unit: string, warnings: string[]): string[] {
  const iv = b.bNoise.interval;
  const ivText = `${formatCount(Math.round(iv.lo), 0)}–${Number.isFinite(iv.hi) ? formatCount(Math.round(iv.hi), 0) : "∞"} tokens`;
  const line = `batch: no run of the budget at bs ${b.fromBatch}; by S(B) = S_min(1 + B_noise/B) (McCandlish et al. 2018) with B_noise = ${formatCount(b.bNoise.tokens, 0)} tokens per step (${b.bNoise.from}), ${formatSteps(b.steps)} steps at bs ${b.fromBatch} reach what ${formatSteps(Math.round(b.equivalentSteps))} steps at bs ${b.toBatch} reach; over B_noise ${ivText} that is ${formatSteps(Math.round(b.stepsRange.lo))}–${formatSteps(Math.round(b.stepsRange.hi))} steps, ${formatLoss(b.valueRange.lo)}–${formatLoss(b.valueRange.hi)} ${unit}, and the interval covers them`;
  if (b.bNoise.source === 'borrowed') warnings.push(`the batch-size law is borrowed (B_noise ${b.bNoise.from}): its interval is every B_noise, from steps-only (B_noise → 0) to tokens-only (B_noise → ∞) scaling`);
  return [line];
}

/**
 * The query's passes over its corpus and what repeating costs under the chosen law (`lawAt`: the
 * same law, budget, step gains and batch move, asked at the effective step count); a warning and
 * null when U is unknown.
 */
function assessRepetition(choice: LawChoice, query: PredictQuery, o: NonNullable<PredictOptions['repetition']>, warnings: string[], lawAt: (steps: number) => number): RepetitionCost | null {
  const { budget } = choice;
  const seqLen = query.seqLen ?? budget.seqLen;
  const groupRuns = o.runs.filter((r) => analysisGroupKey(r) === budget.group);
  let unique: number;
  let source: string;
  if (o.corpus) {
    const units = [...new Set(groupRuns.map((r) => r.tokenUnit))];
    if (o.corpus.field === 'dataset-bytes' && units.some((u) => u !== 'byte')) throw new BitscaleError(`${budget.dataset}'s runs count ${units.join(', ')}s, not bytes: give its size in tokens with --unique-tokens`, { field: 'dataset-bytes' });
    ({ uniqueTokens: unique, source } = o.corpus);
  } else {
    const sizes = [...new Set(groupRuns.filter((r) => r.uniqueTokens !== null).map((r) => r.uniqueTokens!))];
    if (sizes.length !== 1) {
      warnings.push(sizes.length === 0 ? `${budget.dataset}'s runs state no corpus size: passes and the cost of repetition are unknown (give --unique-tokens or --dataset-bytes)` : `${budget.dataset}'s runs state ${sizes.length} different corpus sizes: give --unique-tokens or --dataset-bytes to say which the query trains on`);
      return null;
    }
    unique = sizes[0];
    source = `${budget.dataset}'s runs`;
  }
  const perStep = query.batchSize * seqLen;
  if (unique < perStep) throw new BitscaleError(`${formatCount(unique)} unique tokens (${source}) is less than one batch (${query.batchSize} × ${seqLen} = ${formatInteger(perStep)} tokens): a step would repeat tokens within itself`, { field: o.corpus?.field ?? 'dataset' });
  const cached = o.evidenceCache?.get(budget.group);
  const evidence = cached !== undefined ? cached : repetitionEvidence(o.runs, budget.group, o.bootstrap ?? { count: 200, seed: 1, level: 0.8 });
  o.evidenceCache?.set(budget.group, evidence);
  const cost = repetitionCost({ steps: query.steps, tokens: query.steps * query.batchSize * seqLen, budgetTokens: budget.steps * (budget.batchSize ?? query.batchSize) * seqLen, uniqueTokens: unique, uniqueSource: source }, evidence, lawAt);
  if (cost.evidence?.source === 'borrowed' && cost.passes > 1) warnings.push(`the cost of repetition rests on a borrowed assumption: ${cost.note}`);
  return cost;
}
