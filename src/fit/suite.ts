/**
 * Every fit the run table supports, in one pure, deterministic call: step laws per step family,
 * per-decade slopes and the saturating law per (dataset, arch, batch size, LR, steps, context)
 * budget, the joint law per dataset where there are enough runs, the batch/LR comparison and
 * the dataset offsets. The report calls it several times (with hypothetical runs added), so it
 * stays fast: the power laws solve in microseconds, the joint law uses a coarse start grid.
 */
import type { RunRecord, RunStatus } from '../runs/types.js';
import { byNaturalOrder } from '../util/numbers.js';
import { analysisGroupKey, analysisGroups, byCodePoint, groupRuns, requireOneLossUnit, stepFamilies } from '../runs/table.js';
import { BESIROGLU_START_GRID, computeOptimalAllocation, DEFAULT_HUBER_DELTA, fitChinchillaLaw, type ChinchillaFit, type ComputeOptimalAllocation, type JointPoint, type JointRefitMany, type StartGrid } from './chinchilla.js';
import { compareBatchAndLr, datasetOffsets, type BatchLrComparison, type DatasetOffset } from './compare.js';
import { DEFAULT_BOOTSTRAP, type BootstrapOptions } from './resample.js';
import { fitSaturatingPowerLaw, MILLION, type ParamPoint, type SaturatingFit } from './saturating.js';
import { perDecadeSlopes, type PerDecadeSlope } from './slopes.js';
import { fitStepLaw, perDoublingDeltas, type PerDoublingDelta, type StepLawFit, type StepPoint } from './steps.js';
import { countDistinct } from './stats.js';

export interface FitRunTableOptions {
  /** Bootstrap for every form (default 1000 resamples, seed 1, 80% intervals); false for none. */
  bootstrap?: BootstrapOptions | false;
  /** Runs with these statuses are fitted (default: completed only; a running run's last point is not a finished budget). */
  statuses?: RunStatus[];
  /** A held fixed in the "fixed floor" saturating fit (default 1.0, as the seed report §3.1). */
  fixedA?: number;
  /** Unit in which the saturating law's B is quoted (default 1e6: N in millions). */
  nUnit?: number;
  /** Huber δ of the joint law (default 1e-3). */
  delta?: number;
  /** Start grid of the joint law (default SUITE_START_GRID, 243 starts). */
  jointGrid?: StartGrid;
  /** Fewest runs on a dataset for the joint law (default 7: two degrees of freedom for five parameters). */
  jointMinRuns?: number;
  /**
   * Fit the parameter laws and the joint law only for these datasets (matched case-insensitively;
   * default: every dataset). Each dataset's fits are independent of the others', so a caller that
   * needs one dataset's laws (predict) gets the same fits without the cost of the rest. Step
   * families, batch/LR comparisons and dataset offsets always cover every dataset.
   */
  lawDatasets?: readonly string[];
  /**
   * Fits of some analysis groups already made with the same runs and options (by fitGroupsByKey,
   * e.g. in a worker thread), keyed by analysis group: used as they are, the other groups fitted here.
   */
  precomputed?: ReadonlyMap<string, GroupFits>;
  /**
   * Computes the joint law's bootstrap refits (src/fit/chinchilla.ts refitMany; default: on this
   * thread). Not an input of the fits, and not sent to another thread: the thread that fits sets it.
   */
  jointRefits?: JointRefitMany;
}

/** The within-group fits of one analysis group, as fitRunTable makes them. */
export type GroupFits = Pick<FitSuite, 'stepLaws' | 'paramBudgets' | 'joint' | 'batchLr'>;

/** Every other value of Besiroglu et al.'s grid in each coordinate: 3⁵ = 243 starts (their full grid has 4,500). */
export const SUITE_START_GRID: StartGrid = {
  a: BESIROGLU_START_GRID.a.filter((_, i) => i % 2 === 0),
  b: BESIROGLU_START_GRID.b.filter((_, i) => i % 2 === 0),
  e: BESIROGLU_START_GRID.e.filter((_, i) => i % 2 === 0),
  alpha: BESIROGLU_START_GRID.alpha.filter((_, i) => i % 2 === 0),
  beta: BESIROGLU_START_GRID.beta.filter((_, i) => i % 2 === 0),
};

