/**
 * The report's charts: pure builders from plain data to vega-lite specs, and one headless
 * renderer (vega-lite → vega → SVG, renderer 'none': no browser, no canvas). Same data → same SVG.
 */
import { createRequire } from 'node:module';
import type { TopLevelSpec } from 'vega-lite';
import { formatCount } from '../util/format.js';
import { dodge, finishSpec, linearDomain, lineStyle, logDomain, NEUTRAL, numericOrder, PALETTE, sampleLaw, SHAPES, extrapolationOpacity, SHOW_TRACES, styleScale, toggles, type Determination, type Part } from './chart-rules.js';

// vega and vega-lite are loaded with require(): both ship CommonJS builds (~1 MB), and an ES
// `import` of CommonJS makes Node scan their source for named exports first (~0.1 s of CPU on
// every report). They are loaded on first use, not with this module: the spec builders need
// neither, and the report renders in a worker thread that loads them while the fits run
// (./chart-worker.ts).
const require = createRequire(import.meta.url);
let renderers: { vega: typeof import('vega'); vl: typeof import('vega-lite') } | null = null;

/** Load vega and vega-lite (about a third of a second), once. */
export function loadRenderer(): { vega: typeof import('vega'); vl: typeof import('vega-lite') } {
  renderers ??= { vega: require('vega'), vl: require('vega-lite') };
  return renderers;
}

const WIDTH = 560;
const HEIGHT = 320;
const FONT = 'Helvetica, Arial, sans-serif';

/** Shared look: white background, readable type at GitHub's rendering width. */
const CONFIG = {
  background: 'white',
  font: FONT,
  axis: { labelFontSize: 12, titleFontSize: 13, grid: true, gridColor: '#e6e6e6' },
  legend: { labelFontSize: 12, titleFontSize: 12, symbolOpacity: 1, layout: { bottom: { direction: 'vertical', anchor: 'start', margin: 6 } } },
  title: { fontSize: 15, anchor: 'start' as const, subtitleFontSize: 12, subtitleColor: '#555' },
  view: { stroke: '#ccc' },
};

/** Legends under the plot, one entry a line. vega estimates text width without a canvas (generously), hence the large limit. */
const LEGEND = { orient: 'bottom' as const, columns: 1, labelLimit: 700 };
/** A legend of line styles: long grey strokes, so a dash pattern shows. */
const LINE_LEGEND = { ...LEGEND, symbolType: 'stroke', symbolStrokeColor: NEUTRAL, symbolSize: 300, symbolStrokeWidth: 2 };

/** A subtitle as lines, split at '; ' (one long line would widen the whole SVG). */
function subtitleLines(subtitle: string | undefined): string[] | undefined {
  return subtitle?.split('; ');
}

/** What every chart's spec starts with: schema, title and subtitle lines, size and the shared look. */
function chartFrame(text: string, subtitle: string | undefined) {
  return { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', title: { text, subtitle: subtitleLines(subtitle) }, width: WIDTH, height: HEIGHT, config: CONFIG };
}

/** Render a vega-lite spec to an SVG string. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  const { vega, vl } = loadRenderer();
  const compiled = vl.compile(spec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg.endsWith('\n') ? svg : `${svg}\n`;
}

export interface ObservedPoint {
  series: string;
  x: number;
  y: number;
  /** The run id, for the tooltip. */
  run?: string;
}

/** A fitted law drawn as a line: solid over `measured`, dashed from there out to `drawn` (rules 1–2). */
export interface LawLine {
  series: string;
  /** Which law, where a chart draws several per series (e.g. "A held at 1" / "A fitted"). */
  law?: string;
  determination: Determination;
  /** The x range the fit's runs measured. */
  measured: [number, number];
  /** The x range to draw (default: `measured`); beyond `measured` the line is extrapolation. */
  drawn?: [number, number];
  f: (x: number) => number;
}

/** Measured points joined without a law (fewer step counts than a law needs). */
export interface Segment {
  series: string;
  points: { x: number; y: number }[];
}

export interface BandPoint {
  series: string;
  x: number;
  lo: number;
  hi: number;
}

