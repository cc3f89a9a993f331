/**
 * The one parser for numbers users type: command-line options, `--set` values, CSV cells that hold
 * counts. Accepts plain and scientific notation and the K/M/B/T suffixes everywhere ("30K",
 * "369.6M", "1e9"), then checks the kind (integer or real) and the range, and throws a
 * BitscaleError naming the field otherwise.
 */
import { BitscaleError, type ErrorLocation } from './errors.js';

export interface NumberSpec {
  /** Must be a whole number after the suffix is applied ("2.5K" is 2500 and passes; "30.5" does not). */
  integer?: boolean;
  /** Smallest allowed value (inclusive unless minExclusive). */
  min?: number;
  minExclusive?: boolean;
  /** Largest allowed value (inclusive unless maxExclusive). */
  max?: number;
  maxExclusive?: boolean;
  /** Accept K/M/B/T suffixes (default true). */
  suffixes?: boolean;
}

const SUFFIX_SCALE: Record<string, number> = { '': 1, k: 1e3, m: 1e6, b: 1e9, t: 1e12 };

/**
 * "369.6M" → 369600000, "30K" → 30000, "1e9" → 1e9, "-0.5" → -0.5; NaN for anything else.
 * The scaled value is rounded to 6 decimals so that "46.4M" is exactly 46400000.
 */
export function parseNumberText(text: string, suffixes = true): number {
  const m = /^\s*([+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[+-]?[0-9]+)?)\s*([kKmMbBtT]?)\s*$/i.exec(text);
  if (!m || (!suffixes && m[2] !== '')) return Number.NaN;
  const scale = SUFFIX_SCALE[m[2].toLowerCase()];
  const value = Number(m[1]) * scale;
  return scale === 1 ? value : Math.round(value * 1e6) / 1e6;
}

function describe(spec: NumberSpec): string {
  const kind = spec.integer ? 'an integer' : 'a number';
  const lo = spec.min === undefined ? '' : `${spec.minExclusive ? '>' : '≥'} ${spec.min}`;
  const hi = spec.max === undefined ? '' : `${spec.maxExclusive ? '<' : '≤'} ${spec.max}`;
  const range = [lo, hi].filter(Boolean).join(' and ');
  return range ? `${kind} ${range}` : kind;
}

/** Check an already-numeric value against a spec; throws naming the field. */
export function checkNumber(value: number, spec: NumberSpec, where: ErrorLocation, shown: string = String(value)): number {
  const bad =
    !Number.isFinite(value) ||
    (spec.integer && !Number.isSafeInteger(value)) ||
    (spec.min !== undefined && (spec.minExclusive ? value <= spec.min : value < spec.min)) ||
    (spec.max !== undefined && (spec.maxExclusive ? value >= spec.max : value > spec.max));
  if (bad) throw new BitscaleError(`expected ${describe(spec)}, got '${shown}'`, where);
  return value;
}

/** Parse text as a number per spec; throws `field 'steps': expected an integer ≥ 1, got '30.5'`. */
export function parseNumber(text: string, field: string, spec: NumberSpec = {}): number {
  const value = parseNumberText(text, spec.suffixes ?? true);
  return checkNumber(value, spec, { field }, text);
}

/**
 * A commander argParser for a numeric option: `.option('--steps <n>', '…', numberOption('steps',
 * { integer: true, min: 1 }))`. The option's value is then a number, checked at parse time.
 */
export function numberOption(field: string, spec: NumberSpec = {}): (text: string) => number {
  return (text: string) => parseNumber(text, field, spec);
}

/** Common specs, so that the same quantity has the same bounds in every command. */
export const POSITIVE_INT: NumberSpec = { integer: true, min: 1 };
export const NON_NEGATIVE_INT: NumberSpec = { integer: true, min: 0 };
export const POSITIVE_REAL: NumberSpec = { min: 0, minExclusive: true };
/** A fraction in (0, 1], e.g. MFU. */
export const FRACTION: NumberSpec = { min: 0, minExclusive: true, max: 1 };
/** A fraction of memory kept free, in [0, 1). */
export const HEADROOM: NumberSpec = { min: 0, max: 1, maxExclusive: true };
/** A probability level strictly inside (0, 1), e.g. an interval's coverage. */
export const LEVEL: NumberSpec = { min: 0, minExclusive: true, max: 1, maxExclusive: true };

/**
 * Quantities several commands take, with one range each (estimate, predict, train, the report):
 * a batch of sequences (≤ 10^7), optimizer steps (≤ 10^12), a model dimension (≤ 10^6), a
 * vocabulary or context length (≤ 10^7), a random seed (32-bit), bootstrap resamples (≤ 10^6).
 */
export const BATCH_SIZE: NumberSpec = { integer: true, min: 1, max: 1e7 };
export const STEPS: NumberSpec = { integer: true, min: 1, max: 1e12 };
export const MODEL_DIM: NumberSpec = { integer: true, min: 1, max: 1e6 };
export const SEQUENCE: NumberSpec = { integer: true, min: 1, max: 1e7 };
export const SEED: NumberSpec = { integer: true, min: 0, max: 2 ** 32 - 1 };
export const RESAMPLES: NumberSpec = { integer: true, min: 0, max: 1e6 };
/** A parameter count (≤ 10^15). */
export const PARAM_COUNT: NumberSpec = { integer: true, min: 1, max: 1e15 };

const NATURAL_TOKEN = /[0-9]+(?:\.[0-9]+)?(?:e[+-]?[0-9]+)?|[^0-9]+/gi;

/**
 * Order strings as a reader expects numbers in them: runs of digits (with a decimal part and
 * exponent) compare as numbers, the rest by code point, so "params=19520" < "params=37568" <
 * "params=212992" (code-point order puts 212992 before 37568). Ties fall back to code point order,
 * so the order is total and the same on every machine (no locale).
 */
export function byNaturalOrder(a: string, b: string): number {
  const x = a.match(NATURAL_TOKEN) ?? [];
  const y = b.match(NATURAL_TOKEN) ?? [];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const [p, q] = [x[i], y[i]];
    if (p === q) continue;
    const numeric = /^[0-9]/.test(p) && /^[0-9]/.test(q);
    const d = numeric ? Number(p) - Number(q) : p < q ? -1 : 1;
    if (d !== 0) return d < 0 ? -1 : 1;
  }
  return x.length - y.length || (a < b ? -1 : a > b ? 1 : 0);
}
