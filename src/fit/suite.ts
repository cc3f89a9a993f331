/**
 * Every fit the run table supports, in one pure, deterministic call: step laws per step family,
 * per-decade slopes and the saturating law per (dataset, arch, batch size, LR, steps, context)
 * budget, the joint law per dataset and recipe where there are enough runs, the batch/LR
 * comparison and the dataset offsets. Every law takes the runs of one fit group (recipe: T,
 * batch size, LR schedule; src/runs/table.ts fitGroups) only; every run in no law is listed in
 * `excluded` with why. The report calls it several times (with hypothetical runs added), so it
 * stays fast: the power laws solve in microseconds, the joint law in milliseconds.
 */
import type { RunRecord, RunStatus } from '../runs/types.js';
import { byNaturalOrder } from '../util/numbers.js';
import { analysisGroupKey, analysisGroups, byCodePoint, fitGroups, groupRuns, mainFitGroup, groupRecipe, recipeDifference, recipeDifferences, recipeLabel, type RecipeFields, requireOneLossUnit, stepFamilies } from '../runs/table.js';
import { computeOptimalAllocation, DEFAULT_HUBER_DELTA, JOINT_EXPONENT_GRID, type ChinchillaFit, type ComputeOptimalAllocation, type ExponentGrid, type JointPoint, type JointRefitMany } from './chinchilla.js';
import { fitSelectedJointLaw, type FormSelection } from './select.js';
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
  /** Exponent grid of the joint law (default JOINT_EXPONENT_GRID, 21 × 21). */
  jointGrid?: ExponentGrid;
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

/** The within-group fits of one analysis group, as fitRunTable makes them, and the group's runs that entered no law. */
export type GroupFits = Pick<FitSuite, 'stepLaws' | 'paramBudgets' | 'joint' | 'batchLr' | 'sizeComparisons' | 'excluded'>;

/** Which analysis group a fit belongs to (src/runs/table.ts analysisGroupKey) and the unit of its losses. */
export interface GroupTag {
  /** analysisGroupKey: dataset, architecture, token unit, loss unit. */
  group: string;
  /** "bits per byte", "bits per token (gpt2)", …: the unit of every loss in the fit. */
  lossUnit: string;
}

/** The recipe every run of a law shares (src/runs/table.ts fitGroupKey): a law never mixes recipes. */
export interface RecipeTag {
  /** recipeLabel: "T 128, bs 16, LR 0.001 cosine, warmup 30 steps, final LR 0". */
  recipe: string;
  /** True for the analysis group's main recipe (mainFitGroup: most runs, then most sizes). */
  mainRecipe: boolean;
}

