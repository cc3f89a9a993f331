/**
 * Choosing the joint law's form without looking at what it will predict: each candidate form (the
 * Huber δ, and whether the floor E is fitted or held at 0) is scored by how well it predicts sizes
 * it did not see, on the fit set alone:
 *   score = sqrt(mean over held-out runs of (ln L − ln L̂)²),
 * where every distinct N is held out in turn (all its runs), the candidate is fitted on the other
 * sizes and predicts the held-out ones. With more than MAX_FOLDS sizes, the sizes are dealt into
 * MAX_FOLDS folds by rank (size i into fold i mod MAX_FOLDS) and each fold is held out in turn.
 * Between forms whose scores differ by less than the noise of the scores themselves, the earlier
 * one is kept (the one-standard-error rule, Breiman et al. 1984; Hastie et al., "The Elements of
 * Statistical Learning" §7.10): with m held-out runs, MSE the mean squared log error and
 * SE = sd(squared log errors)/√m of the lowest-scoring form, the chosen form is the first in the
 * list (the published default first) whose MSE ≤ MSE_best + SE_best. Pure; no I/O.
 */
import { chinchillaLoss, DEFAULT_HUBER_DELTA, fitChinchillaLaw, jointParameterCount, REFIT_EXPONENT_GRID, solveChinchilla, thetaToParams, type ChinchillaFit, type ChinchillaFitOptions, type ExponentGrid, type JointFloor, type JointPoint } from './chinchilla.js';
import { mean } from './stats.js';
import { formatPercent } from '../util/format.js';

export interface JointForm {
  /** A short name, e.g. "E fitted, Huber δ = 1e-3". */
  name: string;
  delta: number;
  floor: JointFloor;
}

/** The candidates, the published default (Hoffmann et al. 2022; Besiroglu et al. 2024) first. */
export const JOINT_FORMS: readonly JointForm[] = [
  { name: 'E fitted, Huber δ = 1e-3', delta: DEFAULT_HUBER_DELTA, floor: 'free' },
  { name: 'E fitted, Huber δ = 1e-2', delta: 1e-2, floor: 'free' },
  { name: 'E fitted, least squares in logs (δ = 1)', delta: 1, floor: 'free' },
  { name: 'no floor (E = 0), Huber δ = 1e-3', delta: DEFAULT_HUBER_DELTA, floor: 'none' },
];

/** More sizes than this are held out in folds rather than one at a time. */
export const MAX_FOLDS = 12;

export interface FormScore {
  form: JointForm;
  /** RMS of held-out log errors; NaN when no fold could be fitted. */
  rmsLogError: number;
  /** Standard error of the mean squared log error (sd of the squared errors / √m). */
  mseStandardError: number;
  meanAbsRelativeError: number;
  /** Held-out runs predicted, and folds whose fit failed (each with its reason). */
  predicted: number;
  failedFolds: number;
}

export interface FormSelection {
  scores: FormScore[];
  chosen: JointForm;
  /** The best-scoring of the others; null when only one could be scored. */
  runnerUp: JointForm | null;
  /** Folds of sizes held out in turn. */
  folds: number;
  method: string;
}

/** The folds of point indices: one per distinct N, or MAX_FOLDS by rank of N. */
function sizeFolds(points: readonly JointPoint[]): number[][] {
  const sizes = [...new Set(points.map((p) => p.params))].sort((a, b) => a - b);
  const foldOf = new Map(sizes.map((s, i) => [s, sizes.length > MAX_FOLDS ? i % MAX_FOLDS : i]));
  const folds: number[][] = Array.from({ length: Math.min(sizes.length, MAX_FOLDS) }, () => []);
  points.forEach((p, i) => folds[foldOf.get(p.params)!].push(i));
  return folds;
}

/**
 * Score one form by held-out sizes (see the module comment). Each fold is solved like a bootstrap
 * refit: the refit grid plus the exponents of the form's fit on all the points, which costs a
 * quarter of a full grid and lands on the same optimum where the profile has one basin.
 */
export function scoreJointForm(points: readonly JointPoint[], form: JointForm, grid?: ExponentGrid): FormScore {
  const errors: number[] = [];
  const relative: number[] = [];
  let failedFolds = 0;
  const full = solveChinchilla(points, { delta: form.delta, floor: form.floor, grid });
  const p = jointParameterCount(form.floor);
  for (const fold of sizeFolds(points)) {
    const out = new Set(fold);
    const rest = points.filter((_, i) => !out.has(i));
    const identified = new Set(rest.map((q) => q.params)).size >= 2 && new Set(rest.map((q) => q.tokens)).size >= 2 && new Set(rest.map((q) => `${q.params}|${q.tokens}`)).size >= p;
    const sol = full && identified ? solveChinchilla(rest, { delta: form.delta, floor: form.floor, grid: REFIT_EXPONENT_GRID, starts: [Array.from(full.theta)] }) : null;
    if (!sol) {
      failedFolds++;
      continue;
    }
    const law = thetaToParams(sol.theta);
    for (const i of fold) {
      const q = points[i];
      const predicted = chinchillaLoss(law, q.params, q.tokens);
      errors.push(Math.log(q.loss / predicted));
      relative.push(Math.abs(predicted - q.loss) / q.loss);
    }
  }
  const squares = errors.map((e) => e * e);
  const mse = mean(squares);
  const sd = Math.sqrt(mean(squares.map((v) => (v - mse) ** 2)) * (squares.length / Math.max(squares.length - 1, 1)));
  return { form, rmsLogError: errors.length ? Math.sqrt(mse) : Number.NaN, mseStandardError: errors.length ? sd / Math.sqrt(squares.length) : Number.NaN, meanAbsRelativeError: errors.length ? mean(relative) : Number.NaN, predicted: errors.length, failedFolds };
}

