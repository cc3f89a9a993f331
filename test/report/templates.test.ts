import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { compileTemplate, createTemplateEnv, TEMPLATE_OPTIONS } from '../../src/report/templates.js';

test('a template the build did not precompile renders as Handlebars.compile renders it: unescaped text, partials, empty missing fields', () => {
  const Handlebars = createRequire(import.meta.url)('handlebars') as typeof import('handlebars');
  const view = { title: 'N < 10 & "D" > 5', rows: [{ a: 1, b: '|x|' }, { a: 2 }], nested: { c: 'ok' } };
  const partial = '| {{a}} | {{b}} |\n';
  const main = '# {{title}}\n{{#each rows}}{{> row}}{{/each}}{{nested.c}} {{missing.field}}\n';

  const hb = createTemplateEnv();
  hb.registerPartial('row', compileTemplate(hb, partial));
  const ours = compileTemplate(hb, main)(view);

  const reference = Handlebars.create();
  reference.registerPartial('row', reference.compile(partial, { ...TEMPLATE_OPTIONS }));
  assert.equal(ours, reference.compile(main, { ...TEMPLATE_OPTIONS })(view));
  assert.equal(ours, '# N < 10 & "D" > 5\n| 1 | |x| |\n| 2 |  |\nok \n');
});
