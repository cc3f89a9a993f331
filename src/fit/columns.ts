/**
 * Fit any of the four laws to columns of a table from elsewhere (what `bitscale fit --csv` does
 * after reading the file): pick the columns, check every value, optionally drop the highest-y
 * rows (Besiroglu et al. 2024 drop the five highest-loss points of the Chinchilla data), derive
 * D = C/(6·N) from a FLOPs column, and call the fitter.
 */
import { BitscaleError } from '../util/errors.js';
import { parseNumberText } from '../util/numbers.js';
import type { FitForm, FitResult, Interval } from './types.js';
import { criticalBatch, powerTrend } from './batch-lr.js';
import { fitStepLaw, type StepLawParam } from './steps.js';
import { fitSaturatingPowerLaw, type SaturatingParam } from './saturating.js';
import { type ExponentGrid, type JointPoint } from './chinchilla.js';
import { fitDataConstrainedLaw, HALF_FIXED, type DataConstrainedParams, type RepetitionPoint } from './data-constrained.js';
import type { BootstrapOptions } from './resample.js';
import { compareFamilyLaws, type FamilyComparison, type FamilyForm } from './families.js';
import { fitSelectedJointLaw } from './select.js';

export interface ColumnFitSpec {
  form: FitForm;
  /** Column of x: steps (steps form) or N (saturating, chinchilla). */
  x: string;
  y: string;
  /** Column of D, tokens (chinchilla, data-constrained). */
  d?: string;
  /** Column of U, the unique tokens of the corpus D was drawn from (data-constrained). */
  unique?: string;
  /** Column of training FLOPs C, giving D = C / (6·N) (chinchilla, instead of `d`). */
  flops?: string;
  /** Parameters held fixed, by the names of the form (Linf, C, beta / A, B, alpha). */
  fix?: Record<string, number>;
  /** Huber δ (chinchilla); given, it is used as is and no form is selected. */
  delta?: number;
  /** Chinchilla form: choose δ and the floor by held-out sizes (src/fit/select.ts; default true unless `delta` is given). */
  select?: boolean;
  bootstrap?: BootstrapOptions | false;
  loo?: boolean;
  /** Unit of x for the saturating law's B (default 1: B for x as given). */
  xUnit?: number;
  /** Drop this many rows with the highest y before fitting. */
  dropHighestY?: number;
  grid?: ExponentGrid;
  /** Keep only the rows whose column equals the value (numerically where both parse as numbers), e.g. {steps: '1000'}. */
  where?: Record<string, string>;
  /** File name, for error messages. */
  file?: string;
}

/**
 * Columns that name a training budget (steps, tokens, compute, batch, LR) or a model size: a size
 * law holds at one budget, a step law at one size, so rows that differ in such a column are not one
 * law's points. Matched on the column name, case and separators ignored.
 */
const BUDGET_COLUMN = /^(steps?|iters?|iterations?|train(ing)?(steps|tokens|flops?)|tokens?|d|flops?|compute|c|budget|batch(size)?|bs|lr|learningrate|epochs?)$/;
const SIZE_COLUMN = /^(params?|parameters|n|modelsize|size|nparams|numparams)$/;
const columnKey = (name: string) => name.toLowerCase().replace(/[^a-z0-9]/g, '');

/**
 * Why these rows are not one law's points (null when they may be): for the saturating form, a
 * budget column other than x and y with more than one value; for the steps form, a size column
 * with more than one value. The joint law models both N and D and takes mixed rows.
 */
function mixedRowsRefusal(rows: readonly Record<string, string>[], idx: readonly number[], spec: ColumnFitSpec): string | null {
  if (spec.form === 'chinchilla' || spec.form === 'data-constrained' || rows.length === 0) return null;
  const pattern = spec.form === 'saturating' ? BUDGET_COLUMN : SIZE_COLUMN;
  const what = spec.form === 'saturating' ? 'budgets' : 'model sizes';
  for (const col of Object.keys(rows[0])) {
    if (col === spec.x || col === spec.y || spec.where?.[col] !== undefined || !pattern.test(columnKey(col))) continue;
    const values = [...new Set(idx.map((i) => rows[i][col].trim()))];
    if (values.length < 2) continue;
    const shown = values.slice(0, 4).join(', ') + (values.length > 4 ? ', …' : '');
    const law = spec.form === 'saturating' ? 'a size law A + B/N^alpha holds at one budget' : 'a step law Linf + C·S^(−beta) holds at one model size';
    return `the rows mix ${values.length} ${what} in column '${col}' (${shown}): ${law}; keep one with --where '${col}=${values[0]}'${spec.form === 'saturating' ? ', or fit --form chinchilla, which models N and D together' : ''}`;
  }
  return null;
}

