/**
 * The report's data: the analysis shaped into one typed object (ReportData) that the Handlebars
 * templates word (templates/, numbers through the helpers of ./templates.ts) and that is written as
 * reports/report.json; and the data of each chart. Numbers stay raw here; labels and the few
 * sentences that come whole from elsewhere (a fit's warnings, the estimator's evidence) are strings.
 */
import type { TopLevelSpec } from 'vega-lite';
import type { PeakCheck } from '../estimate/calibrate.js';
import type { RepetitionEvidence } from '../fit/repetition-cost.js';
import { familyViews, type FamilyView } from './families.js';
import type { BatchLrAnalysis } from '../fit/batch-lr-runs.js';
import { formatCount, formatShape, formatDurationColumn, formatInterval, formatLearningRate, formatLoss as bpc, parseCount, formatSteps } from '../util/format.js';
import { percentileInterval } from '../fit/resample.js';
import { saturatingLoss, type SaturatingFit } from '../fit/saturating.js';
import { stepLawLoss, type StepLawFit } from '../fit/steps.js';
import { describeExtrapolation, groupLabel, type Prediction } from '../fit/predict.js';
import { determinationLabel, type FitResult, type Interval } from '../fit/types.js';
import type { JointLawFit, ParamBudgetFit, SizeComparison, StepFamilyFit } from '../fit/suite.js';
import { computeOptimalAllocation } from '../fit/chinchilla.js';
import type { DatasetOffset, RunSide } from '../fit/compare.js';
import { isBitLM } from '../arch/family.js';
import type { ModelConfig } from '../arch/bitlm.js';
import { MEMORY_GROUPS, estimateTrainingMemory, memoryParts, memoryRows } from '../estimate/memory.js';
import { formatSplit, type TrainingEstimate } from '../estimate/estimate.js';
import { analysisGroupKey, byCodePoint, groupRuns, notScalingRuns, requireOneLossUnit } from '../runs/table.js';
import type { RunRecord } from '../runs/types.js';
import { localCollections, MAIN_COLLECTIONS, type GroupAnalysis, type RankedCandidate, type ReportAnalysis } from './analysis.js';
import { BACKTEST_MIN_SIZES, type GroupBacktest } from '../fit/backtest.js';
import { chinchillaLoss } from '../fit/chinchilla.js';
import { planChartFile, planView, type PlanView } from './plan-view.js';
import type { ClaimCheck, EvidenceKind, Verdict } from './claims.js';
import { allocationChart, backtestChart, batchLossChart, criticalBatchChart, budgetChart, computeChart, lossAxis, memoryChart, paramScalingChart, stepScalingChart, type BandPoint, type LawLine, type ObservedPoint, type Segment, type TracePoint } from './charts.js';

const GIB = 2 ** 30;

