import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recoverDirectory, writeDirectoryAtomic, type DirectoryOwnership } from '../../src/util/atomic.js';

const OWN: DirectoryOwnership = { allowed: (rel, isDir) => rel === 'a.txt' || (rel === 'sub' && isDir) || /^sub\/[^/]+\.txt$/.test(rel), describe: 'a.txt and sub/*.txt' };

function fixture(): { parent: string; out: string } {
  const parent = mkdtempSync(join(tmpdir(), 'bitscale-atomic-'));
  const out = join(parent, 'out');
  mkdirSync(join(out, 'sub'), { recursive: true });
  writeFileSync(join(out, 'a.txt'), 'old a');
  writeFileSync(join(out, 'sub', 'b.txt'), 'old b');
  writeFileSync(join(out, 'sub', 'stale.txt'), 'old stale');
  return { parent, out };
}

const snapshot = (dir: string): Record<string, string> => {
  const out: Record<string, string> = {};
  const walk = (d: string, rel: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p, `${rel}${n}/`);
      else out[`${rel}${n}`] = readFileSync(p, 'utf8');
    }
  };
  walk(dir, '');
  return out;
};

/** A pid that belonged to a process that has exited (what a killed run leaves in its names). */
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!;

test('writeDirectoryAtomic replaces the whole set: new files in, stale ones gone, nothing left beside it', async () => {
  const { parent, out } = fixture();
  await writeDirectoryAtomic(out, (dir) => {
    writeFileSync(join(dir, 'a.txt'), 'new a');
    mkdirSync(join(dir, 'sub'));
    writeFileSync(join(dir, 'sub', 'b.txt'), 'new b');
  }, OWN);
  assert.deepEqual(snapshot(out), { 'a.txt': 'new a', 'sub/b.txt': 'new b' });
  assert.deepEqual(readdirSync(parent), ['out']);
  mkdirSync(join(parent, 'plain'));
  assert.equal(statSync(out).mode & 0o777, statSync(join(parent, 'plain')).mode & 0o777, 'the mode a plain mkdir gives, not mkdtemp\'s 0700');
});

test('a fill that throws leaves the old set untouched and no staging folder', async () => {
  const { parent, out } = fixture();
  const before = snapshot(out);
  await assert.rejects(writeDirectoryAtomic(out, (dir) => {
    writeFileSync(join(dir, 'a.txt'), 'half');
    throw new Error('render failed');
  }, OWN), /render failed/);
  assert.deepEqual(snapshot(out), before);
  assert.deepEqual(readdirSync(parent), ['out']);
});

test('a folder holding a user file is refused, naming it, and nothing is written', async () => {
  const { out } = fixture();
  writeFileSync(join(out, 'notes.md'), 'mine');
  const before = snapshot(out);
  await assert.rejects(writeDirectoryAtomic(out, (dir) => writeFileSync(join(dir, 'a.txt'), 'new'), OWN), (err: Error) => {
    assert.match(err.message, /out: holds notes\.md, which bitscale did not write; .* may hold only a\.txt and sub\/\*\.txt/);
    return true;
  });
  assert.deepEqual(snapshot(out), before);
});

test('recovery after a killed run: a dead run\'s staging folder is removed; the old set is kept', () => {
  const { parent, out } = fixture();
  const before = snapshot(out);
  const staging = join(parent, `.out.staging-${deadPid()}-abc`);
  mkdirSync(staging);
  writeFileSync(join(staging, 'a.txt'), 'half');
  recoverDirectory(out);
  assert.deepEqual(snapshot(out), before);
  assert.deepEqual(readdirSync(parent), ['out']);
});

test('recovery after a SIGKILL between the two renames: the folder is missing and its old set is put back', async () => {
  const { parent, out } = fixture();
  const before = snapshot(out);
  const pid = deadPid();
  // The state the swap leaves after its first rename: the set renamed aside, the staged one beside.
  spawnSync('mv', [out, join(parent, `.out.old-${pid}`)]);
  mkdirSync(join(parent, `.out.staging-${pid}-abc`));
  assert.equal(existsSync(out), false);
  recoverDirectory(out);
  assert.deepEqual(snapshot(out), before);
  assert.deepEqual(readdirSync(parent), ['out']);
  // After its second rename (killed before removing the old set): the new set stays, the old goes.
  mkdirSync(join(parent, `.out.old-${pid}`));
  recoverDirectory(out);
  assert.deepEqual(snapshot(out), before);
  assert.deepEqual(readdirSync(parent), ['out']);
});

test('a symlinked output folder is replaced at its real path; the link stays a link', async () => {
  const { parent, out } = fixture();
  const link = join(parent, 'link');
  spawnSync('ln', ['-s', 'out', link]);
  await writeDirectoryAtomic(link, (dir) => writeFileSync(join(dir, 'a.txt'), 'via link'), OWN);
  assert.deepEqual(snapshot(out), { 'a.txt': 'via link' });
  assert.equal(readFileSync(join(link, 'a.txt'), 'utf8'), 'via link');
  assert.deepEqual(readdirSync(parent).sort(), ['link', 'out']);
});
