import { test } from 'node:test';
import assert from 'node:assert/strict';
import { renderHtml, scriptSafe } from '../../src/report/html.js';

const markdown = ['# Scaling report', '', '| params | val_bpc |', '|---|---|', '| 46.4M | 1.766 |', '| 5.5M | 2.213 |', '', '![charts/steps.svg](charts/steps.svg)', '', 'text with a `</script>` in it', ''].join('\n');
const spec = { $schema: 'https://vega.github.io/schema/vega-lite/v5.json', data: { values: [{ series: 'a </script><script>alert(1)</script>', x: 1, y: 2 }] }, mark: 'point' } as never;
const page = () => renderHtml({ title: 'Scaling report', markdown, charts: [{ path: 'charts/steps.svg', alt: 'steps chart', spec }] });

test('the page: the Markdown as HTML, each chart image replaced by a live chart of its spec, no external resource, same bytes every time', () => {
  const html = page();
  assert.ok(html === page(), 'same bytes');
  // The report's own part (before the inlined libraries), checked without printing a megabyte.
  const body = html.slice(0, html.indexOf('<script type="application/json"'));
  assert.match(body, /<h1[^>]*>Scaling report<\/h1>/);
  assert.match(body, /<table>[\s\S]*<th>params<\/th>[\s\S]*<td>46\.4M<\/td>/);
  assert.match(body, /<figure class="chart" id="chart-steps"><div class="vega"/);
  assert.match(body, /<code>&lt;\/script&gt;<\/code>/);
  assert.doesNotMatch(body, /<img /);
  assert.ok(!/<script[^>]+src=|<link[^>]+href=/.test(html), 'no external script or stylesheet');
  // The spec travels as JSON and reads back equal, its "</script>" unable to end the element.
  const json = /<script type="application\/json" id="bitscale-specs">([\s\S]*?)<\/script>/.exec(html)![1];
  assert.deepEqual(JSON.parse(json), { 'chart-steps': spec });
  assert.doesNotMatch(json, /<\/script/i);
  // vega, vega-lite and vega-embed are inlined.
  assert.ok(html.includes('vegaEmbed'), 'vega-embed inlined');
  assert.ok(html.length > 500_000, `${html.length} bytes`);
});

test('scriptSafe keeps "</script" and "<!--" from ending or confusing an inline script', () => {
  assert.equal(scriptSafe('a</script>b<!--c'), 'a<\\/script>b<\\!--c');
});
