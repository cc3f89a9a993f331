/**
 * Sweep throughput: for every shipped ladder (sweeps/*.json), its runs per hour and regeneration
 * time on this machine's cores, from the wall-clock its own run logs recorded, and (`--startup N`)
 * what a run pays before its log's clock starts, measured here.
 *
 *   node --import tsx bench/sweep.ts [--jobs 2] [--startup 3] [--json]
 *
 * Per grid: the runs it expands to, how many have a finished log in the grid's `out` folder, Σ of
 * their `wall_s` (summary record: seconds from the run's start to its end, evaluations included),
 * and the makespan of those runs `--jobs` at a time in the local pool's order (largest training
 * FLOPs first, each run to the first free slot), with and without the start-up a run pays as its
 * own process (Node, the CLI's modules, the backend, the corpus, the workers: the seconds between
 * spawning `bitscale train` and its log's first clock, measured by `--startup N` as the fastest of N
 * one-step tiny runs, process wall-clock minus the log's own wall_s). Runs per hour = finished runs
 * over that makespan. The logs' `jobs` and `threads` say how they ran (2 jobs × 1 thread on the
 * 2-core VM for the shipped ladders); a grid with no finished logs prints dashes.
 *
 * `--regenerate a,b` (grid names) retrains those ladders now, into a scratch folder with
 * `bitscale sweep --jobs N`, times the whole sweep (its regeneration time with the code as it is)
 * and compares each new log with the shipped one record by record, the clock (`wall_s`,
 * `tokens_per_s`) and the run id left out: how many come back bit for bit (docs/ladders.md,
 * "Regenerating a ladder").
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readRunLog } from '../src/runs/log.js';
import { expandGrid, readGrid } from '../src/train/sweep.js';
import { stableStringify } from '../src/util/json.js';
import { formatTable } from '../src/util/format.js';

/** Makespan of `durations` (seconds, in start order) on `slots` parallel slots, each job to the first slot free (the local pool's loop). */
export function listScheduleMakespan(durations: readonly number[], slots: number): number {
  const free = new Array<number>(Math.max(1, slots)).fill(0);
  for (const d of durations) {
    const i = free.indexOf(Math.min(...free));
    free[i] += d;
  }
  return Math.max(0, ...free);
}

interface GridThroughput {
  grid: string;
  runs: number;
  logged: number;
  /** jobs × threads the logs record (distinct values), e.g. "2×1". */
  ran_as: string;
  wall_s_sum: number | null;
  makespan_s: number | null;
  makespan_with_startup_s: number | null;
  runs_per_hour: number | null;
}

/** One grid's throughput from its logs; `startupS` per run added in the second makespan. */
function gridThroughput(path: string, jobs: number, startupS: number): GridThroughput {
  const grid = readGrid(path);
  const runs = expandGrid(grid, path).sort((a, b) => b.flops - a.flops);
  const walls: number[] = [];
  const ranAs = new Set<string>();
  for (const r of runs) {
    const log = join(grid.out, `${r.runId}.jsonl`);
    if (!existsSync(log)) continue;
    const { header, summary } = readRunLog(log);
    if (!summary || typeof summary.wall_s !== 'number') continue;
    walls.push(summary.wall_s);
    const h = header as unknown as { jobs?: number; threads?: number };
    ranAs.add(`${h.jobs ?? '?'}×${h.threads ?? '?'}`);
  }
  const logged = walls.length;
  const makespan = logged ? listScheduleMakespan(walls, jobs) : null;
  const withStartup = logged ? listScheduleMakespan(walls.map((w) => w + startupS), jobs) : null;
  return {
    grid: grid.name,
    runs: runs.length,
    logged,
    ran_as: [...ranAs].sort().join(', ') || '—',
    wall_s_sum: logged ? walls.reduce((a, b) => a + b, 0) : null,
    makespan_s: makespan,
    makespan_with_startup_s: withStartup,
    runs_per_hour: withStartup ? (3600 * logged) / withStartup : null,
  };
}

/** A run log's records as comparable text: the clock (wall_s, tokens_per_s) and the run id left out. */
export function logWithoutClock(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const record = JSON.parse(line) as Record<string, unknown>;
      delete record.wall_s;
      delete record.tokens_per_s;
      delete record.run_id;
      return stableStringify(record);
    });
}

interface Regeneration {
  grid: string;
  runs: number;
  minutes: number;
  runs_per_hour: number;
  /** Runs whose new log equals the shipped one apart from the clock and run id. */
  same_as_shipped: number;
  /** Runs that have a shipped log to compare with. */
  compared: number;
}