export interface ChartFile {
  /** Path relative to the report, e.g. "charts/steps.svg". */
  path: string;
  alt: string;
  spec: TopLevelSpec;
  /** Draws the laws of every dataset of the main suite, not only the recommended config's (the report's first view lacks the others, so does not render it ahead). */
  everyDataset?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Labels

/**
 * The count, printed to as many decimals as the source's own figure has, and that figure beside it
 * only when the two differ at that precision: 5,520,000 reported as "5.52M" prints "5.52M";
 * 13,680,640 reported as "13.70M" prints "13.68M (report: 13.70M)".
 */
export function paramsLabel(r: { params: number; paramsReported?: string | null }): string {
  const reported = r.paramsReported ?? null;
  const decimals = reported && /^[0-9.]+[KMBT]$/i.test(reported) ? (reported.split('.')[1]?.length ?? 1) - 1 : 1;
  const exact = formatCount(r.params, Math.max(1, decimals));
  return reported && parseCount(reported) !== parseCount(exact) ? `${exact} (report: ${reported})` : exact;
}

/** "bits per token (gpt2)" → "bits/token (gpt2)": the short form for parameter and RMSE units. */
export function shortUnit(lossUnit: string): string {
  return lossUnit.replace(/^bits per /, 'bits/');
}

function configLabel(r: RunRecord): string {
  return r.config ? `d=${r.config.d}, L=${r.config.layers}, H=${r.config.heads}, d_ff=${r.config.d_ff}` : 'not stated';
}

/** One parameter of a fitted law: its value, and its bootstrap interval unless the fit held it fixed. */
export interface FitParamRow {
  name: string;
  value: number;
  /** Held fixed by the fit (no interval). */
  fixed: boolean;
  interval: Interval | null;
  unit: string;
}

/** A fitted law as its table shows it (templates/partials/fit-table.hbs). */
export interface FitTable {
  /** The loss unit, short ("bits/byte"). */
  unit: string;
  formula: string;
  determination: string;
  n: number;
  dof: number;
  /** In the loss unit. */
  rmse: number;
  bootstrap: { used: number; requested: number; seed: number } | null;
  /** Leave-one-out errors, in the loss unit. */
  loo: { rmse: number; maxAbs: number } | null;
  warnings: string[];
  formChoice: string | null;
  notUsed: string | null;
  params: FitParamRow[];
}

function fitTable<K extends string>(fit: FitResult<K>, lossUnit: string, units: Partial<Record<K, string>> = {}): FitTable {
  const unit = shortUnit(lossUnit);
  return {
    unit,
    // The fitters' formula texts name the BitLM unit; a fit is in its runs' unit.
    formula: fit.formula.replace(/bits per byte/g, lossUnit),
    determination: determinationLabel(fit),
    n: fit.n,
    dof: fit.dof,
    rmse: fit.rmse,
    bootstrap: fit.bootstrap ? { used: fit.bootstrap.used, requested: fit.bootstrap.requested, seed: fit.bootstrap.seed } : null,
    loo: fit.loo ? { rmse: fit.loo.rmse, maxAbs: fit.loo.maxAbs } : null,
    warnings: fit.warnings,
    formChoice: typeof fit.diagnostics.formChoice === 'string' ? fit.diagnostics.formChoice : null,
    notUsed: fit.failure ? `Not a law, never used to predict: ${fit.failure}.` : fit.noExtrapolation ? 'Shown, not used to predict: this law is flagged "do not extrapolate".' : null,
    params: fit.paramOrder.map((k) => ({ name: k, value: fit.params[k], fixed: k in fit.fixed, interval: k in fit.fixed ? null : fit.intervals[k], unit: units[k] ?? '' })),
  };
}

const logSpace = (lo: number, hi: number, n = 48) => Array.from({ length: n }, (_, i) => lo * Math.pow(hi / lo, i / (n - 1)));

function familyLabel(f: { dataset: string; params: number; batchSize: number | null; lr: number | null }): string {
  return `${f.dataset}, ${formatCount(f.params)}, ${batchAndLr(f)}`;
}

function budgetLabel(b: ParamBudgetFit): string {
  return `${b.dataset}, ${formatSteps(b.steps)} steps, ${batchAndLr(b)}`;
}

/** "bs=256, LR 6e-4", or "mixed bs/LR" for a group that matches on steps only. */
function batchAndLr(g: { batchSize: number | null; lr: number | null }): string {
  return g.batchSize === null || g.lr === null ? 'mixed bs/LR' : `bs=${g.batchSize}, LR ${formatLearningRate(g.lr)}`;
}



/** Percentile band of a law over x from its bootstrap draws. */
function band(fit: FitResult, series: string, xs: number[], at: (p: Record<string, number>, x: number) => number): BandPoint[] {
  const samples = fit.samples ?? [];
  if (samples.length < 20 || !fit.bootstrap) return [];
  const out: BandPoint[] = [];
  const draws = samples.map((s) => Object.fromEntries(fit.paramOrder.map((k, j) => [k, s[j]])));
  for (const x of xs) {
    const values = draws.map((p) => at(p, x)).filter(Number.isFinite);
    const i = percentileInterval(values, fit.bootstrap.level);
    if (i) out.push({ series, x, lo: i.lo, hi: i.hi });
  }
  return out;
}


// ---------------------------------------------------------------------------------------------
// Sections

/** One run as the report's run tables show it. */
export interface RunRow {
  id: string;
  params: number;
  /** The count as printed, with the source's own figure beside it where they differ (paramsLabel). */
  paramsLabel: string;
  config: string;
  steps: number;
  bs: number;
  seqLen: number;
  lr: number;
  tokens: number;
  /** Passes over the corpus (tokens ÷ its unique tokens); null where the log does not state the corpus size. */
  passes: number | null;
  valBpc: number;
  setup: string;
  wallSeconds: number | null;
  /** wallSeconds in the unit of its whole table (formatDurationColumn). */
  wall: string;
  notes: string;
  source: string;
}

function runRows(runs: RunRecord[]): RunRow[] {
  const wall = formatDurationColumn(runs.map((r) => r.wallSeconds), '—').cells;
  return runs.map((r, i) => ({
    id: r.id,
    params: r.params,
    paramsLabel: paramsLabel(r),
    config: configLabel(r),
    steps: r.steps,
    bs: r.batchSize,
    seqLen: r.seqLen,
    lr: r.lr,
    tokens: r.tokens,
    passes: r.passes,
    valBpc: r.finalValBpc,
    setup: `${r.precision}, ${r.hardware}${r.backend && r.backend !== 'unknown' ? `, ${r.backend}` : ''}`,
    wallSeconds: r.wallSeconds,
    wall: wall[i],
    notes: r.notes ?? '',
    source: r.source ? r.source.replace(/^hand-written seed scaling report /, 'seed ') : r.file,
  }));
}

/** A step family: its runs by step count, the change per doubling, and its law L∞ + C·S^−β when fitted. */
export interface StepFamilyView {
  title: string;
  rows: { steps: number; valBpc: number; change: { delta: number; doublings: number; perDoubling: number } | null }[];
  fit: FitTable | null;
  note: string | null;
}

function stepFamilyView(f: StepFamilyFit): StepFamilyView {
  return {
    title: familyLabel(f),
    rows: f.points
      .slice()
      .sort((a, b) => a.steps - b.steps)
      .map((p) => {
        const d = f.perDoubling.find((x) => x.toSteps === p.steps);
        return { steps: p.steps, valBpc: p.valBpc, change: d ? { delta: d.delta, doublings: d.doublings, perDoubling: d.perDoubling } : null };
      }),
    fit: f.fit ? fitTable(f.fit, f.lossUnit, { Linf: shortUnit(f.lossUnit), C: `${shortUnit(f.lossUnit)} · steps^β`, beta: '' }) : null,
    note: f.note,
  };
}

/** A saturating law A + B/N^α of one budget, with its residual per size. */
export interface SaturatingView extends FitTable {
  label: string;
  residuals: { params: number; observed: number; fitted: number; residual: number }[];
}

function saturatingView(label: string, fit: SaturatingFit, b: ParamBudgetFit): SaturatingView {
  const nUnit = Number(fit.diagnostics.nUnit ?? 1e6);
  const unit = shortUnit(b.lossUnit);
  return {
    label,
    ...fitTable(fit, b.lossUnit, { A: unit, B: `${unit} · (N/${formatCount(nUnit)})^α`, alpha: '' }),
    residuals: b.points.map((p, i) => ({ params: p.params, observed: p.valBpc, fitted: saturatingLoss(fit.params, p.params, nUnit), residual: fit.residuals[i] })),
  };
}

/** Sizes compared across recipes at one step count: their rows and slopes, no law (SizeComparison). */
/** Sizes at one budget: each run, the slope per decade of N from the size below, and the laws fitted through them. */
export interface SizeTableView {
  title: string;
  rows: { params: number; run: string; valBpc: number; slopePerDecade: number | null }[];
  fits: SaturatingView[];
  note: string | null;
}

function sizeComparisonView(c: SizeComparison): SizeTableView {
  return {
    title: `${c.dataset}, ${formatSteps(c.steps)} steps, across recipes`,
    rows: c.points.map((p, i) => ({ params: p.params, run: `${c.runIds[i]} (${c.recipes[i]})`, valBpc: p.valBpc, slopePerDecade: c.slopes.find((x) => x.toParams === p.params)?.slope ?? null })),
    fits: [],
    note: `${c.note[0].toUpperCase()}${c.note.slice(1)}.`,
  };
}

function paramBudgetView(b: ParamBudgetFit, onlyFreeFloor = false): SizeTableView {
  return {
    title: budgetLabel(b),
    rows: b.points.map((p, i) => ({ params: p.params, run: b.runIds[i], valBpc: p.valBpc, slopePerDecade: b.slopes.find((x) => x.toParams === p.params)?.slope ?? null })),
    fits: onlyFreeFloor && b.free ? [saturatingView('A fitted', b.free, b)] : [saturatingView(`A held at ${b.fixedA.params.A}${onlyFreeFloor ? ' (a reference only: three sizes are needed to fit the floor)' : ''}`, b.fixedA, b), ...(b.free ? [saturatingView('A fitted', b.free, b)] : [])],
    note: b.note,
  };
}

// ---------------------------------------------------------------------------------------------
// Charts

function stepChart(families: StepFamilyFit[], title: string, path: string, curves?: RunRecord[], label: (f: { dataset: string; params: number; batchSize: number | null; lr: number | null }) => string = familyLabel): ChartFile {
  const unit = requireOneLossUnit([...families.flatMap((f) => f.runIds.map((id) => ({ id, lossUnit: f.lossUnit }))), ...(curves ?? [])], `the chart ${path}`);
  const observed: ObservedPoint[] = [];
  const laws: LawLine[] = [];
  const segments: Segment[] = [];
  for (const f of families) {
    const series = label(f);
    f.points.forEach((p, i) => observed.push({ series, x: p.steps, y: p.valBpc, run: f.runIds[i] }));
    const xs = f.points.map((p) => p.steps);
    if (f.fit) {
      const fit = f.fit as StepLawFit;
      laws.push({ series, determination: fit.determination, measured: [Math.min(...xs), Math.max(...xs)], f: (x) => stepLawLoss(fit.params, x) });
    } else {
      segments.push({ series, points: f.points.slice().sort((a, b) => a.steps - b.steps).map((p) => ({ x: p.steps, y: p.valBpc })) });
    }
  }
  const traces: TracePoint[] = (curves ?? []).flatMap((r) => r.curve.filter((p) => p.step > 0).map((p) => ({ series: label(r), run: r.id, x: p.step, y: p.valBpc })));
  return {
    path,
    alt: `${title}: validation loss (${unit}) against optimizer steps, log scale`,
    spec: stepScalingChart({ unit, subtitle: `${title}; points: final ${lossAxis(unit).name} of each run; lines: fitted L∞ + C·S^−β over the runs' steps (or a segment, two step counts)`, observed, laws, segments, traces }),
  };
}

function paramChart(a: ReportAnalysis, budgets: ParamBudgetFit[], comparisons: SizeComparison[]): ChartFile {
  const unit = requireOneLossUnit([...budgets, ...comparisons].flatMap((b) => b.runIds.map((id) => ({ id, lossUnit: b.lossUnit }))), 'the chart charts/params.svg');
  const observed: ObservedPoint[] = [];
  const laws: LawLine[] = [];
  const bands: BandPoint[] = [];
  const matched = a.predictions.find((p) => p.params === a.recommendedParams && p.steps === a.headline.base.steps)?.prediction;
  const headlineBudget = budgets.find((b) => b.dataset === a.recommended.dataset);
  for (const b of budgets) {
    const series = budgetLabel(b);
    b.points.forEach((p, i) => observed.push({ series, x: p.params, y: p.valBpc, run: b.runIds[i] }));
    const ns = b.points.map((p) => p.params);
    const measured: [number, number] = [Math.min(...ns), Math.max(...ns)];
    // Only the law the prediction comes from is drawn out to the predicted size; others stop at their runs.
    const drawn: [number, number] = matched && b === headlineBudget ? [measured[0], Math.max(measured[1], a.recommendedParams)] : measured;
    const fit = b.fixedA;
    const nUnit = Number(fit.diagnostics.nUnit ?? 1e6);
    laws.push({ series, law: `A = ${fit.params.A} held`, determination: fit.determination, measured, drawn, f: (x) => saturatingLoss(fit.params, x, nUnit) });
    bands.push(...band(fit, series, logSpace(drawn[0], drawn[1]), (p, x) => saturatingLoss(p as Record<'A' | 'B' | 'alpha', number>, x, nUnit)));
    if (b.free) {
      const free = b.free;
      laws.push({ series, law: 'A fitted', determination: free.determination, measured, drawn, f: (x) => saturatingLoss(free.params, x, nUnit) });
    }
  }
  // Sizes compared across recipes: their points, no law through them.
  for (const c of comparisons) c.points.forEach((p, i) => observed.push({ series: `${c.dataset}, ${formatSteps(c.steps)} steps, across recipes`, x: p.params, y: p.valBpc, run: c.runIds[i] }));
  const markers = matched ? [{ x: a.recommendedParams, y: matched.valBpc, label: `predicted: ${formatCount(a.recommendedParams)} (recommended) at ${formatSteps(a.headline.base.steps)} steps: ${bpc(matched.valBpc)} ${formatInterval(matched.interval)}` }] : [];
  return {
    path: 'charts/params.svg',
    everyDataset: true,
    alt: 'val_bpc against parameter count, log scale, with the fitted saturating laws over the measured sizes, the extrapolation to the recommended size dashed, and the bootstrap band',
    spec: paramScalingChart({ unit, subtitle: 'points: measured runs (run ids in the table below); lines: fitted A + B/N^α laws, band: 80% bootstrap band (A held); diamond: the recommended config at the matched budget', observed, laws, bands, markers }),
  };
}

function predictionChart(a: ReportAnalysis): ChartFile {
  const points = a.predictions
    .filter((p) => p.prediction.interval)
    .map((p) => ({
      series: `${formatCount(p.params)}${p.params === a.recommendedParams ? ' (the recommended config\'s real count)' : ' (the size the report names)'}`,
      steps: p.steps,
      bpc: p.prediction.valBpc,
      lo: p.prediction.interval!.lo,
      hi: p.prediction.interval!.hi,
      rangeLo: p.prediction.range?.lo ?? p.prediction.interval!.lo,
      rangeHi: p.prediction.range?.hi ?? p.prediction.interval!.hi,
      // predict's own flags: beyond the measured sizes or step counts of the law's runs.
      extrapolated: p.prediction.extrapolations.length > 0,
    }));
  const level = a.predictions.find((p) => p.prediction.interval)?.prediction.interval?.level ?? 0.8;
  return {
    path: 'charts/predictions.svg',
    alt: `predicted val_bpc against step budget with ${Math.round(level * 100)}% intervals and the range over laws`,
    spec: budgetChart({ level, subtitle: `${a.recommended.dataset}, bs=${a.recommended.batchSize}: ${a.headline.method.split(' + ')[0]} + per-doubling step gain; thick bar: ${Math.round(level * 100)}% prediction interval for a new run, thin bar: range over laws; values: the table below`, points }),
  };
}

/** "4 accumulation steps of 64 (4 × 64 = 256)", or uneven "3 accumulation steps (2 × 84 + 1 × 83 = 251, uneven)"; the parts always sum to the batch. */
function splitText(e: TrainingEstimate): string {
  const s = e.split;
  if (s === null) return 'nothing: not even a micro-batch of 1 fits';
  if (s.steps === 1) return `one micro-batch of ${e.batchSize}`;
  return s.even ? `${s.steps} accumulation steps of ${s.largest} (${formatSplit(s)} = ${e.batchSize})` : `${s.steps} accumulation steps (${formatSplit(s)} = ${e.batchSize}, uneven)`;
}

function memoryChartFile(a: ReportAnalysis): ChartFile {
  const e = a.estimate;
  const opts = { precision: e.precision, preset: e.preset, ttBytesPerElement: e.tt.value };
  const cfg = a.recommended.config;
  const configs = [
    { bar: `${formatCount(a.recommendedParams)}, bs ${e.batchSize}`, m: e.memory },
    ...(e.fits || e.split === null ? [] : [{ bar: `${formatCount(a.recommendedParams)}, micro ${e.split.largest}`, m: estimateTrainingMemory(cfg, e.split.largest, opts) }]),
    { bar: `46.4M, bs 256 (ran)`, m: estimateTrainingMemory({ d: 1024, layers: 8, heads: 32, dFf: 512, seqLen: 256, vocab: 128 }, 256, opts) },
  ];
  // The segments are the table's rows summed by part (memoryRows → memoryParts): never a part the table lacks.
  const bars = configs.flatMap(({ bar, m }) => memoryParts(memoryRows(m)).map((p) => ({ bar, component: p.label, gib: p.bytes / GIB, order: MEMORY_GROUPS.indexOf(p.group) })));
  const capacities = [e.gpu, ...a.otherGpus.map((x) => x.gpu).filter((g) => g.id === 'a100-80gb')].map((g) => ({ gpu: g.name.replace(/^NVIDIA /, '').replace(/ \(.*\)$/, ''), gib: g.usableBytes / GIB }));
  return {
    path: 'charts/memory.svg',
    alt: 'training memory by component against GPU capacity',
    spec: memoryChart({ subtitle: `${e.precision} (${e.preset}), T×T bytes/element ${e.tt.value.toFixed(2)}; grey lines: usable memory per GPU, micro: the micro-batch that fits`, bars, capacities }),
  };
}

/**
 * What the headline's interval rests on for the step gain, where that needs saying: gains borrowed
 * from other groups (with their names), or the group's own doublings when fewer than two (so the
 * gain's own uncertainty is not in it); null otherwise.
 */
export function headlineGainNote(p: Prediction): GainNote | null {
  const s = p.stepAdjustment;
  if (!s) return null;
  if (p.borrowing.length) return { borrowed: p.borrowing.map((b) => ({ what: b.what, groups: b.groups.map(groupLabel) })), dataset: p.query.dataset, doublings: null };
  if (s.intervalPool.length < 2) return { borrowed: [], dataset: p.query.dataset, doublings: s.intervalPool.length };
  return null;
}

// ---------------------------------------------------------------------------------------------
// Provenance and the sections of other analysis groups

/**
 * Where a set of runs came from, from each log's own `tool` (and backend/hardware): bitscale's
 * trainer writes tool "bitscale"; anything else is named as its log names it.
 */
export function provenanceText(runs: RunRecord[]): string {
  const byTool = new Map<string, RunRecord[]>();
  for (const r of runs) {
    const t = r.log.header.tool;
    const key = `${t.name}\u0000${t.version}`;
    byTool.set(key, [...(byTool.get(key) ?? []), r]);
  }
  const parts = [...byTool.entries()].sort(([x], [y]) => byCodePoint(x, y)).map(([key, rs]) => {
    const [name, version] = key.split('\u0000');
    const count = rs.length === runs.length ? '' : `${rs.length} run${rs.length === 1 ? '' : 's'}: `;
    const where = [...new Set(rs.map((r) => (r.backend && r.backend !== 'unknown' ? `${r.backend} backend on ${r.hardware}` : r.hardware)))].filter((w) => w && w !== 'unknown');
    const on = where.length ? ` (${where.join('; ')})` : '';
    if (name === 'bitscale') return `${count}trained with bitscale's embedded trainer (bitscale${version ? ` ${version}` : ''}${where.length ? `; ${where.join('; ')}` : ''})`;
    return `${count}logs written by ${name}${version ? ` ${version}` : ''}${on}`;
  });
  const text = parts.join('; ');
  return `${text[0].toUpperCase()}${text.slice(1)}.`;
}

/**
 * A ladder's runs often share one source and one note (an ingested table): say those once, above
 * the table, and keep only the differing ones in its rows.
 */
function sharedColumns(rows: RunRow[]): { source: string | null; notes: string | null; runs: RunRow[] } {
  const only = (values: string[]) => (values.length > 1 && values.every((v) => v === values[0]) ? values[0] : null);
  const source = only(rows.map((r) => r.source));
  const notes = only(rows.map((r) => r.notes));
  return { source, notes, runs: rows.map((r) => ({ ...r, source: source === null ? r.source : '', notes: notes === null ? r.notes : '' })) };
}

const slug = (text: string) => text.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '');

