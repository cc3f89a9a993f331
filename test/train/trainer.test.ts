import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useWasm } from '../model/helpers.js';
import { loadBrownCorpus } from '../../src/data/corpus.js';
import { readRunLog } from '../../src/runs/log.js';
import { loadRunTable } from '../../src/runs/table.js';
import { resolveConfig } from '../../src/train/presets.js';
import { withTestSeam } from '../../src/train/test-seam.js';
import { train } from '../../src/train/trainer.js';
import { countParams } from '../../src/arch/bitlm.js';

await useWasm();
const corpus = loadBrownCorpus();
const UNIGRAM_BITS = 4.43; // spec, "The default corpus": a unigram model on the validation split
const model = { d: 64, layers: 2, heads: 4, dFf: 64, seqLen: 32, vocab: 128 };
const dirs = () => {
  const root = mkdtempSync(join(tmpdir(), 'bitscale-train-'));
  return { outDir: join(root, 'runs'), checkpointDir: join(root, 'ckpt') };
};

test('a tiny model trained 300 steps on Brown ends well below the unigram entropy (4.43 bits)', async () => {
  const config = resolveConfig('tiny', { model, steps: 300, warmup: 30, lr: 4e-3, evalEvery: 150, evalWindows: 64, checkpointEvery: 0 });
  const d = dirs();
  const r = await train({ config, corpus, runId: 'tiny-test', ...d });
  assert.equal(r.status, 'completed');
  assert.ok(r.finalValBpc !== null && r.finalValBpc < UNIGRAM_BITS - 0.4, `val_bpc ${r.finalValBpc}`);
  const log = readRunLog(r.logPath);
  assert.equal(log.header.params, countParams(model));
  assert.equal(log.header.backend, 'wasm');
  assert.equal(log.steps.length, 300);
  assert.deepEqual(log.evals.map((e) => e.step), [150, 300]);
  assert.ok(log.steps[0].peak_bytes! > 0 && log.steps[0].tokens_per_s! > 0);
  assert.equal(log.summary?.status, 'completed');
  // The run table reads it back.
  const runs = loadRunTable(d.outDir);
  assert.equal(runs.length, 1);
  assert.equal(runs[0].finalValBpc, r.finalValBpc);
});

test('a run stopped after step 25 and resumed from its step-20 checkpoint writes the same records as an uninterrupted run', async () => {
  const config = resolveConfig('tiny', { model, steps: 30, warmup: 5, evalEvery: 10, evalWindows: 16, checkpointEvery: 10, profileEvery: 0 });
  const d = dirs();
  await train({ config, corpus, runId: 'whole', ...d });
  const halted = await withTestSeam({ haltAfter: 25 }, () => train({ config, corpus, runId: 'cut', ...d }));
  assert.equal(halted.status, 'halted');
  assert.equal(readRunLog(join(d.outDir, 'cut.jsonl')).steps.length, 25);
  assert.ok(existsSync(join(d.checkpointDir, 'cut.ckpt')));
  await train({ config, corpus, runId: 'cut', ...d, resume: true });
  const a = readRunLog(join(d.outDir, 'whole.jsonl'));
  const b = readRunLog(join(d.outDir, 'cut.jsonl'));
  assert.deepEqual(b.steps.map((s) => s.step), Array.from({ length: 30 }, (_, i) => i + 1));
  assert.deepEqual(b.steps.map((s) => s.train_loss), a.steps.map((s) => s.train_loss));
  assert.deepEqual(b.evals.map((e) => [e.step, e.val_bpc]), a.evals.map((e) => [e.step, e.val_bpc]));
  assert.equal(b.summary?.final_val_bpc, a.summary?.final_val_bpc);
  assert.ok(!existsSync(join(d.checkpointDir, 'cut.ckpt')), 'a completed run removes its checkpoint');
});

test('a loss above the divergence threshold stops the run with status "diverged" and a message', async () => {
  const config = resolveConfig('tiny', { model, steps: 50, warmup: 5, evalWindows: 8, checkpointEvery: 0, divergeBits: 1 });
  const d = dirs();
  const r = await train({ config, corpus, runId: 'div', ...d });
  assert.equal(r.status, 'diverged');
  const log = readRunLog(r.logPath);
  assert.equal(log.summary?.status, 'diverged');
  assert.equal(log.steps.length, 10);
  assert.match(String(log.summary?.message), /diverged at step 10/);
  // The summary closes the run at its last logged step (it said 9 while step 10 was logged).
  assert.equal(log.summary?.steps, 10);
  assert.equal(log.summary?.tokens, 10 * config.batchSize * config.model.seqLen);
  assert.equal(r.steps, 10);
});
