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