/** Which analysis group a fit belongs to (src/runs/table.ts analysisGroupKey) and the unit of its losses. */
export interface GroupTag {
  /** analysisGroupKey: dataset, architecture, token unit, loss unit. */
  group: string;
  /** "bits per byte", "bits per token (gpt2)", …: the unit of every loss in the fit. */
  lossUnit: string;
}

export interface StepFamilyFit extends GroupTag {
  /** groupRuns key: dataset, arch, params, batchSize, lr (and the loss unit when it is not per byte). */
  key: string;
  dataset: string;
  arch: string;
  params: number;
  batchSize: number;
  lr: number;
  runIds: string[];
  points: StepPoint[];
  perDoubling: PerDoublingDelta[];
  /** The step law; null with `note` when fewer than three distinct step counts. */
  fit: StepLawFit | null;
  note: string | null;
}

export interface ParamBudgetFit extends GroupTag {
  /** groupRuns key: dataset, arch, batchSize, lr, steps, seqLen (matched) or dataset, arch, steps, seqLen. */
  key: string;
  /** True when every run shares batch size and LR; false for a budget matched only on steps (seed §2.2 style), flagged in `note`. */
  matched: boolean;
  dataset: string;
  arch: string;
  /** null when the runs mix batch sizes or LRs. */
  batchSize: number | null;
  lr: number | null;
  steps: number;
  seqLen: number;
  runIds: string[];
  points: ParamPoint[];
  slopes: PerDecadeSlope[];
  /** A held at `options.fixedA` (the seed's choice). */
  fixedA: SaturatingFit;
  /** A fitted; null with `note` when fewer than three distinct sizes. */
  free: SaturatingFit | null;
  note: string | null;
}

export interface JointLawFit extends GroupTag {
  dataset: string;
  arch: string;
  runIds: string[];
  points: JointPoint[];
  fit: ChinchillaFit | null;
  /** Compute-optimal splits at 1×, 10× and 100× the largest run's 6·N·D; none from a failed or flagged law (see `note`). */
  computeOptimal: ComputeOptimalAllocation[];
  note: string | null;
}

export interface FitSuite {
  formatVersion: 1;
  runs: { id: string; file: string; dataset: string; arch: string; lossUnit: string; params: number; batchSize: number; lr: number; steps: number; tokens: number; valBpc: number }[];
  excluded: { id: string; reason: string }[];
  options: { bootstrap: Required<BootstrapOptions> | false; statuses: RunStatus[]; fixedA: number; nUnit: number; delta: number; jointStarts: number; jointMinRuns: number };
  stepLaws: StepFamilyFit[];
  paramBudgets: ParamBudgetFit[];
  joint: JointLawFit[];
  batchLr: BatchLrComparison[];
  datasetOffsets: DatasetOffset[];
}

function resolveBootstrap(b: BootstrapOptions | false | undefined): Required<BootstrapOptions> | false {
  if (b === false) return false;
  return { count: b?.count ?? DEFAULT_BOOTSTRAP.count, seed: b?.seed ?? DEFAULT_BOOTSTRAP.seed, level: b?.level ?? DEFAULT_BOOTSTRAP.level };
}

/** The group's tag, and the suffix its fit keys carry when its losses are not per byte (so keys stay unique across groups). */
function tagOf(runs: RunRecord[]): GroupTag & { keySuffix: string } {
  const lossUnit = requireOneLossUnit(runs, `the fits of ${analysisGroupKey(runs[0])}`);
  return { group: analysisGroupKey(runs[0]), lossUnit, keySuffix: runs[0].tokenUnit === 'byte' && runs[0].lossPer === 'byte' ? '' : `|loss=${lossUnit}` };
}

