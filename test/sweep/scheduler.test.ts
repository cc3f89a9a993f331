import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expandGrid, type SweepGrid } from '../../src/train/sweep.js';
import { arraySpec, exitCodeText, parseSqueue, renderSbatchScript, sbatchLines, taskBackend, type SlurmOptions } from '../../src/sweep/slurm.js';
import { lastErrorLine, sweepStatus, writeNewScript, type SweepRecord, type TaskView } from '../../src/sweep/scheduler.js';
import { sampleHeader } from '../helpers.js';

const none: SlurmOptions = { signalSeconds: 120, extra: [] };
const grid: SweepGrid = { name: 'g', out: 'unused', base: { preset: 'tiny' }, models: [{ name: 'a' }, { name: 'b', model: { d: 128, heads: 8 } }], steps: [100, 200], seeds: [0] };

test('each option is one #SBATCH line; pass-through options follow; malformed ones are refused', () => {
  assert.deepEqual(
    sbatchLines({ ...none, partition: 'gpu', account: 'lab', qos: 'high', time: '0-04:00:00', gpusPerTask: 1, cpusPerTask: 8, mem: '32G', extra: ['--constraint=a100'] }),
    ['--partition=gpu', '--account=lab', '--qos=high', '--time=0-04:00:00', '--gpus-per-task=1', '--ntasks=1', '--cpus-per-task=8', '--mem=32G', '--constraint=a100'],
  );
  assert.deepEqual(sbatchLines({ ...none, gres: 'gpu:a100:1' }), ['--gres=gpu:a100:1', '--ntasks=1']);
  assert.throws(() => sbatchLines({ ...none, time: '4h' }), /--time expects/);
  assert.throws(() => sbatchLines({ ...none, mem: 'lots' }), /--mem expects/);
  assert.throws(() => sbatchLines({ ...none, extra: ['constraint=a100'] }), /--sbatch expects one sbatch option/);
});

test('--array lists the submitted grid indices as ranges, with %P for --max-parallel', () => {
  assert.equal(arraySpec([0, 1, 2, 3, 4, 5]), '0-5');
  assert.equal(arraySpec([0, 1, 2, 5, 7, 8], 3), '0-2,5,7-8%3');
  assert.equal(arraySpec([4]), '4');
});

test('a raw wait status reads as Slurm writes it: exit 3 → 3:0, killed by signal 9 → 0:9', () => {
  assert.equal(exitCodeText('768'), '3:0');
  assert.equal(exitCodeText('9'), '0:9');
  assert.equal(exitCodeText('0'), '0:0');
  assert.equal(exitCodeText('2:0'), '2:0');
});

test('squeue lines become one view per array task; the collapsed pending form is ignored', () => {
  const v = parseSqueue('12_3|PENDING|JobArrayTaskLimit|0|\n12_0|FAILED|NonZeroExitCode|512|\n12_[4-5%2]|PENDING|None|0|\n');
  assert.deepEqual([...v.keys()], ['12_3', '12_0']);
  assert.deepEqual(v.get('12_0'), { state: 'FAILED', reason: 'NonZeroExitCode', exitCode: '2:0' });
  assert.equal(v.get('12_3')!.reason, 'JobArrayTaskLimit');
});

test('tasks asking for GPUs use --backend gpu; an explicit --backend is kept', () => {
  assert.equal(taskBackend('auto', { ...none, gpusPerTask: 1 }).backend, 'gpu');
  assert.equal(taskBackend('auto', { ...none, gres: 'gpu:1' }).backend, 'gpu');
  assert.equal(taskBackend('auto', none).backend, 'auto');
  assert.equal(taskBackend('wasm', { ...none, gpusPerTask: 1 }).backend, 'wasm');
});

