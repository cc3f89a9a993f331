/**
 * Ingest as one transaction under the run table's lock (issue 27, items 1 and 5): all runs of a
 * command or none, leftovers of a killed ingest finished or removed by the next one, and
 * concurrent ingests of the same run ids never both succeed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, linkSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { ingestFiles, planIngest, applyIngest, RUN_TABLE_LOCK } from '../../src/runs/ingest.js';
import { loadRunTable } from '../../src/runs/table.js';
import { STAGING_PREFIX, writeNewFilesTogether } from '../../src/util/atomic.js';
import { sampleLogText } from './sample-log.js';
import { snapshotFiles } from './snapshot.js';

const bin = new URL('../../bin/bitscale.js', import.meta.url).pathname;

const sampleLog = sampleLogText;

function sources(ids: string[]): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-tx-src-'));
  return ids.map((id) => {
    const p = join(dir, `${id}.jsonl`);
    writeFileSync(p, sampleLog(id));
    return p;
  });
}

const snapshot = snapshotFiles;

test('a run whose file appears between planning and writing fails the whole command: no run of it is written and no staging folder is left', () => {
  const runs = mkdtempSync(join(tmpdir(), 'bitscale-tx-'));
  const plan = planIngest(sources(['a', 'b', 'c']), runs);
  mkdirSync(join(runs, 'ingested'));
  // Another writer put a file at b's target meanwhile (its header names another run id).
  writeFileSync(join(runs, 'ingested', 'b.jsonl'), sampleLog('someone-else'));
  const before = snapshot(runs);
  assert.throws(() => applyIngest(plan, runs), /ingested\/b\.jsonl already exists/);
  assert.deepEqual(snapshot(runs), before, 'a and c were not written');
  assert.deepEqual(readdirSync(runs).filter((n) => n.startsWith('.')), [], 'no staging folder and no lock left');
});

test('writeNewFilesTogether: a link that fails half-way removes the links already made, and never replaces an existing file', () => {
  const root = mkdtempSync(join(tmpdir(), 'bitscale-tx-'));
  writeFileSync(join(root, 'y'), 'theirs');
  assert.throws(() => writeNewFilesTogether(root, [{ target: 'x', data: 'mine x' }, { target: 'y', data: 'mine y' }]), /y: already exists/);
  assert.deepEqual(readdirSync(root), ['y']);
  assert.equal(readFileSync(join(root, 'y'), 'utf8'), 'theirs');
});

test('leftovers of a killed ingest: staged runs past the commit point are put in place by the next ingest, ones before it removed', () => {
  const runs = mkdtempSync(join(tmpdir(), 'bitscale-tx-'));
  // Killed after its manifest (the commit point) and after linking the first of two runs.
  const committed = join(runs, `${STAGING_PREFIX}99999-aaaa`);
  mkdirSync(committed);
  mkdirSync(join(runs, 'ingested'));
  writeFileSync(join(committed, '0.part'), sampleLog('k1'));
  writeFileSync(join(committed, '1.part'), sampleLog('k2'));
  writeFileSync(join(committed, 'manifest.json'), JSON.stringify([{ part: '0.part', target: 'ingested/k1.jsonl' }, { part: '1.part', target: 'ingested/k2.jsonl' }]));
  linkSync(join(committed, '0.part'), join(runs, 'ingested', 'k1.jsonl'));
  // Killed while staging (no manifest): nothing of it may appear.
  const uncommitted = join(runs, `${STAGING_PREFIX}99998-bbbb`);
  mkdirSync(uncommitted);
  writeFileSync(join(uncommitted, '0.part'), sampleLog('half'));

  const warnings: string[] = [];
  ingestFiles(sources(['next']), runs, { onWarning: (m) => warnings.push(m) });
  assert.deepEqual(loadRunTable(runs).map((r) => r.id).sort(), ['k1', 'k2', 'next']);
  assert.deepEqual(readdirSync(runs).filter((n) => n.startsWith('.')), []);
  assert.match(warnings.join('\n'), /99999-aaaa: finished an interrupted write \(1 file put in place\)/);
  assert.match(warnings.join('\n'), /99998-bbbb: removed what an interrupted write had staged/);
});

test('a 300-character run id is refused in one line naming the field, not with ENAMETOOLONG', () => {
  const runs = mkdtempSync(join(tmpdir(), 'bitscale-tx-'));
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-tx-src-'));
  const p = join(dir, 'long.jsonl');
  writeFileSync(p, sampleLog('x'.repeat(300)));
  assert.throws(() => ingestFiles([p], runs), /long\.jsonl:1: field 'run_id': is 300 characters long; at most 200/);
});

function runCli(args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.once('exit', (code) => resolve({ code, stderr }));
  });
}

test('concurrent ingests of the same run ids (same folder or two folders) never both succeed; the table stays readable', async () => {
  const trials = [
    { intoA: 'ingested', intoB: 'ingested' },
    { intoA: 'one', intoB: 'two' },
    { intoA: 'one', intoB: 'two' },
  ];
  const results = await Promise.all(
    trials.map(async ({ intoA, intoB }) => {
      const runs = mkdtempSync(join(tmpdir(), 'bitscale-tx-race-'));
      const [a, b] = [sources(['p', 'q']), sources(['p', 'q'])];
      const outcomes = await Promise.all([runCli(['--runs', runs, 'ingest', ...a, '--into', intoA]), runCli(['--runs', runs, 'ingest', ...b, '--into', intoB])]);
      return { runs, outcomes };
    }),
  );
  for (const { runs, outcomes } of results) {
    const codes = outcomes.map((o) => o.code).sort();
    assert.deepEqual(codes, [0, 1], outcomes.map((o) => o.stderr).join('\n'));
    const loser = outcomes.find((o) => o.code === 1)!;
    assert.match(loser.stderr, /duplicate run id 'p'|already exists/);
    const lines = loser.stderr.trim().split('\n').filter((l) => !/changed since the build/.test(l));
    assert.equal(lines.length, 1, `one line: ${loser.stderr}`);
    assert.deepEqual(loadRunTable(runs).map((r) => r.id).sort(), ['p', 'q']);
    assert.ok(!existsSync(join(runs, RUN_TABLE_LOCK)), 'the lock is released');
  }
});

test('kill -9 at moments of an ingest of 150 runs: the next ingest leaves all 150 or none, never some', async (t) => {
  const trials = 6;
  const seen: number[] = [];
  for (let t = 0; t < trials; t++) {
    const runs = mkdtempSync(join(tmpdir(), 'bitscale-tx-kill-'));
    const files = sources(Array.from({ length: 150 }, (_, i) => `k${t}-${i}`));
    const child = spawn(process.execPath, [bin, '--runs', runs, 'ingest', ...files], { stdio: 'ignore' });
    // Wait until the run table's lock or a staging folder appears (the write has begun), then a little more.
    const began = Date.now();
    while (Date.now() - began < 20_000 && child.exitCode === null && !readdirSync(runs).some((n) => n.startsWith('.'))) await new Promise((r) => setTimeout(r, 2));
    await new Promise((r) => setTimeout(r, [0, 5, 20, 60][t % 4]));
    child.kill('SIGKILL');
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
    // The next ingest finishes or removes what the killed one left, under the same lock.
    ingestFiles(sources([`after-${t}`]), runs, { onWarning: () => {} });
    const ids = loadRunTable(runs).map((r) => r.id).filter((id) => id.startsWith(`k${t}-`));
    assert.ok(ids.length === 0 || ids.length === 150, `trial ${t}: ${ids.length} of 150 runs`);
    assert.deepEqual(readdirSync(runs).filter((n) => n.startsWith('.')), [], 'no leftovers');
    seen.push(ids.length);
  }
  t.diagnostic(`runs of the killed ingest found afterwards, per trial: ${seen.join(', ')}`);
  assert.equal(seen.length, trials);
});

test('a run-table lock left by a killed ingest (its owner file names a pid that is gone) is taken over within seconds, not after the 20 s staleness', async () => {
  const runs = mkdtempSync(join(tmpdir(), 'bitscale-tx-dead-'));
  const gone = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => gone.once('exit', r));
  mkdirSync(join(runs, RUN_TABLE_LOCK));
  writeFileSync(join(runs, `${RUN_TABLE_LOCK}.owner`), JSON.stringify({ host: hostname(), pid: gone.pid, since: '2026-01-01T00:00:00Z', start: 1 }));
  const started = Date.now();
  ingestFiles(sources(['after-kill']), runs);
  const seconds = (Date.now() - started) / 1000;
  assert.ok(seconds < 10, `took ${seconds} s`);
  assert.deepEqual(loadRunTable(runs).map((r) => r.id), ['after-kill']);
  assert.deepEqual(readdirSync(runs).filter((n) => n.startsWith('.')), []);
});