function stepFamilyFits(runs: RunRecord[], bootstrap: Required<BootstrapOptions> | false): StepFamilyFit[] {
  const out: StepFamilyFit[] = [];
  const { keySuffix, ...tag } = tagOf(runs);
  for (const [familyKey, group] of stepFamilies(runs)) {
    const key = familyKey + keySuffix;
    const points = group.map((r) => ({ steps: r.steps, valBpc: r.finalValBpc }));
    const distinct = countDistinct(points.map((p) => p.steps));
    if (distinct < 2) continue;
    const r0 = group[0];
    const fit = distinct >= 3 ? fitStepLaw(points, { bootstrap }) : null;
    out.push({
      key,
      ...tag,
      dataset: r0.dataset,
      arch: r0.arch,
      params: r0.params,
      batchSize: r0.batchSize,
      lr: r0.lr,
      runIds: group.map((r) => r.id),
      points,
      perDoubling: perDoublingDeltas(points),
      fit,
      note: fit ? null : 'two step counts: per-doubling ΔBPC only; the step law needs three (or a given L∞)',
    });
  }
  return out;
}

function paramBudgetFit(key: string, group: RunRecord[], matched: boolean, bootstrap: Required<BootstrapOptions> | false, fixedA: number, nUnit: number): ParamBudgetFit {
  const points = group.map((r) => ({ params: r.params, valBpc: r.finalValBpc }));
  const distinct = countDistinct(points.map((p) => p.params));
  const r0 = group[0];
  const free = distinct >= 3 ? fitSaturatingPowerLaw(points, { nUnit, bootstrap }) : null;
  const notes: string[] = [];
  if (!matched) notes.push(`mixes batch sizes / LRs (${[...new Set(group.map((r) => `bs ${r.batchSize} LR ${r.lr}`))].join('; ')}): matched on steps only`);
  if (!free) notes.push(`two sizes: A held at ${fixedA} only; A free needs three`);
  const { keySuffix, ...tag } = tagOf(group);
  return {
    key: key + keySuffix,
    ...tag,
    matched,
    dataset: r0.dataset,
    arch: r0.arch,
    batchSize: matched ? r0.batchSize : null,
    lr: matched ? r0.lr : null,
    steps: r0.steps,
    seqLen: r0.seqLen,
    runIds: group.map((r) => r.id),
    points,
    slopes: perDecadeSlopes(points),
    fixedA: fitSaturatingPowerLaw(points, { fix: { A: fixedA }, nUnit, bootstrap }),
    free,
    note: notes.length ? notes.join('; ') : null,
  };
}

/**
 * Budgets with two or more sizes: matched ones (same dataset, arch, batch size, LR, steps, T),
 * then, for sizes that no matched budget brings together, budgets matched on steps only.
 */
function paramBudgetFits(runs: RunRecord[], bootstrap: Required<BootstrapOptions> | false, fixedA: number, nUnit: number): ParamBudgetFit[] {
  const out: ParamBudgetFit[] = [];
  const sizesTogether = new Set<string>();
  for (const [key, group] of groupRuns(runs, ['dataset', 'arch', 'batchSize', 'lr', 'steps', 'seqLen'])) {
    if (countDistinct(group.map((r) => r.params)) < 2) continue;
    out.push(paramBudgetFit(key, group, true, bootstrap, fixedA, nUnit));
    sizesTogether.add(`${group[0].dataset}|${group[0].arch}|${group[0].steps}|${group[0].seqLen}`);
  }
  for (const [key, group] of groupRuns(runs, ['dataset', 'arch', 'steps', 'seqLen'])) {
    const r0 = group[0];
    if (countDistinct(group.map((r) => r.params)) < 2 || sizesTogether.has(`${r0.dataset}|${r0.arch}|${r0.steps}|${r0.seqLen}`)) continue;
    out.push(paramBudgetFit(key, group, false, bootstrap, fixedA, nUnit));
  }
  return out;
}