/** A joint law the report may use for a compute-optimal line: over-determined, finite, not flagged. */
function allocatable(j: JointLawFit): boolean {
  return j.fit !== null && j.fit.determination === 'over' && Number.isFinite(j.fit.params.alpha) && Number.isFinite(j.fit.params.beta) && !j.fit.warnings.some((w) => /extrapolat/i.test(w));
}

/**
 * The section of one analysis group outside the main architecture: its runs, the general laws
 * (joint law with intervals, per-size step laws, size laws), charts in its own loss unit, and the
 * compute-optimal line when its joint law is over-determined.
 */
/** The section of one analysis group outside the main architecture. */
export interface GroupView {
  dataset: string;
  arch: string;
  unit: string;
  provenance: string;
  /** Losses per token (tokenizer tokens), not per byte; bytesPerToken: the ingest's conversion to bits per byte, or null. */
  perToken: boolean;
  tokenUnit: string;
  tokenizer: string | null;
  bytesPerToken: number | null;
  /** A BitLM architecture (exact parameter counts from its shape). */
  bitlm: boolean;
  /** Said once above the table where every run shares it (else null, and each row has its own). */
  source: string | null;
  notes: string | null;
  runs: RunRow[];
  joint: FitTable | null;
  jointNote: string | null;
  /** The main recipe of a group of several, whose runs alone the joint law above takes. */
  jointRecipe: { recipe: string; runs: number } | null;
  /** Each other recipe's own joint law, or why it has none. */
  otherJoints: { recipe: string; runs: number; law: { E: number; A: number; B: number; alpha: number; beta: number; determination: string; n: number } | null; note: string | null }[];
  allocation: AllocationView | null;
  /** Why there is no compute-optimal line: the joint law's determination and warnings (determination null: no joint law). */
  allocationRefused: { determination: string | null; warnings: string[] } | null;
  families: StepFamilyView[];
  budgets: SizeTableView[];
  stepsChart: string | null;
  computeChart: string;
}

