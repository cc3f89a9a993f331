/**
 * Human formatting with explicit units. Counts print with an SI suffix (46,399,488 → "46.4M");
 * bytes print in binary units (GiB); durations in s / min / h.
 */
import { parseNumberText } from './numbers.js';

/** 46399488 → "46.4M", 369623040 → "369.6M", 983040000 → "983.0M", 2.1e9 → "2.10B". */
export function formatCount(n: number, digits = 1): string {
  const abs = Math.abs(n);
  if (abs >= 1e12) return `${(n / 1e12).toFixed(2)}T`;
  if (abs >= 1e9) return `${(n / 1e9).toFixed(2)}B`;
  if (abs >= 1e6) return `${(n / 1e6).toFixed(digits)}M`;
  if (abs >= 1e3) return `${(n / 1e3).toFixed(digits)}K`;
  return `${n}`;
}

/**
 * A step (or other integer) count, compact only where that is exact: 15000 → "15K", 40000 → "40K",
 * but 1120 → "1,120" and 30339 → "30,339" (formatCount(1120, 0) would print "1K").
 */
export function formatSteps(n: number): string {
  if (!Number.isInteger(n) || Math.abs(n) < 1e3) return `${n}`;
  for (const [unit, suffix] of [[1e12, 'T'], [1e9, 'B'], [1e6, 'M'], [1e3, 'K']] as const) {
    if (Math.abs(n) >= unit) return n % unit === 0 || (Math.abs(n) >= 1e6 && (n * 100) % unit === 0) ? `${n / unit}${suffix}` : formatInteger(n);
  }
  return formatInteger(n);
}

/** 369623040 → "369,623,040" (locale-independent). */
export function formatInteger(n: number): string {
  return Math.round(n).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * Parse a count as users write it: "369.6M", "46.4m", "5.5e6", "15K", "2B", "1234"; NaN for
 * anything else. The one reader is parseNumberText (src/util/numbers.ts); this name stays for its callers.
 */
export function parseCount(text: string): number {
  return /^\s*-/.test(text) ? Number.NaN : parseNumberText(text);
}

/** Bytes in binary units: 1.5 × 2^30 → "1.50 GiB". */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = bytes;
  let i = 0;
  while (Math.abs(v) >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${v} B` : `${v.toFixed(2)} ${units[i]}`;
}

const BYTE_UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/**
 * One binary unit for a whole column of byte counts (never "704.50 MiB" above "1.38 GiB"): the unit
 * formatBytes would give the largest value; two decimals, or two significant digits below 0.01.
 */
export function formatBytesColumn(values: readonly number[]): string[] {
  const max = Math.max(0, ...values.map(Math.abs));
  let i = 0;
  while (max >= 1024 ** (i + 1) && i < BYTE_UNITS.length - 1) i++;
  return values.map((v) => {
    if (i === 0) return `${v} B`;
    const x = v / 1024 ** i;
    return `${x !== 0 && Math.abs(x) < 0.01 ? String(Number(x.toPrecision(2))) : x.toFixed(2)} ${BYTE_UNITS[i]}`;
  });
}

/** Seconds → "5.00 µs", "0.5 ms", "276 ms", "42.0 s", "69.0 min", "11.5 h". */
export function formatDuration(seconds: number): string {
  if (seconds === 0) return '0 s';
  if (seconds < 1e-3) return `${Number((seconds * 1e6).toPrecision(3))} µs`;
  if (seconds < 1) return `${Number((seconds * 1000).toPrecision(3))} ms`;
  if (seconds < 120) return `${seconds.toFixed(1)} s`;
  if (seconds < 7200) return `${(seconds / 60).toFixed(1)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

export type DurationUnit = 's' | 'min' | 'h';
const UNIT_SECONDS: Record<DurationUnit, number> = { s: 1, min: 60, h: 3600 };

/**
 * One unit for a whole column of durations (a table never mixes "101.5 s" with "2.2 min"): the unit
 * formatDuration would give the largest value (s, min or h); each cell is the value in that unit,
 * one decimal, or two significant digits below 0.1, followed by the unit. null cells print as `missing`.
 */
export function formatDurationColumn(values: readonly (number | null)[], missing = '-'): { unit: DurationUnit; cells: string[] } {
  const max = Math.max(0, ...values.filter((v): v is number => v !== null));
  const unit: DurationUnit = max < 120 ? 's' : max < 7200 ? 'min' : 'h';
  const cells = values.map((v) => {
    if (v === null) return missing;
    const x = v / UNIT_SECONDS[unit];
    return `${x !== 0 && Math.abs(x) < 0.1 ? String(Number(x.toPrecision(2))) : x.toFixed(1)} ${unit}`;
  });
  return { unit, cells };
}

/** A plain-text table with aligned columns (numbers right-aligned). */
export function formatTable(headers: string[], rows: (string | number)[][]): string {
  const cells = rows.map((r) => r.map((c) => String(c)));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => (r[i] ?? '').length)));
  const numeric = headers.map((_, i) => rows.length > 0 && rows.every((r) => typeof r[i] === 'number' || /^[-−+]?[0-9.,]+[%A-Za-z ]*$/.test(String(r[i]))));
  const pad = (s: string, i: number) => (numeric[i] ? s.padStart(widths[i]) : s.padEnd(widths[i]));
  const line = (r: string[]) => r.map((c, i) => pad(c, i)).join('  ').trimEnd();
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...cells.map(line)].join('\n');
}

// ---------------------------------------------------------------------------------------------
// Losses, signs, percentages, intervals, shapes: the one place each is written.

const MINUS = '−';