export interface ColumnFit {
  input: { file: string | null; rows: number; used: number; dropped: number; columns: Record<string, string>; ranges: ColumnRanges };
  fit: FitResult;
  /** The chinchilla form's points as fitted (row order, rows dropped left out); null for the other forms. */
  jointPoints: JointPoint[] | null;
  /** The data-constrained form's points as fitted; null for the other forms. */
  repetitionPoints?: RepetitionPoint[] | null;
}

/** The span of x (and of D, and U, for the joint forms) over the rows used: what a prediction is extrapolated from. */
export interface ColumnRanges {
  x: { min: number; max: number };
  d: { min: number; max: number } | null;
  /** Unique tokens U and passes D/U (data-constrained form). */
  unique?: { min: number; max: number };
  passes?: { min: number; max: number };
}

export const FORM_PARAMS: Record<FitForm, readonly string[]> = {
  steps: ['Linf', 'C', 'beta'],
  saturating: ['A', 'B', 'alpha'],
  chinchilla: ['E', 'A', 'B', 'alpha', 'beta'],
  'data-constrained': ['E', 'A', 'B', 'alpha', 'beta', 'R_D_star', 'R_N_star'],
};

/** A held value of the data-constrained law: E, A, B ≥ 0; an exponent or R* > 0 (finite). */
function checkFixedValue(name: string, value: number): void {
  const nonNegative = name === 'E' || name === 'A' || name === 'B';
  if (!Number.isFinite(value) || (nonNegative ? value < 0 : !(value > 0))) throw new BitscaleError(`${name}=${value}: must be ${nonNegative ? '≥ 0' : '> 0'} and finite`, { field: 'fix' });
}

/**
 * A numeric column, every cell read by the shared number parser (K/M/B/T suffixes accepted).
 * `positive` names why the value must be > 0 (the laws take powers or logs of x, N, D).
 */
function column(rows: readonly Record<string, string>[], name: string, file: string | undefined, positive?: string): number[] {
  if (rows.length > 0 && !(name in rows[0])) throw new BitscaleError(`no column '${name}' (columns: ${Object.keys(rows[0]).join(', ')})`, { file, line: 1, field: name });
  return rows.map((r, i) => {
    const text = r[name] ?? '';
    const v = parseNumberText(text);
    if (!Number.isFinite(v)) throw new BitscaleError(`'${text}' is not a finite number`, { file, line: i + 2, field: name });
    if (positive && !(v > 0)) throw new BitscaleError(`${text.trim()} is not positive: ${positive}`, { file, line: i + 2, field: name });
    return v;
  });
}

/**
 * The law's columns: x (N or steps), y, and for the joint forms D from `d`, or from `flops` as
 * D = C/(6·N). Every value is checked (the laws take powers or logs of them).
 */
function lawColumns(rows: readonly Record<string, string>[], spec: Pick<ColumnFitSpec, 'form' | 'x' | 'y' | 'd' | 'flops' | 'file'>): { x: number[]; y: number[]; d: number[] | null } {
  const file = spec.file;
  const joint = spec.form === 'chinchilla' || spec.form === 'data-constrained';
  const powerOf = joint ? 'the joint law is fitted in logs of N, D and the loss' : 'x is raised to a negative power';
  const x = column(rows, spec.x, file, powerOf);
  const y = column(rows, spec.y, file, joint ? powerOf : undefined);
  let d: number[] | null = null;
  if (joint) {
    if (spec.d) d = column(rows, spec.d, file, powerOf);
    else if (spec.flops) d = column(rows, spec.flops, file, powerOf).map((c, i) => c / (6 * x[i]));
    else throw new BitscaleError(`the ${spec.form} form needs --d COL (tokens) or --flops COL (training FLOPs, D = C/(6N))`, { field: 'd' });
  }
  return { x, y, d };
}

