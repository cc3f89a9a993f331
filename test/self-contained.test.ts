/**
 * The repository stands on its own (issue 9, item 15): nothing points at files beside a checkout
 * (the design notes and seed report the project was started from are not in a user's clone), and
 * every relative link in the README and docs/ leads to a file inside the repository.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const root = resolve(new URL('../', import.meta.url).pathname);
const SELF = relative(root, new URL(import.meta.url).pathname);

function files(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((n) => {
    const rel = join(dir, n);
    return statSync(join(root, rel)).isDirectory() ? files(rel) : [rel];
  });
}

test('no file of the project points at ../shared or shared/ (design notes, seed report) outside the repository', () => {
  const outside = new RegExp(['\\.\\./shared', '(^|[^A-Za-z_.-])shared/(design|seed)'].join('|'));
  const checked = ['README.md', ...['docs', 'src', 'test', 'bench', 'templates', 'claims', 'runs', 'sweeps', '.ci'].filter((d) => existsSync(join(root, d))).flatMap(files)];
  assert.ok(checked.length > 50);
  const hits = checked.filter((f) => f !== SELF).flatMap((f) => readFileSync(join(root, f), 'utf8').split('\n').flatMap((line, i) => (outside.test(line) ? [`${f}:${i + 1}`] : [])));
  assert.deepEqual(hits, []);
});

test('every relative link in README.md and docs/*.md leads to a file inside the repository', () => {
  const pages = ['README.md', ...files('docs').filter((f) => f.endsWith('.md'))];
  assert.ok(pages.includes('docs/model.md') && pages.includes('docs/corpus.md') && pages.includes('docs/run-log.md'));
  const broken: string[] = [];
  for (const page of pages) {
    for (const m of readFileSync(join(root, page), 'utf8').matchAll(/\]\(([^)\s]+)\)/g)) {
      const target = m[1].split('#')[0];
      if (target === '' || /^[a-z]+:/i.test(target)) continue;
      const abs = resolve(root, dirname(page), target);
      if (relative(root, abs).startsWith('..') || !existsSync(abs)) broken.push(`${page}: ${m[1]}`);
    }
  }
  assert.deepEqual(broken, []);
});
