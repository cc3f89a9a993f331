import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { compileTemplate, createTemplateEnv, TEMPLATE_OPTIONS } from '../../src/report/templates.js';

test('a template the build did not precompile renders as Handlebars.compile renders it: unescaped text, partials, a null field empty', () => {
  const Handlebars = createRequire(import.meta.url)('handlebars') as typeof import('handlebars');
  const view = { title: 'N < 10 & "D" > 5', rows: [{ a: 1, b: '|x|' }, { a: 2, b: null }], nested: { c: 'ok' } };
  const partial = '| {{a}} | {{b}} |\n';
  const main = '# {{title}}\n{{#each rows}}{{> row}}{{/each}}{{nested.c}}\n';

  const hb = createTemplateEnv();
  hb.registerPartial('row', compileTemplate(hb, partial));
  const ours = compileTemplate(hb, main)(view);

  const reference = Handlebars.create();
  reference.registerPartial('row', reference.compile(partial, { ...TEMPLATE_OPTIONS }));
  assert.equal(ours, reference.compile(main, { ...TEMPLATE_OPTIONS })(view));
  assert.equal(ours, '# N < 10 & "D" > 5\n| 1 | |x| |\n| 2 |  |\nok\n');
});

test('strict templates: a field the data lacks throws, naming it, at the top level, in a nested path and inside a partial', () => {
  const hb = createTemplateEnv();
  assert.throws(() => compileTemplate(hb, '# {{titel}}\n')({ title: 'x' }), /"titel" not defined/);
  assert.throws(() => compileTemplate(hb, '{{nested.missing}}\n')({ nested: { c: 1 } }), /"missing" not defined/);
  assert.throws(() => compileTemplate(hb, '{{#if nested}}{{nested.c.d}}{{/if}}\n')({ nested: { c: null } }), /"d" not defined in null/);
  hb.registerPartial('row', compileTemplate(hb, '| {{a}} | {{b}} |\n'));
  assert.throws(() => compileTemplate(hb, '{{#each rows}}{{> row}}{{/each}}')({ rows: [{ a: 1, b: 2 }, { a: 2 }] }), /"b" not defined/);
});

test('the formatting helpers print through src/util/format.ts: loss, count, signed, percentages, interval, GiB, shape; null as "—" or missing=', () => {
  const hb = createTemplateEnv();
  const data = { v: 1.40721, n: 46_399_488, d: -0.0841, f: -0.113, i: { lo: 1.3921, hi: 1.4222, level: 0.8 }, b: 1.5 * 2 ** 30, c: { d: 2048, layers: 16, heads: 16, dFf: 1024 }, none: null, lr: 6e-4, s: 15000 };
  const text = compileTemplate(hb, '{{loss v}} {{loss v 4}} {{count n}} {{integer n}} {{stepCount s}} {{signed d}} {{signedPct f}} {{pct f 1}} {{interval i}} {{gib b}} {{shapeText c}} {{rate lr}} {{loss none}} {{interval none missing="none"}} {{interval i 4 level=false}} {{fixed none 1 suffix=" h"}} {{fixed v 1 suffix=" h"}} {{list ids}} {{list ids "; "}} {{noun one "run"}} {{noun s "run"}}')({ ...data, ids: ['a', 'b'], one: 1 });
  assert.equal(text, '1.407 1.4072 46.4M 46,399,488 15K −0.084 −11% −11.3% [1.392, 1.422] (80%) 1.50 GiB d=2048, L=16, H=16, d_ff=1024 6e-4 — none [1.3921, 1.4222] — 1.4 h a, b a; b 1 run 15000 runs');
});

test('a formatting helper given a field the data lacks throws (strict mode does not check a helper\'s arguments)', () => {
  const hb = createTemplateEnv();
  assert.throws(() => compileTemplate(hb, 'line one\n{{loss valBcp}}\n')({ valBpc: 1.4 }), /\{\{loss\}\} got no value .* at line 2/);
});