export interface IntervalBar {
  x: number;
  /** The interval. */
  lo: number;
  hi: number;
  /** The range over laws: the interval ∪ the other laws' values. */
  rangeLo: number;
  rangeHi: number;
}

export interface TracePoint {
  series: string;
  run: string;
  x: number;
  y: number;
}

interface XYChartInput {
  title: string;
  subtitle?: string;
  xTitle: string;
  yTitle: string;
  observed: ObservedPoint[];
  laws?: LawLine[];
  segments?: Segment[];
  bands?: BandPoint[];
  /** Prediction points (a diamond each, named in the legend). */
  markers?: { x: number; y: number; label: string }[];
  /** Bars at prediction points: a thick one for the interval, a thin one for the range over laws (rule 3), neutral like the markers. */
  intervals?: IntervalBar[];
  /** Area of a prediction's diamond (default 150; smaller where bars must show around it). */
  markerSize?: number;
  /** Each run's validation curve: hidden in the SVG, a checkbox shows them on the interactive page. */
  traces?: TracePoint[];
  /** Label large counts as powers of ten (FLOPs) rather than with SI suffixes. */
  powerAxis?: boolean;
}

/** Tick values on a log axis inside `domain`: 1, 2, 5 × 10^k, or every integer multiple when that gives fewer than three. */
function logTicks(domain: [number, number]): number[] {
  const powers = Array.from({ length: 31 }, (_, i) => 10 ** (i - 3));
  const within = (ms: number[]) => powers.flatMap((p) => ms.map((m) => m * p)).filter((v) => v >= domain[0] && v <= domain[1]);
  const coarse = within([1, 2, 5]);
  return coarse.length >= 3 ? coarse : within([1, 2, 3, 4, 5, 6, 7, 8, 9]);
}

function xEncoding(title: string, domain: [number, number], power = false, field = 'x') {
  const decades = Math.log10(domain[1] / domain[0]);
  const values = power && decades > 3 ? logTicks(domain).filter((v) => Number.isInteger(Math.log10(v))) : logTicks(domain);
  return {
    field,
    type: 'quantitative' as const,
    scale: { type: 'log' as const, domain, nice: false },
    title,
    axis: { values, labelExpr: power ? "format(datum.value, '.0e')" : "replace(format(datum.value, '~s'), 'G', 'B')" },
  };
}

/** Colour and shape by series, one shared legend in numeric order (rules 6–7); `extra` entries (predictions) come last, neutral diamonds. */
function seriesChannels(series: string[], extraLabels: string[] = []) {
  const extra = [...new Set(extraLabels)];
  const ordered = numericOrder(series).filter((x) => !extra.includes(x));
  const domain = [...ordered, ...extra];
  const cycle = <T>(xs: T[]) => ordered.map((_, i) => xs[i % xs.length]);
  return {
    color: { field: 'series', type: 'nominal' as const, title: null, legend: LEGEND, scale: { domain, range: [...cycle(PALETTE), ...extra.map(() => NEUTRAL)] } },
    shape: { field: 'series', type: 'nominal' as const, title: null, legend: LEGEND, scale: { domain, range: [...cycle(SHAPES), ...extra.map(() => 'diamond')] } },
  };
}

/**
 * Measured points, fitted laws and optional interval bands on a log-x axis: the shape of the
 * step, parameter and compute charts. Everything goes through chart-rules.ts.
 */
