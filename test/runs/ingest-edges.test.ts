/** The smaller items of issue 27: files that are not files, a dangling symlink in runs/, header-only and ambiguous CSVs, odd file names. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ingestFiles } from '../../src/runs/ingest.js';
import { loadRunTable } from '../../src/runs/table.js';
import { sampleLogText } from './sample-log.js';
import { snapshotFiles } from './snapshot.js';

const tmp = (name: string) => mkdtempSync(join(tmpdir(), `bitscale-${name}-`));

const sampleLog = sampleLogText;

test('a FIFO or a symlink to /dev/zero is refused at once in one line naming it, for a run log and for a trainer\'s log', { skip: process.platform === 'win32' }, () => {
  const dir = tmp('special');
  const runs = tmp('runs');
  const fifo = join(dir, 'pipe.jsonl');
  assert.equal(spawnSync('mkfifo', [fifo]).status, 0);
  const zero = join(dir, 'zero.log');
  symlinkSync('/dev/zero', zero);
  const started = Date.now();
  assert.throws(() => ingestFiles([fifo], runs), (err: Error) => err.message === `${fifo}: is not a regular file (a pipe); copy its contents to a file first`);
  assert.throws(() => ingestFiles([zero], runs), (err: Error) => err.message === `${zero}: is not a regular file (a device); copy its contents to a file first`);
  assert.ok(Date.now() - started < 2000, 'no hang');
  assert.deepEqual(snapshotFiles(runs), {});
});

test('a dangling symlink in runs/ is skipped with a warning; the table still loads', () => {
  const runs = tmp('runs');
  mkdirSync(join(runs, 'a'));
  writeFileSync(join(runs, 'a', 'r1.jsonl'), sampleLog('r1'));
  symlinkSync(join(runs, 'gone.jsonl'), join(runs, 'a', 'dangling.jsonl'));
  const warnings: string[] = [];
  assert.deepEqual(loadRunTable(runs, { onWarning: (m) => warnings.push(m) }).map((r) => r.id), ['r1']);
  assert.deepEqual(warnings, [`${join(runs, 'a', 'dangling.jsonl')}: no such file or folder; skipped`]);
});

test('a CSV with a header and no rows is an error, not "ingested 0 runs"', () => {
  const csv = join(tmp('csv'), 'empty.csv');
  writeFileSync(csv, 'run_id,params,steps,bs,lr,val_bpc\n');
  assert.throws(() => ingestFiles([csv], tmp('runs'), { set: { dataset: 'd', seq_len: '256' } }), (err: Error) => err.message === `${csv}:1: a header and no rows: no runs to ingest`);
});

test('a CSV with both step and iter columns is refused: either could be the steps', () => {
  const csv = join(tmp('csv'), 'both.csv');
  writeFileSync(csv, 'params,step,iter,bs,lr,val_bpc\n5e6,100,200,8,1e-3,2.0\n');
  assert.throws(() => ingestFiles([csv], tmp('runs'), { set: { dataset: 'd', seq_len: '256' } }), (err: Error) => err.message === `${csv}:1: field 'steps': columns 'iter' and 'step' could both be the steps; choose one with --map steps=COLUMN`);
  const plan = ingestFiles([csv], tmp('runs'), { set: { dataset: 'd', seq_len: '256' }, map: { steps: 'step' } });
  assert.equal(plan[0].log.evals[0].step, 100);
});

test('a file name with a newline gives an error of one line, the name quoted', () => {
  const bad = join(tmp('name'), 'a\nb.jsonl');
  writeFileSync(bad, '{"type":"header"}\n');
  assert.throws(() => ingestFiles([bad], tmp('runs')), (err: Error) => !err.message.includes('\n') && err.message.startsWith(`${JSON.stringify(bad)}:1: field `));
});

test('in a CSV results table only decimal numbers are numbers: hex is refused naming the cell, never read as 16', () => {
  const csv = join(tmp('csv'), 'hex.csv');
  writeFileSync(csv, 'params,steps,bs,lr,val_bpc\n5e6,0x10,8,1e-3,2.0\n');
  assert.throws(() => ingestFiles([csv], tmp('runs'), { set: { dataset: 'd', seq_len: '256' } }), (err: Error) => err.message === `${csv}:2: field 'steps': not a number: '0x10'`);
});
