import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ingestFiles, planIngest } from '../../src/runs/ingest.js';
import { loadRunTable } from '../../src/runs/table.js';
import { readRunLog } from '../../src/runs/log.js';
import { sampleHeader } from '../helpers.js';
import { snapshotFiles } from './snapshot.js';

const fixtures = new URL('../fixtures/', import.meta.url).pathname;
const seedDir = new URL('../../runs/seed/', import.meta.url).pathname;

function tempRuns(): string {
  return mkdtempSync(join(tmpdir(), 'bitscale-runs-'));
}

const snapshot = snapshotFiles;

test('every seed run log ingests into a fresh runs directory and reads back identically', () => {
  const runs = tempRuns();
  const files = readdirSync(seedDir).map((f) => join(seedDir, f));
  assert.equal(files.length, 10);
  const before = snapshot(seedDir);
  const plan = ingestFiles(files, runs, { into: 'seed' });
  assert.equal(plan.length, 10);
  assert.deepEqual(snapshot(seedDir), before, 'sources untouched');
  const table = loadRunTable(runs);
  const original = loadRunTable(join(seedDir, '..')).filter((r) => r.collection === 'seed');
  assert.deepEqual(table.map((r) => [r.id, r.params, r.finalValBpc, r.tokens]), original.map((r) => [r.id, r.params, r.finalValBpc, r.tokens]));
});

test('a CSV with a column mapping becomes one run per run id, curve sorted, extra columns kept', () => {
  const runs = tempRuns();
  const plan = ingestFiles([join(fixtures, 'results.csv')], runs, {
    map: { run_id: 'name', params: 'model_params', val_bpc: 'loss', hardware: 'hw' },
    set: { dataset: 'GLM-Reasoning', seq_len: '256' },
  });
  assert.deepEqual(plan.map((p) => p.runId), ['a5m', 'a14m']);
  const table = loadRunTable(runs);
  const a5m = table.find((r) => r.id === 'a5m')!;
  assert.equal(a5m.params, 5_520_000);
  assert.equal(a5m.paramsReported, null);
  assert.deepEqual(a5m.curve.map((p) => [p.step, p.valBpc]), [[5000, 2.61], [15000, 2.213]]);
  assert.equal(a5m.tokens, 15000 * 256 * 256);
  assert.equal(a5m.hardware, 'A100 40GB');
  assert.equal(a5m.log.evals[1].comment, 'final');
  assert.equal(readRunLog(join(runs, 'ingested', 'a14m.jsonl')).header.dataset.name, 'GLM-Reasoning');
});

function expectRejected(files: string[], options: Parameters<typeof planIngest>[2], pattern: RegExp, runs = tempRuns()) {
  const before = snapshot(runs);
  assert.throws(() => ingestFiles(files, runs, options), pattern);
  assert.deepEqual(snapshot(runs), before, 'nothing written');
}

test('bad CSV input is rejected with file, line and field, and nothing is written', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-bad-'));
  const csv = (name: string, text: string) => {
    const p = join(dir, name);
    writeFileSync(p, text);
    return p;
  };
  const set = { dataset: 'd', seq_len: '256' };
  // Valid first row and a bad second row: even the good run must not be written.
  expectRejected([csv('missing.csv', 'params,steps,bs,lr\n5e6,100,8,1e-3\n')], { set }, /missing\.csv:1: field 'val_bpc': missing column/);
  expectRejected([csv('nonnum.csv', 'run_id,params,steps,bs,lr,val_bpc\nok,5e6,100,8,1e-3,2.0\nbad,5e6,100,8,1e-3,abc\n')], { set }, /nonnum\.csv:3: field 'val_bpc': not a number: 'abc'/);
  expectRejected([csv('neg.csv', 'params,steps,bs,lr,val_bpc\n-5000000,100,8,1e-3,2.0\n')], { set }, /neg\.csv:2: field 'params': must be positive/);
  expectRejected([csv('nan.csv', 'params,steps,bs,lr,loss\n5e6,100,8,1e-3,NaN\n')], { set, map: { val_bpc: 'loss' } }, /nan\.csv:2: field 'loss': is NaN/);
  expectRejected([csv('units.csv', 'params,steps,bs,lr,val_bpc,token_unit\n5e6,100,8,1e-3,2.0,word\n')], { set }, /units\.csv:2: field 'token_unit': unknown dataset units "word"/);
  expectRejected([csv('dup.csv', 'run_id,params,steps,bs,lr,val_bpc\nx,5e6,100,8,1e-3,2.0\n'), csv('dup2.csv', 'run_id,params,steps,bs,lr,val_bpc\nx,6e6,100,8,1e-3,2.0\n')], { set }, /dup2\.csv:2: field 'run_id': duplicate run id 'x'/);
});

