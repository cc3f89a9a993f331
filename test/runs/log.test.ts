import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRunLog, readRunLog, serializeRunLog, writeRunLog, RunLogWriter } from '../../src/runs/log.js';
import { foreignHeader, sampleHeader } from '../helpers.js';


test('a run log round-trips: write then read gives the same records, extra fields kept', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-'));
  const log = {
    header: sampleHeader(),
    steps: [
      { type: 'step' as const, step: 1, tokens: 256, train_loss: 6.9, lr: 1e-4, tau: 2, wall_s: 0.5, peak_bytes: 123456, custom: 'kept' },
      { type: 'step' as const, step: 2, tokens: 512, train_loss: 6.5, lr: 2e-4, tau: 1.9, wall_s: 1.0 },
    ],
    evals: [{ type: 'eval' as const, step: 2, tokens: 512, val_bpc: 6.4, wall_s: 1.2 }],
    summary: { type: 'summary' as const, status: 'completed' as const, steps: 2, tokens: 512, final_val_bpc: 6.4, wall_s: 1.3 },
  };
  const path = join(dir, 'r1.jsonl');
  writeRunLog(path, log);
  const back = readRunLog(path);
  assert.deepEqual(back, log);
  assert.equal(serializeRunLog(back), readFileSync(path, 'utf8'));
  assert.equal(back.header.ste, 'clipped');
  assert.equal(back.steps[0].custom, 'kept');
});

test('RunLogWriter appends records that read back in order and refuses to overwrite', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-'));
  const path = join(dir, 'w.jsonl');
  const w = RunLogWriter.create(path, sampleHeader());
  w.append({ type: 'step', step: 1, tokens: 256, train_loss: 7 });
  w.append({ type: 'eval', step: 1, tokens: 256, val_bpc: 6.9 });
  w.append({ type: 'summary', status: 'completed', steps: 1, tokens: 256, final_val_bpc: 6.9, wall_s: 2 });
  const log = readRunLog(path);
  assert.equal(log.steps.length, 1);
  assert.equal(log.evals[0].val_bpc, 6.9);
  assert.equal(log.summary?.status, 'completed');
  assert.throws(() => RunLogWriter.create(path, sampleHeader()), /EEXIST/);
});

test('a truncated last line is skipped with a warning and everything before it is kept', () => {
  const text = [JSON.stringify(sampleHeader()), JSON.stringify({ type: 'step', step: 1, tokens: 256, train_loss: 7 }), '{"type":"step","step":2,"tok'].join('\n');
  const warnings: string[] = [];
  const log = parseRunLog(text, 'killed.jsonl', { onWarning: (m) => warnings.push(m) });
  assert.equal(log.steps.length, 1);
  assert.equal(warnings.length, 1);
  assert.match(warnings[0], /^killed\.jsonl:3: skipped a truncated last line/);
});

test('a broken line that is not the last (or ends with a newline) is an error naming file and line', () => {
  const lines = [JSON.stringify(sampleHeader()), '{"type":"step",', JSON.stringify({ type: 'step', step: 1, tokens: 1, train_loss: 1 })];
  assert.throws(() => parseRunLog(lines.join('\n') + '\n', 'bad.jsonl'), /^Error: bad\.jsonl:2: not valid JSON$|bad\.jsonl:2: not valid JSON/);
  assert.throws(() => parseRunLog(lines.slice(0, 2).join('\n') + '\n', 'bad.jsonl'), /bad\.jsonl:2: not valid JSON/);
});

