/**
 * The hand-written report's prose claims (claims/seed-report.json), each compared by code with
 * what the fits and the estimator compute. A claim names a metric; METRICS says how each metric is
 * computed from the analysis. Nothing here is typed in from the report but the claims themselves.
 */
import { mean } from '../fit/stats.js';
import { stepExponentForFloor } from '../fit/steps.js';
import { batchNoiseEvidence } from '../fit/batch-transfer.js';
import { contrastOf, referenceDataLimit, sharedGap, SEED_V52_PARAMS } from './families.js';
import { analysisGroupKey } from '../runs/table.js';
import type { Prediction } from '../fit/predict.js';
import { countParams, tokensSeen } from '../arch/bitlm.js';
import { formatSplit } from '../estimate/estimate.js';
import { BitscaleError } from '../util/errors.js';
import { formatCount, formatGiB, formatNumber } from '../util/format.js';
import { MAIN_ARCH, type ReportAnalysis, type RecommendedConfig } from './analysis.js';

export interface ClaimExpectation {
  approx?: number;
  tol?: number;
  range?: [number, number];
  inside_interval?: number;
  equals?: boolean | number;
  /**
   * A claimed uncertainty (a half-width): not right or wrong, but wider or narrower than the one
   * computed, and said so.
   */
  width?: number;
}

/**
 * What a computed value rests on: 'exact' (a curve through as many points as it has free
 * parameters: nothing tests it), 'fitted' (with dof > 0 degrees of freedom left), 'measured'
 * (read from runs), 'arithmetic' (a formula, no data), 'estimator' (bitscale's memory / speed
 * model), 'prediction' (a law applied past its points; dof of that law).
 */
export type EvidenceKind = 'exact' | 'fitted' | 'measured' | 'arithmetic' | 'estimator' | 'prediction';

export interface Evidence {
  kind: EvidenceKind;
  /** Degrees of freedom of the fit it rests on; null when no fit is involved. */
  dof: number | null;
  /** In words, e.g. "exact: a 3-parameter curve through 3 points (0 dof)". */
  text: string;
}

export type Verdict = 'agrees' | 'disagrees' | 'cannot tell' | 'wider than computed' | 'narrower than computed' | 'as wide as computed';

export interface Claim {
  id: string;
  section: string;
  quote: string;
  metric: string;
  expect: ClaimExpectation;
  unit: string;
}

export interface ClaimsFile {
  source: string;
  recommended: RecommendedConfig;
  claims: Claim[];
}

export interface ClaimCheck {
  claim: Claim;
  /** The computed value; null when the runs do not allow computing it. */
  value: number | boolean | null;
  /** For prediction claims: the prediction's span (its prediction interval ∪ the other laws' values). */
  interval: { lo: number; hi: number } | null;
  /** null when the claim cannot be judged right or wrong (not computable, or an uncertainty compared by width). */
  agrees: boolean | null;
  verdict: Verdict;
  /** What kind of evidence the computed value rests on: a verdict on an exact fit says less than one on a measurement. */
  evidence: Evidence;
  /** How it was computed, in words. */
  how: string;
}

interface MetricValue {
  value: number | boolean | null;
  how: string;
  interval?: { lo: number; hi: number } | null;
  evidence: Evidence;
}

/** The evidence of a fitted law: exact (dof 0) or fitted with its dof. */
function fitEvidence(fit: { dof: number; n: number; determination: string }, what: string): Evidence {
  const free = fit.n - fit.dof;
  return fit.dof <= 0 || fit.determination === 'exact'
    ? { kind: 'exact', dof: fit.dof, text: `exact: ${what} with ${free} free parameters through ${fit.n} points (0 dof), untested by its own data` }
    : { kind: 'fitted', dof: fit.dof, text: `fitted: ${what} with ${fit.dof} dof` };
}