/** Retrain grid `name` now into a scratch folder, `jobs` at a time; time it and compare its logs with the shipped ones. */
function regenerate(name: string, jobs: number): Regeneration {
  const path = join('sweeps', `${name}.json`);
  const grid = readGrid(path);
  const root = mkdtempSync(join(tmpdir(), `bitscale-regen-${name}-`));
  try {
    const copy = join(root, `${name}.json`);
    const raw = JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;
    writeFileSync(copy, JSON.stringify({ ...raw, out: join(root, 'runs') }));
    const bin = new URL('../bin/bitscale.js', import.meta.url).pathname;
    const t0 = performance.now();
    const r = spawnSync(process.execPath, [bin, 'sweep', '--grid', copy, '--jobs', String(jobs), '--sweep-dir', join(root, 'sweep')], { encoding: 'utf8' });
    const seconds = (performance.now() - t0) / 1000;
    if (r.status !== 0) throw new Error(`sweep ${name} failed: ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
    const runs = expandGrid(grid, path);
    let same = 0;
    let compared = 0;
    for (const run of runs) {
      const shipped = join(grid.out, `${run.runId}.jsonl`);
      if (!existsSync(shipped)) continue;
      compared++;
      const a = logWithoutClock(readFileSync(join(root, 'runs', `${run.runId}.jsonl`), 'utf8'));
      const b = logWithoutClock(readFileSync(shipped, 'utf8'));
      if (a.length === b.length && a.every((line, i) => line === b[i])) same++;
    }
    return { grid: grid.name, runs: runs.length, minutes: seconds / 60, runs_per_hour: (3600 * runs.length) / seconds, same_as_shipped: same, compared };
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/**
 * Seconds a `bitscale train` process spends outside its log's clock: the fastest of `repeat`
 * one-step runs of the tiny preset (process wall-clock minus the summary's wall_s), with `threads`
 * workers.
 */
function measureStartup(repeat: number, threads: number): { startup_s: number; process_s: number; log_wall_s: number } {
  const root = mkdtempSync(join(tmpdir(), 'bitscale-startup-'));
  const bin = new URL('../bin/bitscale.js', import.meta.url).pathname;
  let best = { startup_s: Infinity, process_s: 0, log_wall_s: 0 };
  try {
    for (let i = 0; i < repeat; i++) {
      const out = join(root, `runs-${i}`);
      const args = [bin, 'train', '--preset', 'tiny', '--steps', '1', '--eval-every', '0', '--run-id', `startup-${i}`, '--out', out, '--checkpoint-dir', join(root, `ckpt-${i}`), '--threads', String(threads)];
      const t0 = performance.now();
      const r = spawnSync(process.execPath, args, { encoding: 'utf8' });
      const processS = (performance.now() - t0) / 1000;
      if (r.status !== 0) throw new Error(`bitscale train failed: ${(r.stderr || r.stdout).trim().split('\n').pop()}`);
      const log = readdirSync(out).find((f) => f.endsWith('.jsonl'))!;
      const wall = readRunLog(join(out, log)).summary?.wall_s ?? 0;
      if (processS - wall < best.startup_s) best = { startup_s: processS - wall, process_s: processS, log_wall_s: wall };
    }
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
  return best;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      jobs: { type: 'string', default: '2' },
      startup: { type: 'string', default: '0' },
      threads: { type: 'string', default: '1' },
      regenerate: { type: 'string', default: '' },
      json: { type: 'boolean', default: false },
    },
  });
  const jobs = Number(values.jobs);
  const startupRuns = Number(values.startup);
  const startup = startupRuns > 0 ? measureStartup(startupRuns, Number(values.threads)) : null;
  const startupS = startup?.startup_s ?? 0;
  const grids = readdirSync('sweeps')
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => gridThroughput(join('sweeps', f), jobs, startupS));
  const regenerated = values.regenerate
    .split(',')
    .filter((g) => g !== '')
    .map((g) => regenerate(g, jobs));
  if (values.json) {
    process.stdout.write(`${stableStringify({ cores: availableParallelism(), jobs, startup, grids, regenerated })}\n`);
    return;
  }
  const min = (s: number | null) => (s === null ? '—' : (s / 60).toFixed(1));
  process.stdout.write(
    `${formatTable(
      ['ladder', 'runs', 'logged', 'ran as jobs×threads', 'Σ wall_s (min)', `makespan ${jobs} jobs (min)`, '+ start-up (min)', 'runs/hour'],
      grids.map((g) => [g.grid, g.runs, g.logged, g.ran_as, min(g.wall_s_sum), min(g.makespan_s), min(g.makespan_with_startup_s), g.runs_per_hour === null ? '—' : g.runs_per_hour.toFixed(0)]),
    )}\n`,
  );
  if (startup) process.stdout.write(`start-up per run (fastest of ${startupRuns}, ${values.threads} thread(s)): ${startup.startup_s.toFixed(2)} s (process ${startup.process_s.toFixed(2)} s, of which the log's clock ${startup.log_wall_s.toFixed(2)} s)\n`);
  else process.stdout.write('start-up per run not measured (--startup N adds it)\n');
  if (regenerated.length)
    process.stdout.write(
      `\n${formatTable(
        ['regenerated now', 'runs', `sweep --jobs ${jobs} (min)`, 'runs/hour', 'logs equal to the shipped ones (clock aside)'],
        regenerated.map((g) => [g.grid, g.runs, g.minutes.toFixed(1), g.runs_per_hour.toFixed(0), `${g.same_as_shipped} of ${g.compared}`]),
      )}\n`,
    );
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) await main();
