/**
 * The report's family comparisons (issue 31): what a ±1 parameter is worth against float weights,
 * whether the ±1 family's size exponent falls behind (a capacity ceiling), the v52 lift and the
 * d_ff = 2·d ablation, each from the Brown family ladders through compareFamilyRuns
 * (src/fit/family-runs.ts). Data first (familyComparisons), then the view and its chart.
 */
import type { RunRecord } from '../runs/types.js';
import { compareFamilyRuns, FAMILY_DATASET, sharedBudgets, type FamilyRunsComparison } from '../fit/family-runs.js';
import type { Estimate, FamilyContrast } from '../fit/families.js';
import { BitscaleError } from '../util/errors.js';
import { formatInteger } from '../util/format.js';
import { percentileInterval } from '../fit/resample.js';
import { paramScalingChart, type LawLine, type ObservedPoint } from './charts.js';
import type { ChartFile } from './view.js';


/** The seed's v52 run size (its caveat 3: "5.5M"), where its 0.12 BPC lift was measured; the report gives the gap there too. */
export const SEED_V52_PARAMS = 5.5e6;

/** The comparisons the report makes: the reference first. */
export const FAMILY_QUESTIONS = [
  {
    id: 'precision',
    families: ['float-v52', 'bitlm-v52', 'bitlm-v57'],
    question: 'What is a ±1 parameter worth in float parameters, and do the ±1 families scale worse (the seed\'s caveat 2, a 1-bit capacity ceiling)?',
  },
  {
    id: 'architecture',
    families: ['bitlm-v57', 'bitlm-v52', 'bitlm-v57:ff2'],
    question: 'Does the v52 lift (per-channel float α, RMSNorm, softmax attention) hold as N grows (caveat 3, ablation 2), and what does d_ff = 2·d buy over 0.5·d (ablation 3)?',
  },
] as const;

export interface FamilyComparisonEntry {
  id: string;
  question: string;
  families: readonly string[];
  /** The comparison at the largest budget every family ran (the saturating form, tokens matched); null when not made. */
  result: FamilyRunsComparison | null;
  /** Every budget all families ran, ascending, each compared the same way: how m moves with the budget. */
  budgets: { steps: number; tokens: number; result: FamilyRunsComparison }[];
  /** Why there is no result (a family without runs, no shared budget, a mismatch): the refusal's message. */
  refusal: string | null;
}

/**
 * Each of FAMILY_QUESTIONS on `runs` (the whole run table), compared at every budget (step count)
 * all its families ran, in the saturating form (compareFamilyRuns with `steps`): the families learn
 * at different rates per step, so no D term is shared between them and tokens are matched exactly.
 * The largest shared budget is the headline, with m(N) and the gap also at `targets` (e.g. the
 * recommended 369.6M). A comparison the runs cannot make keeps its refusal.
 */
export function familyComparisons(runs: readonly RunRecord[], targets: readonly number[], bootstrap: { count: number; seed: number; level: number }): FamilyComparisonEntry[] {
  return FAMILY_QUESTIONS.map((q) => {
    const base = { id: q.id, question: q.question, families: q.families };
    try {
      const shared = sharedBudgets(runs, q.families, FAMILY_DATASET);
      if (shared.length === 0) {
        // Names the family without runs, when one has none; else no budget is shared.
        compareFamilyRuns(runs, { dataset: FAMILY_DATASET, families: q.families, bootstrap: false });
        return { ...base, result: null, budgets: [], refusal: `no budget (step count) that every one of ${q.families.join(', ')} ran` };
      }
      const budgets = shared.map((steps) => {
        const result = compareFamilyRuns(runs, { dataset: FAMILY_DATASET, families: q.families, bootstrap, targets, steps });
        const first = runs.find((r) => r.id === result.families[0].runIds[0])!;
        return { steps, tokens: first.tokens, result };
      });
      return { ...base, result: budgets[budgets.length - 1].result, budgets, refusal: null };
    } catch (err) {
      if (err instanceof BitscaleError) return { ...base, result: null, budgets: [], refusal: err.problem };
      throw err;
    }
  });
}

/** A family's contrast with the reference, by name. */
export function contrastOf(e: FamilyComparisonEntry, family: string): FamilyContrast | null {
  return e.result?.comparison.contrasts.find((c) => c.family === family) ?? null;
}

/**
 * L_f(n2) − L_ref(n1) under the headline's shared law with a multiplier, D matched (the floor and
 * any data term cancel): k·((m_f·n2)^−α − n1^−α), k its size scale (A, or B in the saturating
 * form), with the percentile interval over the bootstrap draws. For a family at another parameter
 * count than the reference, e.g. d_ff = 2·d at the same d.
 */
