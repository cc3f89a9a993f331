/**
 * The rules every report chart follows, in one place; charts.ts builds every spec through them:
 *
 * 1. A fitted line is solid only over the range its runs measured; beyond it the line is dashed
 *    and its legend entry says "extrapolated" (`lineStyle`, `splitAtMeasured`).
 * 2. An exactly determined or under-determined fit (as many points as parameters, or fewer) is
 *    drawn dotted (sparser where extrapolated), and its legend entry says so (`lineStyle`).
 * 3. Uncertainty shows the interval and the range over laws (budgetChart draws both).
 * 4. Points that share a position are set apart (`dodge`) and named in the subtitle.
 * 5. No text is placed on the plot: what would label a mark goes into the legend, the subtitle or
 *    the report's tables (and the interactive page's tooltips), so no label can cross a mark.
 * 6. Legends are ordered by the number they name (61.4K < 213.0K < 657.4K), not as text
 *    (`numericOrder`).
 * 7. Colours are Okabe–Ito's colour-blind-safe set (Wong, Nature Methods 8:441, 2011), ordered so
 *    neighbours differ in lightness, and points also differ by shape, so series stay apart in
 *    greyscale; reference lines are a neutral grey (`PALETTE`, `SHAPES`, `NEUTRAL`).
 * 8. An axis spans the data and the prediction points and no more (`logDomain`).
 * 9. Units are in the axis titles, and no raw markup reaches a chart: "S^−β" is drawn "S⁻ᵝ"
 *    (`plainText`, applied to every string of a finished spec by `finishSpec`).
 */
import { parseCount } from '../util/format.js';

/** Okabe–Ito (less its yellow, too light on white), alternating dark and light. */
export const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#CC79A7', '#56B4E9', '#D55E00', '#000000'];
/** Point shapes, in series order: a second cue besides colour. */
export const SHAPES = ['circle', 'square', 'triangle-up', 'diamond', 'cross', 'triangle-down', 'wedge'];
/** Reference lines and their legend (GPU capacity, the prediction marker). */
export const NEUTRAL = '#555555';

export type Determination = 'over' | 'exact' | 'under';
export type Part = 'measured' | 'extrapolated';

const DASH: Record<string, number[]> = { solid: [1, 0], dashed: [7, 4], dotted: [2, 2], sparse: [2, 5] };

/** A line's legend text and its stroke (rules 1 and 2). `law` prefixes the text where a chart draws several laws. */
export function lineStyle(kind: 'fit' | 'segment', determination: Determination, part: Part, law?: string): { label: string; dash: number[]; width: number } {
  const prefix = law ? `${law}: ` : '';
  if (kind === 'segment') return { label: `${prefix}segment joining two runs (no law)`, dash: DASH.solid, width: 1.2 };
  const where = part === 'measured' ? 'over the runs' : 'extrapolated beyond the runs';
  if (determination === 'over') return { label: `${prefix}fit ${where}`, dash: part === 'measured' ? DASH.solid : DASH.dashed, width: 2 };
  const what = determination === 'exact' ? 'exactly determined fit' : 'under-determined fit';
  return { label: `${prefix}${what}, ${where}`, dash: part === 'measured' ? DASH.dotted : DASH.sparse, width: 1.6 };
}

/** The order of line-style legend entries: measured before extrapolated, fits before weaker ones. */
export function styleScale(styles: { label: string; dash: number[]; width: number }[]): { domain: string[]; dash: number[][]; width: number[] } {
  const unique = new Map<string, { label: string; dash: number[]; width: number }>();
  for (const s of styles) unique.set(s.label, s);
  const ordered = [...unique.values()].sort((a, b) => b.width - a.width || Number(a.dash[1] > 0) - Number(b.dash[1] > 0) || (a.label < b.label ? -1 : a.label > b.label ? 1 : 0));
  return { domain: ordered.map((s) => s.label), dash: ordered.map((s) => s.dash), width: ordered.map((s) => s.width) };
}

/** Whether x lies in the measured range [lo, hi] (with a relative tolerance for sampled grids). */
export function partOf(x: number, lo: number, hi: number): Part {
  return x >= lo * (1 - 1e-9) && x <= hi * (1 + 1e-9) ? 'measured' : 'extrapolated';
}

/**
 * Sample a law on a log grid from `from` to `to`, split into the measured part and the parts
 * beyond it; the measured range's ends are samples, so the solid and dashed pieces meet.
 */
export function sampleLaw(f: (x: number) => number, measured: [number, number], from: number, to: number, n = 60): { x: number; y: number; part: Part }[] {
  const [lo, hi] = measured;
  const xs = new Set<number>(logGrid(from, to, n));
  for (const x of [lo, hi]) if (x >= from && x <= to) xs.add(x);
  const sorted = [...xs].sort((a, b) => a - b);
  const out: { x: number; y: number; part: Part }[] = [];
  for (const x of sorted) {
    const part = partOf(x, lo, hi);
    out.push({ x, y: f(x), part });
    // The measured range's ends belong to both pieces, so each piece is drawn joined to the other.
    if ((x === lo && lo > from) || (x === hi && hi < to)) out.push({ x, y: f(x), part: 'extrapolated' });
  }
  return out;
}

export function logGrid(lo: number, hi: number, n = 60): number[] {
  if (!(hi > lo)) return [lo];
  const a = Math.log10(lo);
  const b = Math.log10(hi);
  return Array.from({ length: n + 1 }, (_, i) => 10 ** (a + ((b - a) * i) / n));
}

