/** Ingest's file handling: where it may write (item 10 of issue 9) and how unreadable inputs are named (item 12). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ingestFiles } from '../../src/runs/ingest.js';
import { serializeRunLog } from '../../src/runs/log.js';
import { sampleHeader } from '../helpers.js';

function sampleLog(runId = 'r1'): string {
  return serializeRunLog({
    header: sampleHeader({ run_id: runId }),
    steps: [],
    evals: [{ type: 'eval', step: 100, tokens: 100 * 8 * 32, val_bpc: 3.5 }],
    summary: { type: 'summary', status: 'completed', steps: 100, tokens: 100 * 8 * 32, final_val_bpc: 3.5, wall_s: 10 },
  });
}

function setup() {
  const base = mkdtempSync(join(tmpdir(), 'bitscale-ingest-files-'));
  const runs = join(base, 'runs');
  const outside = join(base, 'outside');
  mkdirSync(runs);
  mkdirSync(outside);
  const src = join(base, 'r1.jsonl');
  writeFileSync(src, sampleLog());
  return { base, runs, outside, src };
}

test('ingest --into a symlink that leads out of runs/ is refused and writes nothing outside', () => {
  const { runs, outside, src } = setup();
  symlinkSync(outside, join(runs, 'link'));
  assert.throws(() => ingestFiles([src], runs, { into: 'link' }), /--into: 'link\/r1\.jsonl' leads outside .*runs \(through a symlink/);
  assert.deepEqual(readdirSync(outside), []);
  // runs/ itself may be a symlink (the user's choice): a plain --into under it is fine.
  const { base, src: src2 } = setup();
  symlinkSync(runs, join(base, 'runs-link'));
  ingestFiles([src2], join(base, 'runs-link'), { into: 'mine' });
  assert.ok(existsSync(join(runs, 'mine', 'r1.jsonl')));
});

test('ingest of a folder named like a file, a missing file or an unreadable one: one line naming the path', () => {
  const { base, runs } = setup();
  const dir = join(base, 'logs.jsonl');
  mkdirSync(dir);
  assert.throws(() => ingestFiles([dir], runs), (err: Error) => err.message === `${dir}: is a folder, expected a file`);
  assert.throws(() => ingestFiles([join(base, 'nope.jsonl')], runs), (err: Error) => err.message === `${join(base, 'nope.jsonl')}: no such file or folder`);
  const locked = join(base, 'locked.jsonl');
  writeFileSync(locked, sampleLog('r2'));
  chmodSync(locked, 0o000);
  let readable = true;
  try {
    readFileSync(locked);
  } catch {
    readable = false;
  }
  if (!readable) assert.throws(() => ingestFiles([locked], runs), (err: Error) => err.message === `${locked}: permission denied`);
  assert.deepEqual(readdirSync(runs), []);
});

test('a JSONL log that starts with a byte-order mark ingests like one without', () => {
  const { base, runs } = setup();
  const bom = join(base, 'bom.jsonl');
  writeFileSync(bom, `\uFEFF${sampleLog('with-bom')}`);
  const [p] = ingestFiles([bom], runs);
  assert.equal(p.runId, 'with-bom');
  assert.equal(readFileSync(p.target, 'utf8'), sampleLog('with-bom'));
});
