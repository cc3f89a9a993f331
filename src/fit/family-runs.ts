/**
 * `bitscale compare`: model families picked from the run table and compared by
 * src/fit/families.ts. Pure: runs in, a comparison out (the CLI renders it).
 *
 * A family selector is an arch name or `arch:ffR`:
 *   - `bitlm-v57`: the completed runs of that arch with purpose "scaling" (its main ladder);
 *   - `bitlm-v57:ff2`: the completed runs of that arch whose shape has d_ff = 2·d, with purpose
 *     "scaling" or "shape-ablation" (an ablation ladder's runs carry "shape-ablation" so that they
 *     stay out of the arch's main laws; the ratio picks them back). R is any positive number
 *     (`ff0.5`); a run without a shape (config null) has no ratio and is never picked by one.
 * Of a family's runs, only its main fit group enters (fitGroupKey: dataset, units, recipe; the
 * group with the most runs, src/runs/table.ts mainFitGroup); the others are listed as left out.
 * Families whose groups differ in dataset, token or loss unit, or recipe (recipeDifference) are
 * refused unless `allowMismatch`, and then the result says what differs.
 */
import { BitscaleError } from '../util/errors.js';
import { analysisGroupKey, fitGroups, groupRecipe, mainFitGroup, recipeDifference, recipeLabel } from '../runs/table.js';
import type { RunRecord } from '../runs/types.js';
import { compareFamilyLaws, type FamilyComparison } from './families.js';
import type { BootstrapOptions } from './resample.js';

export interface FamilySelector {
  /** As written, e.g. "bitlm-v57:ff2": the family's name in the output. */
  text: string;
  arch: string;
  /** d_ff/d of the runs picked; null: the arch's scaling runs, whatever their shape. */
  dffRatio: number | null;
}

/** The dataset bitscale's family ladders were run on (sweeps/brown-family-*.json): where the report and `plan --arch` compare families. */
export const FAMILY_DATASET = 'brown';

/** Purposes a `:ffR` selector picks besides "scaling". */
export const SHAPE_ABLATION_PURPOSE = 'shape-ablation';

/** "bitlm-v57" or "bitlm-v57:ff2" → the selector; a BitscaleError for anything else. */
export function parseFamilySelector(text: string): FamilySelector {
  const m = /^([^:\s]+)(?::ff([0-9]*\.?[0-9]+))?$/.exec(text.trim());
  if (!m || (m[2] !== undefined && !(Number(m[2]) > 0))) throw new BitscaleError(`'${text}' is not a family: write an arch (bitlm-v57) or an arch with its d_ff/d ratio (bitlm-v57:ff2)`, { field: 'families' });
  return { text: text.trim(), arch: m[1], dffRatio: m[2] === undefined ? null : Number(m[2]) };
}

/** The runs a selector picks (completed, on `dataset` when given), before the fit group is chosen. */
export function selectFamilyRuns(runs: readonly RunRecord[], s: FamilySelector, dataset?: string): RunRecord[] {
  return runs.filter(
    (r) =>
      r.status === 'completed' &&
      r.arch === s.arch &&
      (dataset === undefined || r.dataset.toLowerCase() === dataset.toLowerCase()) &&
      (s.dffRatio === null ? r.purpose === 'scaling' : (r.purpose === 'scaling' || r.purpose === SHAPE_ABLATION_PURPOSE) && r.config !== null && Math.abs(r.config.d_ff / r.config.d - s.dffRatio) < 1e-9),
  );
}

/** The budgets (step counts) every family's selected runs share, ascending. */
export function sharedBudgets(runs: readonly RunRecord[], families: readonly string[], dataset?: string): number[] {
  return commonSteps(families.map((f) => selectFamilyRuns(runs, parseFamilySelector(f), dataset)));
}

/** The step counts every one of `groups` has a run of, ascending. */
function commonSteps(groups: readonly (readonly RunRecord[])[]): number[] {
  const sets = groups.map((g) => new Set(g.map((r) => r.steps)));
  return [...sets[0]].filter((st) => sets.every((set) => set.has(st))).sort((a, b) => a - b);
}

export interface ComparedFamily {
  selector: FamilySelector;
  /** The runs fitted (the family's main fit group). */
  runIds: string[];
  dataset: string;
  lossUnit: string;
  /** token unit (with its tokenizer) as analysisGroupKey writes it. */
  tokenUnit: string;
  recipe: string;
  /** Runs the selector picked that are of another fit group. */
  leftOut: { id: string; reason: string }[];
}

export interface FamilyRunsComparison {
  dataset: string | null;
  families: ComparedFamily[];
  /** What differs between each family and the reference ([] when nothing does); non-empty only with allowMismatch. */
  mismatches: { family: string; differs: string }[];
  /** Families that share runs (two selectors picking the same runs): their resamples are not independent. */
  warnings: string[];
  /** The step counts every family's fitted runs share, ascending: where `steps` can compare them at one budget. */
  sharedSteps: number[];
  comparison: FamilyComparison;
}

export interface FamilyRunsOptions {
  /** Only runs on this dataset (default: each family's main fit group on any dataset). */
  dataset?: string;
  /** Selectors; the first is the reference. */
  families: readonly string[];
  allowMismatch?: boolean;
  bootstrap?: BootstrapOptions | false;
  /** Sizes besides the runs' own at which m(N) and the gap are given (e.g. 369.6M). */
  targets?: readonly number[];
  /**
   * Compare at one budget: only each family's runs of this many steps, with the saturating form
   * L_f(N) = A + B/(m_f·N)^α (and A + B_f/N^α_f), so that tokens are matched exactly and no D term is
   * shared between families that learn at different rates per step. Absent: every budget, the
   * chinchilla form.
   */
  steps?: number;
}