export function sharedGap(e: FamilyComparisonEntry, family: string, n2: number, n1: number): Estimate | null {
  const c = e.result?.comparison;
  if (!c) return null;
  const g = c.families.indexOf(family);
  if (g < 1) return null;
  // The size term's scale and exponent, and the first multiplier, in a draw: [E, A, B, alpha, beta, m…] or [A, B, alpha, m…] (families.ts).
  const [scale, alpha, m0] = c.form === 'chinchilla' ? [1, 3, 5] : [1, 2, 3];
  const scaleName = c.form === 'chinchilla' ? 'A' : 'B';
  const at = (k: number, a: number, m: number) => k * (Math.pow(m * n2, -a) - Math.pow(n1, -a));
  const value = at(c.shared.params[scaleName].value, c.shared.params.alpha.value, c.shared.multipliers[family].value);
  const iv = percentileInterval(c.samples.map((s) => at(s[scale], s[alpha], s[m0 + g - 1])), c.level);
  return { value, lo: iv?.lo ?? null, hi: iv?.hi ?? null };
}

/** An estimate for the templates: its value and its bootstrap interval as a range (null without one). */
export interface Est {
  value: number;
  range: { lo: number; hi: number } | null;
}

const est = (e: Estimate): Est => ({ value: e.value, range: e.lo === null || e.hi === null ? null : { lo: e.lo, hi: e.hi } });

export interface FamilyView {
  id: string;
  question: string;
  refusal: string | null;
  reference: string;
  /** The command that prints the same comparison. */
  command: string;
  /** The headline budget: every family's runs of this many steps (tokens matched). */
  budget: { steps: number; tokens: number } | null;
  /** The reference's largest size and its tokens per parameter at the headline budget, when under AMPLE_TOKENS_PER_PARAM: its size gain is then limited by data. */
  dataLimited: { family: string; params: number; tokensPerParam: number; ample: number } | null;
  /** The shared law's multipliers at every budget all families ran, ascending: how m moves with the budget. */
  byBudget: { steps: number; tokens: number; multipliers: { family: string; m: Est }[] }[];
  members: { name: string; runs: number; sizes: number; recipe: string; leftOut: number }[];
  /** The shared law's formula and its multipliers (reference: 1). */
  formula: string;
  multipliers: { family: string; m: Est }[];
  separateFormula: string | null;
  alphas: { family: string; alpha: Est }[];
  contrasts: {
    family: string;
    deltaAlpha: Est | null;
    ceiling: { verdict: string; nStar: Est | null; why: string } | null;
    sizes: { params: number; beyond: number | null; m: Est; gap: Est }[];
    /** The row at the recommended size (what it would mean for that run), or null. */
    atRecommended: { params: number; beyond: number | null; m: Est; gap: Est } | null;
  }[];
  level: number;
  bootstrap: string;
  rmse: { shared: number; separate: number | null };
  warnings: string[];
  chart: string | null;
}