const measured = (text: string): Evidence => ({ kind: 'measured', dof: null, text: `measured: ${text}` });
const arithmetic = (text: string): Evidence => ({ kind: 'arithmetic', dof: null, text: `arithmetic: ${text}` });
const estimator = (text: string): Evidence => ({ kind: 'estimator', dof: null, text: `estimator: ${text}` });
const NONE: Evidence = { kind: 'measured', dof: null, text: 'nothing to compute it from' };
/** What a wall-clock figure rests on: the speed curve of the measured runs, and where the step lies beyond them. */
const speedEvidence = (a: ReportAnalysis) => `speed curve fitted on ${a.estimate.throughput.curve.runs.length} measured runs${a.estimate.throughput.extrapolation ? `, extrapolated: ${a.estimate.throughput.extrapolation}` : ''}`;

/** A prediction rests on the law it applies (its dof) and the step gains it borrows. */
function predictionEvidence(p: Prediction, budgetFit: { dof: number } | null): Evidence {
  const dof = budgetFit?.dof ?? null;
  const law = dof === null ? 'a saturating law' : dof <= 0 ? 'a saturating law exact through its points (0 dof)' : `a saturating law fitted with ${dof} dof`;
  const beyond = p.extrapolations.length ? `, ${p.extrapolations.map((e) => `${e.quantity} ${e.factor.toFixed(1)}× ${e.direction === 'above' ? 'beyond' : 'below'} the measured range`).join(', ')}` : '';
  return { kind: 'prediction', dof, text: `prediction: ${law}${p.stepAdjustment ? ' moved by measured per-doubling gains' : ''}${beyond}` };
}

type Metric = (a: ReportAnalysis) => MetricValue;

const GB = 1e9;
/** The datasets the hand-written report's step-scaling claims are about. */
const SEED_DATASETS = ['TinyStories', 'GLM-Reasoning'];

function paramBudget(a: ReportAnalysis, dataset: string, batchSize: number) {
  return a.suite.paramBudgets.filter((b) => b.dataset === dataset && b.batchSize === batchSize).sort((x, y) => y.points.length - x.points.length)[0] ?? null;
}

function predictionAt(a: ReportAnalysis, params: number, steps: number): Prediction | null {
  return a.predictions.find((p) => p.params === params && p.steps === steps)?.prediction ?? null;
}

function predictionMetric(params: (a: ReportAnalysis) => number, steps: number): Metric {
  return (a) => {
    const p = predictionAt(a, params(a), steps);
    return p
      ? { value: p.valBpc, interval: p.range, evidence: predictionEvidence(p, lawOf(a, p)), how: `predicted at N = ${params(a)} and ${steps} steps: ${p.method}; the range holds the 80% prediction interval for a new run and the other law's value` }
      : { value: null, evidence: NONE, how: `no prediction at ${steps} steps` };
  };
}

/** The saturating law a prediction used (for its dof). */
function lawOf(a: ReportAnalysis, p: Prediction): { dof: number } | null {
  const b = a.suite.paramBudgets.find((x) => x.key === p.base.budget);
  return (p.base.law === 'A fixed' ? b?.fixedA : b?.free) ?? null;
}

function memoryGroupBytes(a: ReportAnalysis, groups: string[]): number {
  return a.estimate.memory.components.filter((c) => groups.includes(c.group)).reduce((s, c) => s + c.bytes, 0);
}