/** The indices of the rows whose columns equal the `where` values (numerically where both parse as numbers). */
function whereRows(rows: readonly Record<string, string>[], where: Record<string, string> | undefined, file: string | undefined): number[] {
  let idx = rows.map((_, i) => i);
  for (const [col, want] of Object.entries(where ?? {})) {
    if (!(col in rows[0])) throw new BitscaleError(`no column '${col}' (columns: ${Object.keys(rows[0]).join(', ')})`, { file, line: 1, field: 'where' });
    const wantNumber = parseNumberText(want);
    idx = idx.filter((i) => {
      const v = rows[i][col].trim();
      const asNumber = parseNumberText(v);
      return Number.isFinite(wantNumber) && Number.isFinite(asNumber) ? asNumber === wantNumber : v === want.trim();
    });
    if (idx.length === 0) throw new BitscaleError(`no row has ${col} = ${want} (values: ${[...new Set(rows.map((r) => r[col].trim()))].slice(0, 8).join(', ')})`, { file, field: 'where' });
  }
  return idx;
}

/**
 * Fit `spec.form` to the table's rows (objects keyed by header, line 1 being the header). Throws
 * BitscaleError naming the file, line and column of a bad value, and when nothing could be fitted
 * (no rows, too few distinct points, no solution): an empty fit is never returned.
 */
export function fitColumns(rows: readonly Record<string, string>[], spec: ColumnFitSpec): ColumnFit {
  const out = fitColumnsUnchecked(rows, spec);
  if (out.fit.failure) throw new BitscaleError(`nothing fitted: ${out.fit.failure}`, { file: spec.file });
  return out;
}

function fitColumnsUnchecked(rows: readonly Record<string, string>[], spec: ColumnFitSpec): ColumnFit {
  const file = spec.file;
  const allowed = FORM_PARAMS[spec.form];
  if (!allowed) throw new BitscaleError(`unknown form '${spec.form}' (steps, saturating, chinchilla, data-constrained)`, { field: 'form' });
  for (const [k, v] of Object.entries(spec.fix ?? {})) {
    if (spec.form === 'chinchilla') throw new BitscaleError('the chinchilla form fits all five parameters; --fix is for steps, saturating and data-constrained', { field: 'fix' });
    if (!allowed.includes(k)) throw new BitscaleError(`cannot fix '${k}': the ${spec.form} form has ${allowed.join(', ')}`, { field: 'fix' });
    if (spec.form === 'data-constrained') checkFixedValue(k, v);
  }
  if (spec.form === 'data-constrained' && spec.fix?.R_N_star !== undefined && (spec.fix.A === undefined) !== (spec.fix.B === undefined)) throw new BitscaleError(HALF_FIXED, { field: 'fix' });
  if (rows.length === 0) throw new BitscaleError('no data rows: the table has a header only', { file });
  if (spec.form === 'data-constrained' && !spec.unique) throw new BitscaleError('the data-constrained form needs --unique COL (unique tokens U of the corpus each run drew its D tokens from)', { field: 'unique' });
  const { x, y, d } = lawColumns(rows, spec);
  // Less than one pass (D < U) is allowed: no token repeats.
  const u = spec.form === 'data-constrained' ? column(rows, spec.unique!, file, 'a corpus holds a positive number of unique tokens') : null;
  const free = allowed.length - Object.keys(spec.fix ?? {}).length;
  const drop = spec.dropHighestY ?? 0;
  if (rows.length - drop < free && !spec.where) {
    const left = Math.max(rows.length - drop, 0);
    if (drop > 0) throw new BitscaleError(`dropping ${drop} of ${rows.length} rows leaves ${left}, fewer than the ${free} free parameter(s) of the ${spec.form} law`, { file, field: 'drop-highest' });
    throw new BitscaleError(`${rows.length} row(s), fewer than the ${free} free parameter(s) of the ${spec.form} law: nothing can be fitted`, { file });
  }
  if (spec.xUnit !== undefined && !(spec.xUnit > 0)) throw new BitscaleError(`x unit ${spec.xUnit} is not positive`, { field: 'x-unit' });
  let idx = whereRows(rows, spec.where, file);
  const mixed = mixedRowsRefusal(rows, idx, spec);
  if (mixed) throw new BitscaleError(mixed, { file });
  if (drop > 0) idx = [...idx].sort((a, b) => y[a] - y[b] || a - b).slice(0, Math.max(idx.length - drop, 0)).sort((a, b) => a - b);
  const columns: Record<string, string> = { x: spec.x, y: spec.y };
  if (spec.d) columns.d = spec.d;
  if (u) columns.unique = spec.unique!;
  if (spec.flops && !spec.d) columns.flops = spec.flops;
  const span = (v: number[]) => ({ min: Math.min(...idx.map((i) => v[i])), max: Math.max(...idx.map((i) => v[i])) });
  const ranges: ColumnRanges = { x: span(x), d: d ? span(d) : null };
  if (u) {
    ranges.unique = span(u);
    ranges.passes = span(u.map((v, i) => d![i] / v));
  }
  const input = { file: file ?? null, rows: rows.length, used: idx.length, dropped: rows.length - idx.length, columns, ranges };
  if (spec.form === 'steps') {
    const fit = fitStepLaw(
      idx.map((i) => ({ steps: x[i], valBpc: y[i] })),
      { fix: spec.fix as Partial<Record<StepLawParam, number>>, bootstrap: spec.bootstrap, loo: spec.loo },
    );
    return { input, fit, jointPoints: null };
  }
  if (spec.form === 'saturating') {
    const fit = fitSaturatingPowerLaw(
      idx.map((i) => ({ params: x[i], valBpc: y[i] })),
      { fix: spec.fix as Partial<Record<SaturatingParam, number>>, nUnit: spec.xUnit ?? 1, bootstrap: spec.bootstrap, loo: spec.loo },
    );
    return { input, fit, jointPoints: null };
  }
  if (spec.form === 'data-constrained') {
    const repetitionPoints = idx.map((i) => ({ params: x[i], tokens: d![i], uniqueTokens: u![i], loss: y[i] }));
    const fit = fitDataConstrainedLaw(repetitionPoints, { fix: spec.fix as Partial<DataConstrainedParams>, delta: spec.delta, bootstrap: spec.bootstrap, loo: spec.loo });
    return { input, fit, jointPoints: null, repetitionPoints };
  }
  const jointPoints = idx.map((i) => ({ params: x[i], tokens: d![i], loss: y[i] }));
  const { fit } = fitSelectedJointLaw(jointPoints, { select: spec.delta === undefined && spec.select !== false, delta: spec.delta, bootstrap: spec.bootstrap, loo: spec.loo, grid: spec.grid });
  return { input, fit, jointPoints };
}