test('the script is valid bash, maps task i to grid run i, and carries the resources, signal, requeue and backend', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-sbatch-'));
  const runs = expandGrid(grid);
  const text = renderSbatchScript({ grid, gridPath: 'g.json', runs, indices: [1, 3], sweepDir: join(dir, 'my sweep'), number: 2, backend: 'auto', options: { ...none, partition: 'gpu', gpusPerTask: 1, time: '60', maxParallel: 1 } });
  const path = join(dir, 's.sbatch');
  writeFileSync(path, text);
  assert.equal(spawnSync('bash', ['-n', path]).status, 0, 'bash -n accepts it');
  assert.match(text, /^#SBATCH --array=1,3%1$/m);
  assert.match(text, /^#SBATCH --partition=gpu$/m);
  assert.match(text, /^#SBATCH --gpus-per-task=1$/m);
  assert.match(text, /^#SBATCH --time=60$/m);
  assert.match(text, /^#SBATCH --requeue$/m);
  assert.match(text, /^#SBATCH --signal=B:USR1@120$/m);
  assert.match(text, /^#SBATCH --open-mode=append$/m);
  assert.match(text, /^BACKEND=gpu {2}# GPU nodes/m);
  assert.match(text, /^ {2}\[3\]=g-b-s200 {2}# /m);
  assert.match(text, /^CONFIG_DIR='.*\/my sweep\/configs'$/m, 'paths with spaces are quoted');
  // The task table, run by bash: task 3 is run g-b-s200.
  const table = text.slice(text.indexOf('RUN_IDS=('), text.indexOf('run_id=$'));
  const r = spawnSync('bash', ['-c', `${table}\necho "\${RUN_IDS[3]} \${RUN_IDS[0]}"`], { encoding: 'utf8' });
  assert.equal(r.stdout.trim(), 'g-b-s200 g-a-s100');
});

test('a new script never replaces an earlier one, even one edited by hand, and takes a number no file of either engine has', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-scripts-'));
  const a = writeNewScript(dir, (n) => `first ${n}\n`);
  writeFileSync(a.path, 'edited by hand\n');
  const b = writeNewScript(dir, (n) => `second ${n}\n`);
  assert.deepEqual([a.number, b.number], [1, 2]);
  assert.match(b.path, /submit-002\.sbatch$/);
  assert.equal(readFileSync(a.path, 'utf8'), 'edited by hand\n');
  assert.equal(readFileSync(b.path, 'utf8'), 'second 2\n');
  // Submission numbers are shared by the engines: a local task list takes the next free number.
  const c = writeNewScript(dir, (n) => `{"submission": ${n}}\n`, 'json');
  assert.equal(c.number, 3);
  assert.match(c.path, /submit-003\.json$/);
  assert.equal(writeNewScript(dir, (n) => `third ${n}\n`).number, 4);
});

test('the last error line of a task output is bitscale\'s one-line error, else the last line', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-out-'));
  const p = join(dir, 'o.out');
  writeFileSync(p, '[2026-01-01T00:00:00Z] task 1_0 on n1, restart 0: r, backend auto\nstep 2/40\nbitscale: x.json: field \'lr\': must be positive, got 0\n[2026-01-01T00:00:05Z] task 1_0: r exited 1\n');
  assert.equal(lastErrorLine(p), "bitscale: x.json: field 'lr': must be positive, got 0");
  writeFileSync(p, 'step 1/4\nSegmentation fault\n\n');
  assert.equal(lastErrorLine(p), 'Segmentation fault');
  assert.equal(lastErrorLine(join(dir, 'missing')), null);
});

test('--status rows: the log decides done; the latest submission\'s task state decides the rest; a submitted task unknown to Slurm was cancelled while pending', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-status-'));
  const out = join(dir, 'runs');
  mkdirSync(out);
  mkdirSync(join(dir, 'logs'));
  const g = { ...grid, out, models: [{ name: 'a' }, { name: 'b' }, { name: 'c' }, { name: 'd' }], steps: [100, 200] };
  const runs = expandGrid(g); // 8 runs: a-s100 a-s200 b-s100 b-s200 c-s100 c-s200 d-s100 d-s200
  const head = JSON.stringify(sampleHeader({ planned_steps: 200 }));
  const step = (n: number) => JSON.stringify({ type: 'step', step: n, tokens: n * 256, train_loss: 4 });
  const ev = (n: number, v: number) => JSON.stringify({ type: 'eval', step: n, tokens: n * 256, val_bpc: v });
  const write = (id: string, lines: string[]) => writeFileSync(join(out, `${id}.jsonl`), lines.join('\n') + '\n');
  write('g-a-s100', [head, step(100), ev(100, 3.25), JSON.stringify({ type: 'summary', status: 'completed', steps: 100, tokens: 25600, final_val_bpc: 3.25, wall_s: 1 })]);
  write('g-a-s200', [head, step(1), step(2), ev(2, 4.5), step(3)]);
  write('g-b-s200', [head, step(1)]);
  writeFileSync(join(dir, 'logs', '7_3.out'), 'bitscale: boom\n');
  writeFileSync(join(dir, 'logs', '7_5.out'), 'started\nbitscale: out of memory\n');
  const record: SweepRecord = {
    grid: 'g',
    submissions: [
      { number: 1, engine: 'slurm', job_id: '7', script: 's1', submitted_at: 't', tasks: [0, 1, 2, 3, 4, 5, 6].map((index) => ({ index, run_id: runs[index].runId })) },
      { number: 2, engine: 'slurm', job_id: '9', script: 's2', submitted_at: 't', tasks: [{ index: 2, run_id: runs[2].runId }] },
    ],
  };
  const views = new Map<string, TaskView>([
    ['7_0', { state: 'CANCELLED' }], // but its log is complete: done wins
    ['7_1', { state: 'RUNNING' }],
    ['7_2', { state: 'FAILED', exitCode: '1:0' }], // superseded by job 9
    ['9_2', { state: 'PENDING', reason: 'Priority' }],
    ['7_3', { state: 'FAILED', exitCode: '1:0' }],
    ['7_4', { state: 'CANCELLED' }],
    // 7_5: no record, but it left output; 7_6: no record and no output
  ]);
  const rows = sweepStatus(g, runs, record, views, { taskOutput: (d, j, i) => join(d, 'logs', `${j}_${i}.out`) }, dir);
  assert.deepEqual(rows.map((r) => [r.run_id, r.state, r.job_id]), [
    ['g-a-s100', 'done', '7_0'], ['g-a-s200', 'running', '7_1'], ['g-b-s100', 'queued', '9_2'], ['g-b-s200', 'failed', '7_3'],
    ['g-c-s100', 'cancelled', '7_4'], ['g-c-s200', 'failed', '7_5'], ['g-d-s100', 'cancelled', '7_6'], ['g-d-s200', 'not submitted', null],
  ]);
  assert.equal(rows[0].val_bpc, 3.25);
  assert.deepEqual([rows[1].step, rows[1].steps, rows[1].val_bpc], [3, 200, 4.5]);
  assert.equal(rows[2].reason, 'Priority');
  assert.deepEqual([rows[3].scheduler_state, rows[3].exit_code, rows[3].error], ['FAILED', '1:0', 'bitscale: boom']);
  assert.equal(rows[5].error, 'bitscale: out of memory');
  assert.equal(rows[6].scheduler_state, null);
});