export interface StepFamilyFit extends GroupTag, RecipeTag {
  /** groupRuns key: dataset, arch, params, batchSize, lr (and the loss unit when it is not per byte, and the recipe fields that differ from the main recipe's). */
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

export interface ParamBudgetFit extends GroupTag, RecipeTag {
  /** groupRuns key: dataset, arch, batchSize, lr, steps, seqLen (and the recipe fields that differ from the main recipe's). */
  key: string;
  /** Always true: every run of a size law shares its recipe (budgets matched on steps only are SizeComparisons, not laws). Kept for readers of saved fits. */
  matched: boolean;
  dataset: string;
  arch: string;
  /** The budget's batch size and LR (null only in fits saved before budgets were always matched). */
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

export interface JointLawFit extends GroupTag, RecipeTag {
  dataset: string;
  arch: string;
  runIds: string[];
  points: JointPoint[];
  fit: ChinchillaFit | null;
  /** How the law's form (Huber δ, floor) was chosen by held-out sizes; null with fewer than three sizes (the default form is used). */
  selection: FormSelection | null;
  /** Compute-optimal splits at 1×, 10× and 100× the largest run's 6·N·D; none from a failed or flagged law (see `note`). */
  computeOptimal: ComputeOptimalAllocation[];
  note: string | null;
}

/**
 * Sizes at one step count and context whose runs differ in recipe (batch size, LR schedule): the
 * seed report's §2.2 TinyStories pair. A measured difference between runs, not a law: no form is
 * fitted through it and no prediction reads it.
 */
export interface SizeComparison extends GroupTag {
  /** groupRuns key: dataset, arch, steps, seqLen. */
  key: string;
  dataset: string;
  arch: string;
  steps: number;
  seqLen: number;
  runIds: string[];
  /** Each run's recipe (recipeLabel), in runIds order. */
  recipes: string[];
  points: ParamPoint[];
  slopes: PerDecadeSlope[];
  note: string;
}

export interface FitSuite {
  formatVersion: 1;
  runs: { id: string; file: string; dataset: string; arch: string; lossUnit: string; params: number; batchSize: number; lr: number; steps: number; tokens: number; valBpc: number }[];
  /** Every run given that entered no law (step family, size law or fitted joint law), with why: its status, or a recipe with too few runs. */
  excluded: { id: string; reason: string }[];
  options: { bootstrap: Required<BootstrapOptions> | false; statuses: RunStatus[]; fixedA: number; nUnit: number; delta: number; jointExponentGrid: number; jointMinRuns: number };
  stepLaws: StepFamilyFit[];
  paramBudgets: ParamBudgetFit[];
  joint: JointLawFit[];
  batchLr: BatchLrComparison[];
  sizeComparisons: SizeComparison[];
  datasetOffsets: DatasetOffset[];
}

/** The parts of GroupFits, in the order fitRunTable concatenates them. */
const FIT_PARTS = ['stepLaws', 'paramBudgets', 'joint', 'batchLr', 'sizeComparisons', 'excluded'] as const;

function emptyFits(): GroupFits {
  return { stepLaws: [], paramBudgets: [], joint: [], batchLr: [], sizeComparisons: [], excluded: [] };
}

function resolveBootstrap(b: BootstrapOptions | false | undefined): Required<BootstrapOptions> | false {
  if (b === false) return false;
  return { count: b?.count ?? DEFAULT_BOOTSTRAP.count, seed: b?.seed ?? DEFAULT_BOOTSTRAP.seed, level: b?.level ?? DEFAULT_BOOTSTRAP.level };
}

/** The group's tag, and the suffix its fit keys carry when its losses are not per byte (so keys stay unique across groups). */
function groupTagOf(runs: RunRecord[]): GroupTag & { keySuffix: string } {
  const lossUnit = requireOneLossUnit(runs, `the fits of ${analysisGroupKey(runs[0])}`);
  return { group: analysisGroupKey(runs[0]), lossUnit, keySuffix: runs[0].tokenUnit === 'byte' && runs[0].lossPer === 'byte' ? '' : `|loss=${lossUnit}` };
}

/** One fit group's runs and recipe, and whether it is the analysis group's main recipe (and which that is). */
interface Recipe {
  runs: RunRecord[];
  fields: RecipeFields;
  main: boolean;
  mainFields: RecipeFields;
}

/**
 * A fit group's tag. A key carries the recipe fields in which its group differs from the main
 * recipe and that the key does not already name (`covered`: e.g. a step family's key names the
 * batch size and LR), as "|seq_len=64|warmup=40 steps": keys stay unique inside the analysis
 * group, and the main recipe's keys stay as they always were.
 */
function tagOf(r: Recipe, covered: readonly string[], runs: RunRecord[] = r.runs): GroupTag & RecipeTag & { keySuffix: string } {
  const { keySuffix, ...tag } = groupTagOf(runs);
  const extra = recipeDifferences(r.fields, r.mainFields)
    .filter(([field]) => !covered.includes(field))
    .map(([field, value]) => `|${field.replace(/ /g, '_')}=${value}`)
    .join('');
  return { ...tag, recipe: recipeLabel(r.fields), mainRecipe: r.main, keySuffix: keySuffix + extra };
}

function stepFamilyFits(r: Recipe, bootstrap: Required<BootstrapOptions> | false): StepFamilyFit[] {
  const out: StepFamilyFit[] = [];
  const { keySuffix, ...tag } = tagOf(r, ['batch size', 'peak LR']);
  for (const [familyKey, group] of stepFamilies(r.runs)) {
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

function paramBudgetFit(key: string, recipe: Recipe, group: RunRecord[], bootstrap: Required<BootstrapOptions> | false, fixedA: number, nUnit: number): ParamBudgetFit {
  const points = group.map((r) => ({ params: r.params, valBpc: r.finalValBpc }));
  const distinct = countDistinct(points.map((p) => p.params));
  const r0 = group[0];
  const free = distinct >= 3 ? fitSaturatingPowerLaw(points, { nUnit, bootstrap }) : null;
  const { keySuffix, ...tag } = tagOf(recipe, ['batch size', 'peak LR', 'seq_len'], group);
  return {
    key: key + keySuffix,
    ...tag,
    matched: true,
    dataset: r0.dataset,
    arch: r0.arch,
    batchSize: r0.batchSize,
    lr: r0.lr,
    steps: r0.steps,
    seqLen: r0.seqLen,
    runIds: group.map((r) => r.id),
    points,
    slopes: perDecadeSlopes(points),
    fixedA: fitSaturatingPowerLaw(points, { fix: { A: fixedA }, nUnit, bootstrap }),
    free,
    note: free ? null : `two sizes: A held at ${fixedA} only; A free needs three`,
  };
}

/** One recipe's budgets (steps) with two or more sizes: each a size law. */
function paramBudgetFits(recipe: Recipe, bootstrap: Required<BootstrapOptions> | false, fixedA: number, nUnit: number): ParamBudgetFit[] {
  const out: ParamBudgetFit[] = [];
  for (const [key, group] of groupRuns(recipe.runs, ['dataset', 'arch', 'batchSize', 'lr', 'steps', 'seqLen'])) {
    if (countDistinct(group.map((r) => r.params)) < 2) continue;
    out.push(paramBudgetFit(key, recipe, group, bootstrap, fixedA, nUnit));
  }
  return out;
}

/**
 * Sizes that no recipe brings together at a step count and context, compared across recipes
 * (SizeComparison): the per-decade slopes between them, no law. `laws` are the size laws made.
 */
function sizeComparisons(runs: RunRecord[], laws: readonly ParamBudgetFit[]): SizeComparison[] {
  const out: SizeComparison[] = [];
  const together = new Set(laws.map((b) => `${b.steps}|${b.seqLen}`));
  for (const [key, group] of groupRuns(runs, ['dataset', 'arch', 'steps', 'seqLen'])) {
    const r0 = group[0];
    if (countDistinct(group.map((r) => r.params)) < 2 || together.has(`${r0.steps}|${r0.seqLen}`)) continue;
    const { keySuffix, ...tag } = groupTagOf(group);
    const recipes = group.map((r) => recipeLabel(r));
    const points = group.map((r) => ({ params: r.params, valBpc: r.finalValBpc }));
    out.push({
      key: key + keySuffix,
      ...tag,
      dataset: r0.dataset,
      arch: r0.arch,
      steps: r0.steps,
      seqLen: r0.seqLen,
      runIds: group.map((r) => r.id),
      recipes,
      points,
      slopes: perDecadeSlopes(points),
      note: `a comparison across recipes (${[...new Set(recipes)].join('; ')}), not a law: no size law is fitted through runs of different recipes`,
    });
  }
  return out;
}

function jointFits(recipe: Recipe, bootstrap: Required<BootstrapOptions> | false, delta: number, grid: ExponentGrid, minRuns: number, refitMany: JointRefitMany | undefined): JointLawFit[] {
  const out: JointLawFit[] = [];
  for (const [, group] of groupRuns(recipe.runs, ['dataset', 'arch'])) {
    const points = group.map((r) => ({ params: r.params, tokens: r.tokens, loss: r.finalValBpc }));
    const r0 = group[0];
    const { keySuffix: _suffix, ...tag } = tagOf(recipe, [], group);
    const base = { ...tag, dataset: r0.dataset, arch: r0.arch, runIds: group.map((r) => r.id), points };
    const spread = countDistinct(points.map((p) => p.params)) >= 2 && countDistinct(points.map((p) => p.tokens)) >= 2;
    if (group.length < minRuns || !spread) {
      out.push({ ...base, fit: null, selection: null, computeOptimal: [], note: `${group.length} run(s)${spread ? '' : ' without two values of both N and D'}: the joint law needs at least ${minRuns} runs spanning N and D` });
      continue;
    }
    // The form (δ, floor) chosen by held-out sizes of these runs alone; an explicit δ is kept as given.
    const { fit, selection } = fitSelectedJointLaw(points, { select: delta === DEFAULT_HUBER_DELTA, delta, grid, bootstrap, refitMany });
    const maxC = Math.max(...points.map((p) => 6 * p.params * p.tokens));
    // Compute-optimal splits at 10× and 100× the compute are extrapolations: only from a law that
    // was fitted and is not flagged "do not extrapolate".
    const trusted = fit.failure === null && fit.noExtrapolation === null;
    const computeOptimal = trusted ? [1, 10, 100].map((k) => computeOptimalAllocation(fit.params, k * maxC)) : [];
    out.push({ ...base, fit, selection, computeOptimal, note: trusted ? null : `no compute-optimal split: ${fit.failure ?? fit.noExtrapolation}` });
  }
  return out;
}

interface ResolvedOptions {
  bootstrap: Required<BootstrapOptions> | false;
  statuses: RunStatus[];
  fixedA: number;
  nUnit: number;
  delta: number;
  grid: ExponentGrid;
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
    grid: options.jointGrid ?? JOINT_EXPONENT_GRID,
    jointMinRuns: options.jointMinRuns ?? 7,
    lawDatasets: options.lawDatasets ? new Set(options.lawDatasets.map((d) => d.toLowerCase())) : null,
    jointRefits: options.jointRefits,
  };
}

/** The runs a fit uses: those whose status the options admit (default: completed). */
function usedRuns(runs: readonly RunRecord[], o: ResolvedOptions): RunRecord[] {
  return runs.filter((r) => o.statuses.includes(r.status));
}

/**
 * The within-group fits of one analysis group's runs: each law inside one fit group (recipe), the
 * batch/LR comparison and the cross-recipe size comparisons over the whole group, and every run
 * that entered no law with why (for a dataset whose laws are fitted).
 */
function groupFits(runs: RunRecord[], o: ResolvedOptions): GroupFits {
  const laws = o.lawDatasets === null || o.lawDatasets.has(runs[0].dataset.toLowerCase());
  const groups = fitGroups(runs);
  const mainKey = mainFitGroup(groups);
  const mainFields = groupRecipe(groups.get(mainKey!)!);
  const recipes = [...groups].map(([key, rs]) => ({ runs: rs, fields: groupRecipe(rs), main: key === mainKey, mainFields }));
  const stepLaws = recipes.flatMap((r) => stepFamilyFits(r, o.bootstrap)).sort((a, b) => byCodePoint(a.key, b.key));
  const paramBudgets = laws ? recipes.flatMap((r) => paramBudgetFits(r, o.bootstrap, o.fixedA, o.nUnit)).sort((a, b) => byCodePoint(a.key, b.key)) : [];
  // The main recipe's joint law first, then the others' in label order.
  const joint = laws ? recipes.flatMap((r) => jointFits(r, o.bootstrap, o.delta, o.grid, o.jointMinRuns, o.jointRefits)).sort((a, b) => Number(b.mainRecipe) - Number(a.mainRecipe) || byCodePoint(a.recipe, b.recipe)) : [];
  const fits = { stepLaws, paramBudgets, joint, batchLr: compareBatchAndLr(runs), sizeComparisons: laws ? sizeComparisons(runs, paramBudgets) : [] };
  return { ...fits, excluded: laws ? notInAnyLaw(recipes, fits, o.jointMinRuns) : [] };
}

/**
 * The runs of one analysis group that entered no law, each with why: its recipe has too few runs
 * for any (a step family needs two step counts at one size, a size law two sizes at one step
 * count, the joint law `minRuns` runs over both), and where it is not the main recipe, how it
 * differs from it.
 */
function notInAnyLaw(recipes: Recipe[], fits: Pick<GroupFits, 'stepLaws' | 'paramBudgets' | 'joint' | 'sizeComparisons'>, minRuns: number): FitSuite['excluded'] {
  const inLaw = new Set([...fits.stepLaws, ...fits.paramBudgets, ...fits.joint.filter((j) => j.fit)].flatMap((f) => f.runIds));
  const compared = new Set(fits.sizeComparisons.flatMap((c) => c.runIds));
  const out: FitSuite['excluded'] = [];
  for (const recipe of recipes) {
    const r0 = recipe.runs[0];
    const sizes = countDistinct(recipe.runs.map((r) => r.params));
    const steps = countDistinct(recipe.runs.map((r) => r.steps));
    const own = `its recipe (${recipeLabel(recipe.fields)}) has ${recipe.runs.length} run${recipe.runs.length === 1 ? '' : 's'} of ${r0.dataset} at ${sizes} size${sizes === 1 ? '' : 's'} and ${steps} step count${steps === 1 ? '' : 's'}: too few for a step family, a size law or the joint law (${minRuns} runs)`;
    const why = recipe.main ? own : `another recipe than the main ${r0.dataset} one (${recipeDifference(recipe.fields, recipe.mainFields)}); ${own}`;
    for (const r of recipe.runs) if (!inLaw.has(r.id)) out.push({ id: r.id, reason: compared.has(r.id) ? `${why}; compared across recipes only` : why });
  }
  return out;
}

function suiteOf(runs: readonly RunRecord[], o: ResolvedOptions, fits: GroupFits, used: RunRecord[]): FitSuite {
  const byStatus = runs.filter((r) => !o.statuses.includes(r.status)).map((r) => ({ id: r.id, reason: `status ${r.status}` }));
  const excluded = [...byStatus, ...fits.excluded].sort((a, b) => byCodePoint(a.id, b.id));
  return {
    formatVersion: 1,
    runs: used.map((r) => ({ id: r.id, file: r.file, dataset: r.dataset, arch: r.arch, lossUnit: r.lossUnit, params: r.params, batchSize: r.batchSize, lr: r.lr, steps: r.steps, tokens: r.tokens, valBpc: r.finalValBpc })),
    options: { bootstrap: o.bootstrap, statuses: o.statuses, fixedA: o.fixedA, nUnit: o.nUnit, delta: o.delta, jointExponentGrid: o.grid.alpha.length * o.grid.beta.length, jointMinRuns: o.jointMinRuns },
    ...fits,
    excluded,
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
  return suiteOf(runs, o, used.length ? groupFits(used, o) : emptyFits(), used);
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
  const fits = emptyFits();
  for (const [key, group] of analysisGroups(used)) {
    const g = options.precomputed?.get(key) ?? groupFits(group, o);
    for (const part of FIT_PARTS) (fits[part] as unknown[]).push(...g[part]);
  }
  // The order a single pass over the table gives: families and budgets by key, numbers in numeric order.
  fits.stepLaws.sort((a, b) => byNaturalOrder(a.key, b.key));
  fits.paramBudgets.sort((a, b) => byNaturalOrder(a.key, b.key));
  // Joint laws: the main recipe first in each group, then the other recipes in label order.
  fits.joint.sort((a, b) => byNaturalOrder(`${a.dataset}|${a.arch}|${a.group}`, `${b.dataset}|${b.arch}|${b.group}`) || Number(b.mainRecipe) - Number(a.mainRecipe) || byCodePoint(a.recipe, b.recipe));
  fits.sizeComparisons.sort((a, b) => byNaturalOrder(a.key, b.key));
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