/** One `--by` value's critical-batch fit from a table. */
export interface CriticalBatchGroup {
  by: number;
  n: number;
  S_min: number | null;
  B_noise: number | null;
  /** The profile-likelihood interval of B_noise (lo 0 / hi null: open). */
  lo: number | null;
  hi: number | null;
  level: number;
  refusal: string | null;
}

export interface CriticalBatchTable {
  file: string | null;
  columns: { x: string; y: string; by: string };
  groups: CriticalBatchGroup[];
  /** B_noise = coefficient · by^exponent over the fitted groups; null with fewer than two. */
  trend: { coefficient: number; exponent: number; exponent_interval: Interval | null } | null;
}

/**
 * `fit --csv F --form critical-batch --x BATCH --y STEPS --by SIZE`: S(B) = S_min·(1 + B_noise/B)
 * per value of the `--by` column (steps to a fixed target loss at each batch size; src/fit/batch-lr.ts),
 * and B_noise = coefficient · by^exponent across the groups (by in the column's own units).
 */
export function fitCriticalBatchColumns(rows: readonly Record<string, string>[], spec: { x: string; y: string; by: string; file?: string; level?: number }): CriticalBatchTable {
  const file = spec.file;
  if (rows.length === 0) throw new BitscaleError('no data rows: the table has a header only', { file });
  const level = spec.level ?? 0.8;
  const batch = column(rows, spec.x, file, 'a batch size is a positive count');
  const steps = column(rows, spec.y, file, 'steps to the target loss are positive');
  const by = column(rows, spec.by, file, 'the trend B_noise = c·by^k needs positive values');
  const groups = [...new Set(by)].sort((a, b) => a - b).map((value): CriticalBatchGroup => {
    const idx = by.map((v, i) => (v === value ? i : -1)).filter((i) => i >= 0);
    const fit = criticalBatch(idx.map((i) => ({ batch: batch[i], steps: steps[i] })), level);
    const ok = fit.refusal === null;
    return { by: value, n: idx.length, S_min: ok ? fit.sMin : null, B_noise: ok ? fit.bNoise : null, lo: ok ? fit.interval!.lo : null, hi: ok && Number.isFinite(fit.interval!.hi) ? fit.interval!.hi : null, level, refusal: fit.refusal };
  });
  if (groups.every((g) => g.refusal !== null)) throw new BitscaleError(`nothing fitted: ${groups.map((g) => `${spec.by} = ${g.by}: ${g.refusal}`).join('; ')}`, { file });
  const t = powerTrend(groups.filter((g) => g.B_noise !== null).map((g) => ({ x: g.by, y: g.B_noise! })), level);
  return { file: file ?? null, columns: { x: spec.x, y: spec.y, by: spec.by }, groups, trend: t ? { coefficient: t.coefficient, exponent: t.exponent, exponent_interval: t.exponentInterval } : null };
}