function jointFits(runs: RunRecord[], bootstrap: Required<BootstrapOptions> | false, delta: number, grid: StartGrid, minRuns: number, refitMany: JointRefitMany | undefined): JointLawFit[] {
  const out: JointLawFit[] = [];
  for (const [, group] of groupRuns(runs, ['dataset', 'arch'])) {
    const points = group.map((r) => ({ params: r.params, tokens: r.tokens, loss: r.finalValBpc }));
    const r0 = group[0];
    const { keySuffix: _suffix, ...tag } = tagOf(group);
    const base = { ...tag, dataset: r0.dataset, arch: r0.arch, runIds: group.map((r) => r.id), points };
    const spread = countDistinct(points.map((p) => p.params)) >= 2 && countDistinct(points.map((p) => p.tokens)) >= 2;
    if (group.length < minRuns || !spread) {
      out.push({ ...base, fit: null, computeOptimal: [], note: `${group.length} run(s)${spread ? '' : ' without two values of both N and D'}: the joint law needs at least ${minRuns} runs spanning N and D` });
      continue;
    }
    const fit = fitChinchillaLaw(points, { delta, grid, bootstrap, refitMany });
    const mixed = countDistinct(group.map((r) => `${r.batchSize}/${r.lr}`)) > 1;
    if (mixed) fit.warnings.push('the runs mix batch sizes / LRs; the joint law treats D = tokens alone');
    const maxC = Math.max(...points.map((p) => 6 * p.params * p.tokens));
    // Compute-optimal splits at 10× and 100× the compute are extrapolations: only from a law that
    // was fitted and is not flagged "do not extrapolate".
    const trusted = fit.failure === null && fit.noExtrapolation === null;
    const computeOptimal = trusted ? [1, 10, 100].map((k) => computeOptimalAllocation(fit.params, k * maxC)) : [];
    out.push({ ...base, fit, computeOptimal, note: trusted ? null : `no compute-optimal split: ${fit.failure ?? fit.noExtrapolation}` });
  }
  return out;
}

interface ResolvedOptions {
  bootstrap: Required<BootstrapOptions> | false;
  statuses: RunStatus[];
  fixedA: number;
  nUnit: number;
  delta: number;
  grid: StartGrid;
  jointMinRuns: number;
  lawDatasets: Set<string> | null;
  jointRefits: JointRefitMany | undefined;
}

function resolveOptions(options: FitRunTableOptions): ResolvedOptions {
  return {
    bootstrap: resolveBootstrap(options.bootstrap),
    statuses: options.statuses ?? ['completed'],
    fixedA: options.fixedA ?? 1.0,
    nUnit: options.nUnit ?? MILLION,
    delta: options.delta ?? DEFAULT_HUBER_DELTA,
    grid: options.jointGrid ?? SUITE_START_GRID,
    jointMinRuns: options.jointMinRuns ?? 7,
    lawDatasets: options.lawDatasets ? new Set(options.lawDatasets.map((d) => d.toLowerCase())) : null,
    jointRefits: options.jointRefits,
  };
}

/** The runs a fit uses: those whose status the options admit (default: completed). */
function usedRuns(runs: readonly RunRecord[], o: ResolvedOptions): RunRecord[] {
  return runs.filter((r) => o.statuses.includes(r.status));
}

/** The within-group fits of one analysis group's runs. */
function groupFits(runs: RunRecord[], o: ResolvedOptions): GroupFits {
  const lawRuns = o.lawDatasets ? runs.filter((r) => o.lawDatasets!.has(r.dataset.toLowerCase())) : runs;
  return {
    stepLaws: stepFamilyFits(runs, o.bootstrap),
    paramBudgets: paramBudgetFits(lawRuns, o.bootstrap, o.fixedA, o.nUnit),
    joint: jointFits(lawRuns, o.bootstrap, o.delta, o.grid, o.jointMinRuns, o.jointRefits),
    batchLr: compareBatchAndLr(runs),
  };
}

