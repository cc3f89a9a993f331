/**
 * The trainer's shutdown: however a run with data-parallel workers ends (stopped by its signal, an
 * error thrown mid-loop), no worker thread is left running, the run log's lock is released and the
 * log holds only whole records. Completed runs and a worker that dies are checked in
 * workers.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useWasm } from '../model/helpers.js';
import { loadBrownCorpus } from '../../src/data/corpus.js';
import { readRunLog } from '../../src/runs/log.js';
import { resolveConfig } from '../../src/train/presets.js';
import { withTestSeam } from '../../src/train/test-seam.js';
import { train } from '../../src/train/trainer.js';
import { runningWorkerThreads } from '../../src/train/workers.js';

await useWasm();
const corpus = loadBrownCorpus();
const model = { d: 32, layers: 1, heads: 2, dFf: 32, seqLen: 32, vocab: 128 };
const config = resolveConfig('tiny', { model, batchSize: 4, steps: 12, warmup: 2, evalEvery: 4, evalWindows: 4, checkpointEvery: 0, profileEvery: 0 });
const dirs = () => {
  const root = mkdtempSync(join(tmpdir(), 'bitscale-shutdown-'));
  return { outDir: join(root, 'runs'), checkpointDir: join(root, 'ckpt') };
};
/** The log holds only whole lines, no summary, and no lock is left beside it. */
const cutCleanly = (logPath: string, steps: number) => {
  const log = readRunLog(logPath);
  assert.equal(log.steps.length, steps);
  assert.equal(log.summary, null);
  assert.ok(readFileSync(logPath, 'utf8').endsWith('}\n'));
  assert.ok(!existsSync(`${logPath}.lock`), 'the lock is released');
};
// A run that hangs (a worker that never answers) fails its test instead of stalling the suite.
const bounded = { timeout: 120_000 };

test('a run with 2 workers stopped by its abort signal (SIGTERM, SIGINT in the CLI) at step 5 returns interrupted with no worker thread running', bounded, async () => {
  assert.equal(runningWorkerThreads(), 0);
  const stop = new AbortController();
  const d = dirs();
  const r = await train({ config, corpus, runId: 'stopped', ...d, threads: 2, stop: stop.signal, onProgress: (p) => p.step === 5 && stop.abort() });
  assert.equal(r.status, 'interrupted');
  assert.equal(runningWorkerThreads(), 0);
  cutCleanly(r.logPath, 5);
  assert.ok(existsSync(join(d.checkpointDir, 'stopped.ckpt')));
});

test('an error thrown mid-loop (by the progress callback after step 5) rejects with that error and leaves no worker thread running', bounded, async () => {
  const d = dirs();
  const thrown = train({
    config,
    corpus,
    runId: 'thrown',
    ...d,
    threads: 2,
    onProgress: (p) => {
      if (p.step === 5) throw new Error('progress display failed');
    },
  });
  await assert.rejects(thrown, /^Error: progress display failed$/);
  assert.equal(runningWorkerThreads(), 0);
  cutCleanly(join(d.outDir, 'thrown.jsonl'), 5);
});

test('an error thrown by the update itself (the test seam, at update 6) leaves no worker thread running', bounded, async () => {
  const d = dirs();
  await assert.rejects(withTestSeam({ throwAt: 6 }, () => train({ config, corpus, runId: 'update', ...d, threads: 2 })), /injected fault at update 6/);
  assert.equal(runningWorkerThreads(), 0);
  cutCleanly(join(d.outDir, 'update.jsonl'), 6);
});

test('the test seam is empty again after withTestSeam, even when the run it wrapped threw', bounded, async () => {
  const d = dirs();
  await assert.rejects(withTestSeam({ throwAt: 0 }, () => train({ config, corpus, runId: 'first', ...d })), /injected fault at update 0/);
  const r = await train({ config, corpus, runId: 'second', ...d });
  assert.equal(r.status, 'completed');
});
