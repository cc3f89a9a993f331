/**
 * The report's charts: pure builders from plain data to vega-lite specs, and one headless
 * renderer (vega-lite → vega → SVG, renderer 'none': no browser, no canvas). Same data → same SVG.
 */
import { createRequire } from 'node:module';
import type { TopLevelSpec } from 'vega-lite';

// vega and vega-lite are loaded with require(): both ship CommonJS builds (~1 MB), and an ES
// `import` of CommonJS makes Node scan their source for named exports first (~0.1 s of CPU on
// every report).
const require = createRequire(import.meta.url);
const vega: typeof import('vega') = require('vega');
const vl: typeof import('vega-lite') = require('vega-lite');

const WIDTH = 560;
const HEIGHT = 320;
const FONT = 'Helvetica, Arial, sans-serif';

/** Shared look: white background, readable type at GitHub's rendering width. */
const CONFIG = {
  background: 'white',
  font: FONT,
  axis: { labelFontSize: 12, titleFontSize: 13, grid: true, gridColor: '#e6e6e6' },
  legend: { labelFontSize: 12, titleFontSize: 12 },
  title: { fontSize: 15, anchor: 'start' as const, subtitleFontSize: 12, subtitleColor: '#555' },
  view: { stroke: '#ccc' },
};

/** Legends under the plot, one entry a line. vega estimates text width without a canvas (generously), hence the large limit. */
const LEGEND = { orient: 'bottom' as const, columns: 1, labelLimit: 700 };

/** Counts on a log axis: SI suffixes with B (billion) for G, labels only at 1, 2, 5 × 10^k. */
const COUNT_AXIS = {
  labelExpr: "replace(format(datum.value, '~s'), 'G', 'B')",
  values: [1, 2, 5].flatMap((m) => [10, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10].map((p) => m * p)).sort((a, b) => a - b),
};

/** Large counts (FLOPs, tokens) on a log axis: a label at each power of ten, in exponent form. */
const POWER_AXIS = {
  labelExpr: "format(datum.value, '.0e')",
  values: Array.from({ length: 27 }, (_, i) => 10 ** (i + 3)),
};

/** A subtitle as lines, split at '; ' (one long line would widen the whole SVG). */
function subtitleLines(subtitle: string | undefined): string[] | undefined {
  return subtitle?.split('; ');
}

/** Render a vega-lite spec to an SVG string. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
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
  label?: string;
}

export interface CurvePoint {
  series: string;
  x: number;
  y: number;
  /** Which law drew the line (dashed differently per law), e.g. "A fixed" / "A fitted". */
  law?: string;
}

export interface BandPoint {
  series: string;
  x: number;
  lo: number;
  hi: number;
}

interface XYChartInput {
  title: string;
  subtitle?: string;
  xTitle: string;
  yTitle: string;
  observed: ObservedPoint[];
  curves: CurvePoint[];
  bands?: BandPoint[];
  /** Extra labelled markers (e.g. a prediction). */
  markers?: ObservedPoint[];
  /** Thin, faint lines (e.g. each run's validation curve), coloured by series, one per `run`. */
  traces?: TracePoint[];
  /** The x axis's ticks and labels (default: counts with SI suffixes). */
  xAxis?: object;
}

export interface TracePoint {
  series: string;
  run: string;
  x: number;
  y: number;
}

/**
 * Measured points (filled circles), fitted curves (lines) and optional interval bands on a log-x
 * axis: the shape of both the step-scaling and the param-scaling chart.
 */