function logXChart(input: XYChartInput): TopLevelSpec {
  const laws = input.laws ?? [];
  const segments = input.segments ?? [];
  const markers = input.markers ?? [];
  const xs = [...input.observed.map((p) => p.x), ...markers.map((m) => m.x), ...(input.intervals ?? []).map((b) => b.x), ...laws.flatMap((l) => l.drawn ?? l.measured), ...segments.flatMap((s) => s.points.map((p) => p.x))];
  const domain = logDomain(xs);
  const severalLaws = new Set(laws.map((l) => l.law ?? '')).size > 1;
  const lines = [
    ...laws.flatMap((l) => {
      const [from, to] = l.drawn ?? l.measured;
      return sampleLaw(l.f, l.measured, from, to).map((p) => ({ series: l.series, x: p.x, y: p.y, part: p.part, style: lineStyle('fit', l.determination, p.part, severalLaws ? l.law : undefined) }));
    }),
    ...segments.flatMap((s) => s.points.map((p) => ({ series: s.series, x: p.x, y: p.y, part: 'measured', style: lineStyle('segment', 'over', 'measured') }))),
  ];
  const styles = styleScale(lines.map((l) => l.style));
  const lineRows = lines.map((l) => ({ ...l, style: l.style.label }));
  const allSeries = [...input.observed.map((p) => p.series), ...lines.map((l) => l.series), ...(input.traces ?? []).map((t) => t.series)];
  const { color, shape } = seriesChannels(allSeries, markers.map((m) => m.label));
  const x = xEncoding(input.xTitle, domain, input.powerAxis);
  // The y axis spans what the SVG shows (points, laws, bands, predictions), not the hidden run curves.
  const inX = (x: number) => x >= domain[0] && x <= domain[1];
  const ys = [...input.observed.map((p) => p.y), ...markers.map((m) => m.y), ...lines.map((l) => l.y), ...(input.bands ?? []).filter((b) => inX(b.x)).flatMap((b) => [b.lo, b.hi]), ...(input.intervals ?? []).flatMap((b) => [b.lo, b.hi, b.rangeLo, b.rangeHi])];
  const y = { field: 'y', type: 'quantitative' as const, scale: { zero: false, domain: linearDomain(ys), nice: false }, title: input.yTitle };
  const yTolerance = 0.004 * (Math.max(...input.observed.map((p) => p.y)) - Math.min(...input.observed.map((p) => p.y)) || 1);
  const dodged = dodge(input.observed, Math.max(yTolerance, 0.01));
  const toggleExtrapolation = lines.some((l) => l.part === 'extrapolated') || markers.length > 0;
  const layers: unknown[] = [];
  if (input.bands && input.bands.length > 0) {
    layers.push({
      data: { values: input.bands.filter((b) => b.x >= domain[0] && b.x <= domain[1]) },
      mark: { type: 'area', opacity: 0.15 },
      encoding: { x, y: { ...y, field: 'lo' }, y2: { field: 'hi' }, color },
    });
  }
  if (input.traces && input.traces.length > 0) {
    layers.push({
      data: { values: input.traces.filter((t) => inX(t.x)) },
      mark: { type: 'line', strokeWidth: 1, clip: true },
      encoding: { x, y, color, detail: { field: 'run' }, opacity: { condition: { test: SHOW_TRACES, value: 0.45 }, value: 0 } },
    });
  }
  if (lines.length > 0) {
    layers.push({
      data: { values: lineRows },
      mark: { type: 'line', strokeWidth: 2 },
      encoding: {
        x,
        y,
        color,
        detail: { field: 'series' },
        strokeDash: { field: 'style', type: 'nominal', title: 'line', legend: LINE_LEGEND, scale: { domain: styles.domain, range: styles.dash } },
        ...extrapolationOpacity(toggleExtrapolation),
      },
    });
  }
  layers.push({
    data: { values: dodged.points },
    mark: { type: 'point', filled: true, size: 70, opacity: 1, stroke: 'white', strokeWidth: 0.5 },
    encoding: {
      x: { ...x, field: 'xd' },
      y,
      color,
      shape,
      tooltip: [{ field: 'run', title: 'run' }, { field: 'series', title: 'series' }, { field: 'x', title: input.xTitle, format: ',.0f' }, { field: 'y', title: input.yTitle, format: '.4f' }],
    },
  });
  if (input.intervals && input.intervals.length > 0) {
    const hide = extrapolationOpacity(true, 'true');
    const bar = (field: string, field2: string, strokeWidth: number) => ({ mark: { type: 'rule', strokeWidth, color: NEUTRAL }, encoding: { x, y: { ...y, field }, y2: { field: field2 }, ...hide } });
    const tick = (field: string) => ({ mark: { type: 'tick', orient: 'horizontal', size: 8, thickness: 1.2, color: NEUTRAL }, encoding: { x, y: { ...y, field }, ...hide } });
    layers.push({ data: { values: input.intervals }, layer: [bar('rangeLo', 'rangeHi', 1.2), tick('rangeLo'), tick('rangeHi'), bar('lo', 'hi', 4)] });
  }
  if (markers.length > 0) {
    layers.push({
      data: { values: markers.map((m) => ({ ...m, series: m.label })) },
      mark: { type: 'point', filled: true, size: input.markerSize ?? 150 },
      encoding: {
        x,
        y,
        color,
        shape,
        tooltip: [{ field: 'label', title: 'prediction' }],
        ...extrapolationOpacity(true, 'true'),
      },
    });
  }
  const dodgeNote = dodged.groups.length ? `; set apart: ${dodged.groups.map((g) => `${g.length} runs at ${formatAxisCount(g[0].x)}${g.every((p) => p.run) ? ` (${g.map((p) => p.run).join(', ')})` : ''}`).join(', ')}` : '';
  return finishSpec({
    ...chartFrame(input.title, `${input.subtitle ?? ''}${dodgeNote}`),
    params: toggles({ extrapolation: toggleExtrapolation, traces: (input.traces ?? []).length > 0 }),
    layer: layers,
  }) as unknown as TopLevelSpec;
}