function groupView(g: GroupAnalysis, charts: ChartFile[]): GroupView {
  const unit = g.lossUnit;
  const base = `charts/${slug(`${g.dataset}-${g.arch}-${unit}`)}`;
  const families = [...g.suite.stepLaws].sort((x, y) => x.params - y.params || byCodePoint(x.key, y.key));
  // One dataset per section: the legend names what differs (the size, and bs/LR only where they do).
  const oneRecipe = new Set(families.map((f) => batchAndLr(f))).size <= 1;
  const sizeLabel = (f: { params: number; batchSize: number | null; lr: number | null }) => `N = ${formatCount(f.params)}${oneRecipe ? '' : `, ${batchAndLr(f)}`}`;
  const stepsChart = families.length ? stepChart(families, `${g.dataset} (${g.arch}): step families${oneRecipe ? `, ${batchAndLr(families[0])}` : ''}`, `${base}-steps.svg`, g.runs.filter((r) => families.some((f) => f.runIds.includes(r.id))), sizeLabel) : null;
  if (stepsChart) charts.push(stepsChart);

  const joint = g.suite.joint[0] ?? null;
  const optimal = joint && allocatable(joint) ? joint : null;
  const observed: ObservedPoint[] = g.runs.map((r) => ({ series: `N = ${formatCount(r.params)}`, x: 6 * r.params * r.tokens, y: r.finalValBpc }));
  const flops = observed.map((p) => p.x);
  const cLo = Math.min(...flops);
  const cHi = Math.max(...flops);
  const frontier: LawLine[] = optimal ? [{ series: 'compute-optimal L(N_opt, D_opt)', determination: optimal.fit!.determination, measured: [cLo, cHi], drawn: [cLo, cHi * 100], f: (c) => computeOptimalAllocation(optimal.fit!.params, c).loss }] : [];
  const sizes = new Set(observed.map((p) => p.series)).size;
  const computeFile: ChartFile = {
    path: `${base}-compute.svg`,
    alt: `${g.dataset} (${g.arch}): validation loss (${unit}) against training compute`,
    spec: computeChart({
      unit,
      subtitle: `${g.runs.length} runs of ${sizes} size${sizes === 1 ? '' : 's'}; C = 6·N·D with D = steps × batch × T tokens${optimal ? '; line: the joint law at the compute-optimal N and D' : ''}`,
      observed: sizes > 12 ? observed.map((p) => ({ ...p, series: 'measured runs' })) : observed,
      laws: frontier,
    }),
  };
  charts.push(computeFile);
  let allocation: AllocationView | null = null;
  if (optimal) {
    const p = optimal.fit!.params;
    const budgets = [cLo, Math.sqrt(cLo * cHi), cHi, cHi * 10, cHi * 100];
    const rows = budgets.map((c) => {
      const o = computeOptimalAllocation(p, c);
      return { flops: c, params: o.params, tokens: o.tokens, ratio: o.tokens / o.params, loss: o.loss };
    });
    const lines = [
      { quantity: 'N_opt (parameters)', f: (c: number) => computeOptimalAllocation(p, c).params },
      { quantity: 'D_opt (tokens)', f: (c: number) => computeOptimalAllocation(p, c).tokens },
    ];
    const file: ChartFile = {
      path: `${base}-allocation.svg`,
      alt: `${g.dataset} (${g.arch}): compute-optimal parameters and tokens against compute`,
      spec: allocationChart({ subtitle: `from the joint law: N_opt ∝ C^${(p.beta / (p.alpha + p.beta)).toFixed(3)}, D_opt ∝ C^${(p.alpha / (p.alpha + p.beta)).toFixed(3)}`, measured: [cLo, cHi], drawn: [cLo, cHi * 100], lines }),
    };
    charts.push(file);
    allocation = {
      rows,
      chart: file.path,
      nExponent: p.beta / (p.alpha + p.beta),
      dExponent: p.alpha / (p.alpha + p.beta),
    };
  }
  const tokenUnit = g.runs[0].tokenUnit;
  const converted = g.runs[0].bytesPerToken;
  return {
    dataset: g.dataset,
    arch: g.arch,
    unit,
    provenance: provenanceText(g.runs),
    perToken: tokenUnit === 'token',
    tokenUnit,
    tokenizer: g.runs[0].tokenizer ?? null,
    bytesPerToken: converted,
    bitlm: isBitLM(g.arch),
    ...sharedColumns(runRows(g.runs)),
    joint: joint?.fit ? fitTable(joint.fit, unit, { E: shortUnit(unit), A: `${shortUnit(unit)} · N^α`, B: `${shortUnit(unit)} · D^β` }) : null,
    jointNote: joint?.note ?? (joint ? null : 'no joint law'),
    // Where the group has runs of several recipes: the law above is the main recipe's, and each other recipe's says what it is.
    jointRecipe: joint && g.suite.joint.length > 1 ? { recipe: joint.recipe, runs: joint.runIds.length } : null,
    otherJoints: g.suite.joint.slice(1).map((j) => ({ recipe: j.recipe, runs: j.runIds.length, law: j.fit ? { E: j.fit.params.E, A: j.fit.params.A, B: j.fit.params.B, alpha: j.fit.params.alpha, beta: j.fit.params.beta, determination: determinationLabel(j.fit), n: j.fit.n } : null, note: j.note })),
    allocation,
    allocationRefused: optimal ? null : { determination: joint?.fit ? determinationLabel(joint.fit) : null, warnings: joint?.fit?.warnings ?? [] },
    families: families.map(stepFamilyView),
    budgets: g.suite.paramBudgets.map((b) => paramBudgetView(b, true)),
    stepsChart: stepsChart?.path ?? null,
    computeChart: computeFile.path,
  };
}

// ---------------------------------------------------------------------------------------------
// The backtest of a local collection

/** The compute-optimal line of a joint law at a few budgets C (FLOPs). */
export interface AllocationView {
  rows: { flops: number; params: number; tokens: number; ratio: number; loss: number }[];
  chart: string;
  /** N_opt ∝ C^nExponent, D_opt ∝ C^dExponent. */
  nExponent: number;
  dExponent: number;
}

/**
 * A local collection's backtest: its table, summary and chart (all runs against tokens, the joint
 * law fitted on the smaller sizes per size, the held-out runs' predictions with their bars), or the
 * reason it could not be made.
 */
/** One held-out run of a backtest: measured, predicted by the law fitted without its size, and whether its interval and range held. */
export interface BacktestRowView {
  run: string;
  params: number;
  steps: number;
  tokens: number;
  measured: number;
  predicted: number;
  /** (predicted − measured) / measured. */
  relativeError: number;
  interval: Interval | null;
  intervalHolds: boolean | null;
  sizeLaw: number | null;
  range: { lo: number; hi: number } | null;
  rangeHolds: boolean | null;
}

/** A backtest, or why it could not be made (`refusal`, and the sizes it needs). */
export type BacktestView = { title: string; refusal: string; sizesNeeded: number } | BacktestMade;

export interface BacktestMade {
  title: string;
  refusal: null;
  chart: string;
  collection: string;
  heldOut: { params: number; runs: number };
  fittedSizes: number[];
  fittedRuns: number;
  /** The fewest smaller sizes a size law is fitted on. */
  minSizes: number;
  /** The held-out size ÷ the largest fitted one. */
  extrapolationFactor: number;
  /** The held-out runs' largest token count ÷ the fitted runs' largest, where above 1; else null. */
  tokensBeyond: number | null;
  /** Held-out runs with no usable size law (their range is the interval alone). */
  withoutSizeLaw: number;
  /** The loss unit, short. */
  unit: string;
  /** The joint law fitted on the smaller sizes. */
  joint: { E: number; A: number; B: number; alpha: number; beta: number; determination: string; n: number; dof: number; rmse: number };
  /** The prediction interval's level (0.8). */
  level: number;
  rows: BacktestRowView[];
  summary: { meanAbsRelativeError: number; maxAbsRelativeError: number; intervalHeld: number; withInterval: number; rangeHeld: number; withRange: number };
  /** The same interval with every size held out in turn (`fit --coverage`), or null. */
  coverage: { held: number; withInterval: number; coverage: number; meanAbsRelativeError: number } | null;
  /** How the prediction interval is made: t and s (ln units) for the classical interval, else null. */
  interval: { method: string; dof: number; t: number | null; logScale: number | null };
  notes: string[];
  warnings: string[];
}

function backtestView(col: string, g: GroupBacktest, runs: RunRecord[], named: boolean, charts: ChartFile[]): BacktestView {
  const title = `Backtest: predicting the largest size${named ? ` (${groupLabel(g.group)})` : ''}`;
  const b = g.backtest;
  if (!b) return { title, refusal: g.refusal ?? 'no reason given', sizesNeeded: BACKTEST_MIN_SIZES + 1 };
  const unit = shortUnit(g.lossUnit);
  const level = `${Math.round(b.interval.level * 100)}%`;
  const inGroup = runs.filter((r) => r.status === 'completed' && b.heldOut.runIds.concat(b.fitted.runIds).includes(r.id));
  const sizeLabel = (n: number) => `${formatCount(n)}${n === b.heldOut.params ? ' (held out)' : ''}`;
  const tokens = inGroup.map((r) => r.tokens);
  const span: [number, number] = [Math.min(...tokens), Math.max(...tokens)];
  const laws: LawLine[] = [...new Set(inGroup.map((r) => r.params))].map((n) => {
    const own = inGroup.filter((r) => r.params === n).map((r) => r.tokens);
    // The held-out size's curve is a prediction everywhere (nothing of its size was fitted): no measured part.
    const measured: [number, number] = n === b.heldOut.params ? [0, 0] : [Math.min(...own), Math.max(...own)];
    return { series: sizeLabel(n), determination: b.joint.determination, measured, drawn: span, f: (d: number) => chinchillaLoss(b.joint.params, n, d) };
  });
  // Each prediction is drawn just right of the run it predicts (rule 4: the two would share a place).
  const offset = 10 ** 0.025;
  const predictions = b.points.filter((p) => p.interval && p.range).map((p) => ({ x: p.tokens * offset, y: p.predicted, lo: p.interval!.lo, hi: p.interval!.hi, rangeLo: p.range!.lo, rangeHi: p.range!.hi }));
  const path = `charts/${col}-backtest${named ? `-${g.dataset.replace(/[^A-Za-z0-9-]/g, '-')}` : ''}.svg`;
  const fittedSizes = b.fitted.sizes;
  charts.push({
    path,
    alt: `Backtest of ${col}: ${lossAxis(g.lossUnit).name} against training tokens for every size, the joint law fitted without the largest size drawn per size, and the largest size's predictions with their ${level} prediction intervals and range over laws`,
    spec: backtestChart({
      unit: g.lossUnit,
      subtitle: `points: measured runs; lines: L(N, D) fitted on the ${fittedSizes.length} smaller sizes, at each size's N (dashed: the held-out size, predicted); diamonds: the predictions for the held-out runs, drawn just right of them; thick bar: ${level} prediction interval, thin bar: range over laws; values: the table below`,
      observed: inGroup.map((r) => ({ series: sizeLabel(r.params), x: r.tokens, y: r.finalValBpc, run: r.id })),
      laws,
      predictions,
      predictionLabel: `predicted for the held-out size (fitted without it)`,
    }),
  });
  const sizeLawUsed = b.points.filter((p) => p.sizeLaw !== null).length;
  return {
    title,
    refusal: null,
    chart: path,
    collection: col,
    heldOut: { params: b.heldOut.params, runs: b.heldOut.runIds.length },
    fittedSizes,
    fittedRuns: b.fitted.runIds.length,
    minSizes: BACKTEST_MIN_SIZES,
    extrapolationFactor: b.extrapolationFactor,
    tokensBeyond: b.tokensFactor > 1 ? b.tokensFactor : null,
    withoutSizeLaw: b.points.length - sizeLawUsed,
    unit,
    joint: { E: b.joint.params.E, A: b.joint.params.A, B: b.joint.params.B, alpha: b.joint.params.alpha, beta: b.joint.params.beta, determination: determinationLabel(b.joint), n: b.joint.n, dof: b.joint.dof, rmse: b.joint.rmse },
    level: b.interval.level,
    rows: b.points.map((p) => ({
      run: p.runId,
      params: p.params,
      steps: p.steps,
      tokens: p.tokens,
      measured: p.measured,
      predicted: p.predicted,
      relativeError: p.relativeError,
      interval: p.interval,
      intervalHolds: p.intervalHolds,
      sizeLaw: p.sizeLaw,
      range: p.range,
      rangeHolds: p.rangeHolds,
    })),
    summary: { meanAbsRelativeError: b.summary.meanAbsRelativeError, maxAbsRelativeError: b.summary.maxAbsRelativeError, intervalHeld: b.summary.intervalHeld, withInterval: b.summary.withInterval, rangeHeld: b.summary.rangeHeld, withRange: b.summary.withRange },
    coverage: b.coverage ? { held: b.coverage.held, withInterval: b.coverage.withInterval, coverage: b.coverage.coverage, meanAbsRelativeError: b.coverage.meanAbsRelativeError } : null,
    interval: { method: b.interval.method, dof: b.interval.dof, t: b.interval.t, logScale: b.interval.logScale },
    notes: b.points.filter((p) => p.sizeLawNote).map((p) => `${p.runId}: ${p.sizeLawNote}`),
    warnings: b.warnings,
  };
}

