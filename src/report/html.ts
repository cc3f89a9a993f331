/**
 * The report as one self-contained interactive page (`bitscale report --html`): the Markdown
 * rendered to HTML (marked), each chart drawn in the browser from the same vega-lite spec as its
 * SVG (vega, vega-lite and vega-embed inlined from node_modules: no network at view time), with
 * tooltips and the spec's checkboxes (the extrapolated part, each run's curve), and tables that
 * sort by a click on a column's header. Same inputs → the same bytes: no timestamps, no ids drawn
 * at random.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Marked } from 'marked';
import type { TopLevelSpec } from 'vega-lite';

const require = createRequire(import.meta.url);

/** The browser builds of the three libraries, in load order: [package, file in its folder]. */
const LIBRARIES: [string, string][] = [
  ['vega', 'vega.min.js'],
  ['vega-lite', 'vega-lite.min.js'],
  ['vega-embed', 'vega-embed.min.js'],
];

/** A browser build beside the package's entry file (the packages' "exports" do not list the minified builds). */
function libraryText([pkg, file]: [string, string]): string {
  return readFileSync(join(dirname(require.resolve(pkg)), file), 'utf8');
}

/** Text safe inside a <script> element: no "</script" or "<!--" can end or confuse it. */
export function scriptSafe(text: string): string {
  return text.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
}

const escapeHtml = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Chart ids from their paths: "charts/brown-ladder-steps.svg" → "chart-brown-ladder-steps". */
export const chartId = (path: string) => `chart-${path.replace(/^charts\//, '').replace(/\.svg$/, '').replace(/[^A-Za-z0-9-]/g, '-')}`;

/**
 * Click a header to sort its table by that column (again: the other way). Cells are compared as
 * numbers where both read as one ("46.4M", "1.407 [1.40, 1.42]", "−0.084": the first number, with
 * K/M/B/T), else as text.
 */
const TABLE_SCRIPT = `
(function () {
  var SUFFIX = { K: 1e3, M: 1e6, B: 1e9, T: 1e12 };
  function key(text) {
    var m = /^\\s*[*\\[(]*([\\u2212+-]?[0-9][0-9,]*(?:\\.[0-9]+)?(?:e[+-]?[0-9]+)?)\\s*([KMBT])?(?![A-Za-z])/.exec(text);
    if (!m) return null;
    var v = Number(m[1].replace(/,/g, '').replace('\\u2212', '-'));
    return m[2] ? v * SUFFIX[m[2]] : v;
  }
  document.querySelectorAll('table').forEach(function (table) {
    var heads = table.querySelectorAll('thead th');
    heads.forEach(function (th, col) {
      th.setAttribute('role', 'button');
      th.setAttribute('tabindex', '0');
      th.title = 'sort by this column';
      function sort() {
        var asc = th.getAttribute('aria-sort') !== 'ascending';
        heads.forEach(function (h) { h.removeAttribute('aria-sort'); });
        th.setAttribute('aria-sort', asc ? 'ascending' : 'descending');
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        rows.forEach(function (r, i) { r.dataset.order = r.dataset.order || String(i); });
        rows.sort(function (a, b) {
          var x = a.cells[col] ? a.cells[col].textContent : '';
          var y = b.cells[col] ? b.cells[col].textContent : '';
          var kx = key(x), ky = key(y), c;
          if (kx !== null && ky !== null) c = kx - ky;
          else if (kx !== null || ky !== null) c = kx !== null ? -1 : 1;
          else c = x < y ? -1 : x > y ? 1 : 0;
          if (c === 0) c = Number(a.dataset.order) - Number(b.dataset.order);
          return asc ? c : -c;
        });
        rows.forEach(function (r) { body.appendChild(r); });
      }
      th.addEventListener('click', sort);
      th.addEventListener('keydown', function (e) { if (e.key === 'Enter' || e.key === ' ') { e.preventDefault(); sort(); } });
    });
  });
})();
`;

/** Draw every chart from its spec; a failure is shown in the page and thrown to the console. */
const CHART_SCRIPT = `
(function () {
  var specs = JSON.parse(document.getElementById('bitscale-specs').textContent);
  var pending = Object.keys(specs).map(function (id) {
    var el = document.getElementById(id);
    return vegaEmbed(el.querySelector('.vega'), specs[id], { renderer: 'svg', actions: false }).then(function (r) {
      el.dataset.rendered = 'true';
      return r;
    }, function (err) {
      el.querySelector('.vega').textContent = 'this chart could not be drawn: ' + err.message;
      throw err;
    });
  });
  Promise.all(pending).then(function () { document.body.dataset.chartsRendered = String(pending.length); });
})();
`;

const STYLE = `
body { font-family: Helvetica, Arial, sans-serif; max-width: 980px; margin: 2em auto; padding: 0 1em; line-height: 1.45; color: #222; }
table { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
th, td { border: 1px solid #ccc; padding: 0.25em 0.6em; text-align: left; vertical-align: top; }
thead th { background: #f3f3f3; cursor: pointer; user-select: none; }
thead th[aria-sort=ascending]::after { content: ' \\25B2'; }
thead th[aria-sort=descending]::after { content: ' \\25BC'; }
figure.chart { margin: 1.5em 0; }
figure.chart figcaption { color: #555; font-size: 0.85em; }
.vega-bindings { font-size: 0.9em; margin-top: 0.4em; }
.vega-bind { display: inline-block; margin-right: 1.2em; }
code { background: #f5f5f5; padding: 0 0.2em; }
`;

/**
 * The page: the report's Markdown as HTML, each `![…](charts/x.svg)` image replaced by that chart
 * drawn live from `charts`' spec (the SVG stays the fallback the Markdown links).
 */
export function renderHtml(input: { title: string; markdown: string; charts: { path: string; alt: string; spec: TopLevelSpec }[] }): string {
  const marked = new Marked({ gfm: true });
  const byPath = new Map(input.charts.map((c) => [c.path, c]));
  const used: Record<string, TopLevelSpec> = {};
  const body = (marked.parse(input.markdown, { async: false }) as string).replace(/<img src="([^"]+)" alt="[^"]*"\s*\/?>/g, (img, src: string) => {
    const chart = byPath.get(src);
    if (!chart) return img;
    const id = chartId(chart.path);
    used[id] = chart.spec;
    return `<figure class="chart" id="${id}"><div class="vega" role="img" aria-label="${escapeHtml(chart.alt)}"></div><figcaption>${escapeHtml(chart.alt)} (<a href="${escapeHtml(chart.path)}">SVG</a>)</figcaption></figure>`;
  });
  const libraries = LIBRARIES.map((lib) => `<script>${scriptSafe(libraryText(lib))}</script>`).join('\n');
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(input.title)}</title>`,
    `<style>${STYLE}</style>`,
    '</head>',
    '<body>',
    body,
    `<script type="application/json" id="bitscale-specs">${JSON.stringify(used).replace(/</g, '\\u003c')}</script>`,
    libraries,
    `<script>${TABLE_SCRIPT}</script>`,
    `<script>${CHART_SCRIPT}</script>`,
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