/** A loss (bits per byte or per token) to three decimals: 1.4072 → "1.407". */
export function formatLoss(v: number, digits = 3): string {
  return v.toFixed(digits);
}

/** A value with an explicit sign and a true minus: 0.012 → "+0.012", −0.5 → "−0.500". */
export function formatSigned(v: number, digits = 3): string {
  return `${v < 0 ? MINUS : '+'}${Math.abs(v).toFixed(digits)}`;
}

/** A fraction as a percentage: 0.1234 → "12.3%" (digits decimals; a true minus below zero). */
export function formatPercent(fraction: number, digits = 1): string {
  return `${(100 * fraction).toFixed(digits)}%`.replace(/^-/, MINUS);
}

/** A fraction as a signed percentage: 0.04 → "+4%", −0.113 → "−11%". */
export function formatSignedPercent(fraction: number, digits = 0): string {
  return `${fraction < 0 ? MINUS : '+'}${Math.abs(100 * fraction).toFixed(digits)}%`;
}

/** Bytes in GiB always (for tables that compare against a GPU's capacity): 1.5 × 2^30 → "1.50 GiB". */
export function formatGiB(bytes: number, digits = 2): string {
  return `${(bytes / 2 ** 30).toFixed(digits)} GiB`;
}

/**
 * A fitted number: fixed notation, or exponential beyond [1e-3, 1e4), with a true minus:
 * 0.3412 → "0.341", 12340 → "1.234e+4", −2e-5 → "−2.000e-5". Non-finite values print as `missing`.
 */
export function formatNumber(v: number, digits = 3, missing = '-'): string {
  if (!Number.isFinite(v)) return missing;
  const text = Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(digits) : v.toFixed(digits);
  return text.replace(/^-/, MINUS);
}

/** An interval as "[1.392, 1.422] (80%)", "[1.392, 1.422]" without its level, or `missing` for none. */
export function formatInterval(i: { lo: number; hi: number; level?: number } | null | undefined, digits = 3, opts: { level?: boolean; missing?: string } = {}): string {
  if (!i) return opts.missing ?? '—';
  const range = `[${formatNumber(i.lo, digits)}, ${formatNumber(i.hi, digits)}]`;
  return opts.level === false || i.level === undefined ? range : `${range} (${Math.round(i.level * 100)}%)`;
}

/** A multiplicative factor: 1.5 → "1.5×", 25000 → "25,000×", 1e25 → "1.0e+25×". */
export function formatFactor(f: number): string {
  if (f < 10) return `${f.toFixed(1)}×`;
  // formatInteger, not toLocaleString: the same digits, without ICU's number formatter (~15 ms on first use).
  if (f < 1e7) return `${formatInteger(Number(f.toPrecision(2)))}×`;
  return `${f.toExponential(1)}×`;
}

/** The shape fields every label names. */
export interface ShapeFields {
  d: number;
  layers: number;
  heads: number;
  dFf: number;
}

/**
 * A model shape: "d=1024 L=8 H=32 d_ff=512" (separator ' '), or with ', ' between fields for prose;
 * `extra` appends more "key=value" fields in order (T, V, bs...).
 */
export function formatShape(c: ShapeFields, opts: { separator?: string; extra?: Record<string, string | number> } = {}): string {
  const fields = [`d=${c.d}`, `L=${c.layers}`, `H=${c.heads}`, `d_ff=${c.dFf}`, ...Object.entries(opts.extra ?? {}).map(([k, v]) => `${k}=${v}`)];
  return fields.join(opts.separator ?? ' ');
}

// cli

/**
 * A fitted parameter in the CLI's tables: formatNumber with `digits` decimals in fixed notation but
 * three in the exponential form: 0.218341 → "0.2183", 4.688e-5 → "4.688e-5", 65130 → "6.513e+4".
 */
export function formatParam(v: number, digits = 4): string {
  const short = formatNumber(v, 3);
  return short.includes('e') ? short : formatNumber(v, digits);
}

/** A range with an en dash, `digits` decimals at each end: (1.3931, 1.4252) → "1.393–1.425"; an open end (null), digits 2 → "2.00–∞". */
export function formatRange(lo: number, hi: number | null, digits = 3): string {
  return `${lo.toFixed(digits)}–${hi === null ? '∞' : hi.toFixed(digits)}`;
}

/** Seconds to three significant digits: 2.134 → "2.13 s", 42.04 → "42 s"; below a second as formatDuration: 0.0005 → "500 µs". */
export function formatSeconds(seconds: number): string {
  return seconds >= 1 ? `${Number(seconds.toPrecision(3))} s` : formatDuration(seconds);
}

/** A fitted parameter's interval in the CLI's tables, its ends as formatParam prints them: "[2.4327, 4.921e+8]", or "-" for none. */
export function formatParamInterval(i: { lo: number; hi: number } | null | undefined, digits = 4): string {
  return i ? `[${formatParam(i.lo, digits)}, ${formatParam(i.hi, digits)}]` : '-';
}

// ---------------------------------------------------------------------------------------------
// report

/** A learning rate, short: 6e-4 → "6e-4", 1.5e-3 → "1.5e-3". */
export function formatLearningRate(lr: number): string {
  return lr.toExponential(1).replace('.0e', 'e');
}

/** Bytes in MiB always (the memory model against a measured peak): 704.5 × 2^20 → "704.50 MiB". */
export function formatMiB(bytes: number, digits = 2): string {
  return `${(bytes / 2 ** 20).toFixed(digits)} MiB`;
}

/** A count with its noun: (1, 'run') → "1 run", (3, 'run') → "3 runs". */
export function formatNoun(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}