/** Every metric a claim may name, computed from the analysis. */
export const METRICS: Record<string, Metric> = {
  tinystories_step_beta: (a) => {
    const f = a.suite.stepLaws.find((s) => s.dataset === 'TinyStories' && s.fit);
    return f?.fit
      ? { value: f.fit.params.beta, evidence: fitEvidence(f.fit, 'L∞ + C·S^−β'), how: `L∞ + C·S^−β through ${f.points.length} TinyStories runs (${f.runIds.join(', ')}), ${f.fit.determination === 'exact' ? 'exactly' : f.fit.determination} determined` }
      : { value: null, evidence: NONE, how: 'no TinyStories step family with three step counts' };
  },
  glm_step_beta_linf_1_3: (a) => {
    const f = a.suite.stepLaws.find((s) => s.dataset === 'GLM-Reasoning' && s.perDoubling.length > 0);
    if (!f) return { value: null, evidence: NONE, how: 'no GLM step family' };
    const steps = [...new Set(f.points.map((p) => p.steps))].sort((x, y) => x - y);
    const at = (s: number) => ({ steps: s, valBpc: mean(f.points.filter((p) => p.steps === s).map((p) => p.valBpc)) });
    const first = at(steps[0]);
    const last = at(steps[steps.length - 1]);
    return { value: stepExponentForFloor(first, last, 1.3), evidence: { kind: 'exact', dof: 0, text: 'exact: β through 2 step counts with L∞ given (0 dof), untested by its own data' }, how: `β = −log((L₂ − 1.3)/(L₁ − 1.3)) / log(S₂/S₁) from ${first.steps} → ${last.steps} steps (${first.valBpc.toFixed(3)} → ${last.valBpc.toFixed(3)}), L∞ = 1.3 as the report assumes` };
  },
  mean_doubling_delta: (a) => {
    const deltas = a.suite.stepLaws.filter((s) => SEED_DATASETS.includes(s.dataset)).flatMap((s) => s.perDoubling.map((d) => d.perDoubling));
    return { value: deltas.length ? mean(deltas) : null, evidence: measured(`mean of ${deltas.length} differences between runs`), how: `mean of ${deltas.length} per-doubling ΔBPC on ${SEED_DATASETS.join(' and ')} (${deltas.map((d) => d.toFixed(3)).join(', ')})` };
  },
  tinystories_decade_slope: (a) => {
    // The seed's pair (v70, v72) differs in batch size and LR: a comparison across recipes, not a size law.
    const law = a.suite.paramBudgets.find((x) => x.dataset === 'TinyStories');
    const across = a.suite.sizeComparisons.find((x) => x.dataset === 'TinyStories');
    const s = (law ?? across)?.slopes[0];
    const recipes = !law && across ? ` across recipes (${[...new Set(across.recipes)].join(' vs ')})` : '';
    return s ? { value: s.slope, evidence: measured('a difference between 2 runs'), how: `(${s.toBpc} − ${s.fromBpc}) / log10(${s.toParams} / ${s.fromParams})${recipes}` } : { value: null, evidence: NONE, how: 'no TinyStories budget with two sizes' };
  },
  batch_lr_delta_bpc: (a) => batchMetric(a, (c) => c.deltaBpc, 'ΔBPC'),
  batch_lr_wall_change: (a) => batchMetric(a, (c) => (c.wallClockRatio === null ? null : c.wallClockRatio - 1), 'wall-clock ratio − 1'),
  batch_lr_tokens_ratio: (a) => batchMetric(a, (c) => c.tokensRatio, 'tokens ratio'),
  dataset_offset_glm_vs_tinystories: (a) => {
    // The report quotes the offset at its longest matched budget (40K steps).
    const o = a.suite.datasetOffsets.filter((x) => x.from.dataset === 'TinyStories' && x.to.dataset === 'GLM-Reasoning').sort((x, y) => y.steps - x.steps)[0];
    return o ? { value: o.offset, evidence: measured(`a difference between ${o.to.runIds.length + o.from.runIds.length} runs`), how: `GLM ${o.to.valBpc.toFixed(4)} (${o.to.runIds.join(', ')}) − TinyStories ${o.from.valBpc.toFixed(3)} (${o.from.runIds.join(', ')}) at ${o.steps} steps, bs ${o.batchSize}` } : { value: null, evidence: NONE, how: 'no matched pair' };
  },
  glm_decade_slope_1: (a) => slopeMetric(a, 0),
  glm_decade_slope_2: (a) => slopeMetric(a, 1),
  glm_saturating_alpha: (a) => saturatingMetric(a, (f) => f.params.alpha, 'α'),
  glm_saturating_B_millions: (a) => saturatingMetric(a, (f) => f.params.B, 'B (N in millions)'),
  glm_saturating_max_abs_residual: (a) => saturatingMetric(a, (f) => Math.max(...f.residuals.map(Math.abs)), 'largest |residual|'),
  pred_300M_15K: predictionMetric((a) => a.recommended.claimedParams, 15000),
  pred_300M_30K: predictionMetric((a) => a.recommended.claimedParams, 30000),
  pred_300M_60K: predictionMetric((a) => a.recommended.claimedParams, 60000),
  pred_300M_30K_half_width: (a) => {
    const p = predictionAt(a, a.recommended.claimedParams, 30000);
    const r = p?.range ?? null;
    return r ? { value: (r.hi - r.lo) / 2, evidence: predictionEvidence(p!, lawOf(a, p!)), how: `half the range at 300M, 30K steps (the ${Math.round(p!.interval!.level * 100)}% prediction interval for a new run ∪ the other law's value)` } : { value: null, evidence: NONE, how: 'no interval' };
  },
  pred_recommended_30K: (a) => ({ value: a.headline.valBpc, interval: a.headline.range, evidence: predictionEvidence(a.headline, lawOf(a, a.headline)), how: `predicted at the real count ${a.recommendedParams} and ${a.headline.query.steps} steps: ${a.headline.method}` }),
  recommended_params: (a) => ({ value: a.recommendedParams, evidence: arithmetic('the exact count'), how: 'N = L·(4d² + 3·d·d_ff) + 2·V·d for d=2048, L=16, d_ff=1024, V=128' }),
  third_point_params: () => {
    const c = { d: 640, layers: 6, dFf: 320, vocab: 128 };
    return { value: countParams(c), evidence: arithmetic('the exact count'), how: 'N = L·(4d² + 3·d·d_ff) + 2·V·d for d=640, L=6, d_ff=320, V=128' };
  },
  third_point_measured_bpc: (a) => {
    const run = a.mainRuns.find((r) => r.dataset === 'GLM-Reasoning' && r.config?.d === 640 && r.config.layers === 6 && r.batchSize === 256);
    return run ? { value: run.finalValBpc, evidence: measured('1 run'), how: `run ${run.id} (${run.source ?? run.file})` } : { value: null, evidence: NONE, how: 'not measured yet' };
  },
  recommended_tokens_30K: (a) => ({ value: tokensSeen(30000, a.recommended.batchSize, a.recommended.config.seqLen), evidence: arithmetic('steps × batch × context'), how: `30,000 steps × bs ${a.recommended.batchSize} × T ${a.recommended.config.seqLen}` }),
  lr_batch_gamma: (a) => {
    const grid = a.batchLr.find((g) => g.analysis?.lrLaw?.interval);
    const law = grid?.analysis?.lrLaw;
    if (!grid || !law || !law.interval) return { value: null, evidence: NONE, how: 'no batch/LR grid with an lr_opt law' };
    const sizes = [...new Set(grid.analysis!.lr.map((p) => p.params))].sort((x, y) => x - y);
    return {
      value: law.gamma,
      interval: { lo: law.interval.lo, hi: law.interval.hi },
      evidence: { kind: 'fitted', dof: law.dof, text: `fitted: lr_opt ∝ B^γ on ${law.n} optima of runs/${grid.collection}/ with ${law.dof} dof, at ${sizes.map((n) => formatCount(n)).join(' and ')} parameters on Brown: borrowed, not measured on GLM-Reasoning` },
      how: `γ with its ${Math.round(law.interval.level * 100)}% t interval ${formatNumber(law.interval.lo, 3)} to ${formatNumber(law.interval.hi, 3)}; "LR scales up by √4 at 4× bs" is γ = 0.5`,
    };
  },
  glm_46M_critical_batch_lower_bound: (a) => {
    // "Free" under S(B) = S_min(1 + B_noise/B): below B_noise a larger batch cuts the steps nearly in proportion.
    const size = countParams({ d: 1024, layers: 8, dFf: 512, vocab: 128 });
    const e = batchNoiseEvidence(a.mainRuns, analysisGroupKey(a.mainRuns.find((r) => r.dataset === 'GLM-Reasoning')!), size, 1.8);
    if (!e || e.source !== 'own pair' || e.params !== size) return { value: null, evidence: NONE, how: 'no GLM-Reasoning pair of 46.4M runs at two batch sizes' };
    const seq = a.mainRuns.find((r) => r.id === e.runIds[0])!.seqLen;
    return {
      value: e.interval.lo / seq,
      evidence: measured('a bound from one pair of runs'),
      how: `the least B_noise in S(B) = S_min(1 + B_noise/B) consistent with ${e.from}: ${Math.round(e.interval.lo / seq)} sequences (estimate ${Math.round(e.tokens / seq)}); "free" holds if bs 256 is at or below it, where 4× the batch cuts the steps nearly 4×`,
    };
  },
  v52_gap_5M: (a) => familyGapMetric(a, 'bitlm-v52', SEED_V52_PARAMS),
  v52_gap_recommended: (a) => familyGapMetric(a, 'bitlm-v52', a.recommendedParams),
  pm1_capacity_ceiling: (a) => {
    const e = a.families.find((f) => f.id === 'precision');
    const c = e ? contrastOf(e, 'bitlm-v57') : null;
    if (!e?.result || !c?.ceiling || !c.deltaAlpha) return { value: null, evidence: NONE, how: e?.refusal ? `not testable with these runs: ${e.refusal}` : 'no separate-exponent law' };
    const cmp = e.result.comparison;
    const runs = Object.values(cmp.runs).reduce((x, y) => x + y, 0);
    const iv = c.deltaAlpha.lo === null ? 'no interval' : `${formatNumber(c.deltaAlpha.lo, 3)} to ${formatNumber(c.deltaAlpha.hi!, 3)}`;
    // A ceiling is about N at ample data: a reference whose largest size saw few tokens per parameter flattens for want of data.
    const limit = referenceDataLimit(e, a.runs);
    const starved = limit !== null;
    return {
      value: starved ? null : c.ceiling.verdict === 'ceiling' ? true : c.ceiling.verdict === 'no-ceiling' ? false : null,
      evidence: { kind: 'fitted', dof: null, text: `fitted: A + B_f/N^α_f on ${runs} Brown runs of ${e.families.join(', ')} at one budget (19.5K–455K parameters): borrowed from Brown, not measured on GLM-Reasoning` },
      how: `Δα = α(bitlm-v57) − α(float-v52) = ${formatNumber(c.deltaAlpha.value, 3)} (${Math.round(cmp.level * 100)}% ${iv}): ${c.ceiling.why}${limit ? `; not testable with these runs: float-v52's largest size (${formatCount(limit.params)}) saw ${limit.tokensPerParam.toFixed(1)} tokens per parameter, under the ~${limit.ample} at which size gains stop being limited by data (Hoffmann et al. 2022), so its flattening with N cannot be told from a ±1 ceiling` : ''}`,
    };
  },
  dff2_gap_46M: (a) => {
    const e = a.families.find((f) => f.id === 'architecture');
    const wide = countParams({ d: 1024, layers: 8, dFf: 2048, vocab: 128 });
    const base = countParams({ d: 1024, layers: 8, dFf: 512, vocab: 128 });
    const g = e ? sharedGap(e, 'bitlm-v57:ff2', wide, base) : null;
    if (!e?.result || !g) return { value: null, evidence: NONE, how: e?.refusal ? `not testable with these runs: ${e.refusal}` : 'no d_ff = 2·d family' };
    const m = e.result.comparison.shared.multipliers['bitlm-v57:ff2'];
    const largest = e.result.comparison.ranges.params.max;
    return {
      value: g.value,
      interval: g.lo === null ? null : { lo: g.lo, hi: g.hi! },
      evidence: { kind: 'fitted', dof: null, text: `fitted: the shared law with a multiplier on Brown's v57 and d_ff = 2·d ladders at ${e.budgets[e.budgets.length - 1].steps} steps, extrapolated ×${Math.round(wide / largest)} beyond its largest run: borrowed from Brown` },
      how: `L(d_ff 2048 at d 1024, L 8: ${formatCount(wide)}) − L(46.4M), D matched: B·((m·${formatCount(wide)})^−α − ${formatCount(base)}^−α) with m(d_ff = 2·d) = ${formatNumber(m.value, 3)}; "a free −0.05" agrees when −0.05 lies inside its interval`,
    };
  },
  recommended_passes_30K: (a) => {
    const r = predictionAt(a, a.recommendedParams, 30000)?.repetition ?? null;
    return r ? { value: r.passes, evidence: arithmetic('tokens ÷ unique tokens'), how: `30,000 steps × bs ${a.recommended.batchSize} × T ${a.recommended.config.seqLen} ÷ ${r.uniqueTokens} unique tokens (${r.uniqueSource})` } : { value: null, evidence: NONE, how: 'the dataset\'s size is unknown' };
  },
  recommended_repeated_change_30K_to_60K: (a) => {
    const [p30, p60] = [30000, 60000].map((steps) => predictionAt(a, a.recommendedParams, steps));
    const r30 = p30?.repetition;
    const r60 = p60?.repetition;
    if (!p30 || !p60 || !r30 || !r60 || r30.cost === null || r60.cost === null) return { value: null, evidence: NONE, how: 'no cost of repetition: the dataset\'s size or R_D_star is unknown' };
    const [at30, at60] = [p30.valBpc + r30.cost, p60.valBpc + r60.cost];
    const borrowed = r60.evidence?.source === 'borrowed' ? `, R_D_star ${r60.evidence.rStar.toPrecision(3)} borrowed from ${r60.evidence.group.split('|')[0].replace(/^dataset=/, '')}` : '';
    return {
      value: at60 - at30,
      evidence: { ...predictionEvidence(p60, lawOf(a, p60)), text: `${predictionEvidence(p60, lawOf(a, p60)).text}, with the data-constrained law's cost of repetition${borrowed}` },
      how: `val_bpc with repeats valued by the data-constrained law: ${at60.toFixed(4)} at 60K steps (${r60.passes.toFixed(2)} passes) − ${at30.toFixed(4)} at 30K (${r30.passes.toFixed(2)} passes); "bends upward (overfitting)" needs ≥ 0: more passes making the loss worse`,
    };
  },
  recommended_chinchilla_tokens: (a) => ({ value: 20 * a.recommendedParams, evidence: arithmetic('a rule of thumb times the exact count'), how: `20 tokens per parameter × ${a.recommendedParams}` }),
  recommended_weight_megabytes: (a) => ({ value: a.recommendedParams / 8 / 1e6, evidence: arithmetic('the exact count at 1 bit per weight'), how: `${a.recommendedParams} weights × 1 bit / 8 bits per byte, in 10^6 bytes` }),
  recommended_memory_total_gb: (a) => ({ value: a.estimate.totalBytes / GB, evidence: estimator('memory model'), how: `estimator, ${a.estimate.preset}, bs ${a.estimate.batchSize} as one micro-batch, T×T bytes/element ${a.estimate.tt.value.toFixed(2)}` }),
  recommended_activation_gb: (a) => ({ value: memoryGroupBytes(a, ['activations', 'attention']) / GB, evidence: estimator('memory model'), how: 'estimator: activations saved for backward, the T×T attention tensors included' }),
  recommended_fits_a100_40gb: (a) => ({ value: a.estimate.fits, evidence: estimator('memory model'), how: `estimator: ${formatGiB(a.estimate.totalBytes, 1)} against ${formatGiB(a.estimate.usableBytes, 1)} usable on ${a.estimate.gpu.name}` }),
  measured_ms_per_step_46M_bs256: (a) => {
    const r = a.runs.find((x) => x.arch === MAIN_ARCH && x.dataset === 'GLM-Reasoning' && x.batchSize === 256 && x.params === countParams({ d: 1024, layers: 8, dFf: 512, vocab: 128 }) && x.wallSeconds);
    return r ? { value: (1000 * r.wallSeconds!) / r.steps, evidence: measured('1 timed run'), how: `run ${r.id}: ${r.wallSeconds} s / ${r.steps} steps` } : { value: null, evidence: NONE, how: 'no timed run' };
  },
  recommended_seconds_per_step: (a) => ({ value: a.estimate.secondsPerStep, evidence: estimator(speedEvidence(a)), how: `estimator: micro-batches ${a.estimate.split ? formatSplit(a.estimate.split) : 'none fits'}; ${a.estimate.throughput.detail}` }),
  recommended_hours_30K: (a) => ({ value: a.estimate.totalHours, evidence: estimator(speedEvidence(a)), how: `estimator: ${a.estimate.steps} steps × ${a.estimate.secondsPerStep?.toFixed(2)} s` }),
};