/**
 * A local section's joint law: its fit table, or "not fitted" with the reason. The recipe is named
 * where the section has joint laws of several recipes of one dataset, and runs of other
 * collections in it are counted.
 */
export interface JointView {
  title: string;
  recipe: string;
  fit: FitTable | null;
  /** Why it is not fitted (or a note on the fit). */
  note: string | null;
  /** Runs of the same recipe from other collections in it. */
  elsewhere: number;
}

function jointView(j: JointLawFit, all: JointLawFit[], ids: string[]): JointView {
  const several = all.filter((x) => x.group === j.group).length > 1;
  return {
    title: `${j.dataset}${several ? ` (recipe ${j.recipe})` : ''}`,
    recipe: j.recipe,
    fit: j.fit ? fitTable(j.fit, j.lossUnit, { E: shortUnit(j.lossUnit) }) : null,
    note: j.note,
    elsewhere: j.runIds.filter((id) => !ids.includes(id)).length,
  };
}

/**
 * Every run that is in no fit, with why: probes and measurement runs (their purpose), and the
 * scaling runs the fits left out (a status, or a recipe with too few runs: FitSuite.excluded), in
 * the order of their files.
 */
function notInAnyFit(a: ReportAnalysis): ExcludedRun[] {
  const reasons = new Map<string, string>();
  for (const e of [...notScalingRuns(a.runs), ...[a.suite, ...a.otherGroups.map((g) => g.suite)].flatMap((s) => s.excluded)]) reasons.set(e.id, e.reason);
  // Repetition runs the §3 repetition evidence was fitted on are in a law (the data-constrained one) and in its table;
  // a batch/LR grid's runs are in its laws and table (§2.3).
  const inLaw = new Set([...repetitionRuns(a).map((r) => r.id), ...batchGridRuns(a).map((r) => r.id)]);
  return a.runs.filter((r) => reasons.has(r.id) && !inLaw.has(r.id)).sort((x, y) => byCodePoint(x.file, y.file)).map((r) => ({ id: r.id, file: r.file, reason: reasons.get(r.id)! }));
}

/** The runs of every batch/LR grid the report analysed (§2.3), by collection, size, budget, batch and rate. */
function batchGridRuns(a: ReportAnalysis): RunRecord[] {
  const analysed = new Set(a.batchLr.filter((g) => g.analysis !== null).map((g) => g.collection));
  return a.runs
    .filter((r) => r.purpose === 'batch-lr' && r.status === 'completed' && analysed.has(r.collection))
    .sort((x, y) => byCodePoint(x.collection, y.collection) || x.params - y.params || x.tokens - y.tokens || x.batchSize - y.batchSize || x.lr - y.lr || byCodePoint(x.id, y.id));
}

/** A grid's two charts: the best rate's loss against batch size, and steps to each target with S(B) (pushed to `charts`). */
function batchGridCharts(collection: string, g: BatchLrAnalysis, charts: ChartFile[]): { loss: string; critical: string } {
  const series = (p: { params: number; tokens: number }) => `${formatCount(p.params)}, ${formatCount(p.tokens)} tokens`;
  const best = g.lr.filter((p) => p.optimum).map((p) => ({ series: series(p), x: p.batch, y: p.optimum!.best.loss, run: p.rates.find((r) => r.lr === p.optimum!.best.lr)?.runId }));
  const lossPath = `charts/${collection}-batch.svg`;
  charts.push({
    path: lossPath,
    alt: `The best learning rate's final ${lossAxis(g.lossUnit).name} against batch size at each model size and token budget of runs/${collection}/`,
    spec: batchLossChart({ unit: g.lossUnit, subtitle: `runs/${collection}/: at each size and token budget, the final loss of the best of the rates tried, by batch size; lines join the batch sizes of one size and budget`, observed: best, segments: [...new Set(best.map((b) => b.series))].map((s) => ({ series: s, points: best.filter((b) => b.series === s).map(({ x, y }) => ({ x, y })) })) }),
  });
  const observed = g.sizes.flatMap((sz) => sz.targets.flatMap((t) => t.points.map((p) => ({ series: `${formatCount(sz.params)}, loss ${bpc(t.target)}`, x: p.batch, y: p.steps, run: p.runId }))));
  const laws = g.sizes.flatMap((sz) =>
    sz.targets
      .filter((t) => t.fit.refusal === null)
      .map((t): LawLine => {
        const bs = t.points.map((p) => p.batch);
        return { series: `${formatCount(sz.params)}, loss ${bpc(t.target)}`, determination: 'over', measured: [Math.min(...bs), Math.max(...bs)], f: (b: number) => t.fit.sMin * (1 + t.fit.bNoise / b) };
      }),
  );
  const criticalPath = `charts/${collection}-critical-batch.svg`;
  charts.push({
    path: criticalPath,
    alt: `Steps each batch size took to reach target losses at each model size of runs/${collection}/, with S(B) = S_min(1 + B_noise/B) fitted per size and target`,
    spec: criticalBatchChart({ subtitle: `runs/${collection}/: points, the fewest steps each batch size took to the target loss over its rates and budgets; lines, S(B) = S_min(1 + B_noise/B) fitted per size and target (McCandlish et al. 2018)`, observed, laws }),
  });
  return { loss: lossPath, critical: criticalPath };
}

/** §2.3's grids: the loss at each (size, budget, batch, rate), the laws fitted on them, their runs and charts (pushed to `charts`). */
function batchGridViews(a: ReportAnalysis, charts: ChartFile[]): BatchGridView[] {
  const runs = batchGridRuns(a);
  return a.batchLr.map(({ collection, analysis: g, refusal }): BatchGridView => {
    if (g === null) return { collection, refusal, lossUnit: null, charts: null, rates: [], rows: [], lrLaw: null, sizes: [], runs: [] };
    const rates = [...new Set(g.lr.flatMap((p) => p.rates.map((r) => r.lr)))].sort((x, y) => x - y);
    return {
      collection,
      refusal: null,
      lossUnit: g.lossUnit,
      charts: batchGridCharts(collection, g, charts),
      rates,
      rows: g.lr.map((p) => ({ params: p.params, tokens: p.tokens, batch: p.batch, losses: rates.map((lr) => p.rates.find((r) => r.lr === lr)?.loss ?? null), lrOpt: p.optimum?.lrOpt ?? null, bound: p.optimum?.atEdge === 'low' ? '≤' : p.optimum?.atEdge === 'high' ? '≥' : null })),
      lrLaw: g.lrLaw ? { gamma: g.lrLaw.gamma, interval: g.lrLaw.interval, sqrtInside: g.lrLaw.sqrtInside, n: g.lrLaw.n } : null,
      sizes: g.sizes.map((sz) => ({
        params: sz.params,
        targets: sz.targets.map((t) => ({ target: t.target, steps: t.points.map((p) => ({ batch: p.batch, steps: p.steps })), sMin: t.fit.refusal ? null : t.fit.sMin, bNoise: t.fit.refusal ? null : t.fit.bNoise, lo: t.fit.interval?.lo ?? null, hi: t.fit.interval && Number.isFinite(t.fit.interval.hi) ? t.fit.interval.hi : null, refusal: t.fit.refusal })),
        trend: sz.trend ? { exponent: sz.trend.exponent, interval: sz.trend.exponentInterval, n: sz.trend.n } : null,
      })),
      runs: runs.filter((r) => r.collection === collection).map((r) => ({ id: r.id, params: r.params, batch: r.batchSize, lr: r.lr, steps: r.steps, tokens: r.tokens, valBpc: r.finalValBpc })),
    };
  });
}