function logXChart(input: XYChartInput): TopLevelSpec {
  const x = { field: 'x', type: 'quantitative' as const, scale: { type: 'log' as const }, title: input.xTitle, axis: input.xAxis ?? COUNT_AXIS };
  const yScale = { zero: false };
  const color = { field: 'series', type: 'nominal' as const, title: null, legend: LEGEND };
  const laws = [...new Set(input.curves.map((c) => c.law).filter((l): l is string => Boolean(l)))];
  const layers: unknown[] = [];
  if (input.bands && input.bands.length > 0) {
    layers.push({
      data: { values: input.bands },
      mark: { type: 'area', opacity: 0.18 },
      encoding: { x, y: { field: 'lo', type: 'quantitative', scale: yScale, title: input.yTitle }, y2: { field: 'hi' }, color },
    });
  }
  if (input.traces && input.traces.length > 0) {
    layers.push({
      data: { values: input.traces },
      mark: { type: 'line', strokeWidth: 1, opacity: 0.35 },
      encoding: { x, y: { field: 'y', type: 'quantitative', scale: yScale, title: input.yTitle }, color, detail: { field: 'run' } },
    });
  }
  layers.push({
    data: { values: input.curves },
    mark: { type: 'line', strokeWidth: 2 },
    encoding: {
      x,
      y: { field: 'y', type: 'quantitative', scale: yScale, title: input.yTitle },
      color,
      detail: { field: 'series' },
      ...(laws.length > 1 ? { strokeDash: { field: 'law', type: 'nominal', title: 'law', legend: LEGEND } } : {}),
    },
  });
  layers.push({
    data: { values: input.observed },
    mark: { type: 'point', filled: true, size: 70, opacity: 1 },
    encoding: { x, y: { field: 'y', type: 'quantitative', scale: yScale, title: input.yTitle }, color, shape: { value: 'circle' } },
  });
  const labelled = input.observed.filter((p) => p.label);
  if (labelled.length > 0) {
    layers.push({
      data: { values: labelled },
      mark: { type: 'text', dx: 8, dy: -8, align: 'left', fontSize: 11, color: '#333' },
      encoding: { x, y: { field: 'y', type: 'quantitative', scale: yScale }, text: { field: 'label' } },
    });
  }
  if (input.markers && input.markers.length > 0) {
    layers.push({
      data: { values: input.markers },
      mark: { type: 'point', shape: 'diamond', filled: true, size: 140, color: '#d62728' },
      encoding: { x, y: { field: 'y', type: 'quantitative', scale: yScale } },
    });
    layers.push({
      data: { values: input.markers },
      mark: { type: 'text', dx: -8, dy: -12, align: 'right', fontSize: 11, color: '#d62728' },
      encoding: { x, y: { field: 'y', type: 'quantitative', scale: yScale }, text: { field: 'label' } },
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: input.title, subtitle: subtitleLines(input.subtitle) },
    width: WIDTH,
    height: HEIGHT,
    config: CONFIG,
    layer: layers,
  } as TopLevelSpec;
}

/** The loss's name and axis title in its real unit: "val_bpc (bits per byte)" or "validation loss (bits per token (gpt2))". */
export function lossAxis(unit = 'bits per byte'): { name: string; title: string } {
  const name = unit === 'bits per byte' ? 'val_bpc' : 'validation loss';
  return { name, title: `${name} (${unit})` };
}

/** Validation loss against optimizer steps (log x), one colour per step family, fitted L∞ + C·S^−β curves. */
export function stepScalingChart(input: { unit?: string; subtitle?: string; observed: ObservedPoint[]; curves: CurvePoint[]; bands?: BandPoint[]; traces?: TracePoint[] }): TopLevelSpec {
  const axis = lossAxis(input.unit);
  return logXChart({ title: `Step scaling: ${axis.name} vs optimizer steps`, xTitle: 'optimizer steps (log scale)', yTitle: axis.title, ...input });
}

/** Validation loss against parameter count (log x), the fitted A + B/N^α law, its extrapolation and band. */
export function paramScalingChart(input: { unit?: string; subtitle?: string; observed: ObservedPoint[]; curves: CurvePoint[]; bands?: BandPoint[]; markers?: ObservedPoint[] }): TopLevelSpec {
  const axis = lossAxis(input.unit);
  return logXChart({ title: `Parameter scaling: ${axis.name} vs parameters`, xTitle: 'parameters (count, log scale)', yTitle: axis.title, ...input });
}

/**
 * A ladder against training compute C = 6·N·D (log x): measured losses, one colour per model size,
 * and the joint law's compute-optimal frontier L(N_opt(C), D_opt(C)).
 */
export function computeChart(input: { unit: string; subtitle?: string; observed: ObservedPoint[]; curves: CurvePoint[] }): TopLevelSpec {
  const axis = lossAxis(input.unit);
  return logXChart({ title: `${axis.name[0].toUpperCase()}${axis.name.slice(1)} vs training compute`, xTitle: 'training compute C = 6·N·D (FLOPs, log scale)', yTitle: axis.title, xAxis: POWER_AXIS, ...input });
}

/** N_opt and D_opt (log y) against compute C (log x): the compute-optimal line of a joint law. */
export function allocationChart(input: { subtitle?: string; points: { quantity: string; flops: number; value: number }[] }): TopLevelSpec {
  const x = { field: 'flops', type: 'quantitative' as const, scale: { type: 'log' as const }, title: 'training compute C = 6·N·D (FLOPs, log scale)', axis: POWER_AXIS };
  const y = { field: 'value', type: 'quantitative' as const, scale: { type: 'log' as const }, title: 'N_opt (parameters) and D_opt (tokens), log scale', axis: POWER_AXIS };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: 'Compute-optimal allocation', subtitle: subtitleLines(input.subtitle) },
    width: WIDTH,
    height: HEIGHT,
    config: CONFIG,
    data: { values: input.points },
    mark: { type: 'line', strokeWidth: 2 },
    encoding: { x, y, color: { field: 'quantity', type: 'nominal', title: null, legend: LEGEND } },
  } as TopLevelSpec;
}

