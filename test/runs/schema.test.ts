import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseRunLog, RUN_ID_MAX_LENGTH, RUN_ID_PATTERN } from '../../src/runs/log.js';
import { validate } from '../../src/runs/run-log-validator.generated.js';
import { LOSS_UNITS, RUN_LOG_FORMAT_VERSION, TOKEN_UNITS, TRAINER_KERNELS } from '../../src/runs/types.js';
import { foreignHeader, sampleHeader } from '../helpers.js';

const schema = JSON.parse(readFileSync('schema/run-log.schema.json', 'utf8'));
const header = schema.$defs.header.properties;

test('the committed validator is what schema/run-log.schema.json compiles to (npm run schema regenerates it)', () => {
  const r = spawnSync(process.execPath, ['scripts/compile-schema.js', '--check'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});

test('the schema accepts every line of every run log shipped under runs/', () => {
  const files = readdirSync('runs', { recursive: true, encoding: 'utf8' }).filter((f) => f.endsWith('.jsonl'));
  assert.ok(files.length >= 30, `${files.length} logs`);
  let lines = 0;
  for (const f of files) {
    for (const [i, text] of readFileSync(join('runs', f), 'utf8').split('\n').entries()) {
      if (text === '') continue;
      lines++;
      assert.ok(validate(JSON.parse(text)), `runs/${f}:${i + 1}: ${JSON.stringify(validate.errors)}`);
    }
  }
  assert.ok(lines > 10_000, `${lines} lines`);
});

test('the schema and the code name the same format version, run-id rule and units', () => {
  assert.equal(schema.$defs.header.properties.format_version.maximum, RUN_LOG_FORMAT_VERSION);
  assert.equal(header.run_id.pattern, RUN_ID_PATTERN.source);
  assert.equal(header.run_id.maxLength, RUN_ID_MAX_LENGTH);
  assert.deepEqual(header.loss_unit.enum, LOSS_UNITS);
  assert.deepEqual(header.dataset.properties.token_unit.enum, TOKEN_UNITS);
  assert.deepEqual(header.kernels.enum, TRAINER_KERNELS);
});

test('the schema holds only the rules of one record; the fields every writer sets are required', () => {
  // Logs written by bitscale's trainer and by ingest carry these; a header without one is refused.
  for (const f of ['format_version', 'run_id', 'arch', 'params', 'seq_len', 'batch_size', 'lr', 'dataset', 'loss_unit', 'precision', 'tool']) assert.ok(schema.$defs.header.required.includes(f), f);
  assert.deepEqual(schema.$defs.eval.required, ['type', 'step', 'tokens', 'val_bpc']);
  // Extra fields are kept verbatim: no record forbids them.
  for (const kind of ['header', 'step', 'eval', 'summary']) assert.equal(schema.$defs[kind].additionalProperties, undefined, kind);
});

/** The one-line error `parseRunLog` gives for `lines` read as the file x.jsonl. */
function errorOf(lines: (object | string)[]): string {
  const text = lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n') + '\n';
  try {
    parseRunLog(text, 'x.jsonl');
  } catch (err) {
    return (err as Error).message;
  }
  return 'accepted';
}

test('a bad value is named by file, line and field, as ajv\'s instancePath becomes the field', () => {
  const h = sampleHeader();
  const step = { type: 'step', step: 1, tokens: 256, train_loss: 7 };
  const cases: [(object | string)[], string][] = [
    // Nested paths: /dataset/sha256, /lr/peak, /config/d.
    [[{ ...h, dataset: { ...h.dataset, sha256: 'ABC' } }], `x.jsonl:1: field 'dataset.sha256': expected 64 lowercase hex digits or null, got "ABC"`],
    [[{ ...h, lr: { ...h.lr, peak: 0 } }], `x.jsonl:1: field 'lr.peak': must be positive, got 0`],
    [[{ ...h, lr: { schedule: 'cosine' } }], `x.jsonl:1: field 'lr.peak': missing`],
    [[{ ...h, lr: { ...h.lr, schedule: 'linear' } }], `x.jsonl:1: field 'lr.schedule': unknown schedule "linear" (expected one of: cosine, constant, unknown)`],
    [[{ ...h, config: { ...h.config, d: 64.5 } }], `x.jsonl:1: field 'config.d': expected an integer, got 64.5`],
    [[{ ...h, config: 'small' }], `x.jsonl:1: field 'config': expected an object, got "small"`],
    [[{ ...h, dataset: { ...h.dataset, bytes: 0 } }], `x.jsonl:1: field 'dataset.bytes': expected a positive integer or null, got 0`],
    // Missing fields, with the allowed values where the field is an enumeration.
    [[{ ...h, loss_unit: undefined }], `x.jsonl:1: field 'loss_unit': missing (expected one of: bits, nats)`],
    [[{ ...h, tool: { name: 'x' } }], `x.jsonl:1: field 'tool.version': missing`],
    [[{ ...h, format_version: 2 }], `x.jsonl:1: field 'format_version': version 2 is newer than this bitscale reads (1)`],
    [[{ ...h, run_id: 'a/b' }], `x.jsonl:1: field 'run_id': "a/b" may hold only letters, digits, '.', '_' and '-'`],
    [[{ ...h, hardware: '' }], `x.jsonl:1: field 'hardware': expected a non-empty string, got ""`],
    [[{ ...h, tokens_step_offset: 2 }], `x.jsonl:1: field 'tokens_step_offset': expected 0 or 1, got 2`],
    // Records after the header: the line of the record, the field inside it.
    [[h, step, { type: 'eval', step: 1, tokens: 256, val_bpc: 'Infinity' }], `x.jsonl:3: field 'val_bpc': is Infinity, expected a finite number`],
    [[h, step, '{"type":"eval","step":1,"tokens":256,"val_bpc":1e999}'], `x.jsonl:3: field 'val_bpc': is Infinity, expected a finite number`],
    [[h, { ...step, step: -1 }], `x.jsonl:2: field 'step': must be ≥ 0, got -1`],
    [[h, { ...step, lr: '1e-3' }], `x.jsonl:2: field 'lr': expected a number, got "1e-3"`],
    [[h, { ...step, wall_s: null }], `x.jsonl:2: field 'wall_s': is null, expected a number`],
    [[h, step, { type: 'summary', status: 'done', steps: 1, tokens: 256, final_val_bpc: null, wall_s: null }], `x.jsonl:3: field 'status': unknown status "done" (expected one of: completed, diverged, stopped, running)`],
    [[h, step, { type: 'summary', status: 'completed', steps: 1, tokens: 256, final_val_bpc: 'n/a', wall_s: null }], `x.jsonl:3: field 'final_val_bpc': expected a number, got "n/a"`],
    [[h, { type: 'metric', step: 1 }], `x.jsonl:2: field 'type': unknown record type "metric" (expected header, step, eval or summary)`],
    [[h, { step: 1 }], `x.jsonl:2: field 'type': unknown record type undefined (expected header, step, eval or summary)`],
    [[h, '[1,2]'], `x.jsonl:2: field 'type': a record must be a JSON object`],
  ];
  for (const [lines, message] of cases) assert.equal(errorOf(lines), message);
});

test('null where the format allows it, extra fields anywhere, and a foreign config with only some fields are accepted', () => {
  const h = { ...foreignHeader({ config: { d: 768 } as never, seed: null }), optimizer: { name: 'adamw', betas: [0.9, 0.95] } };
  const summary = { type: 'summary', status: 'running', steps: 0, tokens: 0, final_val_bpc: null, wall_s: null, peak_bytes: null, tokens_per_s: null };
  assert.equal(errorOf([h, { type: 'step', step: 0, tokens: 0, train_loss: 10.9, grad_norm: 1.2 }, summary]), 'accepted');
});

test('rules across fields stay in code, after the schema: BitLM needs the whole config', () => {
  const h = sampleHeader();
  const { vocab: _v, ...noVocab } = h.config!;
  assert.equal(errorOf([{ ...h, config: noVocab }]), `x.jsonl:1: field 'config.vocab': missing`);
  assert.equal(errorOf([{ ...h, config: { ...h.config, heads: 3 } }]), `x.jsonl:1: field 'config.heads': d=64 is not divisible by heads=3`);
  assert.equal(errorOf([{ ...h, seq_len: 64 }]), `x.jsonl:1: field 'seq_len': 64 differs from config.seq_len 32`);
});