/** The repetition runs §3's R*_D was fitted on (its evidence group), by size, subset and steps. */
function repetitionRuns(a: ReportAnalysis): RunRecord[] {
  const evidence = a.headline.repetition?.evidence ?? null;
  if (evidence === null) return [];
  return a.runs
    .filter((r) => r.purpose === 'repetition' && r.status === 'completed' && r.uniqueTokens !== null && analysisGroupKey(r) === evidence.group)
    .sort((x, y) => x.params - y.params || x.uniqueTokens! - y.uniqueTokens! || x.steps - y.steps || byCodePoint(x.id, y.id));
}

/** The repeated-data section: where R*_D comes from and every run behind it that repeats its data by design. */
function repetitionView(a: ReportAnalysis): RepetitionSectionView | null {
  const rep = a.headline.repetition;
  const runs = repetitionRuns(a);
  if (!rep?.evidence || runs.length === 0) return null;
  return {
    dataset: runs[0].dataset,
    collections: [...new Set(runs.map((r) => r.collection))].sort(byCodePoint),
    evidence: rep.evidence,
    runs: runs.map((r) => ({ id: r.id, params: r.params, uniqueTokens: r.uniqueTokens!, steps: r.steps, tokens: r.tokens, passes: r.passes!, valBpc: r.finalValBpc })),
  };
}

/** One local collection's section: its runs, step and size laws, joint laws and backtests, and its step chart (pushed to `charts`). */
function localView(a: ReportAnalysis, col: string, charts: ChartFile[]): LocalView {
  const runs = a.mainRuns.filter((r) => r.collection === col);
  const ids = runs.map((r) => r.id);
  const fams = a.suite.stepLaws.filter((f) => f.runIds.every((id) => ids.includes(id)));
  const buds = a.suite.paramBudgets.filter((b) => b.runIds.every((id) => ids.includes(id)));
  // Every joint law with a run here, fitted or not: a law that cannot be made says why.
  const joint = a.suite.joint.filter((j) => j.runIds.some((id) => ids.includes(id)));
  const chart = stepChart(fams, `${col}: step families`, `charts/${col}-steps.svg`, runs);
  charts.push(chart);
  return {
    name: col,
    datasets: [...new Set(runs.map((r) => r.dataset))].join(', '),
    provenance: provenanceText(runs),
    sweep: runs.every((r) => r.log.header.tool.name === 'bitscale'),
    // A ladder reads by size, then budget (not by run id, where d128 sorts before d32).
    runs: runRows([...runs].sort((x, y) => x.params - y.params || x.steps - y.steps || byCodePoint(x.id, y.id))),
    families: fams.map(stepFamilyView),
    budgets: buds.map((b) => paramBudgetView(b)),
    joint: joint.map((j) => jointView(j, joint, ids)),
    backtests: (a.backtests.find((b) => b.collection === col)?.groups ?? []).map((g, _i, all) => backtestView(col, g, runs, all.length > 1, charts)),
    chart: chart.path,
  };
}

/** The TL;DR's numbers (the words are templates/partials/tldr.hbs). */
function tldrView(a: ReportAnalysis, claims: ClaimCheck[], mainBudgets: ParamBudgetFit[], nextRunRows: NextRunRowView[]): TldrView {
  const h = a.headline;
  const rec = a.recommended;
  const bestNext = a.nextRuns[0];
  const perHour = (n: (typeof a.nextRuns)[number]) => (n.gpuHours && n.gpuHours > 0 ? n.narrowing / n.gpuHours : -Infinity);
  const cheapest = a.nextRuns.filter((n) => n.narrowing > 0).sort((x, y) => perHour(y) - perHour(x) || byCodePoint(x.candidate.id, y.candidate.id))[0];
  const tsFamily = a.suite.stepLaws.find((f) => f.fit && f.dataset === 'TinyStories');
  const meanDoubling = claims.find((c) => c.claim.metric === 'mean_doubling_delta')?.value;
  const glmBudget = mainBudgets.find((b) => b.dataset === rec.dataset && b.batchSize === rec.batchSize);
  return {
    stepScaling: tsFamily?.fit
      ? { runs: tsFamily.points.length, family: familyLabel(tsFamily), linf: tsFamily.fit.params.Linf, beta: tsFamily.fit.params.beta, determination: determinationLabel(tsFamily.fit), meanDoublingDelta: typeof meanDoubling === 'number' ? meanDoubling : null }
      : null,
    paramScaling: glmBudget ? { dataset: glmBudget.dataset, steps: glmBudget.steps, batchSize: glmBudget.batchSize!, floorA: glmBudget.fixedA.params.A, alpha: glmBudget.fixedA.params.alpha, scaleB: glmBudget.fixedA.params.B, slopesPerDecade: glmBudget.slopes.map((s) => s.slope) } : null,
    prediction: {
      params: a.recommendedParams,
      claimedParams: rec.claimedParams,
      steps: rec.steps,
      batchSize: rec.batchSize,
      dataset: rec.dataset,
      valBpc: h.valBpc,
      interval: h.interval,
      gainNote: headlineGainNote(h),
      alternatives: h.alternatives.map((x) => ({ law: x.law, valBpc: x.valBpc })),
      alternativesOutside: h.alternatives.some((x) => h.interval && (x.valBpc < h.interval.lo || x.valBpc > h.interval.hi)),
      repetition: h.repetition ? { passes: h.repetition.passes, cost: h.repetition.cost, interval: h.repetition.interval, borrowedFrom: h.repetition.evidence?.source === 'borrowed' ? h.repetition.evidence.group.split('|')[0].replace(/^dataset=/, '') : null } : null,
      extrapolations: h.extrapolations.map((x) => describeExtrapolation(x)).map((t) => `${t[0].toUpperCase()}${t.slice(1)}`),
    },
    nextRun: bestNext ? nextRunRows[0] : null,
    bestPerGpuHour: cheapest && cheapest !== bestNext ? nextRunRows[a.nextRuns.indexOf(cheapest)] : null,
    backtests: a.backtests.flatMap(({ collection, groups }) =>
      groups.flatMap((g) => {
        const b = g.backtest;
        if (!b) return [];
        const sizes = b.fitted.sizes;
        return [{ collection, fittedSizes: sizes.length, smallest: sizes[0], largest: sizes[sizes.length - 1], heldOutParams: b.heldOut.params, extrapolationFactor: b.extrapolationFactor, meanAbsRelativeError: b.summary.meanAbsRelativeError, maxAbsRelativeError: b.summary.maxAbsRelativeError, level: b.interval.level, intervalHeld: b.summary.intervalHeld, withInterval: b.summary.withInterval, coverage: b.coverage ? { held: b.coverage.held, withInterval: b.coverage.withInterval, coverage: b.coverage.coverage } : null }];
      }),
    ),
  };

}

/** §4: the recommended config's count, memory, speed and the other GPUs. */
function recommendedView(a: ReportAnalysis, chart: string): RecommendedView {
  const e = a.estimate;
  const rec = a.recommended;
  return {
    label: rec.label,
    config: rec.config,
    headDim: rec.config.d / rec.config.heads,
    params: a.recommendedParams,
    claimedParams: rec.claimedParams,
    paramsOff: a.recommendedParams / rec.claimedParams - 1,
    gpu: e.gpu.name,
    precision: e.precision,
    preset: e.preset,
    bs: e.batchSize,
    teraFlopsPerStep: e.flopsPerStep / 1e12,
    memoryRows: memoryRows(e.memory).map((r) => ({ part: r.groupLabel, component: r.label, shape: r.shapeText, bytesPerElement: r.bytesPerElement, bytes: r.bytes })),
    totalBytes: e.totalBytes,
    usableBytes: e.usableBytes,
    attentionBytes: e.memory.byGroup.attention,
    verdict: e.verdict.text,
    fits: e.fits,
    verdictDepends: e.verdict.kind === 'depends',
    maxMicroBatch: e.maxMicroBatch,
    accumulation: e.fits ? `one micro-batch of ${e.batchSize}` : splitText(e),
    secondsPerStep: e.secondsPerStep,
    totalHours: e.totalHours,
    steps: rec.steps,
    tt: { bytesPerElement: e.tt.value, source: e.tt.source },
    evidence: e.evidence,
    calibrationNotes: a.calibration.notes,
    peakChecks: samePeakChecks(a.calibration.fp32Checks),
    otherGpus: a.otherGpus.map((o) => ({
      gpu: o.gpu.name,
      usableBytes: o.usableBytes,
      verdict: o.fits ? o.verdict.text : splitText(o),
      secondsPerStep: o.secondsPerStep,
      totalHours: o.totalHours,
      calibrated: o.throughput.method === 'calibrated',
      mfu: o.throughput.mfu,
    })),
    otherGpuSpeedNotes: [...new Set(a.otherGpus.filter((o) => o.throughput.method !== 'calibrated').map((o) => o.throughput.detail.replace(/^no measured run on [^:]+: /, '').replace(/ of [0-9.]+ TFLOP\/s dense \S+ peak$/, ' of each GPU\'s dense peak')))],
    sweep: a.sweep.map((s) => ({ bs: s.batchSize, totalBytes: s.totalBytes, attentionBytes: s.attentionBytes, fits: s.verdict.text })),
    chart,
  };
}

// ---------------------------------------------------------------------------------------------
// The whole view

/** A run no law of the report uses, and why. */
export interface ExcludedRun {
  id: string;
  file: string;
  reason: string;
}

