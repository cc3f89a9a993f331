/** fits/ changes as a whole, like reports/ (issue 9, item 9, the same fault in `fit`). */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeRunLog } from '../../src/runs/log.js';
import { SEED_RUNS, seedRunLog } from './seed-runs.js';

const bitscale = (args: string[]) => spawnSync(process.execPath, ['bin/bitscale.js', ...args], { encoding: 'utf8' });

test('fit replaces its output folder in one step: a stale fit file goes, a user file is refused, nothing is left beside it', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-fit-out-'));
  for (const s of SEED_RUNS) writeRunLog(join(dir, 'runs', 'seed', `${s.id}.jsonl`), seedRunLog(s));
  const out = join(dir, 'fits');
  mkdirSync(out);
  writeFileSync(join(out, 'retired.json'), '{}\n');
  const ok = bitscale(['--runs', join(dir, 'runs'), 'fit', '--out', out, '--bootstrap', '20']);
  assert.equal(ok.status, 0, ok.stderr);
  assert.deepEqual(readdirSync(out).sort(), ['batch-lr.json', 'dataset-offsets.json', 'index.json', 'joint.json', 'params.json', 'steps.json']);
  assert.deepEqual(readdirSync(dir).sort(), ['fits', 'runs']);
  writeFileSync(join(out, 'notes.txt'), 'mine');
  const refused = bitscale(['--runs', join(dir, 'runs'), 'fit', '--out', out, '--bootstrap', '20']);
  assert.equal(refused.status, 1);
  assert.match(refused.stderr, /fits: holds notes\.txt, which bitscale did not write; the folder is replaced as a whole, so it may hold only fit files \(\*\.json\)/);
  assert.ok(readdirSync(out).includes('notes.txt'));
});
