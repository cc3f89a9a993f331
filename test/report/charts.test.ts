/**
 * The chart rules (src/report/chart-rules.ts), on their own and on the charts the report ships
 * (built from the repository's runs/, plus a synthetic ladder for the backtest chart): extrapolation dashed, exact fits dotted and named, legends
 * in numeric order, no text box over a mark box, axes spanning the data, no raw markup.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildReport } from '../../src/report/build.js';
import { renderSvg } from '../../src/report/charts.js';
import { dodge, labelNumber, lineStyle, logDomain, numericOrder, plainText, sampleLaw } from '../../src/report/chart-rules.js';
import { writeLadder } from '../fit/ladder-fixture.js';

const root = new URL('../../', import.meta.url).pathname;

test('numericOrder sorts legends by the count they name, not as text: 61.4K < 213.0K < 657.4K; 300.0M < 369.6M', () => {
  assert.deepEqual(numericOrder(['brown, 213.0K, bs=16', 'brown, 61.4K, bs=16', 'brown, 657.4K, bs=16']), ['brown, 61.4K, bs=16', 'brown, 213.0K, bs=16', 'brown, 657.4K, bs=16']);
  assert.deepEqual(numericOrder(['369.6M (recommended)', '300.0M (named)']), ['300.0M (named)', '369.6M (recommended)']);
  assert.equal(labelNumber('N = 1.2B, bs=8'), 1.2e9);
  // Labels without a number come last, in text order.
  assert.deepEqual(numericOrder(['b', 'N = 5K', 'a']), ['N = 5K', 'a', 'b']);
});

test('plainText leaves no caret: S^−β → S⁻ᵝ, N^α → Nᵅ, C^0.512 → "C to the power 0.512"', () => {
  assert.equal(plainText('L∞ + C·S^−β'), 'L∞ + C·S⁻ᵝ');
  assert.equal(plainText('A + B/N^α'), 'A + B/Nᵅ');
  assert.equal(plainText('N_opt ∝ C^0.512'), 'N_opt ∝ C to the power 0.512');
  assert.equal(plainText('10^(−2)'), '10⁻²');
});

test('lineStyle: an over-determined fit is solid over the runs and dashed beyond; exact and under-determined fits dotted and named', () => {
  assert.deepEqual(lineStyle('fit', 'over', 'measured').dash, [1, 0]);
  assert.ok(lineStyle('fit', 'over', 'extrapolated').dash[1] > 0);
  assert.match(lineStyle('fit', 'over', 'extrapolated').label, /extrapolated/);
  for (const d of ['exact', 'under'] as const) {
    for (const part of ['measured', 'extrapolated'] as const) {
      const s = lineStyle('fit', d, part);
      assert.ok(s.dash[1] > 0, `${d}/${part} not solid`);
      assert.match(s.label, d === 'exact' ? /exactly determined/ : /under-determined/);
    }
  }
});

test('sampleLaw splits a law at the measured range, the pieces meeting at its ends', () => {
  const pts = sampleLaw((x) => 1 / x, [10, 100], 10, 1000, 20);
  const measured = pts.filter((p) => p.part === 'measured');
  const beyond = pts.filter((p) => p.part === 'extrapolated');
  assert.ok(measured.every((p) => p.x >= 10 && p.x <= 100));
  assert.ok(beyond.every((p) => p.x >= 100));
  assert.ok(measured.some((p) => p.x === 100) && beyond.some((p) => p.x === 100), 'both pieces hold x = 100');
});

test('dodge sets points at one x apart symmetrically and keeps their true x', () => {
  const { points, groups } = dodge([{ x: 40_000, y: 1.795 }, { x: 40_000, y: 1.793 }, { x: 20_000, y: 1.88 }], 0.01, 0.01);
  assert.equal(groups.length, 1);
  assert.ok(Math.abs(points[0].xd / 40_000 - 10 ** -0.005) < 1e-12);
  assert.ok(Math.abs(points[1].xd / 40_000 - 10 ** 0.005) < 1e-12);
  assert.equal(points[2].xd, 20_000);
  assert.deepEqual(points.map((p) => p.x), [40_000, 40_000, 20_000]);
});

test('logDomain pads the data by a few percent, not to the next decade', () => {
  const [lo, hi] = logDomain([250, 1000]);
  assert.ok(lo > 200 && lo < 250 && hi > 1000 && hi < 1250, `${lo}..${hi}`);
});

// ---------------------------------------------------------------------------------------------
// The shipped charts

// The shipped runs plus a synthetic 5-size ladder (test/fit/ladder-fixture.ts) as a local
// collection, so that every rule below also checks a backtest chart, whatever ladder ships.
const shipped = (async () => {
  const outDir = mkdtempSync(join(tmpdir(), 'bitscale-charts-'));
  const runsDir = mkdtempSync(join(tmpdir(), 'bitscale-charts-runs-'));
  cpSync(join(root, 'runs'), runsDir, { recursive: true });
  writeLadder(runsDir, { collection: 'synthetic-ladder' });
  const built = await buildReport({ runsDir, outDir, templatesDir: join(root, 'templates'), claimsFile: join(root, 'claims/seed-report.json'), analysis: { bootstrap: 200, candidateBootstrap: 50 } });
  return { built, svgs: built.charts.map((c) => ({ path: c.path, spec: c.spec as unknown as Spec, svg: readFileSync(join(outDir, c.path), 'utf8') })) };
})();

type Spec = { layer?: Spec[]; data?: { values?: Record<string, unknown>[] }; encoding?: Record<string, { field?: string; scale?: { domain?: unknown[]; range?: unknown[] } }>; title?: unknown };
const layersOf = (s: Spec): Spec[] => (s.layer ? s.layer : [s]);

test('shipped charts: every extrapolated row of a line is drawn dashed (or dotted), every over-determined fit solid over its runs', async () => {
  const { svgs } = await shipped;
  let extrapolated = 0;
  for (const { path, spec } of svgs) {
    for (const layer of layersOf(spec)) {
      const rows = (layer.data?.values ?? (spec.data?.values as Record<string, unknown>[] | undefined) ?? []) as Record<string, unknown>[];
      const dash = layer.encoding?.strokeDash;
      if (!dash?.field || !rows.some((r) => 'part' in r)) continue;
      const domain = dash.scale!.domain as string[];
      const range = dash.scale!.range as number[][];
      for (const r of rows) {
        const pattern: number[] | undefined = range[domain.indexOf(String(r[dash.field]))];
        assert.ok(pattern, `${path}: a dash for ${String(r[dash.field])}`);
        if (r.part === 'extrapolated') {
          extrapolated++;
          assert.ok(pattern[1] > 0, `${path}: extrapolated row drawn solid (${String(r[dash.field])})`);
        }
        if (r.part === 'measured' && /(^|: )fit over the runs/.test(String(r[dash.field]))) assert.deepEqual(pattern, [1, 0], `${path}: a fit over its runs is solid`);
      }
    }
  }
  assert.ok(extrapolated > 0, 'the params chart extrapolates to the recommended size');
  // And in the rendered SVG: the params chart holds a dashed path (7,4) and a solid one.
  const params = svgs.find((s) => s.path === 'charts/params.svg')!.svg;
  assert.match(params, /class="mark-line role-mark[\s\S]*stroke-dasharray="7,4"/);
});

test('shipped charts: exactly determined fits are dotted and their legend says so (the step laws, params)', async () => {
  const { svgs } = await shipped;
  for (const name of ['charts/params.svg', 'charts/brown-ladder-steps.svg']) {
    const s = svgs.find((x) => x.path === name);
    if (!s) continue;
    assert.match(s.svg, />[^<]*exactly determined fit[^<]*</, `${name}: the legend names the exact fit`);
  }
});

/** The text of each legend's labels, legend by legend, in drawing order. */
function legendLabels(svg: string): string[][] {
  return svg.split('class="mark-group role-legend"').slice(1).map((part) => [...part.matchAll(/role-legend-label"[^>]*><text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]));
}

test('shipped charts: every legend lists the numbers it names in increasing order (the ladder sizes: 19.5K … 454.7K)', async () => {
  const { svgs } = await shipped;
  for (const { path, svg } of svgs) {
    for (const labels of legendLabels(svg)) {
      const numbers = labels.map(labelNumber).filter((n) => !Number.isNaN(n));
      assert.deepEqual(numbers, [...numbers].sort((a, b) => a - b), `${path}: ${labels.join(' | ')}`);
    }
  }
  const brown = svgs.find((s) => s.path === 'charts/brown-ladder-steps.svg');
  if (brown) {
    const sizes = legendLabels(brown.svg).flat().map((l) => /, ([0-9.]+K),/.exec(l)?.[1]).filter(Boolean);
    assert.deepEqual(sizes, ['19.5K', '37.6K', '90.9K', '213.0K', '454.7K']);
  }
});

// ---------------------------------------------------------------------------------------------
// Geometry of the rendered SVG: absolute boxes of texts and of data marks.

interface Box { x0: number; y0: number; x1: number; y1: number; what: string }

/**
 * Walk vega's SVG: groups translate their children; a text's box is estimated from its font size
 * (0.6 em a character, cap height above the baseline), a mark's from its translate and path.
 */
function boxes(svg: string): { texts: Box[]; marks: Box[] } {
  const texts: Box[] = [];
  const marks: Box[] = [];
  const stack: { dx: number; dy: number; role: string }[] = [{ dx: 0, dy: 0, role: '' }];
  const tag = /<(\/?)(g|path|text|line|rect)\b([^>]*?)(\/?)>(?:([^<]*)<\/text>)?/g;
  const attr = (a: string, name: string) => new RegExp(`\\s${name}="([^"]*)"`).exec(a)?.[1];
  const translate = (a: string) => {
    const m = /translate\(([-0-9.e]+),([-0-9.e]+)\)/.exec(attr(a, 'transform') ?? '');
    return m ? [Number(m[1]), Number(m[2])] : [0, 0];
  };
  for (const m of svg.matchAll(tag)) {
    const [, close, name, attrs, selfClose, content] = m;
    const top = stack[stack.length - 1];
    if (name === 'g') {
      if (close) stack.pop();
      else if (!selfClose) {
        const [dx, dy] = translate(attrs);
        const cls = attr(attrs, 'class') ?? '';
        stack.push({ dx: top.dx + dx, dy: top.dy + dy, role: cls.includes('role-') ? cls : top.role });
      }
      continue;
    }
    if (close) continue;
    if (attr(attrs, 'opacity') === '0') continue;
    const [tx, ty] = translate(attrs);
    const x = top.dx + tx;
    const y = top.dy + ty;
    if (name === 'text' && content !== undefined && content.trim()) {
      const size = Number((attr(attrs, 'font-size') ?? '11').replace('px', ''));
      const w = 0.6 * size * [...content].length;
      const anchor = attr(attrs, 'text-anchor') ?? 'start';
      const rotated = /rotate\(-?90\)/.test(attr(attrs, 'transform') ?? '');
      let x0 = anchor === 'middle' ? -w / 2 : anchor === 'end' ? -w : 0;
      let box = { x0, x1: x0 + w, y0: -0.75 * size, y1: 0.2 * size };
      if (rotated) box = { x0: box.y0, x1: box.y1, y0: -box.x1, y1: -box.x0 };
      x0 = 0;
      texts.push({ x0: x + box.x0, x1: x + box.x1, y0: y + box.y0, y1: y + box.y1, what: `text "${content}" (${top.role})` });
    } else if ((name === 'path' || name === 'line') && /role-mark/.test(top.role)) {
      const d = attr(attrs, 'd') ?? '';
      const nums = [...d.matchAll(/[-0-9.]+(?:e[-+]?\d+)?/g)].map((n) => Number(n[0]));
      if (/mark-symbol/.test(top.role)) {
        // A symbol: a shape centred on its translate, its path's extent around it.
        const r = Math.max(...nums.map(Math.abs), 1);
        marks.push({ x0: x - r, x1: x + r, y0: y - r, y1: y + r, what: `symbol (${top.role})` });
      } else if (/^M[-0-9.]+,[-0-9.]+h[-0-9.]+v[-0-9.]+h/.test(d)) {
        const [mx, my, h, v] = nums;
        marks.push({ x0: x + Math.min(mx, mx + h), x1: x + Math.max(mx, mx + h), y0: y + Math.min(my, my + v), y1: y + Math.max(my, my + v), what: `rect (${top.role})` });
      } else if (name === 'line') {
        const x2 = Number(attr(attrs, 'x2') ?? 0);
        const y2 = Number(attr(attrs, 'y2') ?? 0);
        marks.push({ x0: x + Math.min(0, x2), x1: x + Math.max(0, x2), y0: y + Math.min(0, y2), y1: y + Math.max(0, y2), what: `rule (${top.role})` });
      } else if (/^M/.test(d) && !/[aAcCqQsS]/.test(d)) {
        // A line or area: every vertex (vega writes them absolute, M/L pairs), one small box each.
        const pts: [number, number][] = [];
        for (let i = 0; i + 1 < nums.length; i += 2) pts.push([nums[i], nums[i + 1]]);
        for (const [px, py] of pts) marks.push({ x0: x + px - 1, x1: x + px + 1, y0: y + py - 1, y1: y + py + 1, what: `vertex (${top.role})` });
      }
    }
  }
  return { texts, marks };
}

const overlaps = (a: Box, b: Box) => a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;

test('the overlap check finds a label placed on a mark (the old params.svg label over the curve)', async () => {
  const svg = '<svg><g class="mark-group role-frame root" transform="translate(10,10)"><g class="mark-symbol role-mark layer_1_marks"><path transform="translate(100,50)" d="M3,0A3,3,0,1,1,-3,0A3,3,0,1,1,3,0"/></g><g class="mark-text role-mark layer_2_marks"><text text-anchor="end" transform="translate(120,54)" font-size="11px">369.6M: 1.491</text></g></g></svg>';
  const { texts, marks } = boxes(svg);
  assert.equal(texts.length, 1);
  assert.equal(marks.length, 1);
  assert.ok(overlaps(texts[0], marks[0]));
});

test('the overlap check finds a label vega draws over a curve and a point (as the old params.svg did)', async () => {
  const values = [{ x: 1e6, y: 2 }, { x: 1e7, y: 1.8 }, { x: 1e8, y: 1.6 }];
  const spec = {
    width: 300,
    height: 200,
    data: { values },
    layer: [
      { mark: 'line', encoding: { x: { field: 'x', type: 'quantitative', scale: { type: 'log' } }, y: { field: 'y', type: 'quantitative' } } },
      { mark: { type: 'point', filled: true }, encoding: { x: { field: 'x', type: 'quantitative', scale: { type: 'log' } }, y: { field: 'y', type: 'quantitative' } } },
      { mark: { type: 'text', align: 'right', dx: 20 }, encoding: { x: { field: 'x', type: 'quantitative', scale: { type: 'log' } }, y: { field: 'y', type: 'quantitative' }, text: { value: 'a long prediction label' } } },
    ],
  };
  const { texts, marks } = boxes(await renderSvg(spec as never));
  const hits = texts.filter((t) => /prediction label/.test(t.what) && marks.some((m) => overlaps(t, m)));
  assert.equal(hits.length, 3);
});

test('shipped charts: no text element\'s box overlaps a data mark\'s box', async () => {
  const { svgs } = await shipped;
  for (const { path, svg } of svgs) {
    const { texts, marks } = boxes(svg);
    assert.ok(marks.length > 0, `${path}: marks found`);
    assert.ok(texts.length > 5, `${path}: texts found`);
    const hits = texts.flatMap((t) => marks.filter((m) => overlaps(t, m)).map((m) => `${t.what} over ${m.what}`));
    assert.deepEqual(hits.slice(0, 5), [], `${path}: ${hits.length} overlaps`);
  }
});

test('shipped charts: no raw markup in any text, units in the axis titles, log x axes span the data (and predictions) within 25%', async () => {
  const { svgs } = await shipped;
  for (const { path, svg, spec } of svgs) {
    const words = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
    for (const w of words) assert.doesNotMatch(w, /\^|\*\*|`/, `${path}: ${w}`);
    assert.match(svg, /aria-label="X-axis titled '[^']*\([^)]*\)'/, `${path}: x-axis title names its unit`);
    const xs: number[] = [];
    let domain: [number, number] | null = null;
    for (const layer of layersOf(spec)) {
      const x = layer.encoding?.x as { field?: string; scale?: { type?: string; domain?: [number, number] } } | undefined;
      if (x?.scale?.type !== 'log' || !x.scale.domain) continue;
      domain = x.scale.domain;
      const rows = (layer.data?.values ?? (spec.data?.values as Record<string, unknown>[] | undefined) ?? []) as Record<string, number>[];
      xs.push(...rows.map((r) => r[x.field!]).filter((v) => typeof v === 'number'));
    }
    if (!domain) continue;
    const [lo, hi] = domain;
    assert.ok(lo >= Math.min(...xs) / 1.25 && hi <= Math.max(...xs) * 1.25, `${path}: x from ${lo} to ${hi} for data ${Math.min(...xs)}..${Math.max(...xs)}`);
  }
});

test('the backtest chart: every run a point by size, the held-out size named and its law dashed, one neutral prediction entry with a thick interval bar and a thin range bar per held-out run', async () => {
  const { svgs } = await shipped;
  const bt = svgs.find((s) => s.path === 'charts/synthetic-ladder-backtest.svg');
  assert.ok(bt, 'the synthetic ladder has a backtest chart');
  const labels = legendLabels(bt.svg).flat();
  assert.deepEqual(labels.slice(0, 6), ['19.5K', '61.4K', '176.6K', '463.4K', '1.2M (held out)', 'predicted for the held-out size (fitted without it)']);
  const layers = layersOf(bt.spec);
  const points = layers.find((l) => (l.data?.values ?? []).some((r) => 'xd' in r))!.data!.values!;
  assert.equal(points.length, 15);
  const lines = layers.find((l) => (l.data?.values ?? []).some((r) => 'part' in r))!.data!.values!;
  assert.ok(lines.filter((r) => r.series === '1.2M (held out)').every((r) => r.part === 'extrapolated'), 'the held-out size is predicted everywhere');
  assert.ok(lines.filter((r) => r.series === '19.5K').some((r) => r.part === 'measured'));
  const bars = layers.find((l) => l.layer)!;
  const rows = bars.data!.values! as { lo: number; hi: number; rangeLo: number; rangeHi: number }[];
  assert.equal(rows.length, 3);
  for (const r of rows) assert.ok(r.rangeLo <= r.lo && r.lo < r.hi && r.hi <= r.rangeHi);
  assert.match(bt.svg, /stroke-width="4"/);
});
