import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { useWasm } from '../model/helpers.js';
import { loadBrownCorpus, sha256Hex, trainingSubset } from '../../src/data/corpus.js';
import { readRunLog } from '../../src/runs/log.js';
import { loadRunTable } from '../../src/runs/table.js';
import { resolveConfig } from '../../src/train/presets.js';
import { train } from '../../src/train/trainer.js';

await useWasm();

test('a run on train_subset 1/256 records the subset (documents, bytes, sha256) and counts its passes over it, not over Brown', async () => {
  const corpus = loadBrownCorpus();
  const root = mkdtempSync(join(tmpdir(), 'bitscale-subset-'));
  const model = { d: 32, layers: 1, heads: 2, dFf: 16, seqLen: 32, vocab: 128 };
  const config = resolveConfig('tiny', { model, steps: 12, warmup: 2, batchSize: 8, evalWindows: 8, checkpointEvery: 0, profileEvery: 0, trainSubset: 1 / 256 });
  const r = await train({ config, corpus, runId: 'subset-run', outDir: join(root, 'runs'), checkpointDir: join(root, 'ckpt') });
  assert.equal(r.status, 'completed');
  const ds = readRunLog(r.logPath).header.dataset;
  const cut = ds.subset!.bytes;
  assert.equal(ds.train_bytes, cut);
  const sub = trainingSubset(corpus, 1 / 256);
  assert.equal(ds.subset!.sha256, sha256Hex(sub.bytes.subarray(0, sub.valStart)));
  assert.equal(ds.subset!.documents, 2, 'files 0 and 256 of the training split');
  assert.equal(ds.subset!.of_train_bytes, corpus.valStart);
  assert.equal(ds.subset!.fraction, 1 / 256);
  assert.equal(ds.val_bytes, corpus.bytes.length - corpus.valStart, 'the validation split is the whole corpus\'s');
  const [run] = loadRunTable(join(root, 'runs'));
  // 12 steps × 8 sequences × 32 bytes = 3,072 tokens over the subset's bytes.
  assert.ok(Math.abs(run.passes! - (12 * 8 * 32) / cut) < 1e-9, `${run.passes} passes`);
});
