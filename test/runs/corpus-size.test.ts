/**
 * Each run's corpus size in its own token unit (unique tokens U) and its passes over it, tokens ÷ U
 * (issue 29, item 1): from the log's stated sizes only, "unknown" where it states none.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { corpusSizeOf, loadRunTable } from '../../src/runs/table.js';
import { parseRunLog } from '../../src/runs/log.js';
import { bitscaleCli, foreignHeader, sampleHeader } from '../helpers.js';

test("the seed's GLM-Reasoning runs carry the seed report's 387 MB training set: 15K steps × bs 256 × T 256 = 983.04M bytes is 2.54 passes", () => {
  const runs = loadRunTable('runs');
  const glm = runs.find((r) => r.id === 'glm_14M_bs256')!;
  assert.equal(glm.uniqueTokens, 387e6);
  assert.equal(glm.tokens, 15000 * 256 * 256);
  assert.equal(glm.passes, 983.04e6 / 387e6);
  assert.equal(glm.corpusSize, 'dataset.train_bytes (training split), 1 byte per token');
  for (const r of runs.filter((x) => x.dataset === 'GLM-Reasoning' && x.collection === 'seed')) assert.equal(r.uniqueTokens, 387e6, r.id);
  // The seed states no size for TinyStories: unknown, not guessed.
  const v70 = runs.find((r) => r.id === 'v70')!;
  assert.equal(v70.uniqueTokens, null);
  assert.equal(v70.passes, null);
  assert.equal(v70.corpusSize, 'unknown: the log states no corpus size');
});

test('U comes from dataset.unique_tokens first, else the training split bytes (or the whole corpus) at one byte per token, or ÷ bytes_per_token; tokens counted in another unit with no conversion leave it unknown', () => {
  const tokens = 1e9;
  assert.deepEqual(corpusSizeOf(sampleHeader({ dataset: { name: 'b', bytes: 1000, sha256: null, token_unit: 'byte', unique_tokens: 250 } }), tokens), { uniqueTokens: 250, passes: 4e6, corpusSize: 'dataset.unique_tokens' });
  assert.deepEqual(corpusSizeOf(sampleHeader({ dataset: { name: 'b', bytes: 1000, sha256: null, token_unit: 'byte' } }), 500), { uniqueTokens: 1000, passes: 0.5, corpusSize: 'dataset.bytes (whole corpus, validation included), 1 byte per token' });
  assert.deepEqual(corpusSizeOf(foreignHeader({ dataset: { name: 'owt', bytes: 4.2e9, sha256: null, token_unit: 'token', tokenizer: 'gpt2' }, bytes_per_token: 4.2 }), 3e9), { uniqueTokens: 1e9, passes: 3, corpusSize: 'dataset.bytes (whole corpus, validation included) ÷ 4.2 bytes per token' });
  assert.match(corpusSizeOf(foreignHeader({ dataset: { name: 'owt', bytes: 4.2e9, sha256: null, token_unit: 'token', tokenizer: 'gpt2' } }), 3e9).corpusSize, /^unknown: the corpus is stated in bytes and the run counts tokens, with no bytes per token$/);
});

test('a negative or non-numeric dataset.unique_tokens or train_bytes is an error naming the file, line and field', () => {
  for (const [field, value, shown] of [['unique_tokens', -5, '-5'], ['train_bytes', 'lots', '"lots"']] as const) {
    const h = sampleHeader({ dataset: { name: 'b', bytes: 1000, sha256: null, token_unit: 'byte', [field]: value } as never });
    assert.throws(() => parseRunLog(JSON.stringify(h) + '\n', 'x.jsonl'), new RegExp(`x\\.jsonl:1: field 'dataset\\.${field}': expected a positive number or null, got ${shown}`));
  }
});

test('runs shows passes (unknown where no size is stated) and runs --json gives unique_tokens, passes and corpus_size', () => {
  const human = bitscaleCli(['runs', '--collection', 'seed']);
  assert.equal(human.status, 0, human.stderr);
  assert.match(human.stdout, /^glm_14M_bs256 .* 983\.0M +2\.54 +2\.003 /m);
  assert.match(human.stdout, /^v70 .* 1\.31B +unknown +1\.481 /m);
  const json = bitscaleCli(['runs', '--collection', 'seed', '--json']);
  const glm = JSON.parse(json.stdout).runs.find((r: { run_id: string }) => r.run_id === 'glm_50M');
  assert.equal(glm.unique_tokens, 387e6);
  assert.equal(glm.passes, 20000 * 64 * 256 / 387e6);
  assert.equal(glm.corpus_size, 'dataset.train_bytes (training split), 1 byte per token');
});

test('a corpus smaller than one batch, or stated twice with sizes that disagree, is an error naming the file, line and field', () => {
  const base = sampleHeader();
  const batch = base.batch_size * base.seq_len;
  const small = sampleHeader({ dataset: { name: 'b', bytes: 1000, sha256: null, token_unit: 'byte', train_bytes: batch - 1 } as never });
  assert.throws(() => parseRunLog(JSON.stringify(small) + '\n', 'x.jsonl'), new RegExp(`x\\.jsonl:1: field 'dataset\\.train_bytes': the training corpus holds ${batch - 1} tokens, less than one batch \\(batch_size ${base.batch_size} × seq_len ${base.seq_len} = ${batch}\\)`));
  const both = sampleHeader({ dataset: { name: 'b', bytes: 1e9, sha256: null, token_unit: 'byte', train_bytes: 5e8, unique_tokens: 4e8 } as never });
  assert.throws(() => parseRunLog(JSON.stringify(both) + '\n', 'y.jsonl'), /y\.jsonl:1: field 'dataset\.unique_tokens': 400000000 contradicts dataset\.train_bytes 500000000 at 1 byte\(s\) per token \(500000000 tokens\)/);
  // One batch exactly, and two statements that agree, are accepted.
  const ok = sampleHeader({ dataset: { name: 'b', bytes: 1e9, sha256: null, token_unit: 'byte', train_bytes: 5e8, unique_tokens: 5e8 } as never });
  assert.equal(parseRunLog(JSON.stringify(ok) + '\n', 'z.jsonl').header.run_id, ok.run_id);
});
