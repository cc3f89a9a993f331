/**
 * `sweep --slurm` against a real Slurm (controller, node daemon and munge on this machine; see
 * test/sweep/cluster.ts): tiny runs of a few seconds each, two at a time on the test node.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readRunLog } from '../../src/runs/log.js';
import { expandGrid, readGrid } from '../../src/train/sweep.js';
import { statusOfSweep } from '../../src/sweep/submit.js';
import { readSweepRecord, type StatusRow } from '../../src/sweep/scheduler.js';
import { requireSlurm, startCluster } from './cluster.js';

const root = new URL('../..', import.meta.url).pathname;
const cluster = startCluster();
const TINY = { preset: 'tiny', model: { d: 32, layers: 1, heads: 2, d_ff: 32, seq_len: 32 }, batchSize: 4, warmup: 5, evalWindows: 16, evalEvery: 20, checkpointEvery: 0, profileEvery: 0 };
const TIMING = new Set(['wall_s', 'tokens_per_s', 'peak_bytes']);

if ('skip' in cluster) {
  if (requireSlurm()) test('a real Slurm starts on CI (BITSCALE_REQUIRE_SLURM=1)', () => assert.fail(cluster.skip));
  else test('sweep --slurm against a real Slurm', { skip: cluster.skip }, () => {});
} else {
  process.env.SLURM_CONF = cluster.conf;
  const work = mkdtempSync(join(tmpdir(), 'bitscale-slurm-work-'));
  after(() => {
    cluster.stop();
    rmSync(work, { recursive: true, force: true });
  });
  // The shipped runs plus the sweeps' runs, so that `report` has what it needs and sees the new ones.
  cpSync(join(root, 'runs'), join(work, 'runs'), { recursive: true });

  const bitscale = (args: string[], env: Record<string, string> = {}) => {
    const r = spawnSync(process.execPath, [join(root, 'bin/bitscale.js'), ...args], { cwd: work, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env } });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const writeGrid = (name: string, models: Record<string, unknown>[], steps: number[]) => {
    const path = join(work, `${name}.json`);
    writeFileSync(path, JSON.stringify({ name, out: `runs/${name}`, base: TINY, models, steps }));
    return path;
  };
  const sweepDir = (name: string) => join(work, 'sweeps', name);
  const status = (name: string): StatusRow[] => {
    const grid = readGrid(join(work, `${name}.json`));
    return statusOfSweep({ ...grid, out: join(work, grid.out) }, expandGrid(grid), sweepDir(name));
  };
  const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
  async function waitFor<T>(what: string, seconds: number, probe: () => T | undefined | false): Promise<T> {
    const end = Date.now() + seconds * 1000;
    for (;;) {
      const v = probe();
      if (v) return v;
      if (Date.now() > end) throw new Error(`timed out after ${seconds} s waiting for ${what}`);
      await sleep(250);
    }
  }
  const submit = (name: string, extra: string[] = []) => {
    const r = bitscale(['sweep', '--grid', `${name}.json`, '--slurm', '--submit', '--json', '--backend', 'wasm', ...extra]);
    assert.equal(r.code, 0, r.stderr);
    return JSON.parse(r.stdout) as { job_id: string; script: string; tasks: { index: number; run_id: string }[] };
  };
  const records = (name: string, runId: string) => {
    const log = readRunLog(join(work, 'runs', name, `${runId}.jsonl`));
    const strip = (r: object) => Object.fromEntries(Object.entries(r).filter(([k]) => !TIMING.has(k)));
    return { steps: log.steps.map(strip), evals: log.evals.map(strip), summary: log.summary ? strip(log.summary) : null };
  };
  const small = { name: 'a', model: { d: 32 } };
  const wide = { name: 'b', model: { d: 48 } };
  // Stops as diverged at step 10: the mean train loss of a fresh model is far above 1 bit.
  const failing = { name: 'bad', model: { d: 32 }, divergeBits: 1 };

  test('an array of 4 tiny runs plus one failing config: --status shows them queued or running, then 4 done and 1 failed with its error', async () => {
    writeGrid('arr', [small, wide, { name: 'c', model: { d: 64 } }, { name: 'd', model: { d: 32, layers: 2 } }, failing], [20]);
    const sub = submit('arr');
    assert.match(sub.job_id, /^\d+$/);
    assert.deepEqual(sub.tasks.map((t) => t.index), [0, 1, 2, 3, 4]);
    const early = status('arr');
    assert.ok(early.every((r) => ['queued', 'running', 'done', 'failed'].includes(r.state)), JSON.stringify(early));
    assert.ok(early.some((r) => r.state === 'queued'), 'six tasks on a two-CPU node: some wait');
    const rows = await waitFor('the array to finish', 150, () => {
      const s = status('arr');
      return s.every((r) => (r.state === 'done' || r.state === 'failed') && !['PENDING', 'RUNNING', 'COMPLETING'].includes(r.scheduler_state ?? '')) && s;
    });
    assert.deepEqual(rows.map((r) => [r.run_id, r.state]), [
      ['arr-a-s20', 'done'], ['arr-b-s20', 'done'], ['arr-c-s20', 'done'], ['arr-d-s20', 'done'], ['arr-bad-s20', 'failed'],
    ]);
    for (const r of rows.slice(0, 4)) {
      assert.equal(r.val_bpc, readRunLog(join(work, 'runs/arr', `${r.run_id}.jsonl`)).summary?.final_val_bpc);
      assert.equal(r.job_id, `${sub.job_id}_${r.index}`);
    }
    const bad = rows[4];
    assert.equal(bad.scheduler_state, 'FAILED');
    assert.equal(bad.exit_code, '2:0');
    assert.match(bad.error!, /diverged at step 10/);
    // The text form says the same.
    const text = bitscale(['sweep', '--grid', 'arr.json', '--status']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /arr-a-s20\s+done\s+\d+_0\s+final val_bpc \d\.\d{4}/);
    assert.match(text.stdout, /arr-bad-s20\s+failed\s+\d+_4\s+FAILED exit 2:0 \(NonZeroExitCode\): diverged at step 10/);
  });

  test('the finished runs are seen by `bitscale runs` and `bitscale report`', () => {
    const runs = bitscale(['runs', '--json']);
    assert.equal(runs.code, 0, runs.stderr);
    const ids = (JSON.parse(runs.stdout).runs as { run_id: string }[]).map((r) => r.run_id);
    for (const id of ['arr-a-s20', 'arr-b-s20', 'arr-c-s20', 'arr-d-s20']) assert.ok(ids.includes(id), id);
    const report = bitscale(['report', '--out', 'reports', '--bootstrap', '20']);
    assert.equal(report.code, 0, report.stderr);
    const md = readFileSync(join(work, 'reports/SCALING_REPORT.md'), 'utf8');
    for (const id of ['arr-a-s20', 'arr-d-s20']) assert.ok(md.includes(id), `${id} in the report`);
  });

  test('`scontrol requeue` of a running task: --status says queued, and it resumes with the same records as an uninterrupted twin', async () => {
    // Two runs with the same config (names differ only): task 1 is requeued, task 0 is the reference.
    writeGrid('rq', [{ name: 'ref', model: { d: 32 } }, { name: 'cut', model: { d: 32 } }], [120]);
    const sub = submit('rq');
    const cutLog = join(work, 'runs/rq/rq-cut-s120.jsonl');
    await waitFor('task 1 to pass step 15', 60, () => existsSync(cutLog) && readFileSync(cutLog, 'utf8').split('\n').length > 17);
    const rq = spawnSync('scontrol', ['requeue', `${sub.job_id}_1`], { encoding: 'utf8' });
    assert.equal(rq.status, 0, rq.stderr);
    const queued = await waitFor('task 1 to show as queued', 30, () => status('rq')[1].state === 'queued' && status('rq')[1]);
    assert.ok(queued.step >= 15 && queued.step < 120, `stopped at step ${queued.step}`);
    assert.ok(existsSync(join(sweepDir('rq'), 'checkpoints/rq-cut-s120.ckpt')), 'the trainer wrote a checkpoint on SIGTERM');
    await waitFor('both runs to finish', 120, () => status('rq').every((r) => r.state === 'done'));
    const ref = records('rq', 'rq-ref-s120');
    const cut = records('rq', 'rq-cut-s120');
    assert.deepEqual(cut.steps.map((s) => s.step), Array.from({ length: 120 }, (_, i) => i + 1), 'no lost or duplicated step');
    assert.deepEqual(cut, ref);
    const out = readFileSync(join(sweepDir('rq'), 'logs', `${sub.job_id}_1.out`), 'utf8');
    assert.match(out, /restart 1: rq-cut-s120/);
    assert.match(out, /resuming rq-cut-s120 at step \d+/);
  });

  test('`scancel` of a pending task and then of the array, then resubmitting: --status shows done, cancelled while running, cancelled while pending (with and without a trace in Slurm); the resubmission runs only the gaps', async () => {
    writeGrid('gap', [small, wide], [20, 50]);
    const first = submit('gap', ['--max-parallel', '1']);
    const log = (id: string) => join(work, 'runs/gap', `${id}.jsonl`);
    await waitFor('run 0 done and run 1 past step 5', 90, () => {
      const s = status('gap');
      return s[0].state === 'done' && s[1].state === 'running' && s[1].step >= 5;
    });
    const before0 = readFileSync(log('gap-a-s20'));
    // A pending task cancelled on its own leaves no record in Slurm: only the sweep's record knows it was submitted.
    assert.equal(spawnSync('scancel', [`${first.job_id}_3`]).status, 0);
    const pendingGone = await waitFor('task 3 to leave the queue', 20, () => status('gap')[3].state === 'cancelled' && status('gap')[3]);
    assert.equal(pendingGone.scheduler_state, null);
    assert.equal(status('gap')[2].state, 'queued');
    assert.equal(spawnSync('scancel', [first.job_id]).status, 0);
    const rows = await waitFor('the cancellation to show', 30, () => {
      const s = status('gap');
      return s[1].state === 'cancelled' && s[2].state === 'cancelled' && s;
    });
    assert.deepEqual(rows.map((r) => r.state), ['done', 'cancelled', 'cancelled', 'cancelled']);
    assert.deepEqual(rows.map((r) => r.scheduler_state), ['COMPLETED', 'CANCELLED', 'CANCELLED', null]);
    assert.ok(rows[1].step >= 5 && rows[1].step < 50, 'the running task stopped part-way');
    assert.ok(existsSync(join(sweepDir('gap'), 'checkpoints/gap-a-s50.ckpt')), 'with a checkpoint');
    const second = submit('gap');
    assert.deepEqual(second.tasks.map((t) => t.index), [1, 2, 3]);
    assert.match(readFileSync(join(work, second.script), 'utf8'), /^#SBATCH --array=1-3$/m);
    assert.match(second.script, /submit-002\.sbatch$/);
    assert.ok(existsSync(join(work, first.script)), 'the first script is kept');
    assert.deepEqual(readSweepRecord(sweepDir('gap'), 'gap').submissions.map((s) => s.job_id), [first.job_id, second.job_id]);
    const done = await waitFor('the gaps to be filled', 120, () => {
      const s = status('gap');
      return s.every((r) => r.state === 'done') && s;
    });
    assert.deepEqual(done.map((r) => r.job_id), [`${first.job_id}_0`, `${second.job_id}_1`, `${second.job_id}_2`, `${second.job_id}_3`]);
    assert.deepEqual(readFileSync(log('gap-a-s20')), before0, 'the finished run was not touched');
    assert.deepEqual(records('gap', 'gap-a-s50').steps.map((s) => s.step), Array.from({ length: 50 }, (_, i) => i + 1));
    const again = bitscale(['sweep', '--grid', 'gap.json', '--slurm', '--submit']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /nothing to submit: all 4 runs are finished or in the queue/);
  });

  test('bad input: an invalid grid entry or a failing sbatch submits nothing and prints one line', () => {
    writeGrid('inv', [small, { name: 'odd', model: { d: 32, heads: 5 } }], [30]);
    const jobsBefore = spawnSync('squeue', ['-h', '-t', 'all', '-o', '%i'], { encoding: 'utf8' }).stdout;
    const r = bitscale(['sweep', '--grid', 'inv.json', '--slurm', '--submit']);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /^bitscale: inv\.json models\[1\]: field 'model\.heads': d=32 is not divisible by heads=5\n$/);
    assert.ok(!existsSync(sweepDir('inv')), 'nothing written');
    writeGrid('part', [small], [30]);
    const p = bitscale(['sweep', '--grid', 'part.json', '--slurm', '--submit', '--partition', 'nope']);
    assert.equal(p.code, 1);
    assert.match(p.stderr, /^bitscale: sbatch failed \(exit 1\): sbatch: error: .*invalid partition.*\n$/i);
    assert.ok(!existsSync(join(sweepDir('part'), 'submissions.json')), 'no submission recorded');
    const noSlurm = bitscale(['sweep', '--grid', 'part.json', '--slurm', '--submit'], { PATH: '/nonexistent' });
    assert.equal(noSlurm.code, 1);
    assert.match(noSlurm.stderr, /^bitscale: sbatch not found/);
    assert.equal(spawnSync('squeue', ['-h', '-t', 'all', '-o', '%i'], { encoding: 'utf8' }).stdout, jobsBefore, 'no job was submitted');
  });
}