/** `family` − bitlm-v57 at N from the 'architecture' comparison (its separate-exponent law), with its interval and extrapolation. */
function familyGapMetric(a: ReportAnalysis, family: string, params: number): MetricValue {
  const e = a.families.find((f) => f.id === 'architecture');
  const s = e ? contrastOf(e, family)?.sizes.find((x) => x.params === params) : null;
  if (!e?.result || !s) return { value: null, evidence: NONE, how: e?.refusal ? `not testable with these runs: ${e.refusal}` : `no gap at ${formatCount(params)}` };
  return {
    value: s.gap.value,
    interval: s.gap.lo === null ? null : { lo: s.gap.lo, hi: s.gap.hi! },
    evidence: { kind: 'fitted', dof: null, text: `fitted: A + B_f/N^α_f on Brown's ${e.families.slice(0, 2).join(' and ')} ladders at ${e.budgets[e.budgets.length - 1].steps} steps${s.beyondLargest ? `, extrapolated ×${Math.round(s.beyondLargest)} beyond their largest run` : ''}: borrowed from Brown, not measured on GLM-Reasoning or TinyStories` },
    how: `L(${family}) − L(bitlm-v57) at N = ${formatCount(params)} and ${formatCount(e.budgets[e.budgets.length - 1].tokens)} tokens, with its ${Math.round(e.result.comparison.level * 100)}% bootstrap interval`,
  };
}