function suiteOf(runs: readonly RunRecord[], o: ResolvedOptions, fits: Pick<FitSuite, 'stepLaws' | 'paramBudgets' | 'joint' | 'batchLr'>, used: RunRecord[]): FitSuite {
  const excluded = runs.filter((r) => !o.statuses.includes(r.status)).map((r) => ({ id: r.id, reason: `status ${r.status}` }));
  return {
    formatVersion: 1,
    runs: used.map((r) => ({ id: r.id, file: r.file, dataset: r.dataset, arch: r.arch, lossUnit: r.lossUnit, params: r.params, batchSize: r.batchSize, lr: r.lr, steps: r.steps, tokens: r.tokens, valBpc: r.finalValBpc })),
    excluded,
    options: { bootstrap: o.bootstrap, statuses: o.statuses, fixedA: o.fixedA, nUnit: o.nUnit, delta: o.delta, jointStarts: o.grid.a.length * o.grid.b.length * o.grid.e.length * o.grid.alpha.length * o.grid.beta.length, jointMinRuns: o.jointMinRuns },
    ...fits,
    datasetOffsets: datasetOffsets(used),
  };
}

/**
 * Fit the runs of one analysis group (one dataset, architecture, token unit and loss unit). Runs
 * of different loss units are refused, naming the runs of each unit: a fit never mixes units.
 */
export function fitAnalysisGroup(runs: readonly RunRecord[], options: FitRunTableOptions = {}): FitSuite {
  const o = resolveOptions(options);
  requireOneLossUnit([...runs], 'one fit');
  const used = usedRuns(runs, o);
  return suiteOf(runs, o, used.length ? groupFits(used, o) : { stepLaws: [], paramBudgets: [], joint: [], batchLr: [] }, used);
}

/**
 * Fit every group of the run table. Pure and deterministic: the same runs and options give the
 * same suite (bootstrap seeds are fixed). Runs whose status is not in `options.statuses` are left
 * out and listed in `excluded`. Every fit is made inside one analysis group (src/runs/table.ts):
 * runs of another dataset, architecture or unit never enter it. Only the dataset offsets compare
 * datasets, and only at the same architecture and loss unit.
 */
export function fitRunTable(runs: readonly RunRecord[], options: FitRunTableOptions = {}): FitSuite {
  const o = resolveOptions(options);
  const used = usedRuns(runs, o);
  const fits: GroupFits = { stepLaws: [], paramBudgets: [], joint: [], batchLr: [] };
  for (const [key, group] of analysisGroups(used)) {
    const g = options.precomputed?.get(key) ?? groupFits(group, o);
    fits.stepLaws.push(...g.stepLaws);
    fits.paramBudgets.push(...g.paramBudgets);
    fits.joint.push(...g.joint);
    fits.batchLr.push(...g.batchLr);
  }
  // The order a single pass over the table gives: families and joint laws by key, matched budgets first.
  fits.stepLaws.sort((a, b) => byNaturalOrder(a.key, b.key));
  fits.paramBudgets.sort((a, b) => Number(!a.matched) - Number(!b.matched) || byNaturalOrder(a.key, b.key));
  fits.joint.sort((a, b) => byNaturalOrder(`${a.dataset}|${a.arch}|${a.group}`, `${b.dataset}|${b.arch}|${b.group}`));
  return suiteOf(runs, o, fits, used);
}

/**
 * The fits of the analysis groups named by `keys` (analysisGroupKey), exactly as fitRunTable with
 * the same runs and options makes them: pass the result to it as `precomputed`. The report fits
 * some groups in a worker thread this way while this thread fits the others.
 */
export function fitGroupsByKey(runs: readonly RunRecord[], options: FitRunTableOptions, keys: readonly string[]): Map<string, GroupFits> {
  const o = resolveOptions(options);
  const groups = analysisGroups(usedRuns(runs, o));
  const out = new Map<string, GroupFits>();
  for (const key of keys) {
    const group = groups.get(key);
    if (group) out.set(key, groupFits(group, o));
  }
  return out;
}

/** The analysis group keys of the runs fitRunTable would fit with these options. */
export function fittedGroupKeys(runs: readonly RunRecord[], options: FitRunTableOptions = {}): string[] {
  return [...analysisGroups(usedRuns(runs, resolveOptions(options))).keys()];
}