/** A log axis's domain: the values' extent, padded by 4% of its decades on each side (at least 5%, at most 25%). */
export function logDomain(values: number[]): [number, number] {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  // 4% of the span in decades each side, at least ×1.05 and at most ×1.25 (a span of many decades needs no more room).
  const pad = Math.min(1.25, Math.max(1.05, 10 ** (0.04 * Math.log10(hi / lo))));
  return [lo / pad, hi * pad];
}

/** A linear axis's domain: the extent padded by 6% of its span (or ±5% of the value when flat). */
export function linearDomain(values: number[]): [number, number] {
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const pad = hi > lo ? 0.06 * (hi - lo) : Math.abs(lo) * 0.05 || 1;
  return [lo - pad, hi + pad];
}

/** The first count in a label ("brown, 61.4K, bs=16" → 61400), or NaN. */
export function labelNumber(label: string): number {
  const m = /(?:^|[\s,(=])([0-9]+(?:\.[0-9]+)?[KMBT]?)(?=$|[\s,)])/.exec(label);
  return m ? parseCount(m[1]) : Number.NaN;
}

/** Labels ordered by the number they name, then as text; labels without a number last (rule 6). */
export function numericOrder(labels: Iterable<string>): string[] {
  return [...new Set(labels)].sort((a, b) => {
    const x = labelNumber(a);
    const y = labelNumber(b);
    if (Number.isNaN(x) !== Number.isNaN(y)) return Number.isNaN(x) ? 1 : -1;
    if (!Number.isNaN(x) && x !== y) return x - y;
    return a < b ? -1 : a > b ? 1 : 0;
  });
}

/**
 * Points sharing an x (on a log axis) and lying within `yTolerance` of each other are set apart
 * symmetrically by `step` decades (rule 4); `xd` is where they are drawn, `x` stays the true value.
 * Returns the points with `xd` and the groups that were set apart.
 */
export function dodge<T extends { x: number; y: number }>(points: T[], yTolerance: number, step = 0.012): { points: (T & { xd: number })[]; groups: T[][] } {
  const out = points.map((p) => ({ ...p, xd: p.x }));
  const groups: T[][] = [];
  const seen = new Set<number>();
  out.forEach((p, i) => {
    if (seen.has(i)) return;
    const group = out.map((q, j) => ({ q, j })).filter(({ q, j }) => !seen.has(j) && q.x === p.x && Math.abs(q.y - p.y) <= yTolerance);
    for (const { j } of group) seen.add(j);
    if (group.length < 2) return;
    groups.push(group.map(({ j }) => points[j]));
    group.forEach(({ q }, k) => {
      q.xd = q.x * 10 ** (step * (k - (group.length - 1) / 2));
    });
  });
  return { points: out, groups };
}

const SUPERSCRIPT: Record<string, string> = { '0': '⁰', '1': '¹', '2': '²', '3': '³', '4': '⁴', '5': '⁵', '6': '⁶', '7': '⁷', '8': '⁸', '9': '⁹', '−': '⁻', '-': '⁻', '+': '⁺', 'α': 'ᵅ', 'β': 'ᵝ', '(': '⁽', ')': '⁾' };

/** "S^−β" → "S⁻ᵝ", "C^(0.51)" or "C^0.51" → "C to the power 0.51": no caret reaches a chart (rule 9). */
export function plainText(text: string): string {
  return text.replace(/\^(\([^)]*\)|[−\-+]?[0-9A-Za-zα-ω.]+)/g, (_, raw: string) => {
    const exp = raw.replace(/^\((.*)\)$/, '$1');
    if ([...exp].every((c) => c in SUPERSCRIPT)) return [...exp].map((c) => SUPERSCRIPT[c]).join('');
    return ` to the power ${exp}`;
  });
}

/** Keys whose strings are vega expressions, formats or field names: never rewritten. */
const CODE_KEYS = new Set(['$schema', 'field', 'labelExpr', 'expr', 'test', 'format', 'type', 'name', 'param', 'shape', 'input']);

/** Every human-readable string of a spec through `plainText`. */
export function finishSpec<T>(spec: T): T {
  const walk = (v: unknown, key: string): unknown => {
    if (typeof v === 'string') return CODE_KEYS.has(key) ? v : plainText(v);
    if (Array.isArray(v)) return v.map((x) => walk(x, key));
    if (v !== null && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, walk(x, k)]));
    return v;
  };
  return walk(spec, '') as T;
}

/** Interactive-page switches (bound to checkboxes in the HTML report; their defaults are what the SVG shows). */
export const SHOW_EXTRAPOLATION = 'show_extrapolation';
export const SHOW_TRACES = 'show_run_curves';
export function toggles(opts: { extrapolation: boolean; traces: boolean }): object[] {
  return [
    ...(opts.extrapolation ? [{ name: SHOW_EXTRAPOLATION, value: true, bind: { input: 'checkbox', name: 'show the extrapolated part ' } }] : []),
    ...(opts.traces ? [{ name: SHOW_TRACES, value: false, bind: { input: 'checkbox', name: "show each run's validation curve " } }] : []),
  ];
}

/** The opacity channel that hides extrapolated rows when the page's checkbox is off (nothing when the chart has no such toggle). */
export function extrapolationOpacity(toggled: boolean, test = `datum.part === 'extrapolated'`): object {
  return toggled ? { opacity: { condition: { test: `${test} && !${SHOW_EXTRAPOLATION}`, value: 0 }, value: 1 } } : {};
}