test('validation names the field: NaN loss, negative params, unknown units, params that contradict the config', () => {
  const h = JSON.stringify(sampleHeader());
  const cases: [string, RegExp][] = [
    [h + '\n{"type":"eval","step":1,"tokens":1,"val_bpc":"NaN"}\n', /x\.jsonl:2: field 'val_bpc': is NaN/],
    [h + '\n{"type":"eval","step":1,"tokens":1,"val_bpc":null}\n', /x\.jsonl:2: field 'val_bpc': is null/],
    [JSON.stringify(sampleHeader({ params: -5, config: null })) + '\n', /x\.jsonl:1: field 'params': must be positive, got -5/],
    [JSON.stringify(sampleHeader({ dataset: { name: 'x', bytes: null, sha256: null, token_unit: 'word' as 'byte' } })) + '\n', /field 'dataset\.token_unit': unknown dataset units "word"/],
    [JSON.stringify(sampleHeader({ params: 12345 })) + '\n', /field 'params': 12345 differs from 61440/],
    [JSON.stringify(sampleHeader({ kernels: 'flash' as 'bitscale' })) + '\n', /x\.jsonl:1: field 'kernels': unknown kernels "flash" \(expected one of: bitscale, backend\)/],
    [h + '\n{"type":"step","step":1,"tokens":1}\n', /x\.jsonl:2: field 'train_loss': missing/],
    ['{"type":"step","step":1,"tokens":1,"train_loss":1}\n', /x\.jsonl:1: field 'type': the first record must be the header/],
  ];
  for (const [text, pattern] of cases) assert.throws(() => parseRunLog(text, 'x.jsonl'), pattern);
});

test('any architecture name is accepted; the BitLM parameter formula is checked only for BitLM', () => {
  const log = parseRunLog(JSON.stringify(foreignHeader()) + '\n', 'gpt.jsonl');
  assert.equal(log.header.arch, 'gpt2');
  assert.equal(log.header.dataset.tokenizer, 'gpt2');
  // 124M is not L·(4d² + 3·d·d_ff) + 2·V·d of that shape, and that is fine for a foreign model.
  for (const arch of ['olmo2', 'llama', 'chinchilla']) assert.equal(parseRunLog(JSON.stringify(foreignHeader({ arch })) + '\n', 'x.jsonl').header.arch, arch);
  // The same mismatch on a BitLM header is an error.
  assert.throws(() => parseRunLog(JSON.stringify(sampleHeader({ params: 12345 })) + '\n', 'x.jsonl'), /field 'params': 12345 differs from 61440/);
});

test('a non-BitLM run without params is refused with one line saying why', () => {
  const { params: _p, ...noParams } = foreignHeader();
  assert.throws(
    () => parseRunLog(JSON.stringify(noParams) + '\n', 'gpt.jsonl'),
    (err: Error) => /^gpt\.jsonl:1: field 'params': missing: architecture 'gpt2' is not BitLM, so bitscale has no parameter formula for it; give the count in params$/.test(err.message) && !err.message.includes('\n'),
  );
  assert.throws(() => parseRunLog(JSON.stringify({ ...foreignHeader(), arch: '' }) + '\n', 'x.jsonl'), /field 'arch': expected a non-empty string/);
});

test('token units: byte, char and token (with a tokenizer); bytes_per_token only where there is something to convert', () => {
  const ds = (token_unit: string, tokenizer?: string) => ({ name: 'x', bytes: null, sha256: null, token_unit: token_unit as 'byte', ...(tokenizer ? { tokenizer } : {}) });
  assert.equal(parseRunLog(JSON.stringify(foreignHeader({ dataset: ds('char') })) + '\n', 'x.jsonl').header.dataset.token_unit, 'char');
  assert.equal(parseRunLog(JSON.stringify(foreignHeader({ bytes_per_token: 4.2 })) + '\n', 'x.jsonl').header.bytes_per_token, 4.2);
  const cases: [object, RegExp][] = [
    [foreignHeader({ dataset: ds('word') }), /field 'dataset\.token_unit': unknown dataset units "word" \(expected one of: byte, char, token\)/],
    [foreignHeader({ dataset: ds('byte', 'gpt2') }), /field 'dataset\.tokenizer': names a tokenizer, but token_unit is "byte"/],
    [foreignHeader({ dataset: ds('byte'), bytes_per_token: 4 }), /field 'bytes_per_token': is given, but token_unit is "byte"/],
    [foreignHeader({ bytes_per_token: 0 }), /field 'bytes_per_token': must be positive, got 0/],
    [sampleHeader({ dataset: ds('token', 'gpt2') }), /field 'dataset\.token_unit': is "token", but "bitlm-v57" is byte-level/],
  ];
  for (const [h, pattern] of cases) assert.throws(() => parseRunLog(JSON.stringify(h) + '\n', 'x.jsonl'), pattern);
});
