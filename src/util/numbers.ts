/**
 * The one number validator: numbers users type (command-line options, `--set` values), numbers a
 * results table's cells hold, and numbers a run log's records hold. Text is read by
 * parseNumberText (plain and scientific notation, K/M/B/T suffixes where allowed: "30K",
 * "369.6M", "1e9"); the kind (integer or real) and the range are a NumberSpec, checked by one rule
 * (brokenRule). Two wordings of the same rule: an option's message states the whole expectation
 * (`field 'steps': expected an integer ≥ 1, got '30.5'`), since the user typed it and retypes it;
 * a file's field names the one rule broken (`field 'val_bpc': must be ≥ 0, got -1`), as the run
 * log's and the CSV's messages always have.
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

/** The first rule of `spec` that `value` breaks, or null when it keeps them all. */
function brokenRule(value: number, spec: NumberSpec, integer: (v: number) => boolean): 'finite' | 'integer' | 'min' | 'max' | null {
  if (!Number.isFinite(value)) return 'finite';
  if (spec.integer && !integer(value)) return 'integer';
  if (spec.min !== undefined && (spec.minExclusive ? value <= spec.min : value < spec.min)) return 'min';
  if (spec.max !== undefined && (spec.maxExclusive ? value >= spec.max : value > spec.max)) return 'max';
  return null;
}

/**
 * Check an already-numeric option value against a spec; throws naming the field. Integers must be
 * safe (≤ 2^53), so that a count typed as 1e20 is refused rather than rounded.
 */
export function checkNumber(value: number, spec: NumberSpec, where: ErrorLocation, shown: string = String(value)): number {
  if (brokenRule(value, spec, Number.isSafeInteger)) throw new BitscaleError(`expected ${describe(spec)}, got '${shown}'`, where);
  return value;
}

/** A number a file holds: a run log's field or a results table's cell. */
export interface FieldSpec extends NumberSpec {
  /** Absent is allowed (the checkers then return null). */
  optional?: boolean;
  /** JSON null is allowed (the checkers then return null). */
  nullable?: boolean;
}

/** A JSON value as a message shows it: `"lots"`, `[1,2]`, `NaN`. */
export function showValue(v: unknown): string {
  if (typeof v === 'number' && !Number.isFinite(v)) return String(v);
  return JSON.stringify(v) ?? String(v);
}

const NOT_FINITE_TEXT = /^[-+]?(nan|inf(inity)?)$/i;

/**
 * Check a field's value as read from a file (any JSON value); returns the number, or null where
 * `spec` allows it absent or null. JSON has no NaN, so a writer's NaN arrives as the string "NaN"
 * or as null, and is named as such. Throws naming the one rule broken:
 * missing · is null, expected a number · is NaN, expected a finite number · expected a number,
 * got "x" · expected an integer, got 2.5 · must be positive, got 0 · must be ≥ 0, got -1.
 */
export function checkField(value: unknown, spec: FieldSpec, where: ErrorLocation, shown?: string): number | null {
  const fail = (problem: string): never => {
    throw new BitscaleError(problem, where);
  };
  if (value === undefined) return spec.optional ? null : fail('missing');
  if (value === null) return spec.nullable ? null : fail('is null, expected a number');
  if (typeof value !== 'number') {
    if (typeof value === 'string' && NOT_FINITE_TEXT.test(value.trim())) fail(`is ${value.trim()}, expected a finite number`);
    fail(`expected a number, got ${showValue(value)}`);
  }
  const v = value as number;
  const got = shown ?? String(v);
  switch (brokenRule(v, spec, Number.isInteger)) {
    case 'finite':
      return fail(`is ${v}, expected a finite number`);
    case 'integer':
      return fail(`expected an integer, got ${got}`);
    case 'min': {
      // "> 0" and, for integers, "≥ 1" are both the positive numbers.
      const positive = spec.minExclusive ? spec.min === 0 : spec.integer && spec.min === 1;
      return fail(positive ? `must be positive, got ${got}` : `must be ${spec.minExclusive ? '>' : '≥'} ${spec.min}, got ${got}`);
    }
    case 'max':
      return fail(`must be ${spec.maxExclusive ? '<' : '≤'} ${spec.max}, got ${got}`);
  }
  return v;
}

/**
 * A results table's cell as a number per `spec` (undefined: the cell is empty). Only decimal
 * numbers are numbers (no hex, no "1,5"); K/M/B/T suffixes only where `spec.suffixes` says (a
 * count, such as params). Messages as checkField's, showing the cell as written, plus
 * `empty value` and `not a number: 'abc'`.
 */
export function parseField(text: string | undefined, spec: FieldSpec, where: ErrorLocation): number | null {
  if (text === undefined) {
    if (spec.optional) return null;
    throw new BitscaleError('empty value', where);
  }
  if (NOT_FINITE_TEXT.test(text)) throw new BitscaleError(`is ${text}, expected a finite number`, where);
  const v = parseNumberText(text, spec.suffixes ?? false);
  if (Number.isNaN(v)) throw new BitscaleError(`not a number: '${text}'`, where);
  return checkField(v, spec, where, text);
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
/** A peak learning rate: positive, at most 10 (AdamW runs use 1e-4 to 1e-2). */
export const LEARNING_RATE: NumberSpec = { min: 0, minExclusive: true, max: 10 };
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
