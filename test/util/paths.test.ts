import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { realPathSoFar, resolveInside } from '../../src/util/paths.js';

function layout() {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'bitscale-paths-')));
  const runs = join(base, 'runs');
  const outside = join(base, 'outside');
  mkdirSync(join(runs, 'seed'), { recursive: true });
  mkdirSync(outside);
  symlinkSync(outside, join(runs, 'link'));
  symlinkSync(join(runs, 'seed'), join(runs, 'alias'));
  writeFileSync(join(outside, 'x.jsonl'), '');
  symlinkSync(join(outside, 'x.jsonl'), join(runs, 'seed', 'escape.jsonl'));
  return { base, runs, outside };
}

test('resolveInside keeps plain names inside the root, made or not yet made', () => {
  const { runs } = layout();
  assert.equal(resolveInside(runs, 'seed/a.jsonl', 'run id'), join(runs, 'seed/a.jsonl'));
  assert.equal(resolveInside(runs, 'new/deeper/a.jsonl', '--into'), join(runs, 'new/deeper/a.jsonl'));
  // A symlink that stays inside the root is fine.
  assert.equal(resolveInside(runs, 'alias/a.jsonl', '--into'), join(runs, 'alias/a.jsonl'));
  // The root itself need not exist yet.
  assert.equal(resolveInside(join(runs, 'fresh'), 'a.jsonl', 'run id'), join(runs, 'fresh', 'a.jsonl'));
});

test('resolveInside refuses .. and absolute names, naming the option', () => {
  const { runs } = layout();
  assert.throws(() => resolveInside(runs, '../../evil.jsonl', '--run-id'), /--run-id: '\.\.\/\.\.\/evil\.jsonl' leads outside/);
  assert.throws(() => resolveInside(runs, '/tmp/evil.jsonl', '--run-id'), /leads outside/);
  assert.throws(() => resolveInside(runs, '.', '--into'), /leads outside/);
});

test('resolveInside refuses a path that a symlink leads out of the root (folder or file)', () => {
  const { runs, outside } = layout();
  assert.throws(() => resolveInside(runs, 'link/a.jsonl', '--into'), (err: Error) => err.message.includes(`through a symlink, to ${join(outside, 'a.jsonl')}`));
  assert.throws(() => resolveInside(runs, 'link/new/a.jsonl', '--into'), /through a symlink/);
  assert.throws(() => resolveInside(runs, 'seed/escape.jsonl', 'run id'), /through a symlink/);
});

test('realPathSoFar resolves the existing part and appends the rest', () => {
  const { runs, outside } = layout();
  assert.equal(realPathSoFar(join(runs, 'link', 'a', 'b')), join(outside, 'a', 'b'));
});
