/**
 * An interrupted `report` leaves its output folder all-old or all-new. A child `bitscale report`
 * is killed (SIGINT and SIGKILL in turn) at KILL_POINTS times spread over one uninterrupted run's
 * duration; after each kill the folder's files are hashed and must equal the old set or the new
 * set exactly. A last run must then finish cleanly (clearing what the kills left) and give the new
 * set. KILL_POINTS defaults to 10; `KILL_POINTS=20 node --import tsx --test test/report/interrupt.test.ts`
 * runs the longer measurement.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, watch, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { recoverDirectory } from '../../src/util/atomic.js';

const root = new URL('../../', import.meta.url).pathname;
const KILL_POINTS = Number(process.env.KILL_POINTS ?? 10);

/** path → sha256 of every file below dir ('' when the folder is missing). */
function hashTree(dir: string): string {
  if (!existsSync(dir)) return '';
  const h = createHash('sha256');
  const walk = (d: string, rel: string) => {
    for (const n of readdirSync(d).sort()) {
      const p = join(d, n);
      if (statSync(p).isDirectory()) walk(p, `${rel}${n}/`);
      else h.update(`${rel}${n}\0${createHash('sha256').update(readFileSync(p)).digest('hex')}\n`);
    }
  };
  walk(dir, '');
  return h.digest('hex');
}

/** The old set: a report and charts from an earlier run, one chart the new run does not make. */
function writeOldSet(out: string): void {
  rmSync(out, { recursive: true, force: true });
  mkdirSync(join(out, 'charts'), { recursive: true });
  writeFileSync(join(out, 'SCALING_REPORT.md'), '# an older report\n');
  for (const n of ['steps.svg', 'params.svg', 'predictions.svg', 'memory.svg', 'retired.svg']) writeFileSync(join(out, 'charts', n), `<svg>old ${n}</svg>\n`);
}

function reportArgs(runs: string, out: string): string[] {
  return [join(root, 'bin/bitscale.js'), '--runs', runs, 'report', '--out', out, '--bootstrap', '20'];
}

interface Watched {
  /** ms from spawn to the first write of the output set (null: there was none). */
  stagingAt: number | null;
  /** ms from spawn to the swap (the first event inside reports/ after a staging folder appeared). */
  swappedAt: number | null;
  duration: number;
  status: number | null;
}

/**
 * Run `bitscale report` as a child, watching the output's parent for the first write of the
 * output; `kill` (if given) sends its signal `ms` after the spawn, or `ms` after that write.
 */
function runReport(work: string, runs: string, out: string, kill?: { signal: NodeJS.Signals; ms: number; fromStaging: boolean }): Promise<Watched> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    let stagingAt: number | null = null;
    let swappedAt: number | null = null;
    let staged = false;
    let timer: NodeJS.Timeout | undefined;
    const child = spawn(process.execPath, reportArgs(runs, out), { stdio: 'ignore' });
    const arm = (ms: number) => {
      timer = setTimeout(() => child.kill(kill!.signal), ms);
    };
    // The first write of the output set: a staging folder beside reports/ (watching the parent),
    // or, without staging, a file written inside reports/charts/ (watching that folder). Two plain
    // watchers: Node's recursive one throws when a folder vanishes under it.
    const seen = (inOutput: boolean, name: string) => {
      if (staged && swappedAt === null && name === 'reports') swappedAt = Date.now() - t0;
      if (stagingAt !== null || !(inOutput || name.startsWith('.reports.staging-'))) return;
      stagingAt = Date.now() - t0;
      staged = !inOutput;
      if (kill?.fromStaging) arm(kill.ms);
    };
    const watchers = [watch(work, (_e, name) => seen(false, String(name))), watch(join(out, 'charts'), (_e, name) => seen(true, String(name)))];
    for (const w of watchers) w.on('error', () => {});
    if (kill && !kill.fromStaging) arm(kill.ms);
    child.on('exit', (status) => {
      clearTimeout(timer);
      for (const w of watchers) w.close();
      resolve({ stagingAt, swappedAt, duration: Date.now() - t0, status });
    });
  });
}

test(`report killed at ${KILL_POINTS} points leaves reports/ all-old or all-new, every time`, { timeout: 600_000 }, async () => {
  const work = mkdtempSync(join(tmpdir(), 'bitscale-interrupt-'));
  const runs = join(work, 'runs');
  cpSync(join(root, 'runs/seed'), join(runs, 'seed'), { recursive: true });
  const out = join(work, 'reports');

  writeOldSet(out);
  const oldHash = hashTree(out);
  await runReport(work, runs, out); // warm-up (file cache)
  writeOldSet(out);
  const full = await runReport(work, runs, out);
  assert.equal(full.status, 0);
  assert.ok(full.stagingAt !== null, 'the run writes its output');
  const newHash = hashTree(out);
  assert.notEqual(newHash, oldHash);
  assert.equal(existsSync(join(out, 'charts', 'retired.svg')), false);

  // Half the kills spread over the whole run, half over the render-and-swap phase (from the
  // staging folder's appearance to the swap, and as far again past it), where a mix could arise.
  const render = (full.swappedAt ?? full.duration) - full.stagingAt!;
  const half = Math.ceil(KILL_POINTS / 2);
  const outcomes: { at: string; signal: string; state: 'old' | 'new' }[] = [];
  for (let i = 0; i < KILL_POINTS; i++) {
    writeOldSet(out);
    const fromStaging = i >= half;
    const k = fromStaging ? i - half : i;
    const n = fromStaging ? KILL_POINTS - half : half;
    const ms = Math.round(((fromStaging ? render * 1.5 : full.duration * 1.1) * (k + 0.5)) / n);
    const signal: NodeJS.Signals = i % 2 === 0 ? 'SIGINT' : 'SIGKILL';
    await runReport(work, runs, out, { signal, ms, fromStaging });
    // A SIGKILL that falls between the swap's two renames leaves the folder missing and the old
    // set beside it, which the next bitscale call puts back first (src/util/atomic.ts): look after that.
    recoverDirectory(out);
    const h = hashTree(out);
    const at = `${fromStaging ? 'write+' : ''}${ms}ms`;
    assert.ok(h === oldHash || h === newHash, `killed with ${signal} at ${at}: reports/ is neither the old set nor the new one`);
    outcomes.push({ at, signal, state: h === oldHash ? 'old' : 'new' });
  }
  // What the kills left beside the folder (staging copies) is cleared by the next run.
  writeOldSet(out);
  const again = await runReport(work, runs, out);
  assert.equal(again.status, 0);
  assert.equal(hashTree(out), newHash);
  assert.deepEqual(readdirSync(work).sort(), ['reports', 'runs']);
  const count = (s: string) => outcomes.filter((o) => o.state === s).length;
  process.stdout.write(`# uninterrupted run ${full.duration} ms (first output write at ${full.stagingAt} ms, swapped at ${full.swappedAt} ms); ${outcomes.length} kills: ${count('old')} left the old set, ${count('new')} the new set, 0 mixed\n# ${outcomes.map((o) => `${o.at} ${o.signal}→${o.state}`).join(', ')}\n`);
});