const formatAxisCount = (v: number) => formatCount(v, 0);

/** The loss's name and axis title in its real unit: "val_bpc (bits per byte)" or "validation loss (bits per token (gpt2))". */
export function lossAxis(unit = 'bits per byte'): { name: string; title: string } {
  const name = unit === 'bits per byte' ? 'val_bpc' : 'validation loss';
  return { name, title: `${name} (${unit})` };
}

/** Validation loss against optimizer steps (log x), one colour and shape per step family, fitted L∞ + C·S^−β laws. */
export function stepScalingChart(input: { unit?: string; subtitle?: string; observed: ObservedPoint[]; laws: LawLine[]; segments?: Segment[]; traces?: TracePoint[] }): TopLevelSpec {
  const axis = lossAxis(input.unit);
  return logXChart({ title: `Step scaling: ${axis.name} vs optimizer steps`, xTitle: 'optimizer steps (count, log scale)', yTitle: axis.title, ...input });
}

/** The best rate's final loss against batch size (log x) at matched tokens: one line per size and token budget. */
export function batchLossChart(input: { unit: string; subtitle?: string; observed: ObservedPoint[]; segments: Segment[] }): TopLevelSpec {
  const axis = lossAxis(input.unit);
  return logXChart({ title: `Batch size at matched tokens: ${axis.name} of the best learning rate`, xTitle: 'batch size (sequences, log scale)', yTitle: axis.title, ...input });
}

/** Steps to reach a target loss against batch size (log x), and S(B) = S_min(1 + B_noise/B) fitted per size and target. */
export function criticalBatchChart(input: { subtitle?: string; observed: ObservedPoint[]; laws: LawLine[] }): TopLevelSpec {
  return logXChart({ title: 'The critical batch: steps to a target loss vs batch size', xTitle: 'batch size (sequences, log scale)', yTitle: 'optimizer steps to reach the target', ...input });
}

/** Validation loss against parameter count (log x), the fitted A + B/N^α laws, their extrapolation and band. */
export function paramScalingChart(input: { unit?: string; subtitle?: string; observed: ObservedPoint[]; laws: LawLine[]; bands?: BandPoint[]; markers?: { x: number; y: number; label: string }[] }): TopLevelSpec {
  const axis = lossAxis(input.unit);
  return logXChart({ title: `Parameter scaling: ${axis.name} vs parameters`, xTitle: 'parameters (count, log scale)', yTitle: axis.title, ...input });
}

/**
 * The backtest of a ladder: validation loss against training tokens (log x), one colour and shape
 * per size, the joint law fitted on the smaller sizes drawn per size (solid over a size's own
 * budgets; the held-out size's curve is all prediction, so dashed), and the held-out runs'
 * predictions as neutral diamonds with the interval (thick bar) and the range over laws (thin bar).
 */