function batchMetric(a: ReportAnalysis, pick: (c: ReportAnalysis['suite']['batchLr'][number]) => number | null, what: string): MetricValue {
  const c = a.suite.batchLr.find((x) => x.dataset === 'GLM-Reasoning' && x.wallClockRatio !== null);
  if (!c) return { value: null, evidence: NONE, how: 'no timed pair of runs differing in batch size' };
  return { value: pick(c), evidence: measured('one pair of runs'), how: `${what}: ${c.to.runId} (bs ${c.to.batchSize}, LR ${c.to.lr}) against ${c.from.runId} (bs ${c.from.batchSize}, LR ${c.from.lr})` };
}

function slopeMetric(a: ReportAnalysis, i: number): MetricValue {
  const b = paramBudget(a, 'GLM-Reasoning', 256);
  const s = b?.slopes[i];
  return s ? { value: s.slope, evidence: measured('a difference between 2 runs'), how: `(${s.toBpc} − ${s.fromBpc}) / log10(${s.toParams} / ${s.fromParams})` } : { value: null, evidence: NONE, how: 'fewer sizes' };
}

function saturatingMetric(a: ReportAnalysis, pick: (f: NonNullable<ReturnType<typeof paramBudget>>['fixedA']) => number, what: string): MetricValue {
  const b = paramBudget(a, 'GLM-Reasoning', 256);
  if (!b) return { value: null, evidence: NONE, how: 'no GLM budget with two sizes' };
  return { value: pick(b.fixedA), evidence: fitEvidence(b.fixedA, `A + B/N^α, A held at ${b.fixedA.params.A},`), how: `${what} of A + B/N^α, A held at ${b.fixedA.params.A}, through ${b.points.length} runs (${b.runIds.join(', ')}); N as the exact count` };
}

