/**
 * Foreign logs as they really are (issue 27, items 3 and 4): killed, running and diverged runs,
 * add_hparams sub-folders, token counters logged after the step, one bad run among good ones,
 * and no silent wrong value (a cut-short last number, a record without its step, hex, "1,5").
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readForeignRuns } from '../../../src/runs/formats/index.js';
import { ingestFiles } from '../../../src/runs/ingest.js';
import { loadRunTable } from '../../../src/runs/table.js';
import { TRAINER_LOGS } from '../../fixtures/trainer-logs.js';
import { snapshotFiles } from '../snapshot.js';
import { writeFile } from './writers.js';

const tmp = (name: string) => mkdtempSync(join(tmpdir(), `bitscale-${name}-`));
const LN2 = Math.LN2;

function read(path: string, options: Parameters<typeof readForeignRuns>[1] = {}) {
  const warnings: string[] = [];
  const runs = readForeignRuns(path, { ...options, onWarning: (m) => warnings.push(m) })!;
  return { runs, warnings };
}

const NANOGPT_HEAD = ["dataset = 'owt'", 'batch_size = 8', 'block_size = 64', 'learning_rate = 6e-4', 'max_iters = 1000', 'tokens per iteration will be: 512', 'number of parameters: 10.65M'];

test('a killed nanoGPT run (training lines after its last validation) ingests as stopped, with a warning; the last validation is its result', () => {
  const file = join(tmp('killed'), 'killed.log');
  writeFile(file, [...NANOGPT_HEAD, 'step 0: train loss 4.0, val loss 4.1', 'iter 0: loss 4.0', 'step 100: train loss 3.0, val loss 3.2', 'iter 100: loss 3.0', 'iter 110: loss 2.9', ''].join('\n'));
  const { runs, warnings } = read(file, { map: { train_loss: 'iter/loss' } });
  const log = runs[0].log;
  assert.deepEqual(log.evals.map((e) => [e.step, e.val_bpc]), [[0, 4.1 / LN2], [100, 3.2 / LN2]]);
  assert.deepEqual([log.summary!.status, log.summary!.steps, log.summary!.tokens, log.summary!.final_val_bpc], ['stopped', 110, 110 * 512, 3.2 / LN2]);
  assert.match(warnings.join('\n'), /killed\.log: run 'killed' ingested as stopped \(the last logged step 110 is short of the planned 1000\); its result is the last finite validation point, step 100/);
});

test('a diverged llm.c run (its last validation NaN) ingests as diverged; the validation points before it are kept', () => {
  const file = join(tmp('diverged'), 'diverged', 'main.log');
  writeFile(file, 's:0 tel:4.0\ns:0 trl:4.1\ns:10 trl:3.5\ns:20 tel:3.4\ns:20 trl:3.3\ns:30 tel:nan\ns:30 trl:nan\ns:35 trl:7.5\n');
  const { runs, warnings } = read(file, { set: { params: '1M', batch_size: '4', seq_len: '64', lr: '1e-3', dataset: 'x' } });
  const log = runs[0].log;
  assert.deepEqual(log.evals.map((e) => e.step), [0, 20]);
  assert.deepEqual([log.summary!.status, log.summary!.steps, log.summary!.final_val_bpc], ['diverged', 35, 3.4 / LN2]);
  assert.deepEqual((log.summary!.nonfinite as { metric: string; step: number }[]).map((n) => [n.metric, n.step]), [['trl', 30], ['tel', 30]]);
  assert.match(warnings.join('\n'), /ingested as diverged \(tel is NaN at step 30|ingested as diverged \(trl is NaN at step 30/);
});

test('a number cut short at the end of a text log is dropped with a warning, never stored as the shorter number', () => {
  const file = join(tmp('cut'), 'cut', 'main.log');
  writeFile(file, 's:0 tel:4.0\ns:10 tel:3.5\ns:20 tel:3.2');
  const { runs, warnings } = read(file, { set: { params: '1M', batch_size: '4', seq_len: '64', lr: '1e-3', dataset: 'x' } });
  assert.deepEqual(runs[0].log.evals.map((e) => e.step), [0, 10]);
  assert.match(warnings.join('\n'), /main\.log:3: skipped the last line, which has no line end .*'s:20 tel:3\.2'/);
});

test('only decimal numbers are numbers: hex, "1,5" and "2.05.1" are skipped with warnings naming the line, and the run is not called diverged', () => {
  const file = join(tmp('numbers'), 'numbers', 'main.log');
  writeFile(file, 's:0 tel:4.0\ns:10 tel:0x3\ns:20 tel:1,5\ns:30 tel:2.05.1\ns:40 tel:3.0\n');
  const { runs, warnings } = read(file, { set: { params: '1M', batch_size: '4', seq_len: '64', lr: '1e-3', dataset: 'x' } });
  const log = runs[0].log;
  assert.deepEqual(log.evals.map((e) => [e.step, e.val_bpc]), [[0, 4 / LN2], [40, 3 / LN2]]);
  assert.equal(log.summary!.status, 'completed');
  for (const [line, text] of [[2, '0x3'], [3, '1,5'], [4, '2.05.1']] as const) assert.match(warnings.join('\n'), new RegExp(`main\\.log:${line}: '${text.replace('.', '\\.')}' is not a decimal number; the tel point at step ${line * 10 - 10} is skipped`));
});

test('a W&B history export whose token counter is logged after the step (_step 0 already counts one batch) is accepted: the log\'s own counts are kept and the convention stated', () => {
  const file = join(tmp('wb'), 'tokens-after.csv');
  // batch 4 × seq 64 = 256 tokens per update; _step s logs the tokens after update s: (s + 1) × 256.
  writeFile(file, '_step,train/loss,val/loss,tokens\n0,4.0,,256\n9,3.5,3.6,2560\n19,3.2,3.3,5120\n');
  const { runs } = read(file, { set: { params: '1M', batch_size: '4', seq_len: '64', lr: '1e-3', dataset: 'x' } });
  const log = runs[0].log;
  assert.equal(log.header.tokens_step_offset, 1);
  assert.deepEqual(log.evals.map((e) => [e.step, e.tokens]), [[9, 2560], [19, 5120]]);
  assert.deepEqual(log.steps.map((s) => [s.step, s.tokens]), [[0, 256], [9, 2560], [19, 5120]]);
  assert.match(runs[0].mapping.tokens, /logged after the update numbered by its step: tokens = \(step \+ 1\) × tokens per step/);
});

test('an error in a converted run names the user\'s own file and line, never the converted log', () => {
  const file = join(tmp('where'), 'tokens-wild.csv');
  // The counter's last point gives 256 tokens per step; at step 10 it says 10× more than that.
  writeFile(file, '_step,val/loss,tokens\n10,3.6,25600\n20,3.3,5120\n');
  assert.throws(() => read(file, { set: { params: '1M', batch_size: '4', seq_len: '64', lr: '1e-3', dataset: 'x' } }), (err: Error) => err.message.startsWith(`${file}:2: field 'tokens': 25600 contradicts `));
});

test('an MLflow experiment with one run that cannot be read ingests the good ones with a warning; --strict fails instead, writing nothing', () => {
  const root = tmp('mlexp');
  const exp = join(root, 'mlruns', '3');
  const run = (id: string, name: string, val: string) => {
    writeFile(join(exp, id, 'meta.yaml'), `run_id: ${id}\nrun_name: ${name}\nstatus: 3\n`);
    writeFile(join(exp, id, 'metrics', 'val_loss'), val);
    for (const [k, v] of Object.entries({ batch_size: '8', seq_len: '128', learning_rate: '0.001', n_params: '5000000', dataset: 'c4' })) writeFile(join(exp, id, 'params', k), v);
  };
  run('a1', 'good-a', '1700000000000 3.2 100\n1700000000001 3.0 200\n');
  run('b2', 'all-nan', '1700000000000 nan 100\n');
  run('c3', 'good-c', '1700000000000 3.4 100\n');
  const warnings: string[] = [];
  const runs = mkdtempSync(join(tmpdir(), 'bitscale-mlexp-runs-'));
  const plan = ingestFiles([join(root, 'mlruns')], runs, { onWarning: (m) => warnings.push(m) });
  assert.deepEqual(plan.map((p) => p.runId).sort(), ['good-a', 'good-c']);
  assert.match(warnings.join('\n'), /mlruns\/3\/b2: field 'val_loss': metric val_loss has no finite value — this run is not ingested; the other runs are \(--strict to fail instead\)/);
  const strictRuns = mkdtempSync(join(tmpdir(), 'bitscale-mlexp-runs-'));
  assert.throws(() => ingestFiles([join(root, 'mlruns')], strictRuns, { strict: true }), /mlruns\/3\/b2: field 'val_loss': metric val_loss has no finite value/);
  assert.deepEqual(snapshotFiles(strictRuns), {});
});

test('add_hparams: its sub-folder is part of the run (not a second run) and its hyper-parameters are read', () => {
  const { runs, warnings } = read(join(TRAINER_LOGS, 'tensorboard', 'gpt-small'), { set: { dataset: 'owt' } });
  assert.equal(runs.length, 1);
  const h = runs[0].log.header;
  assert.deepEqual([h.batch_size, h.seq_len, h.lr.peak, h.params], [480, 1024, 6e-4, 124_439_808]);
  assert.match(runs[0].mapping.batch_size, /1700007200\.5 add_hparams batch_size/);
  assert.deepEqual(warnings, []);
});

test('--bytes-per-token is followed by the bounds again: 1e-6 is refused at ingest naming the source, not stored for every later command to refuse', () => {
  const runs = mkdtempSync(join(tmpdir(), 'bitscale-bpt-'));
  const file = join(TRAINER_LOGS, 'llmc', 'gpt2-124M', 'main.log');
  const set = { params: '124M', batch_size: '512', seq_len: '1024', lr: '6e-4', dataset: 'fineweb' };
  assert.throws(() => ingestFiles([file], runs, { set, bytesPerToken: 0.000001 }), /main\.log:1: field 'val_bpc': 15852621\.\d+ bits is beyond any real loss .*\(after --bytes-per-token 0\.000001\)/);
  assert.deepEqual(snapshotFiles(runs), {});
  // A figure that gives implausible but possible values is a warning at ingest, and the run is stored.
  const warnings: string[] = [];
  ingestFiles([file], runs, { set, bytesPerToken: 40, onWarning: (m) => warnings.push(m) });
  assert.match(warnings.join('\n'), /main\.log:\d+: field 'val_bpc': .* is below what any model reaches on natural text/);
  assert.equal(loadRunTable(runs).length, 1);
});

test('a run logging more values than ingest keeps in memory is refused in one line naming its file, not with an out-of-memory crash', async () => {
  const { MetricSeries } = await import('../../../src/runs/formats/common.js');
  const series = new MetricSeries(3);
  series.put('loss', { step: 1, value: 3, file: 'big/main.log', line: 1 });
  series.put('loss', { step: 1, value: 2.9, file: 'big/main.log', line: 2 });
  series.put('val', { step: 2, value: 2.8, file: 'big/main.log', line: 4 });
  assert.deepEqual(series.points('loss').map((p) => [p.step, p.value, p.line]), [[1, 2.9, 2]], 'the last writer wins');
  assert.throws(() => series.put('loss', { step: 3, value: 2.7, file: 'big/events.out.tfevents.1@1234' }), (err: Error) => err.message.startsWith('big/events.out.tfevents.1: holds more than 3 logged values in one run'));
});

test('MetricSeries keeps the last writer per step, in step order, when steps arrive out of order and after a restart purge', async () => {
  const { MetricSeries } = await import('../../../src/runs/formats/common.js');
  const s = new MetricSeries();
  for (const [step, value] of [[10, 1], [30, 3], [20, 2], [30, 3.5], [40, 4]]) s.put('m', { step, value, file: 'f', wallTime: step });
  assert.deepEqual(s.points('m').map((p) => [p.step, p.value, p.wallTime]), [[10, 1, 10], [20, 2, 20], [30, 3.5, 30], [40, 4, 40]]);
  assert.equal(s.purgeFrom(30), 3);
  s.put('m', { step: 35, value: 9, file: 'g', line: 7 });
  assert.deepEqual(s.points('m').map((p) => [p.step, p.value, p.file, p.line]), [[10, 1, 'f', undefined], [20, 2, 'f', undefined], [35, 9, 'g', 7]]);
  assert.equal(s.lastStep('m'), 35);
});

test('a run logging more training-loss points than MAX_STEP_RECORDS keeps every k-th as step records, says so, and keeps every validation point', async () => {
  const { MAX_STEP_RECORDS } = await import('../../../src/runs/formats/convert.js');
  const file = join(tmp('thin'), 'thin', 'main.log');
  const n = 2 * MAX_STEP_RECORDS + 10;
  const lines: string[] = [];
  for (let s = 0; s < n; s++) lines.push(`s:${s} trl:3.0`, ...(s % 1000 === 0 ? [`s:${s} tel:3.1`] : []));
  writeFile(file, lines.join('\n') + '\n');
  const { runs, warnings } = read(file, { set: { params: '1M', batch_size: '4', seq_len: '64', lr: '1e-3', dataset: 'x' } });
  const log = runs[0].log;
  assert.equal(log.evals.length, Math.ceil(n / 1000));
  assert.equal(log.steps.length, Math.ceil(n / 3) + 1, 'every 3rd of 200,010 and the last');
  assert.deepEqual([log.steps[1].step, log.steps.at(-1)!.step, log.summary!.steps], [3, n - 1, n - 1]);
  assert.deepEqual((log.header.ingested_from as { train_points?: unknown }).train_points, { logged: n, kept: log.steps.length, every: 3 });
  assert.match(warnings.join('\n'), new RegExp(`${n} training-loss points; ${log.steps.length} kept as step records \\(one in every 3, and the last\\)`));
});