export function backtestChart(input: { unit: string; subtitle?: string; observed: ObservedPoint[]; laws: LawLine[]; predictions: (IntervalBar & { y: number })[]; predictionLabel: string }): TopLevelSpec {
  const axis = lossAxis(input.unit);
  return logXChart({
    title: `Backtest: ${axis.name} vs training tokens`,
    xTitle: 'training tokens D (count, log scale)',
    yTitle: axis.title,
    subtitle: input.subtitle,
    observed: input.observed,
    laws: input.laws,
    markers: input.predictions.map((p) => ({ x: p.x, y: p.y, label: input.predictionLabel })),
    intervals: input.predictions.map(({ y: _y, ...bar }) => bar),
    markerSize: 45,
  });
}

/**
 * A ladder against training compute C = 6·N·D (log x): measured losses, one colour per model size,
 * and the joint law's compute-optimal frontier L(N_opt(C), D_opt(C)).
 */
export function computeChart(input: { unit: string; subtitle?: string; observed: ObservedPoint[]; laws: LawLine[] }): TopLevelSpec {
  const axis = lossAxis(input.unit);
  return logXChart({ title: `${axis.name[0].toUpperCase()}${axis.name.slice(1)} vs training compute`, xTitle: 'training compute C = 6·N·D (FLOPs, log scale)', yTitle: axis.title, powerAxis: true, ...input });
}

/** N_opt and D_opt (log y) against compute C (log x): the compute-optimal line of a joint law, solid over the measured compute. */
export function allocationChart(input: { subtitle?: string; measured: [number, number]; drawn: [number, number]; lines: { quantity: string; f: (flops: number) => number }[] }): TopLevelSpec {
  const domain = logDomain(input.drawn);
  const rows = input.lines.flatMap((l) => sampleLaw(l.f, input.measured, input.drawn[0], input.drawn[1]).map((p) => ({ quantity: l.quantity, flops: p.x, value: p.y, part: p.part, style: lineStyle('fit', 'over', p.part).label })));
  const styles = styleScale(rows.map((r) => lineStyle('fit', 'over', r.part as Part)));
  const values = rows.map((r) => r.value);
  const yDomain = logDomain(values);
  return finishSpec({
    ...chartFrame('Compute-optimal allocation', input.subtitle),
    params: toggles({ extrapolation: rows.some((r) => r.part === 'extrapolated'), traces: false }),
    data: { values: rows },
    mark: { type: 'line' },
    encoding: {
      x: { ...xEncoding('training compute C = 6·N·D (FLOPs, log scale)', domain, true), field: 'flops' },
      y: { ...xEncoding('N_opt, D_opt (count, log scale)', yDomain, true), field: 'value' },
      color: { field: 'quantity', type: 'nominal', title: null, legend: LEGEND, scale: { domain: numericOrder(input.lines.map((l) => l.quantity)), range: PALETTE } },
      detail: { field: 'style' },
      strokeDash: { field: 'style', type: 'nominal', title: 'line', legend: LINE_LEGEND, scale: { domain: styles.domain, range: styles.dash } },
      strokeWidth: { value: 2 },
      ...extrapolationOpacity(rows.some((r) => r.part === 'extrapolated')),
      tooltip: [{ field: 'quantity' }, { field: 'flops', title: 'FLOPs', format: '.3e' }, { field: 'value', title: 'count', format: '.4s' }],
    },
  }) as unknown as TopLevelSpec;
}

export interface BudgetPoint {
  series: string;
  steps: number;
  bpc: number;
  /** The prediction interval for a new run. */
  lo: number;
  hi: number;
  /** The range over laws: the interval ∪ the other laws' values. */
  rangeLo: number;
  rangeHi: number;
  /** Beyond the runs the law was fitted on (in size or steps). */
  extrapolated: boolean;
}

/**
 * Predicted loss against step budget, one colour and shape per model size: a thick bar for the
 * prediction interval and a thin one for the range over laws (rule 3), sizes set apart at each
 * budget (rule 4), the values in the report's table rather than on the plot (rule 5).
 */