/** Predicted val_bpc against step budget with its interval (error bars), one colour per model size. */
export function budgetChart(input: { subtitle?: string; points: { series: string; steps: number; bpc: number; lo: number; hi: number }[] }): TopLevelSpec {
  const x = { field: 'steps', type: 'quantitative' as const, scale: { type: 'log' as const }, title: 'training budget: optimizer steps (log scale)', axis: COUNT_AXIS };
  const color = { field: 'series', type: 'nominal' as const, title: null, legend: LEGEND };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: 'Predicted val_bpc by step budget', subtitle: subtitleLines(input.subtitle) },
    width: WIDTH,
    height: HEIGHT,
    config: CONFIG,
    data: { values: input.points },
    layer: [
      { mark: { type: 'rule', strokeWidth: 2 }, encoding: { x, y: { field: 'lo', type: 'quantitative', scale: { zero: false }, title: 'predicted val_bpc (bits per byte)' }, y2: { field: 'hi' }, color } },
      { mark: { type: 'line', point: { filled: true, size: 60 } }, encoding: { x, y: { field: 'bpc', type: 'quantitative', scale: { zero: false } }, color } },
      { mark: { type: 'text', dx: 10, align: 'left', fontSize: 11 }, encoding: { x, y: { field: 'bpc', type: 'quantitative' }, text: { field: 'bpc', type: 'quantitative', format: '.3f' }, color } },
    ],
  } as TopLevelSpec;
}

/**
 * Training memory as stacked bars (one bar per configuration, one colour per component) against
 * GPU capacity lines.
 */
/**
 * Predicted val_bpc against GPU-hours, one line per model size (log x), with the best size at each
 * budget (the frontier) marked by larger black points.
 */
export function planChart(input: { subtitle?: string; points: { series: string; gpuHours: number; bpc: number }[]; best: { gpuHours: number; bpc: number; label: string }[] }): TopLevelSpec {
  const x = { field: 'gpuHours', type: 'quantitative' as const, scale: { type: 'log' as const }, title: 'GPU-hours (log scale)' };
  const y = { field: 'bpc', type: 'quantitative' as const, scale: { zero: false }, title: 'predicted val_bpc (bits per byte)' };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: 'Predicted val_bpc by GPU-hours, per model size', subtitle: subtitleLines(input.subtitle) },
    width: WIDTH,
    height: HEIGHT,
    config: CONFIG,
    layer: [
      { data: { values: input.points }, mark: { type: 'line', point: { filled: true, size: 30 } }, encoding: { x, y, color: { field: 'series', type: 'nominal' as const, title: null, legend: LEGEND, sort: null } } },
      { data: { values: input.best }, mark: { type: 'point', shape: 'diamond', filled: true, size: 140, color: 'black' }, encoding: { x, y } },
      { data: { values: input.best }, mark: { type: 'text', dy: -12, fontSize: 10 }, encoding: { x, y, text: { field: 'label', type: 'nominal' as const } } },
    ],
  } as TopLevelSpec;
}

export function memoryChart(input: { subtitle?: string; bars: { bar: string; component: string; gib: number; order: number }[]; capacities: { gpu: string; gib: number }[] }): TopLevelSpec {
  const y = { field: 'bar', type: 'nominal' as const, title: null, sort: null, axis: { labelLimit: 700 } };
  const maxGib = Math.max(...input.capacities.map((c) => c.gib), ...sumBy(input.bars));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: { text: 'Training memory by component vs GPU capacity', subtitle: subtitleLines(input.subtitle) },
    width: WIDTH,
    height: { step: 34 },
    config: CONFIG,
    layer: [
      {
        data: { values: input.bars },
        mark: { type: 'bar' },
        encoding: {
          y,
          x: { field: 'gib', type: 'quantitative', stack: 'zero', title: 'memory (GiB)', scale: { domain: [0, Math.ceil(maxGib * 1.05)] } },
          color: { field: 'component', type: 'nominal', title: 'part', sort: null, legend: { orient: 'bottom', columns: 4, labelLimit: 700 }, scale: { scheme: 'tableau10' } },
          order: { field: 'order', type: 'quantitative' },
        },
      },
      {
        data: { values: input.capacities },
        mark: { type: 'rule', strokeDash: [6, 4], strokeWidth: 2, color: '#d62728' },
        encoding: { x: { field: 'gib', type: 'quantitative' } },
      },
      {
        data: { values: input.capacities },
        mark: { type: 'text', angle: 0, dy: -6, dx: 4, align: 'left', baseline: 'bottom', fontSize: 11, color: '#d62728', y: 0 },
        encoding: { x: { field: 'gib', type: 'quantitative' }, text: { field: 'gpu' } },
      },
    ],
  } as TopLevelSpec;
}

function sumBy(bars: { bar: string; gib: number }[]): number[] {
  const sums = new Map<string, number>();
  for (const b of bars) sums.set(b.bar, (sums.get(b.bar) ?? 0) + b.gib);
  return [...sums.values()];
}