/** The section of one local collection (a folder of runs/ outside the main ones). */
export interface LocalView {
  name: string;
  datasets: string;
  provenance: string;
  /** Every run trained by bitscale's own trainer (a sweep that can be rerun). */
  sweep: boolean;
  runs: RunRow[];
  families: StepFamilyView[];
  budgets: SizeTableView[];
  joint: JointView[];
  backtests: BacktestView[];
  chart: string;
}

/** §3: the recommended config's predictions at each budget, and at the size the hand-written report names. */
export interface PredictionRowView {
  params: number;
  label: string;
  steps: number;
  tokens: number;
  valBpc: number;
  /** The prediction interval for a new run; null: none could be made. */
  interval: Interval | null;
  alternatives: { law: string; valBpc: number }[];
  /** The range holding the interval and every other law's value. */
  span: { lo: number; hi: number } | null;
  /** Passes over the dataset (null: its size unknown), and what repeating costs (null: unknown; 0 at one pass or less) with its interval. */
  passes: number | null;
  repetitionCost: number | null;
  repetitionInterval: Interval | null;
}

/** The batch size and LR all §5 candidates share, or null. */
function sharedRecipe(cs: readonly { batchSize: number; lr: number }[]): { batchSize: number; lr: number } | null {
  if (cs.length === 0 || cs.some((c) => c.batchSize !== cs[0].batchSize || c.lr !== cs[0].lr)) return null;
  return { batchSize: cs[0].batchSize, lr: cs[0].lr };
}

/** §3's repetition: the corpus size behind the passes and where R*_D comes from. */
export interface RepetitionView {
  uniqueTokens: number;
  uniqueSource: string;
  /** Passes of the budget the law was measured at. */
  budgetPasses: number;
  note: string;
  evidence: RepetitionEvidence | null;
}

/** §4: the recommended config's memory, speed and the GPUs it would run on. */
export interface RecommendedView {
  label: string;
  config: ModelConfig;
  headDim: number;
  params: number;
  claimedParams: number;
  /** params ÷ claimedParams − 1. */
  paramsOff: number;
  gpu: string;
  precision: string;
  preset: string;
  bs: number;
  teraFlopsPerStep: number;
  memoryRows: { part: string; component: string; shape: string; bytesPerElement: number | null; bytes: number }[];
  totalBytes: number;
  usableBytes: number;
  attentionBytes: number;
  verdict: string;
  /** Fits at bs in one micro-batch; verdictDepends: only over part of the T×T bytes/element range. */
  fits: boolean;
  verdictDepends: boolean;
  maxMicroBatch: number;
  accumulation: string;
  secondsPerStep: number | null;
  totalHours: number | null;
  steps: number;
  tt: { bytesPerElement: number; source: string };
  evidence: string[];
  calibrationNotes: string[];
  /** One row per shape, preset and measured peak: the runs that measured the same bytes at the same shape (steps do not change a step's peak). */
  peakChecks: { runs: string[]; /** runs beyond the first */ more: number; preset: string; config: string; measuredBytes: number; predictedBytes: number; ratio: number }[];
  otherGpus: { gpu: string; usableBytes: number; verdict: string; secondsPerStep: number | null; totalHours: number | null; calibrated: boolean; mfu: number }[];
  otherGpuSpeedNotes: string[];
  sweep: { bs: number; totalBytes: number; attentionBytes: number; fits: string }[];
  chart: string;
}

/** §5: each candidate run and how much it would narrow the headline's uncertainty. */
export interface NextRunRowView {
  rank: number;
  id: string;
  why: string;
  config: ModelConfig;
  params: number;
  steps: number;
  batchSize: number;
  tokens: number;
  /** The val_bpc it is assumed to land on. */
  predicted: number;
  widthAfter: number;
  spanAfter: number;
  /** Relative change of the span (negative: narrower). */
  spanChange: number;
  gpuHours: number | null;
  /** The micro-batches it accumulates ("4 × 64"), or null for one micro-batch. */
  accumulation: string | null;
}

function nextRunRow(n: RankedCandidate, i: number): NextRunRowView {
  return {
    rank: i + 1,
    id: n.candidate.id,
    why: n.candidate.why,
    config: n.candidate.config,
    params: n.params,
    steps: n.candidate.steps,
    batchSize: n.candidate.batchSize,
    tokens: n.tokens,
    predicted: n.predictedBpc,
    widthAfter: n.widthAfter,
    spanAfter: n.spanAfter,
    spanChange: -n.narrowing,
    gpuHours: n.gpuHours,
    accumulation: n.gpuHours !== null && n.split && n.split.steps > 1 ? formatSplit(n.split) : null,
  };
}

/** Step gains borrowed from other groups (as asked with --borrow-gains), or the few measured doublings of the dataset's own. */
export interface GainNote {
  borrowed: { what: string; groups: string[] }[];
  dataset: string;
  /** The dataset's measured doublings of steps, where fewer than two and none borrowed; else null. */
  doublings: number | null;
}

/**
 * The TL;DR's numbers (templates/partials/tldr.hbs words them); the memory and wall-clock bullets
 * read `recommended`, the claims bullet `claims`.
 */
export interface TldrView {
  /** The TinyStories step law. */
  stepScaling: { runs: number; family: string; linf: number; beta: number; determination: string; meanDoublingDelta: number | null } | null;
  /** The recommended dataset's size law at the recommended batch, A held. */
  paramScaling: { dataset: string; steps: number; batchSize: number; floorA: number; alpha: number; scaleB: number; slopesPerDecade: number[] } | null;
  prediction: {
    params: number;
    claimedParams: number;
    steps: number;
    batchSize: number;
    dataset: string;
    valBpc: number;
    interval: Interval | null;
    /** What the interval rests on for the step gain, when that needs saying (headlineGainNote). */
    gainNote: GainNote | null;
    alternatives: { law: string; valBpc: number }[];
    /** Some other law's value lies outside the interval. */
    alternativesOutside: boolean;
    extrapolations: string[];
    /** Passes over the dataset and the cost of repeating it (null: its size unknown), with whether R*_D is borrowed and from which dataset. */
    repetition: { passes: number; cost: number | null; interval: Interval | null; borrowedFrom: string | null } | null;
  };
  nextRun: NextRunRowView | null;
  /** The candidate that narrows the span most per GPU-hour, where it is not nextRun. */
  bestPerGpuHour: NextRunRowView | null;
  backtests: {
    collection: string;
    fittedSizes: number;
    smallest: number;
    largest: number;
    heldOutParams: number;
    extrapolationFactor: number;
    meanAbsRelativeError: number;
    maxAbsRelativeError: number;
    level: number;
    intervalHeld: number;
    withInterval: number;
    coverage: { held: number; withInterval: number; coverage: number } | null;
  }[];
}

/** One prose claim of the hand-written report against what bitscale computes. */
export interface ClaimRowView {
  section: string;
  quote: string;
  /** The computed value (null: not computable), its range for a prediction, and the claim's unit. */
  value: number | boolean | null;
  range: { lo: number; hi: number } | null;
  unit: string;
  /** How the table prints the value: "not computable", yes/no, a count (large) or a number, and the unit where shown. */
  computable: boolean;
  isBoolean: boolean;
  large: boolean;
  shownUnit: string | null;
  verdict: Verdict;
  disagrees: boolean;
  evidenceKind: EvidenceKind;
  evidence: string;
  how: string;
}

/**
 * Everything the report says, as data: the templates render it (templates/), and it is written as
 * reports/report.json (snake_case keys; docs/report-json.md). Numbers are raw (bits per byte,
 * counts, bytes, seconds, fractions); strings are labels and sentences.
 */
/** One batch/LR grid in §2.3 (src/fit/batch-lr-runs.ts). */
export interface BatchGridView {
  collection: string;
  /** Why the grid has no laws (its runs differ in more than batch, rate and steps); null when analysed. */
  refusal: string | null;
  lossUnit: string | null;
  /** The grid's chart files: loss against batch size, and steps to each target with S(B). */
  charts: { loss: string; critical: string } | null;
  /** The rates tried, ascending: the loss table's columns. */
  rates: number[];
  /** Final loss per rate (null: not run), and lr_opt (bound: only bounded, ≤ at the grid's low end, ≥ at its high end). */
  rows: { params: number; tokens: number; batch: number; losses: (number | null)[]; lrOpt: number | null; bound: '≤' | '≥' | null }[];
  lrLaw: { gamma: number; interval: Interval | null; sqrtInside: boolean | null; n: number } | null;
  /** Per size: S(B) = S_min(1 + B_noise/B) at each target loss (hi null: open), and B_noise ∝ L^k. */
  sizes: { params: number; targets: { target: number; steps: { batch: number; steps: number }[]; sMin: number | null; bNoise: number | null; lo: number | null; hi: number | null; refusal: string | null }[]; trend: { exponent: number; interval: Interval | null; n: number } | null }[];
  runs: { id: string; params: number; batch: number; lr: number; steps: number; tokens: number; valBpc: number }[];
}

/** The runs behind R*_D that repeat their data by design (train_subset), and the fit they gave. */
export interface RepetitionSectionView {
  dataset: string;
  collections: string[];
  evidence: RepetitionEvidence;
  runs: { id: string; params: number; uniqueTokens: number; steps: number; tokens: number; passes: number; valBpc: number }[];
}

