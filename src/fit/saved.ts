/**
 * A joint law L(N, D) = E + A/N^α + B/D^β saved to a file (`bitscale fit --csv … --form chinchilla
 * --save FILE`), or its data-constrained form L(N, D, U) (`--form data-constrained`, see
 * data-constrained.ts), and predictions from it (`bitscale predict --law FILE`; `bitscale plan
 * --law FILE` takes the chinchilla form only):
 * the parameters, the bootstrap draws (for a prediction interval), the ranges of N and D it was
 * fitted on (to flag extrapolation) and its provenance (file, sha256, columns, rows). Pure apart
 * from nothing: the CLI reads and writes the text.
 */
import { BitscaleError } from '../util/errors.js';
import { formatLoss } from '../util/format.js';
import { CHINCHILLA_FORMULA, chinchillaLoss, type ChinchillaParams } from './chinchilla.js';
import type { ColumnFit, FamilyColumnFit } from './columns.js';
import { multiplierLawLoss, type FamilyForm } from './families.js';
import { dataConstrainedLoss, DATA_CONSTRAINED_FORMULA, DATA_CONSTRAINED_PARAMS, effectiveData, effectiveParams, type DataConstrainedFit, type DataConstrainedParam, type DataConstrainedParams } from './data-constrained.js';
import { logScatterInterval, percentileInterval } from './resample.js';
import { seededRandom } from './stats.js';
import type { Interval } from './types.js';

export const SAVED_LAW_FORMAT = 'bitscale-law';
export const SAVED_LAW_VERSION = 1;

export interface Span {
  min: number;
  max: number;
}

/** The file's content (snake_case, as every JSON bitscale writes). */
export interface SavedLaw {
  format: typeof SAVED_LAW_FORMAT;
  format_version: number;
  form: 'chinchilla';
  formula: string;
  params: ChinchillaParams;
  param_order: (keyof ChinchillaParams)[];
  /** Bootstrap draws of the parameters, each in param_order; [] without a bootstrap. */
  samples: number[][];
  level: number | null;
  ranges: { params: Span; tokens: Span };
  provenance: SavedProvenance;
}

/** Where a saved law came from and how well it fitted. */
export interface SavedProvenance {
  file: string | null;
  sha256: string | null;
  rows: number;
  used: number;
  dropped: number;
  columns: Record<string, string>;
  n: number;
  rmse: number;
  /** RMS of ln(observed) − ln(law) over the rows fitted (absent in files saved before 0.3). */
  log_rmse?: number;
  determination: string;
  bootstrap_seed: number | null;
  warnings: string[];
  /** Free parameters of the fit (data-constrained laws; a chinchilla law has 5). */
  free_parameters?: number;
}

/**
 * A data-constrained law (data-constrained.ts) saved by `fit --csv … --form data-constrained --save`.
 * R_D_star is null when the runs did not identify it, R_N_star null when it is held at +∞ (no
 * excess-parameter decay); `not_identified` says why.
 */
export interface SavedDataConstrainedLaw {
  format: typeof SAVED_LAW_FORMAT;
  format_version: number;
  form: 'data-constrained';
  formula: string;
  params: Record<DataConstrainedParam, number | null>;
  not_identified: Record<'R_D_star' | 'R_N_star', string | null>;
  /** The parameters of each draw (the law's finite ones). */
  param_order: DataConstrainedParam[];
  samples: number[][];
  level: number | null;
  ranges: { params: Span; tokens: Span; unique_tokens: Span; passes: Span };
  provenance: SavedProvenance;
}

/**
 * The shared law with a multiplier of src/fit/families.ts (`fit --csv … --family COL --reference F
 * --save`): L_f(N, D) = E + A/(m_f·N)^α + B/D^β (law 'chinchilla') or L_f(N) = A + B/(m_f·N)^α
 * (law 'saturating'), m of the reference 1. Each draw holds the law's parameters in param_order,
 * then m_f of each family but the reference, in `families` order.
 */
export interface SavedFamilyLaw {
  format: typeof SAVED_LAW_FORMAT;
  format_version: number;
  form: 'families';
  law: FamilyForm;
  formula: string;
  reference: string;
  /** The reference first. */
  families: string[];
  params: Record<string, number>;
  /** m_f of every family, the reference's 1. */
  multipliers: Record<string, number>;
  param_order: string[];
  samples: number[][];
  level: number | null;
  /** N of each family's rows, and D of all rows (null for the saturating law). */
  ranges: { params: Record<string, Span>; tokens: Span | null };
  provenance: SavedProvenance;
}

