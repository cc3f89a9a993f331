/**
 * The report renders its charts in a worker thread (src/report/chart-renderer.ts): the SVGs must be
 * byte-identical to in-process rendering, and a worker that cannot run leaves the report whole.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { TopLevelSpec } from 'vega-lite';
import { renderAhead, startChartRenderer } from '../../src/report/chart-renderer.js';
import { renderSvg } from '../../src/report/charts.js';

const spec = (title: string, values: { x: number; y: number }[]): TopLevelSpec => ({
  $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
  title,
  width: 200,
  height: 100,
  data: { values },
  mark: 'line',
  encoding: { x: { field: 'x', type: 'quantitative' }, y: { field: 'y', type: 'quantitative' } },
});
const specs = [spec('a', [{ x: 1, y: 3 }, { x: 2, y: 2.5 }]), spec('b', [{ x: 10, y: 1 }, { x: 100, y: 0.5 }, { x: 1000, y: 0.25 }])];

test('the worker renders the same SVG bytes as renderSvg in-process, in order, batch after batch', async () => {
  const renderer = startChartRenderer();
  try {
    const expected = await Promise.all(specs.map((s) => renderSvg(s)));
    assert.deepEqual(await renderer.call(specs), expected);
    assert.deepEqual(await renderer.call([specs[1]]), [expected[1]]);
  } finally {
    await renderer.close();
  }
});

test('a spec vega cannot compile is an error from the worker, as in-process', async () => {
  const bad = { ...specs[0], mark: 'no-such-mark' } as unknown as TopLevelSpec;
  const renderer = startChartRenderer();
  try {
    await assert.rejects(renderSvg(bad));
    await assert.rejects(renderer.call([bad]));
    // The worker is still there for the next batch.
    assert.equal((await renderer.call([specs[0]]))[0], await renderSvg(specs[0]));
  } finally {
    await renderer.close();
  }
});

test('after close (or a dead worker) rendering continues on this thread', async () => {
  const renderer = startChartRenderer();
  await renderer.close();
  assert.deepEqual(await renderer.call(specs), await Promise.all(specs.map((s) => renderSvg(s))));
});

test('charts rendered ahead are reused where the final list has the same spec, and only the others are rendered after', async () => {
  const renderer = startChartRenderer();
  const sent: string[][] = [];
  const watched = { call: (batch: TopLevelSpec[]) => (sent.push(batch.map((b) => String(b.title))), renderer.call(batch)), close: () => renderer.close() };
  try {
    const c = spec('c', [{ x: 1, y: 1 }, { x: 2, y: 4 }]);
    // 'a' is rendered ahead; the final list has 'b', the same 'a', and an 'a2' whose data changed.
    const renderAll = renderAhead(watched, [specs[0]]);
    const changed = spec('a2', [{ x: 1, y: 3 }, { x: 2, y: 2.4 }]);
    const svgs = await renderAll([specs[1], specs[0], changed, c]);
    assert.deepEqual(sent, [['a'], ['b', 'a2', 'c']]);
    assert.deepEqual(svgs, await Promise.all([specs[1], specs[0], changed, c].map((s) => renderSvg(s))));
  } finally {
    await renderer.close();
  }
});