/** Compare one claim with its computed value. */
export function checkClaim(claim: Claim, a: ReportAnalysis): ClaimCheck {
  const metric = METRICS[claim.metric];
  if (!metric) throw new BitscaleError(`unknown metric '${claim.metric}' (known: ${Object.keys(METRICS).join(', ')})`, { field: `claims.${claim.id}.metric` });
  const m = metric(a);
  const e = claim.expect;
  let agrees: boolean | null = null;
  let verdict: Verdict | null = null;
  if (m.value !== null) {
    if (e.equals !== undefined) agrees = m.value === e.equals;
    else if (typeof m.value !== 'number') agrees = null;
    else if (e.width !== undefined) verdict = Math.abs(e.width - m.value) <= (e.tol ?? 0) + 1e-12 ? 'as wide as computed' : e.width > m.value ? 'wider than computed' : 'narrower than computed';
    else if (e.range) agrees = m.value >= e.range[0] && m.value <= e.range[1];
    else if (e.approx !== undefined) agrees = Math.abs(m.value - e.approx) <= (e.tol ?? 0) + 1e-12;
    else if (e.inside_interval !== undefined) agrees = m.interval ? e.inside_interval >= m.interval.lo && e.inside_interval <= m.interval.hi : null;
  }
  verdict ??= agrees === null ? 'cannot tell' : agrees ? 'agrees' : 'disagrees';
  return { claim, value: m.value, interval: m.interval ?? null, agrees, verdict, evidence: m.evidence, how: m.how };
}