/** Any saved law, told apart by `form`. */
export type AnySavedLaw = SavedLaw | SavedDataConstrainedLaw | SavedFamilyLaw;

function provenanceOf(result: ColumnFit, sha256: string | null): SavedProvenance {
  const { fit, input } = result;
  return {
    file: input.file,
    sha256,
    rows: input.rows,
    used: input.used,
    dropped: input.dropped,
    columns: input.columns,
    n: fit.n,
    rmse: fit.rmse,
    log_rmse: Number(fit.diagnostics.logRmse),
    determination: fit.determination,
    bootstrap_seed: fit.bootstrap?.seed ?? null,
    warnings: fit.warnings,
  };
}

/** The saved form of a chinchilla or data-constrained fit made by fitColumns (`sha256` of the CSV text, computed by the caller). */
export function savedLawFromFit(result: ColumnFit, sha256: string | null): AnySavedLaw {
  const { fit, input } = result;
  if (fit.form === 'data-constrained' && input.ranges.d && input.ranges.unique && input.ranges.passes) {
    const dc = fit as DataConstrainedFit;
    const finite = (v: number) => (Number.isFinite(v) ? v : null);
    return {
      format: SAVED_LAW_FORMAT,
      format_version: SAVED_LAW_VERSION,
      form: 'data-constrained',
      formula: DATA_CONSTRAINED_FORMULA,
      params: Object.fromEntries(DATA_CONSTRAINED_PARAMS.map((k) => [k, finite(dc.params[k])])) as Record<DataConstrainedParam, number | null>,
      not_identified: { ...dc.notIdentified },
      param_order: [...dc.paramOrder],
      samples: (fit.samples ?? []).map((s) => [...s]),
      level: fit.bootstrap?.level ?? null,
      ranges: { params: input.ranges.x, tokens: input.ranges.d, unique_tokens: input.ranges.unique, passes: input.ranges.passes },
      provenance: { ...provenanceOf(result, sha256), free_parameters: fit.n - fit.dof },
    };
  }
  if (fit.form !== 'chinchilla' || !input.ranges.d) throw new BitscaleError(`only a chinchilla or data-constrained fit can be saved as a law (this one is ${fit.form})`, { field: 'save' });
  const params = fit.params as ChinchillaParams;
  const order = fit.paramOrder as (keyof ChinchillaParams)[];
  return {
    format: SAVED_LAW_FORMAT,
    format_version: SAVED_LAW_VERSION,
    form: 'chinchilla',
    formula: CHINCHILLA_FORMULA,
    params: { ...params },
    param_order: order,
    samples: (fit.samples ?? []).map((s) => [...s]),
    level: fit.bootstrap?.level ?? null,
    ranges: { params: input.ranges.x, tokens: input.ranges.d },
    provenance: provenanceOf(result, sha256),
  };
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Check parsed JSON is a saved chinchilla law (what plan --law uses); a BitscaleError naming the file otherwise. */
export function parseSavedLaw(raw: unknown, file: string): SavedLaw {
  const law = parseAnySavedLaw(raw, file);
  if (law.form === 'families') throw new BitscaleError(`a families law predicts one family at a time: use it with bitscale predict --law FILE --params N${law.law === 'chinchilla' ? ' --tokens D' : ''} --family F`, { file });
  if (law.form !== 'chinchilla') throw new BitscaleError(`a ${law.form} law predicts from N, D and the corpus size U: use it with bitscale predict --law FILE --params N --tokens D --unique-tokens U`, { file });
  return law;
}

/** Check parsed JSON is a saved law of either form; a BitscaleError naming the file otherwise. */
export function parseAnySavedLaw(raw: unknown, file: string): AnySavedLaw {
  const notOne = (why: string) => new BitscaleError(`not a saved fit (${why}); write one with bitscale fit --csv FILE --form chinchilla --save law.json`, { file });
  if (typeof raw !== 'object' || raw === null) throw notOne('not a JSON object');
  const o = raw as Partial<SavedLaw>;
  if (o.format !== SAVED_LAW_FORMAT) throw notOne(`no "format": "${SAVED_LAW_FORMAT}"`);
  if (o.format_version !== SAVED_LAW_VERSION) throw notOne(`format_version ${String(o.format_version)}, this bitscale reads ${SAVED_LAW_VERSION}`);
  if ((o.form as string) === 'data-constrained') return parseDataConstrainedLaw(raw as Partial<SavedDataConstrainedLaw>, notOne);
  if ((o.form as string) === 'families') return parseFamilyLaw(raw as Partial<SavedFamilyLaw>, notOne);
  if (o.form !== 'chinchilla') throw notOne(`form '${String(o.form)}', only chinchilla, data-constrained and families laws predict`);
  const p = o.params as Record<string, unknown> | undefined;
  for (const k of ['E', 'A', 'B', 'alpha', 'beta']) if (!p || !finite(p[k])) throw notOne(`params.${k} is not a finite number`);
  const r = o.ranges;
  if (!r || !finite(r.params?.min) || !finite(r.params?.max) || !finite(r.tokens?.min) || !finite(r.tokens?.max)) throw notOne('no ranges of N and D');
  if (!Array.isArray(o.samples) || !Array.isArray(o.param_order)) throw notOne('no samples / param_order');
  return o as SavedLaw;
}

function parseDataConstrainedLaw(o: Partial<SavedDataConstrainedLaw>, notOne: (why: string) => BitscaleError): SavedDataConstrainedLaw {
  const p = o.params as Record<string, unknown> | undefined;
  for (const k of ['E', 'A', 'B', 'alpha', 'beta']) if (!p || !finite(p[k])) throw notOne(`params.${k} is not a finite number`);
  for (const k of ['R_D_star', 'R_N_star']) if (!(p![k] === null || (finite(p![k]) && (p![k] as number) > 0))) throw notOne(`params.${k} is neither a positive number nor null`);
  const r = o.ranges;
  const span = (s: Span | undefined) => finite(s?.min) && finite(s?.max);
  if (!r || !span(r.params) || !span(r.tokens) || !span(r.unique_tokens) || !span(r.passes)) throw notOne('no ranges of N, D, U and passes');
  if (!Array.isArray(o.samples) || !Array.isArray(o.param_order) || typeof o.not_identified !== 'object' || o.not_identified === null) throw notOne('no samples / param_order / not_identified');
  return o as SavedDataConstrainedLaw;
}

/** How far beyond the fitted range: value/max above it, min/value below it, null inside. */
function factorOutside(v: number, span: Span): number | null {
  return v > span.max ? v / span.max : v < span.min ? span.min / v : null;
}

export interface SavedLawPrediction {
  params: number;
  tokens: number;
  value: number;
  /**
   * Prediction interval for a new run: each saved draw of the law times e^(σ·z), z standard normal,
   * σ the fit's residual standard error in ln(loss) (the law is fitted in logs); null without draws.
   */
  interval: Interval | null;
  /** The curve's own bootstrap percentile interval (no run-to-run scatter); null without draws. */
  curveInterval: Interval | null;
  /** σ in ln(loss); null when the fit left no residual degree of freedom. */
  scatter: number | null;
  /** Factors beyond the fitted N and D ranges (null inside). */
  extrapolation: { params: number | null; tokens: number | null };
  warnings: string[];
  /** One line: the file, its sha256, the columns and rows it was fitted on. */
  provenance: string;
}

/** L(N, D) from a saved law, with its bootstrap interval and how far it extrapolates. */
export function predictSavedLaw(law: SavedLaw, params: number, tokens: number): SavedLawPrediction {
  if (!(params > 0) || !(tokens > 0)) throw new BitscaleError('params and tokens must be positive', { field: 'params' });
  const value = chinchillaLoss(law.params, params, tokens);
  const scatter = scatterOf(law.provenance, 5);
  const { interval, curveInterval } = drawIntervals(law, scatter, (s) => chinchillaLoss(Object.fromEntries(law.param_order.map((k, i) => [k, s[i]])) as ChinchillaParams, params, tokens));
  const extrapolation = { params: factorOutside(params, law.ranges.params), tokens: factorOutside(tokens, law.ranges.tokens) };
  const warnings: string[] = [];
  if (extrapolation.params !== null) warnings.push(`N is ${extrapolation.params.toFixed(1)}× ${params > law.ranges.params.max ? 'beyond the largest' : 'below the smallest'} N the law was fitted on (${law.ranges.params.min.toExponential(2)}–${law.ranges.params.max.toExponential(2)})`);
  if (extrapolation.tokens !== null) warnings.push(`D is ${extrapolation.tokens.toFixed(1)}× ${tokens > law.ranges.tokens.max ? 'beyond the largest' : 'below the smallest'} D the law was fitted on (${law.ranges.tokens.min.toExponential(2)}–${law.ranges.tokens.max.toExponential(2)})`);
  if (curveInterval === null) warnings.push('the law was saved without bootstrap draws: no interval');
  else if (interval === null) warnings.push(`the law leaves no residual degree of freedom (n = ${law.provenance.n}) or was saved without its log residual scale: only the curve's bootstrap interval, no prediction interval for a new run`);
  return { params, tokens, value, interval, curveInterval, scatter, extrapolation, warnings, provenance: provenanceLine(law.provenance) };
}

/** The fit's residual standard error in ln(loss), where the law is fitted: log_rmse·√(n/(n − p)); null without a residual degree of freedom. */
function scatterOf(pv: SavedProvenance, freeParameters: number): number | null {
  const dof = pv.n - freeParameters;
  return dof > 0 && typeof pv.log_rmse === 'number' && Number.isFinite(pv.log_rmse) ? pv.log_rmse * Math.sqrt(pv.n / dof) : null;
}

/**
 * The curve's bootstrap percentile interval (the law's value at each saved draw) and the prediction
 * interval for a new run (each draw times e^(σ·z), z standard normal); nulls without draws.
 */
function drawIntervals(law: Pick<AnySavedLaw, 'samples' | 'level' | 'provenance'>, scatter: number | null, valueAt: (draw: number[]) => number): { interval: Interval | null; curveInterval: Interval | null } {
  if (law.samples.length < 2 || law.level === null) return { interval: null, curveInterval: null };
  const values = law.samples.map(valueAt).filter(Number.isFinite);
  if (values.length < 2) return { interval: null, curveInterval: null };
  const random = seededRandom((law.provenance.bootstrap_seed ?? 1) + 7919);
  return { curveInterval: percentileInterval(values, law.level), interval: scatter === null ? null : logScatterInterval(values, scatter, law.level, random) };
}

/** One line: the file, its sha256, the columns and rows it was fitted on. */
function provenanceLine(pv: SavedProvenance): string {
  return `${pv.file ?? 'a table'}${pv.sha256 ? ` (sha256 ${pv.sha256.slice(0, 12)}…)` : ''}: ${pv.used} of ${pv.rows} rows, columns ${Object.entries(pv.columns).map(([k, v]) => `${k}=${v}`).join(', ')}; n ${pv.n}, RMSE ${pv.rmse.toPrecision(3)}, ${pv.determination}-determined`;
}

/** The saved law's parameters as the law takes them: R_N_star null is +∞, R_D_star null NaN (not identified). */
function dataConstrainedParamsOf(law: SavedDataConstrainedLaw): DataConstrainedParams {
  const p = law.params;
  return { E: p.E!, A: p.A!, B: p.B!, alpha: p.alpha!, beta: p.beta!, R_D_star: p.R_D_star ?? Number.NaN, R_N_star: p.R_N_star ?? Number.POSITIVE_INFINITY };
}

export interface DataConstrainedPrediction extends SavedLawPrediction {
  uniqueTokens: number;
  /** Passes over the corpus, D/U. */
  passes: number;
  /** D' and N', the effective data and size the law is evaluated at. */
  effectiveTokens: number;
  effectiveParams: number;
  /** N_opt(U_D), the compute-optimal N for the unique tokens seen (only where R_N_star is in the law). */
  optimalParams: number | null;
  /** The same law with every token unique (D' = D, N' = N): E + A/N^α + B/D^β. */
  uniqueDataValue: number;
  /** value − uniqueDataValue: what repetition (and excess parameters) cost, in the loss unit. */
  repetitionCost: number;
  /** The cost's bootstrap percentile interval over the saved draws; null without draws. */
  repetitionCostInterval: Interval | null;
  extrapolation: { params: number | null; tokens: number | null; uniqueTokens: number | null; passes: number | null };
}

/** L(N, D, U) from a saved data-constrained law, with its intervals, the passes, D', N' and the cost of repetition. */
export function predictDataConstrainedLaw(law: SavedDataConstrainedLaw, params: number, tokens: number, uniqueTokens: number): DataConstrainedPrediction {
  if (!(params > 0) || !(tokens > 0)) throw new BitscaleError('params and tokens must be positive', { field: 'params' });
  if (!(uniqueTokens > 0)) throw new BitscaleError(`${uniqueTokens} unique tokens: a corpus holds a positive number of unique tokens`, { field: 'unique-tokens' });
  const point = dataConstrainedParamsOf(law);
  const unique = { ...point, R_D_star: Number.POSITIVE_INFINITY, R_N_star: Number.POSITIVE_INFINITY };
  const uniqueDataValue = dataConstrainedLoss(unique, params, tokens, uniqueTokens);
  if (tokens > uniqueTokens && law.params.R_D_star === null) {
    const floor = dataConstrainedLoss(unique, params, uniqueTokens, uniqueTokens);
    throw new BitscaleError(
      `the law's R_D_star is not identified (${law.not_identified.R_D_star ?? 'not in the law'}), so it cannot predict ${(tokens / uniqueTokens).toFixed(2)} passes over U: repeats worth nothing give ${formatLoss(floor, 4)} (D' = U), repeats as good as new tokens ${formatLoss(uniqueDataValue, 4)} (D' = D)`,
      { field: 'unique-tokens' },
    );
  }
  const lawAt = (q: DataConstrainedParams) => dataConstrainedLoss(q, params, tokens, uniqueTokens);
  const value = lawAt(point);
  const data = effectiveData(tokens, uniqueTokens, point.R_D_star);
  const n = point.R_N_star === Number.POSITIVE_INFINITY ? null : effectiveParams(point, params, data.uniqueSeen);
  const drawParams = (s: number[]): DataConstrainedParams => ({ ...point, ...Object.fromEntries(law.param_order.map((k, i) => [k, s[i]])) });
  const scatter = scatterOf(law.provenance, law.provenance.free_parameters ?? law.param_order.length);
  const { interval, curveInterval } = drawIntervals(law, scatter, (s) => lawAt(drawParams(s)));
  const { curveInterval: repetitionCostInterval } = drawIntervals(law, null, (s) => {
    const q = drawParams(s);
    return lawAt(q) - dataConstrainedLoss({ ...q, R_D_star: Number.POSITIVE_INFINITY, R_N_star: Number.POSITIVE_INFINITY }, params, tokens, uniqueTokens);
  });
  const r = law.ranges;
  const passes = tokens / uniqueTokens;
  const extrapolation = { params: factorOutside(params, r.params), tokens: factorOutside(tokens, r.tokens), uniqueTokens: factorOutside(uniqueTokens, r.unique_tokens), passes: factorOutside(passes, r.passes) };
  const warnings: string[] = [];
  const beyond = (what: string, f: number | null, v: number, s: Span) => (f === null ? [] : [`${what} is ${f.toFixed(1)}× ${v > s.max ? 'beyond the largest' : 'below the smallest'} ${what} the law was fitted on (${s.min.toPrecision(3)}–${s.max.toPrecision(3)})`]);
  warnings.push(...beyond('N', extrapolation.params, params, r.params), ...beyond('D', extrapolation.tokens, tokens, r.tokens), ...beyond('U', extrapolation.uniqueTokens, uniqueTokens, r.unique_tokens), ...beyond('passes D/U', extrapolation.passes, passes, r.passes));
  if (curveInterval === null) warnings.push('the law was saved without bootstrap draws: no interval');
  else if (interval === null) warnings.push(`the law leaves no residual degree of freedom (n = ${law.provenance.n}): only the curve's bootstrap interval, no prediction interval for a new run`);
  return {
    params,
    tokens,
    uniqueTokens,
    value,
    interval,
    curveInterval,
    scatter,
    passes,
    effectiveTokens: data.effective,
    effectiveParams: n?.effective ?? params,
    optimalParams: n?.optimal ?? null,
    uniqueDataValue,
    repetitionCost: value - uniqueDataValue,
    repetitionCostInterval,
    extrapolation,
    warnings,
    provenance: provenanceLine(law.provenance),
  };
}

/** The saved form of a families comparison made by fitFamilyColumns: its shared law with a multiplier. */
export function savedFamilyLawFromFit(result: FamilyColumnFit, sha256: string | null): SavedFamilyLaw {
  const { comparison: c, input } = result;
  const order = Object.keys(c.shared.params);
  const params = Object.fromEntries(order.map((k) => [k, c.shared.params[k].value]));
  return {
    format: SAVED_LAW_FORMAT,
    format_version: SAVED_LAW_VERSION,
    form: 'families',
    law: c.form,
    formula: c.shared.formula,
    reference: c.reference,
    families: [...c.families],
    params,
    multipliers: Object.fromEntries(c.families.map((f) => [f, f === c.reference ? 1 : c.shared.multipliers[f].value])),
    param_order: order,
    samples: c.samples.map((v) => [...v]),
    level: c.bootstrap ? c.level : null,
    ranges: input.ranges,
    provenance: {
      file: input.file,
      sha256,
      rows: input.rows,
      used: input.used,
      dropped: input.rows - input.used,
      columns: input.columns,
      n: input.used,
      rmse: c.shared.rmse,
      log_rmse: c.shared.logRmse,
      determination: 'over',
      bootstrap_seed: c.bootstrap?.seed ?? null,
      warnings: c.warnings,
      free_parameters: order.length + c.families.length - 1,
    },
  };
}

function parseFamilyLaw(o: Partial<SavedFamilyLaw>, notOne: (why: string) => BitscaleError): SavedFamilyLaw {
  if (o.law !== 'chinchilla' && o.law !== 'saturating') throw notOne(`law '${String(o.law)}' is neither chinchilla nor saturating`);
  if (!Array.isArray(o.families) || typeof o.reference !== 'string' || o.families[0] !== o.reference) throw notOne('no families list starting with its reference');
  if (!Array.isArray(o.param_order) || !o.params || o.param_order.some((k) => !finite(o.params![k]))) throw notOne('params is not finite numbers in param_order');
  if (!o.multipliers || o.families.some((f) => !(finite(o.multipliers![f]) && o.multipliers![f] > 0))) throw notOne('multipliers is not a positive number per family');
  if (!o.ranges?.params || o.families.some((f) => !finite(o.ranges!.params[f]?.min) || !finite(o.ranges!.params[f]?.max))) throw notOne('no range of N per family');
  if (!Array.isArray(o.samples)) throw notOne('no samples');
  return o as SavedFamilyLaw;
}

/** The family's index in the law (0: the reference); a BitscaleError listing the known families otherwise. */
function familyIndex(law: SavedFamilyLaw, family: string | undefined): number {
  const known = law.families.join(', ');
  if (family === undefined) throw new BitscaleError(`this law compares families: give --family F (one of: ${known})`, { field: 'family' });
  const i = law.families.indexOf(family);
  if (i < 0) throw new BitscaleError(`no family '${family}' in this law (families: ${known})`, { field: 'family' });
  return i;
}

export interface FamilyLawPrediction extends SavedLawPrediction {
  family: string;
  multiplier: number;
}

/** L_f(N, D) (or L_f(N)) of one family from a saved families law, with its intervals and how far it extrapolates. */
export function predictFamilyLaw(law: SavedFamilyLaw, family: string | undefined, params: number, tokens: number | undefined): FamilyLawPrediction {
  const f = familyIndex(law, family);
  const joint = law.law === 'chinchilla';
  if (joint && tokens === undefined) throw new BitscaleError('this families law is a chinchilla law: give --tokens D (training tokens)', { field: 'tokens' });
  if (!(params > 0) || (joint && !(tokens! > 0))) throw new BitscaleError('params and tokens must be positive', { field: 'params' });
  const D = joint ? tokens! : 1;
  const vector = [...law.param_order.map((k) => law.params[k]), ...law.families.slice(1).map((g) => law.multipliers[g])];
  const value = multiplierLawLoss(law.law, vector, f, params, D);
  const scatter = scatterOf(law.provenance, law.provenance.free_parameters ?? vector.length);
  const { interval, curveInterval } = drawIntervals(law, scatter, (s) => multiplierLawLoss(law.law, s, f, params, D));
  const name = law.families[f];
  const extrapolation = { params: factorOutside(params, law.ranges.params[name]), tokens: joint && law.ranges.tokens ? factorOutside(D, law.ranges.tokens) : null };
  const warnings: string[] = [];
  if (extrapolation.params !== null) warnings.push(`N is ${extrapolation.params.toFixed(1)}× ${params > law.ranges.params[name].max ? 'beyond the largest' : 'below the smallest'} N of ${name}'s rows (${law.ranges.params[name].min.toExponential(2)}–${law.ranges.params[name].max.toExponential(2)})`);
  if (extrapolation.tokens !== null) warnings.push(`D is ${extrapolation.tokens.toFixed(1)}× ${D > law.ranges.tokens!.max ? 'beyond the largest' : 'below the smallest'} D the law was fitted on (${law.ranges.tokens!.min.toExponential(2)}–${law.ranges.tokens!.max.toExponential(2)})`);
  if (curveInterval === null) warnings.push('the law was saved without bootstrap draws: no interval');
  return { family: name, multiplier: law.multipliers[name], params, tokens: D, value, interval, curveInterval, scatter, extrapolation, warnings, provenance: provenanceLine(law.provenance) };
}