/** `fit --csv F --form chinchilla|saturating --family COL --reference VALUE`: the columns of fitColumns plus the family column. */
export interface FamilyColumnSpec {
  form: FitForm;
  x: string;
  y: string;
  d?: string;
  flops?: string;
  /** Column naming each row's family. */
  family: string;
  /** The reference family (m = 1). */
  reference: string;
  separateExponents?: boolean;
  delta?: number;
  where?: Record<string, string>;
  bootstrap?: BootstrapOptions | false;
  file?: string;
}

export interface FamilyColumnFit {
  input: { file: string | null; rows: number; used: number; columns: Record<string, string>; ranges: { params: Record<string, { min: number; max: number }>; tokens: { min: number; max: number } | null } };
  comparison: FamilyComparison;
}

/**
 * Compare the families of a table from elsewhere (src/fit/families.ts): the shared law with a
 * multiplier m_f per family other than the reference, and with `separateExponents` the law with
 * α_f per family. Throws BitscaleError naming the file, line and column of a bad value.
 */
export function fitFamilyColumns(rows: readonly Record<string, string>[], spec: FamilyColumnSpec): FamilyColumnFit {
  const file = spec.file;
  if (spec.form !== 'chinchilla' && spec.form !== 'saturating') throw new BitscaleError(`--family compares families with --form chinchilla or saturating, not ${spec.form}`, { field: 'family' });
  if (rows.length === 0) throw new BitscaleError('no data rows: the table has a header only', { file });
  const { x, y, d } = lawColumns(rows, spec);
  if (!(spec.family in rows[0])) throw new BitscaleError(`no column '${spec.family}' (columns: ${Object.keys(rows[0]).join(', ')})`, { file, line: 1, field: spec.family });
  const blank = rows.findIndex((r) => (r[spec.family] ?? '').trim() === '');
  if (blank >= 0) throw new BitscaleError('no family named: the family column is empty', { file, line: blank + 2, field: spec.family });
  const idx = whereRows(rows, spec.where, file);
  const mixed = mixedRowsRefusal(rows, idx, { form: spec.form, x: spec.x, y: spec.y, where: spec.where });
  if (mixed) throw new BitscaleError(mixed, { file });
  const points = idx.map((i) => ({ family: rows[i][spec.family].trim(), params: x[i], tokens: d ? d[i] : 1, loss: y[i] }));
  const comparison = compareFamilyLaws(points, { form: spec.form as FamilyForm, reference: spec.reference, separateExponents: spec.separateExponents, delta: spec.delta, bootstrap: spec.bootstrap });
  const columns: Record<string, string> = { x: spec.x, y: spec.y, family: spec.family };
  if (spec.d) columns.d = spec.d;
  else if (spec.flops && d) columns.flops = spec.flops;
  const spanOf = (v: number[]) => ({ min: Math.min(...v), max: Math.max(...v) });
  const params = Object.fromEntries(comparison.families.map((f) => [f, spanOf(points.filter((p) => p.family === f).map((p) => p.params))]));
  return { input: { file: file ?? null, rows: rows.length, used: idx.length, columns, ranges: { params, tokens: d ? spanOf(points.map((p) => p.tokens)) : null } }, comparison };
}