export function checkClaims(file: ClaimsFile, a: ReportAnalysis): ClaimCheck[] {
  return file.claims.map((c) => checkClaim(c, a));
}

/** Validate the parsed claims file and turn its "recommended" block into a RecommendedConfig. */
export function parseClaimsFile(raw: unknown, file: string): ClaimsFile {
  const o = raw as { source?: unknown; recommended?: Record<string, unknown>; claims?: unknown };
  if (!o || typeof o !== 'object' || !Array.isArray(o.claims) || !o.recommended) throw new BitscaleError('expected {source, recommended, claims: [...]}', { file });
  const r = o.recommended as Record<string, any>;
  const cfg = r.config ?? {};
  for (const f of ['d', 'layers', 'heads', 'd_ff', 'seq_len', 'vocab']) if (!Number.isInteger(cfg[f]) || cfg[f] <= 0) throw new BitscaleError('expected a positive integer', { file, field: `recommended.config.${f}` });
  for (const f of ['claimed_params', 'batch_size', 'lr', 'steps']) if (typeof r[f] !== 'number' || !(r[f] > 0)) throw new BitscaleError('expected a positive number', { file, field: `recommended.${f}` });
  const ids = new Set<string>();
  for (const [i, c] of (o.claims as Claim[]).entries()) {
    if (!c.id || ids.has(c.id)) throw new BitscaleError(`missing or repeated claim id '${c.id}'`, { file, field: `claims[${i}].id` });
    ids.add(c.id);
    if (!(c.metric in METRICS)) throw new BitscaleError(`unknown metric '${c.metric}'`, { file, field: `claims[${i}].metric` });
  }
  return {
    source: String(o.source ?? file),
    recommended: {
      label: String(r.label ?? 'recommended config'),
      claimedParams: r.claimed_params,
      dataset: String(r.dataset),
      config: { d: cfg.d, layers: cfg.layers, heads: cfg.heads, dFf: cfg.d_ff, seqLen: cfg.seq_len, vocab: cfg.vocab },
      batchSize: r.batch_size,
      lr: r.lr,
      steps: r.steps,
      budgets: Array.isArray(r.budgets) ? r.budgets : [r.steps],
      gpu: String(r.gpu ?? 'a100-40gb'),
      precision: r.precision === 'fp32' ? 'fp32' : 'bf16-autocast',
      plannedHours: typeof r.planned_hours === 'number' && r.planned_hours > 0 ? r.planned_hours : null,
    },
    claims: o.claims as Claim[],
  };
}