test('a run id that already exists under runs/ is a duplicate, and the existing log is left as it was', () => {
  const runs = tempRuns();
  cpSync(seedDir, join(runs, 'seed'), { recursive: true });
  expectRejected([join(seedDir, 'v71.jsonl')], {}, /v71\.jsonl:1: field 'run_id': duplicate run id 'v71'/, runs);
});

test('bad JSONL input names file, line and field; a truncated tail is skipped with a warning', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-bad-'));
  const bad = join(dir, 'bad.jsonl');
  writeFileSync(bad, JSON.stringify(sampleHeader()) + '\n' + JSON.stringify({ type: 'eval', step: 5, tokens: 10, val_bpc: -1 }) + '\n');
  expectRejected([bad], {}, /bad\.jsonl:2: field 'val_bpc': must be ≥ 0, got -1/);

  const killed = join(dir, 'killed.jsonl');
  const good = [sampleHeader({ run_id: 'killed' }), { type: 'step', step: 1, tokens: 256, train_loss: 7 }, { type: 'eval', step: 1, tokens: 256, val_bpc: 6.5 }];
  const text = good.map((r) => JSON.stringify(r)).join('\n') + '\n{"type":"step","st';
  writeFileSync(killed, text);
  const runs = tempRuns();
  const warnings: string[] = [];
  ingestFiles([killed], runs, { onWarning: (m) => warnings.push(m) });
  assert.equal(readFileSync(killed, 'utf8'), text, 'source untouched');
  assert.match(warnings.join('\n'), /killed\.jsonl:4: skipped a truncated last line/);
  const log = readRunLog(join(runs, 'ingested', 'killed.jsonl'));
  assert.equal(log.steps.length, 1);
  assert.equal(log.evals.length, 1);
});

test('--bytes-per-token converts per-token losses to per byte (bits/token ÷ X) and records X; without it they stay per token', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-bpt-'));
  const csv = join(dir, 'ladder.csv');
  writeFileSync(csv, 'run_id,params,steps,bs,lr,val_bpc\nm1,1.2e8,1000,512,6e-4,3.2\nm1,1.2e8,2000,512,6e-4,2.8\n');
  const set = { dataset: 'owt', seq_len: '1024', arch: 'gpt2', token_unit: 'token', tokenizer: 'gpt2' };
  const perToken = tempRuns();
  ingestFiles([csv], perToken, { set });
  const t = loadRunTable(perToken)[0];
  assert.equal(t.lossUnit, 'bits per token (gpt2)');
  assert.deepEqual(t.curve.map((p) => p.valBpc), [3.2, 2.8]);
  assert.equal(t.params, 120_000_000);

  const perByte = tempRuns();
  ingestFiles([csv], perByte, { set, bytesPerToken: 4 });
  const log = readRunLog(join(perByte, 'ingested', 'm1.jsonl'));
  assert.equal(log.header.bytes_per_token, 4);
  assert.deepEqual(log.evals.map((e) => e.val_bpc), [0.8, 0.7]);
  assert.equal(log.summary?.final_val_bpc, 0.7);
  const b = loadRunTable(perByte)[0];
  assert.equal(b.lossUnit, 'bits per byte');
  assert.equal(b.tokenUnit, 'token', 'tokens are still counted in the tokenizer’s tokens');

  // A byte-level run has nothing to convert; an already converted log is not converted twice.
  expectRejected([join(seedDir, 'v71.jsonl')], { bytesPerToken: 4 }, /v71\.jsonl:1: field 'token_unit': --bytes-per-token: run 'v71' is byte-level/);
  expectRejected([join(perByte, 'ingested', 'm1.jsonl')], { bytesPerToken: 4 }, /--bytes-per-token: run 'm1' was already converted \(bytes_per_token 4\)/);
});

test('a CSV of a foreign architecture without params is refused in one line; its shape alone is not counted with the BitLM formula', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-foreign-'));
  const csv = join(dir, 'gpt.csv');
  writeFileSync(csv, 'steps,bs,lr,val_bpc,d,layers,heads,d_ff\n1000,512,6e-4,3.2,768,12,12,3072\n');
  expectRejected([csv], { set: { dataset: 'owt', seq_len: '1024', arch: 'gpt2' } }, /gpt\.csv:1: field 'params': missing column: architecture 'gpt2' is not BitLM, so bitscale has no parameter formula for it; give the count/);
  // The architecture given per row instead: refused on that row.
  const perRow = join(dir, 'gpt-rows.csv');
  writeFileSync(perRow, 'steps,bs,lr,val_bpc,d,layers,heads,d_ff,arch\n1000,512,6e-4,3.2,768,12,12,3072,gpt2\n');
  expectRejected([perRow], { set: { dataset: 'owt', seq_len: '1024' } }, /gpt-rows\.csv:2: field 'params': missing: architecture 'gpt2' is not BitLM, so bitscale has no parameter formula for it; give the count \(--map params=COLUMN or --set params=N\)/);
});