/** Fewest sizes to select by: holding one out must leave three, the fewest that pin α with a floor. */
export const MIN_SELECTION_SIZES = 4;

/**
 * Score every candidate and pick by the rule in the module comment; null when the points have
 * fewer than MIN_SELECTION_SIZES sizes (a fold would leave too few to fit on: the default form is
 * then used) or no candidate could be scored.
 */
export function selectJointForm(points: readonly JointPoint[], options: { forms?: readonly JointForm[]; grid?: ExponentGrid } = {}): FormSelection | null {
  const forms = options.forms ?? JOINT_FORMS;
  const folds = sizeFolds(points).length;
  if (new Set(points.map((p) => p.params)).size < MIN_SELECTION_SIZES) return null;
  const scores = forms.map((f) => scoreJointForm(points, f, options.grid));
  // A form whose folds could not all be fitted is scored on fewer sizes than the others: it is not compared.
  const scored = scores.filter((s) => Number.isFinite(s.rmsLogError) && s.failedFolds === 0);
  if (scored.length === 0) return null;
  const best = scored.reduce((a, b) => (b.rmsLogError < a.rmsLogError ? b : a));
  const within = best.rmsLogError ** 2 + best.mseStandardError;
  // The first form (in preference order) within one standard error of the best, then the rest by score.
  const first = scored.find((s) => s.rmsLogError ** 2 <= within)!;
  const ranked = [first, ...scored.filter((s) => s !== first).sort((a, b) => a.rmsLogError - b.rmsLogError || forms.indexOf(a.form) - forms.indexOf(b.form))];
  const fewest = Math.min(...forms.map((f) => jointParameterCount(f.floor)));
  return {
    scores,
    chosen: ranked[0].form,
    runnerUp: ranked[1]?.form ?? null,
    folds,
    method: `each of ${folds} ${folds === [...new Set(points.map((p) => p.params))].length ? 'sizes' : `folds of sizes (by rank of N)`} held out in turn, every form fitted on the rest (at least ${fewest} parameters) and scored by the RMS of its held-out log errors; the first form in preference order (the published default, E fitted with Huber δ = 1e-3, first) within one standard error of the lowest score is chosen`,
  };
}

/** The choice in one sentence: the form, its held-out error, and the runner-up's. */
export function describeSelection(sel: FormSelection): string {
  const score = (f: JointForm) => sel.scores.find((s) => s.form === f)!;
  const chosen = score(sel.chosen);
  const runner = sel.runnerUp ? score(sel.runnerUp) : null;
  const head = `${sel.chosen.name}, chosen by held-out sizes (RMS log error ${chosen.rmsLogError.toPrecision(3)}, mean |relative error| ${formatPercent(chosen.meanAbsRelativeError, 2)} over ${chosen.predicted} held-out runs in ${sel.folds} folds)`;
  if (!runner) return head;
  const runnerText = `${runner.form.name} (${runner.rmsLogError.toPrecision(3)}, ${formatPercent(runner.meanAbsRelativeError, 2)})`;
  return runner.rmsLogError < chosen.rmsLogError ? `${head}; the lowest score, ${runnerText}, is within one standard error of it, so the form earlier in the list is kept` : `${head}; runner-up ${runnerText}`;
}

/**
 * The joint law in the form held-out sizes choose (selectJointForm), the choice stated in the fit's
 * diagnostics (formChoice); with `select` false, or when there is nothing to select by, the form
 * `options` give (δ and floor, default E fitted at δ = 1e-3). `floor` is the floor of the law fitted.
 */
export function fitSelectedJointLaw(points: readonly JointPoint[], options: ChinchillaFitOptions & { select: boolean }): { fit: ChinchillaFit; selection: FormSelection | null; floor: JointFloor } {
  const { select, ...fitOptions } = options;
  const selection = select ? selectJointForm(points, { grid: options.grid }) : null;
  const floor = selection?.chosen.floor ?? options.floor ?? 'free';
  const fit = fitChinchillaLaw(points, { ...fitOptions, delta: selection?.chosen.delta ?? options.delta, floor });
  if (selection) fit.diagnostics.formChoice = describeSelection(selection);
  return { fit, selection, floor };
}