export function budgetChart(input: { subtitle?: string; level: number; points: BudgetPoint[] }): TopLevelSpec {
  const { color, shape } = seriesChannels(input.points.map((p) => p.series));
  const order = numericOrder(input.points.map((p) => p.series));
  const byBudget = new Map<number, number>();
  const rows = input.points.map((p) => {
    const k = order.indexOf(p.series);
    byBudget.set(p.steps, Math.max(byBudget.get(p.steps) ?? 0, k + 1));
    return { ...p, part: p.extrapolated ? 'extrapolated' : 'measured', style: p.extrapolated ? 'predicted, extrapolated beyond the runs' : 'predicted within the runs', k };
  });
  const n = order.length;
  const placed = rows.map((r) => ({ ...r, xd: r.steps * 10 ** (0.02 * (r.k - (n - 1) / 2)) }));
  const domain = logDomain(placed.map((r) => r.xd));
  // Ticks at the budgets themselves (the points are set apart around them).
  const base = xEncoding('training budget: optimizer steps (count, log scale)', domain, false, 'xd');
  const x = { ...base, axis: { ...base.axis, values: [...new Set(rows.map((r) => r.steps))].sort((a, b) => a - b) } };
  const yTitle = 'predicted val_bpc (bits per byte)';
  const y = { type: 'quantitative' as const, scale: { zero: false, nice: false, domain: linearDomain(rows.flatMap((r) => [r.lo, r.hi, r.rangeLo, r.rangeHi, r.bpc])) }, title: yTitle };
  const styleDomain = [...new Set(rows.map((r) => r.style))].sort();
  const tooltip = [{ field: 'series', title: 'size' }, { field: 'steps', title: 'steps', format: ',' }, { field: 'bpc', title: 'predicted', format: '.3f' }, { field: 'lo', title: `${Math.round(input.level * 100)}% interval from`, format: '.3f' }, { field: 'hi', title: 'to', format: '.3f' }, { field: 'rangeLo', title: 'range over laws from', format: '.3f' }, { field: 'rangeHi', title: 'to', format: '.3f' }];
  const hide = extrapolationOpacity(rows.some((r) => r.extrapolated));
  return finishSpec({
    ...chartFrame('Predicted val_bpc by step budget', input.subtitle),
    params: toggles({ extrapolation: rows.some((r) => r.extrapolated), traces: false }),
    data: { values: placed },
    layer: [
      { mark: { type: 'rule', strokeWidth: 1.2 }, encoding: { x, y: { ...y, field: 'rangeLo' }, y2: { field: 'rangeHi' }, color, ...hide } },
      { mark: { type: 'tick', orient: 'horizontal', size: 8, thickness: 1.2 }, encoding: { x, y: { ...y, field: 'rangeLo' }, color, ...hide } },
      { mark: { type: 'tick', orient: 'horizontal', size: 8, thickness: 1.2 }, encoding: { x, y: { ...y, field: 'rangeHi' }, color, ...hide } },
      { mark: { type: 'rule', strokeWidth: 4 }, encoding: { x, y: { ...y, field: 'lo' }, y2: { field: 'hi' }, color, ...hide } },
      {
        mark: { type: 'line', strokeWidth: 1.5 },
        encoding: { x, y: { ...y, field: 'bpc' }, color, detail: { field: 'series' }, strokeDash: { field: 'style', type: 'nominal', title: 'line', legend: LINE_LEGEND, scale: { domain: styleDomain, range: styleDomain.map((s) => (s.includes('extrapolated') ? [7, 4] : [1, 0])) } }, ...hide },
      },
      { mark: { type: 'point', filled: true, size: 70, stroke: 'white', strokeWidth: 0.5 }, encoding: { x, y: { ...y, field: 'bpc' }, color, shape, tooltip, ...hide } },
    ],
  }) as unknown as TopLevelSpec;
}

/**
 * Training memory as stacked bars (one bar per configuration, one colour per component) against
 * GPU capacity lines, drawn neutral and named in their own legend.
 */
/**
 * Predicted val_bpc against GPU-hours, one line per model size (log x), with the best size at each
 * budget (the frontier) marked by larger black points.
 */