/** The view of each comparison; charts pushed to `charts`. */
export function familyViews(entries: readonly FamilyComparisonEntry[], runs: readonly RunRecord[], lossUnit: string, recommendedParams: number, charts: ChartFile[]): FamilyView[] {
  return entries.map((e): FamilyView => {
    const empty = { id: e.id, question: e.question, reference: e.families[0], command: '', budget: null, dataLimited: null, byBudget: [], members: [], formula: '', multipliers: [], separateFormula: null, alphas: [], contrasts: [], level: 0.8, bootstrap: '', rmse: { shared: 0, separate: null }, warnings: [], chart: null };
    if (!e.result) return { ...empty, refusal: e.refusal };
    const r = e.result;
    const c = r.comparison;
    const byId = new Map(runs.map((x) => [x.id, x]));
    const b = c.bootstrap;
    return {
      ...empty,
      refusal: null,
      reference: c.reference,
      command: `bitscale compare --dataset ${FAMILY_DATASET} --families ${e.families.join(',')} --steps ${e.budgets[e.budgets.length - 1].steps}`,
      budget: { steps: e.budgets[e.budgets.length - 1].steps, tokens: e.budgets[e.budgets.length - 1].tokens },
      dataLimited: referenceDataLimit(e, runs),
      byBudget: e.budgets.map((b) => ({ steps: b.steps, tokens: b.tokens, multipliers: Object.entries(b.result.comparison.shared.multipliers).map(([family, m]) => ({ family, m: est(m) })) })),
      members: r.families.map((f) => ({ name: f.selector.text, runs: f.runIds.length, sizes: new Set(f.runIds.map((id) => byId.get(id)?.params)).size, recipe: f.recipe, leftOut: f.leftOut.length })),
      formula: c.shared.formula,
      multipliers: Object.entries(c.shared.multipliers).map(([family, m]) => ({ family, m: est(m) })),
      separateFormula: c.separate?.formula ?? null,
      alphas: c.separate ? Object.entries(c.separate.families).map(([family, v]) => ({ family, alpha: est(v.alpha) })) : [],
      contrasts: c.contrasts.map((x) => ({
        family: x.family,
        deltaAlpha: x.deltaAlpha ? est(x.deltaAlpha) : null,
        ceiling: x.ceiling ? { verdict: x.ceiling.verdict, nStar: x.ceiling.nStar ? est(x.ceiling.nStar) : null, why: x.ceiling.why } : null,
        sizes: x.sizes.map((s) => ({ params: s.params, beyond: s.beyondLargest, m: est(s.multiplier), gap: est(s.gap) })),
        atRecommended: ((s) => (s ? { params: s.params, beyond: s.beyondLargest, m: est(s.multiplier), gap: est(s.gap) } : null))(x.sizes.find((s) => s.params === recommendedParams)),
      })),
      level: c.level,
      bootstrap: b ? `${b.used} of ${b.requested} bootstrap resamples, runs drawn within each family (seed ${b.seed})` : 'no bootstrap',
      rmse: { shared: c.shared.rmse, separate: c.separate?.rmse ?? null },
      warnings: [...r.warnings, ...c.warnings],
      chart: familyChart(e, runs, lossUnit, charts),
    };
  });
}

/** Tokens per parameter at which a model's size gain is no longer limited by data (Hoffmann et al. 2022's ~20). */
export const AMPLE_TOKENS_PER_PARAM = 20;

/** The headline reference's largest run, when it saw fewer tokens per parameter than AMPLE_TOKENS_PER_PARAM; else null. */
export function referenceDataLimit(e: FamilyComparisonEntry, runs: readonly RunRecord[]): FamilyView['dataLimited'] {
  const ref = e.result?.families[0];
  if (!ref) return null;
  const largest = runs.filter((r) => ref.runIds.includes(r.id)).sort((x, y) => y.params - x.params || x.id.localeCompare(y.id))[0];
  const perParam = largest.tokens / largest.params;
  return perParam < AMPLE_TOKENS_PER_PARAM ? { family: ref.selector.text, params: largest.params, tokensPerParam: perParam, ample: AMPLE_TOKENS_PER_PARAM } : null;
}

/**
 * Loss against N at the headline budget (the largest every family ran): each family's runs, and its
 * separate-exponent law A + B_f/N^α_f (solid over its sizes).
 */
function familyChart(e: FamilyComparisonEntry, runs: readonly RunRecord[], lossUnit: string, charts: ChartFile[]): string | null {
  const r = e.result!;
  const sep = r.comparison.separate;
  // The headline is one budget's comparison (familyComparisons): every run at D tokens, the law A + B_f/N^α_f.
  if (!sep || r.comparison.form !== 'saturating') return null;
  const D = e.budgets[e.budgets.length - 1].tokens;
  const byId = new Map(runs.map((x) => [x.id, x]));
  const famRuns = r.families.map((f) => ({ name: f.selector.text, runs: f.runIds.map((id) => byId.get(id)!).filter(Boolean) }));
  const observed: ObservedPoint[] = famRuns.flatMap((f) => f.runs.map((x) => ({ series: f.name, x: x.params, y: x.finalValBpc, run: x.id })));
  const floor = sep.shared.A.value;
  const laws: LawLine[] = famRuns.map((f) => {
    const ns = f.runs.map((x) => x.params);
    const p = sep.families[f.name];
    return { series: f.name, determination: 'over', measured: [Math.min(...ns), Math.max(...ns)] as [number, number], f: (n: number) => floor + p.scale.value * Math.pow(n, -p.alpha.value) };
  });
  const path = `charts/families-${e.id}.svg`;
  charts.push({
    path,
    alt: `Validation loss against parameters for ${famRuns.map((f) => f.name).join(', ')} on ${FAMILY_DATASET} at ${D} tokens, with each family's separate-exponent law`,
    spec: paramScalingChart({ unit: lossUnit, subtitle: `runs/brown-family-*/ and runs/brown-ladder/ at ${formatInteger(D)} tokens, the largest budget every family ran: points, the runs; lines, each family's ${sep.formula.replace(/ \(N parameters.*$/, '')}`, observed, laws }),
  });
  return path;
}
