/**
 * A joint law L(N, D) = E + A/N^α + B/D^β saved to a file (`bitscale fit --csv … --form chinchilla
 * --save FILE`) and predictions from it (`bitscale predict --law FILE`, `bitscale plan --law FILE`):
 * the parameters, the bootstrap draws (for a prediction interval), the ranges of N and D it was
 * fitted on (to flag extrapolation) and its provenance (file, sha256, columns, rows). Pure apart
 * from nothing: the CLI reads and writes the text.
 */
import { BitscaleError } from '../util/errors.js';
import { CHINCHILLA_FORMULA, chinchillaLoss, type ChinchillaParams } from './chinchilla.js';
import type { ColumnFit } from './columns.js';
import { percentileInterval } from './resample.js';
import { seededRandom } from './stats.js';
import { standardNormal } from './predict.js';
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
  provenance: {
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
  };
}

/** The saved form of a chinchilla fit made by fitColumns (`sha256` of the CSV text, computed by the caller). */
export function savedLawFromFit(result: ColumnFit, sha256: string | null): SavedLaw {
  const { fit, input } = result;
  if (fit.form !== 'chinchilla' || !input.ranges.d) throw new BitscaleError(`only a chinchilla-form fit can be saved as a law (this one is ${fit.form})`, { field: 'save' });
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
    provenance: {
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
    },
  };
}

const finite = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** Check parsed JSON is a saved law; a BitscaleError naming the file otherwise. */
export function parseSavedLaw(raw: unknown, file: string): SavedLaw {
  const notOne = (why: string) => new BitscaleError(`not a saved fit (${why}); write one with bitscale fit --csv FILE --form chinchilla --save law.json`, { file });
  if (typeof raw !== 'object' || raw === null) throw notOne('not a JSON object');
  const o = raw as Partial<SavedLaw>;
  if (o.format !== SAVED_LAW_FORMAT) throw notOne(`no "format": "${SAVED_LAW_FORMAT}"`);
  if (o.format_version !== SAVED_LAW_VERSION) throw notOne(`format_version ${String(o.format_version)}, this bitscale reads ${SAVED_LAW_VERSION}`);
  if (o.form !== 'chinchilla') throw notOne(`form '${String(o.form)}', only chinchilla laws predict from N and D`);
  const p = o.params as Record<string, unknown> | undefined;
  for (const k of ['E', 'A', 'B', 'alpha', 'beta']) if (!p || !finite(p[k])) throw notOne(`params.${k} is not a finite number`);
  const r = o.ranges;
  if (!r || !finite(r.params?.min) || !finite(r.params?.max) || !finite(r.tokens?.min) || !finite(r.tokens?.max)) throw notOne('no ranges of N and D');
  if (!Array.isArray(o.samples) || !Array.isArray(o.param_order)) throw notOne('no samples / param_order');
  return o as SavedLaw;
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
  let interval: Interval | null = null;
  let curveInterval: Interval | null = null;
  const dof = law.provenance.n - 5;
  // The fit's residual standard error in ln(loss), where the law is fitted.
  const scatter = dof > 0 && typeof law.provenance.log_rmse === 'number' && Number.isFinite(law.provenance.log_rmse) ? law.provenance.log_rmse * Math.sqrt(law.provenance.n / dof) : null;
  if (law.samples.length >= 2 && law.level !== null) {
    const values = law.samples.map((s) => chinchillaLoss(Object.fromEntries(law.param_order.map((k, i) => [k, s[i]])) as ChinchillaParams, params, tokens)).filter(Number.isFinite);
    if (values.length >= 2) {
      curveInterval = percentileInterval(values, law.level);
      const random = seededRandom((law.provenance.bootstrap_seed ?? 1) + 7919);
      interval = scatter === null ? null : percentileInterval(values.map((v) => v * Math.exp(scatter * standardNormal(random))), law.level);
    }
  }
  const extrapolation = { params: factorOutside(params, law.ranges.params), tokens: factorOutside(tokens, law.ranges.tokens) };
  const warnings: string[] = [];
  if (extrapolation.params !== null) warnings.push(`N is ${extrapolation.params.toFixed(1)}× ${params > law.ranges.params.max ? 'beyond the largest' : 'below the smallest'} N the law was fitted on (${law.ranges.params.min.toExponential(2)}–${law.ranges.params.max.toExponential(2)})`);
  if (extrapolation.tokens !== null) warnings.push(`D is ${extrapolation.tokens.toFixed(1)}× ${tokens > law.ranges.tokens.max ? 'beyond the largest' : 'below the smallest'} D the law was fitted on (${law.ranges.tokens.min.toExponential(2)}–${law.ranges.tokens.max.toExponential(2)})`);
  if (curveInterval === null) warnings.push('the law was saved without bootstrap draws: no interval');
  else if (interval === null) warnings.push(`the law leaves no residual degree of freedom (n = ${law.provenance.n}) or was saved without its log residual scale: only the curve's bootstrap interval, no prediction interval for a new run`);
  const pv = law.provenance;
  const provenance = `${pv.file ?? 'a table'}${pv.sha256 ? ` (sha256 ${pv.sha256.slice(0, 12)}…)` : ''}: ${pv.used} of ${pv.rows} rows, columns ${Object.entries(pv.columns).map(([k, v]) => `${k}=${v}`).join(', ')}; n ${pv.n}, RMSE ${pv.rmse.toPrecision(3)}, ${pv.determination}-determined`;
  return { params, tokens, value, interval, curveInterval, scatter, extrapolation, warnings, provenance };
}