export function planChart(input: { subtitle?: string; points: { series: string; gpuHours: number; bpc: number }[]; best: { gpuHours: number; bpc: number; label: string }[] }): TopLevelSpec {
  const all = [...input.points, ...input.best];
  const x = { field: 'gpuHours', type: 'quantitative' as const, scale: { type: 'log' as const, domain: logDomain(all.map((p) => p.gpuHours)) }, title: 'GPU-hours (log scale)' };
  const y = { field: 'bpc', type: 'quantitative' as const, scale: { zero: false, domain: linearDomain(all.map((p) => p.bpc)) }, title: 'predicted val_bpc (bits per byte)' };
  const sizes = numericOrder(input.points.map((p) => p.series));
  const frontier = 'best size at that budget';
  return finishSpec({
    ...chartFrame('Predicted val_bpc by GPU-hours, per model size', input.subtitle),
    layer: [
      {
        data: { values: input.points },
        mark: { type: 'line', point: { filled: true, size: 30 } },
        encoding: {
          x,
          y,
          color: { field: 'series', type: 'nominal' as const, title: 'model size', legend: LEGEND, scale: { domain: sizes, range: sizes.map((_, i) => PALETTE[i % PALETTE.length]) } },
          tooltip: [{ field: 'series', title: 'size' }, { field: 'gpuHours', title: 'GPU-hours', format: '.1f' }, { field: 'bpc', title: 'val_bpc', format: '.3f' }],
        },
      },
      {
        // The frontier is marked by a neutral diamond with its own legend entry; its size is in the tooltip and the report's table, never as text on the plot.
        data: { values: input.best.map((b) => ({ ...b, marker: frontier })) },
        mark: { type: 'point', filled: true, size: 140, color: NEUTRAL },
        encoding: {
          x,
          y,
          shape: { field: 'marker', type: 'nominal' as const, title: null, legend: LEGEND, scale: { domain: [frontier], range: ['diamond'] } },
          tooltip: [{ field: 'label', title: 'best size' }, { field: 'gpuHours', title: 'GPU-hours', format: '.1f' }, { field: 'bpc', title: 'val_bpc', format: '.3f' }],
        },
      },
    ],
  }) as unknown as TopLevelSpec;
}

export function memoryChart(input: { subtitle?: string; bars: { bar: string; component: string; gib: number; order: number }[]; capacities: { gpu: string; gib: number }[] }): TopLevelSpec {
  const y = { field: 'bar', type: 'nominal' as const, title: null, sort: null, axis: { labelLimit: 700 } };
  const maxGib = Math.max(...input.capacities.map((c) => c.gib), ...sumBy(input.bars));
  const capacities = input.capacities.map((c) => ({ ...c, label: `${c.gpu}: ${c.gib.toFixed(1)} GiB usable` }));
  const gpuOrder = [...capacities].sort((a, b) => a.gib - b.gib).map((c) => c.label);
  return finishSpec({
    ...chartFrame('Training memory by component vs GPU capacity', input.subtitle),
    height: { step: 34 },
    layer: [
      {
        data: { values: input.bars },
        mark: { type: 'bar', stroke: 'white', strokeWidth: 0.5 },
        encoding: {
          y,
          x: { field: 'gib', type: 'quantitative', stack: 'zero', title: 'memory (GiB)', scale: { domain: [0, Math.ceil(maxGib * 1.05)] } },
          color: { field: 'component', type: 'nominal', title: 'part', sort: null, legend: { orient: 'bottom', columns: 2, labelLimit: 700 }, scale: { range: PALETTE } },
          order: { field: 'order', type: 'quantitative' },
          tooltip: [{ field: 'bar', title: 'configuration' }, { field: 'component', title: 'part' }, { field: 'gib', title: 'GiB', format: '.2f' }],
        },
      },
      {
        data: { values: capacities },
        mark: { type: 'rule', strokeWidth: 2, color: NEUTRAL },
        encoding: {
          x: { field: 'gib', type: 'quantitative' },
          strokeDash: { field: 'label', type: 'nominal', title: 'usable GPU memory', legend: LINE_LEGEND, scale: { domain: gpuOrder, range: [[6, 4], [2, 2], [10, 3, 2, 3]] } },
          tooltip: [{ field: 'label', title: 'GPU' }],
        },
      },
    ],
  }) as unknown as TopLevelSpec;
}
function sumBy(bars: { bar: string; gib: number }[]): number[] {
  const sums = new Map<string, number>();
  for (const b of bars) sums.set(b.bar, (sums.get(b.bar) ?? 0) + b.gib);
  return [...sums.values()];
}