/** "dataset brown vs GLM-Reasoning; peak LR 0.001 vs 0.002": how runs `b` (one fit group) differ from runs `a` ('' when they agree). */
function difference(a: RunRecord[], b: RunRecord[]): string {
  const parts: string[] = [];
  if (a[0].dataset !== b[0].dataset) parts.push(`dataset ${a[0].dataset} vs ${b[0].dataset}`);
  if (tokenUnitOf(a[0]) !== tokenUnitOf(b[0])) parts.push(`token unit ${tokenUnitOf(a[0])} vs ${tokenUnitOf(b[0])}`);
  if (a[0].lossUnit !== b[0].lossUnit) parts.push(`loss unit ${a[0].lossUnit} vs ${b[0].lossUnit}`);
  const recipe = recipeDifference(groupRecipe(a), groupRecipe(b));
  if (recipe) parts.push(recipe);
  return parts.join('; ');
}

const tokenUnitOf = (r: RunRecord) => /\|token=([^|]*)\|/.exec(analysisGroupKey(r))![1];

/**
 * Pick each family's runs, check they share dataset, units and recipe, and fit the comparison
 * (the chinchilla form: the runs vary N and D; with `steps`, the saturating form at that budget). Throws BitscaleError: a selector that picks no
 * run (naming the archs there are), a mismatch without allowMismatch (one line naming the two
 * families and what differs), or what compareFamilyLaws refuses.
 */
export function compareFamilyRuns(runs: readonly RunRecord[], options: FamilyRunsOptions): FamilyRunsComparison {
  const selectors = options.families.map(parseFamilySelector);
  if (selectors.length < 2) throw new BitscaleError(`--families needs at least two families, the reference first (got ${selectors.map((s) => s.text).join(', ') || 'none'})`, { field: 'families' });
  const dup = selectors.find((s, i) => selectors.findIndex((t) => t.text === s.text) !== i);
  if (dup) throw new BitscaleError(`family ${dup.text} is named twice`, { field: 'families' });
  const picked = selectors.map((s) => {
    const mine = selectFamilyRuns(runs, s, options.dataset);
    if (mine.length === 0) {
      const archs = [...new Set(runs.filter((r) => options.dataset === undefined || r.dataset.toLowerCase() === options.dataset.toLowerCase()).map((r) => r.arch))].sort();
      const what = s.dffRatio === null ? `completed scaling runs of arch ${s.arch}` : `completed runs of arch ${s.arch} with d_ff = ${s.dffRatio}·d (purpose scaling or ${SHAPE_ABLATION_PURPOSE})`;
      throw new BitscaleError(`family ${s.text}: no ${what}${options.dataset ? ` on ${options.dataset}` : ''} (archs there: ${archs.join(', ') || 'none'})`, { field: 'families' });
    }
    const groups = fitGroups([...mine]);
    const key = mainFitGroup(groups)!;
    const whole = groups.get(key)!;
    const main = options.steps === undefined ? whole : whole.filter((r) => r.steps === options.steps);
    if (main.length === 0) throw new BitscaleError(`family ${s.text}: no run of ${options.steps} steps in its main fit group (its budgets: ${[...new Set(whole.map((r) => r.steps))].sort((a, b) => a - b).join(', ')} steps)`, { field: 'steps' });
    const r0 = main[0];
    const recipe = groupRecipe(main);
    const family: ComparedFamily = {
      selector: s,
      runIds: main.map((r) => r.id),
      dataset: r0.dataset,
      lossUnit: r0.lossUnit,
      tokenUnit: tokenUnitOf(r0),
      recipe: recipeLabel(recipe),
      leftOut: mine.filter((r) => !main.includes(r)).map((r) => ({ id: r.id, reason: whole.includes(r) ? `another budget (${r.steps} steps, not ${options.steps})` : `not of the family's main fit group (${difference(whole, [r]) || 'an LR schedule field its group records otherwise'})` })),
    };
    return { family, runs: main };
  });
  const [ref, ...others] = picked;
  const mismatches = others.flatMap((o) => {
    const differs = difference(ref.runs, o.runs);
    return differs ? [{ family: o.family.selector.text, differs }] : [];
  });
  if (mismatches.length && !options.allowMismatch) {
    const m = mismatches[0];
    throw new BitscaleError(`families ${ref.family.selector.text} and ${m.family} are not on the same data and recipe (${m.differs}): a multiplier between them would mix in that difference; compare them anyway with --allow-mismatch`, { field: 'families' });
  }
  const warnings = picked.flatMap((a, i) =>
    picked.slice(i + 1).flatMap((b) => {
      const shared = a.family.runIds.filter((id) => b.family.runIds.includes(id));
      return shared.length ? [`families ${a.family.selector.text} and ${b.family.selector.text} share ${shared.length} run(s) (${shared.slice(0, 3).join(', ')}${shared.length > 3 ? ', …' : ''}): they are partly one family, and their intervals treat the shared runs as independent`] : [];
    }),
  );
  const points = picked.flatMap(({ family, runs: rs }) => rs.map((r) => ({ family: family.selector.text, params: r.params, tokens: r.tokens, loss: r.finalValBpc })));
  const comparison = compareFamilyLaws(points, { form: options.steps === undefined ? 'chinchilla' : 'saturating', reference: ref.family.selector.text, order: selectors.map((s) => s.text), bootstrap: options.bootstrap, targets: options.targets });
  const sharedSteps = commonSteps(picked.map((p) => p.runs));
  return { dataset: options.dataset ?? null, families: picked.map((p) => p.family), mismatches, warnings, sharedSteps, comparison };
}