export interface ReportData {
  title: string;
  runCount: number;
  scalingRunCount: number;
  datasets: { name: string; runs: RunRow[] }[];
  excluded: ExcludedRun[];
  /** Null when no dataset identifies R*_D or §3 has no corpus size. */
  repetition: RepetitionSectionView | null;
  /** The family comparisons (src/report/families.ts): what a ±1 parameter is worth, the v52 lift, d_ff = 2·d. */
  families: FamilyView[];
  tldr: TldrView;
  steps: { chart: string; families: StepFamilyView[] };
  params: { chart: string; budgets: SizeTableView[] };
  batch: BatchComparisonView[];
  /** §2.3's batch/LR grids and their laws. */
  batchGrids: BatchGridView[];
  offsets: DatasetOffsetView[];
  predictions: { chart: string; dataset: string; rows: PredictionRowView[]; repetition: RepetitionView | null; method: string; fits: string[]; assumptions: string[]; warnings: string[] };
  recommended: RecommendedView;
  bestForBudget: PlanView;
  nextRuns: { baselineWidth: number | null; baselineSpan: number | null; law: string; rows: NextRunRowView[]; /** The batch size and LR every candidate runs at (the recipe of the law they refine); null when they differ or there are none. */ recipe: { batchSize: number; lr: number } | null };
  claims: {
    source: string;
    agree: number;
    total: number;
    /** Ids of the claims that disagree, and of those among them resting on a fit exact through its points. */
    disagree: string[];
    disagreeOnExactFits: string[];
    /** Claimed uncertainties, compared by width with the computed half-width. */
    widths: { quote: string; verdict: Verdict; halfWidth: number }[];
    rows: ClaimRowView[];
  };
  local: LocalView[];
  groups: GroupView[];
  footer: { version: string; inputsHash: string; runFiles: number };
}

/** One side of a batch-size/LR comparison (the wall-clock is in the ratio). */
export type BatchRun = Omit<RunSide, 'wallSeconds'>;

const batchRun = ({ wallSeconds: _w, ...side }: RunSide): BatchRun => side;

/** §2.3: two runs of one model differing in batch size and LR. */
export interface BatchComparisonView {
  dataset: string;
  params: number;
  from: BatchRun;
  to: BatchRun;
  deltaBpc: number;
  /** to's wall-clock ÷ from's; null where either is untimed. */
  wallClockRatio: number | null;
  wallClockChange: number | null;
  tokensRatio: number;
}

/** §2.4: two datasets at a matched model, budget and recipe. */
export type DatasetOffsetView = Omit<DatasetOffset, 'arch'>;

export function buildView(a: ReportAnalysis, claims: ClaimCheck[], meta: { version: string; inputsHash: string; runFiles: number }): { view: ReportData; charts: ChartFile[] } {
  // §1–§5 and the claims are about the main architecture's runs in seed/, ingested/ and at the top
  // level of runs/; its runs in other folders get a local section each; every other analysis group
  // (another architecture) a section of its own. Every counted run appears in one of their tables.
  const mainCols = MAIN_COLLECTIONS;
  const seedLike = a.mainRuns.filter((r) => mainCols.includes(r.collection));
  const locals = localCollections(a.mainRuns);
  const inCollections = (ids: string[], cols: string[]) => ids.every((id) => cols.includes(a.runs.find((r) => r.id === id)?.collection ?? ''));
  const mainFamilies = a.suite.stepLaws.filter((f) => inCollections(f.runIds, mainCols));
  const mainBudgets = a.suite.paramBudgets.filter((b) => inCollections(b.runIds, mainCols));
  const mainComparisons = a.suite.sizeComparisons.filter((c) => inCollections(c.runIds, mainCols));

  const charts: ChartFile[] = [];
  const stepsChart = stepChart(mainFamilies, 'Measured step families', 'charts/steps.svg');
  const paramsChart = paramChart(a, mainBudgets, mainComparisons);
  const predChart = predictionChart(a);
  const memChart = memoryChartFile(a);
  charts.push(stepsChart, paramsChart, predChart, memChart);
  const budgetPlanChart = planChartFile(a);
  if (budgetPlanChart) charts.push(budgetPlanChart);

  const datasets = [...groupRuns(seedLike, ['dataset']).entries()].map(([, runs]) => ({ name: runs[0].dataset, runs: runRows(runs) }));
  const excluded = notInAnyFit(a);

  const h = a.headline;
  const rec = a.recommended;

  const local = locals.map((col) => localView(a, col, charts));
  const groups = a.otherGroups.map((g) => groupView(g, charts));

  const agreeCount = claims.filter((c) => c.agrees === true).length;
  const disagree = claims.filter((c) => c.agrees === false);
  const weakDisagree = disagree.filter((c) => c.evidence.kind === 'exact');
  const widths = claims.filter((c) => c.verdict.endsWith('than computed') || c.verdict === 'as wide as computed');


  const nextRunRows = a.nextRuns.map((n, i) => nextRunRow(n, i));

  const view: ReportData = {
    title: 'Scaling report — strict ±1 1-bit LLM (BitLMv57)',
    runCount: a.runs.length,
    scalingRunCount: a.scalingRuns.length,
    datasets,
    excluded,
    repetition: repetitionView(a),
    families: familyViews(a.families, a.runs, 'bits per byte', a.recommendedParams, charts),
    tldr: tldrView(a, claims, mainBudgets, nextRunRows),
    steps: { chart: stepsChart.path, families: mainFamilies.map(stepFamilyView) },
    params: { chart: paramsChart.path, budgets: [...mainBudgets.map((b) => paramBudgetView(b)), ...mainComparisons.map(sizeComparisonView)] },
    batchGrids: batchGridViews(a, charts),
    batch: a.suite.batchLr
      .filter((c) => inCollections([c.from.runId, c.to.runId], mainCols))
      .map((c) => ({
        dataset: c.dataset,
        params: c.params,
        from: batchRun(c.from),
        to: batchRun(c.to),
        deltaBpc: c.deltaBpc,
        wallClockRatio: c.wallClockRatio,
        wallClockChange: c.wallClockRatio === null ? null : c.wallClockRatio - 1,
        tokensRatio: c.tokensRatio,
      })),
    offsets: a.suite.datasetOffsets.map(({ arch: _a, ...o }) => o),
    predictions: {
      chart: predChart.path,
      dataset: rec.dataset,
      rows: a.predictions.map((p) => ({
        params: p.params,
        label: p.label,
        steps: p.steps,
        tokens: p.steps * rec.batchSize * rec.config.seqLen,
        valBpc: p.prediction.valBpc,
        interval: p.prediction.interval,
        alternatives: p.prediction.alternatives.map((x) => ({ law: x.law, valBpc: x.valBpc })),
        span: p.prediction.range,
        passes: p.prediction.repetition?.passes ?? null,
        repetitionCost: p.prediction.repetition?.cost ?? null,
        repetitionInterval: p.prediction.repetition?.interval ?? null,
      })),
      repetition: h.repetition ? { uniqueTokens: h.repetition.uniqueTokens, uniqueSource: h.repetition.uniqueSource, budgetPasses: h.repetition.budgetPasses, note: h.repetition.note, evidence: h.repetition.evidence } : null,
      method: h.method,
      fits: h.fits,
      assumptions: h.assumptions,
      warnings: h.warnings,
    },
    recommended: recommendedView(a, memChart.path),
    bestForBudget: planView(a),
    nextRuns: {
      baselineWidth: a.nextRunsBaseline?.width ?? null,
      baselineSpan: a.nextRunsBaseline?.span ?? null,
      law: h.base.law,
      rows: nextRunRows,
      recipe: sharedRecipe(a.nextRuns.map((n) => n.candidate)),
    },
    claims: {
      source: 'claims/seed-report.json',
      agree: agreeCount,
      total: claims.length,
      disagree: disagree.map((c) => c.claim.id),
      disagreeOnExactFits: weakDisagree.map((c) => c.claim.id),
      widths: widths.map((c) => ({ quote: c.claim.quote, verdict: c.verdict, halfWidth: c.value as number })),
      rows: claims.map((c) => ({
        section: c.claim.section,
        quote: c.claim.quote,
        value: c.value,
        range: c.interval,
        unit: c.claim.unit,
        computable: c.value !== null,
        isBoolean: typeof c.value === 'boolean',
        // Counts from a million up print as counts (369.6M); bits/byte and × go without their unit.
        large: typeof c.value === 'number' && Math.abs(c.value) >= 1e6,
        shownUnit: c.claim.unit && !c.claim.unit.startsWith('bits/byte') && c.claim.unit !== '×' ? c.claim.unit : null,
        verdict: c.verdict,
        disagrees: c.verdict === 'disagrees',
        evidenceKind: c.evidence.kind,
        evidence: c.evidence.text,
        how: c.how,
      })),
    },
    local,
    groups,
    footer: { version: meta.version, inputsHash: meta.inputsHash, runFiles: meta.runFiles },
  };
  return { view, charts };
}

/** Peak checks with the same shape, preset and bytes as one row naming its runs (in the checks' order). */
function samePeakChecks(checks: readonly PeakCheck[]): RecommendedView['peakChecks'] {
  const rows = new Map<string, RecommendedView['peakChecks'][number]>();
  for (const c of checks) {
    const config = formatShape(c.config, { separator: ', ', extra: { T: c.config.seqLen, bs: c.batchSize } });
    const key = [config, c.preset, c.measuredBytes, c.predictedBytes].join('|');
    const row = rows.get(key);
    if (row) row.more = row.runs.push(c.runId) - 1;
    else rows.set(key, { runs: [c.runId], more: 0, preset: c.preset, config, measuredBytes: c.measuredBytes, predictedBytes: c.predictedBytes, ratio: c.ratio });
  }
  return [...rows.values()];
}
