/**
 * A seeded fuzz of `ingest` (issue 27, item 5): a few hundred mutations of each format's test
 * fixture (bytes flipped, cut, dropped, repeated or inserted; numbers replaced by NaN, hex, "1,5",
 * huge or empty values; lines dropped or swapped; JSON values replaced by null, lists or deep
 * nesting). Each ingest must either succeed — and then every later command reads the table it
 * wrote — or fail with a BitscaleError of one line naming a file of the input, leaving the run
 * table byte-identical. Any other exception class is a failure of this test.
 * Reproduce a case: FUZZ_SEED=<seed> FUZZ_CASES=<n> node --import tsx --test test/runs/fuzz.test.ts
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { ingestFiles, type IngestOptions } from '../../src/runs/ingest.js';
import { loadRunTable } from '../../src/runs/table.js';
import { BitscaleError } from '../../src/util/errors.js';
import { seededRandom } from '../../src/fit/stats.js';
import { snapshotFiles } from './snapshot.js';

const SEED = Number(process.env.FUZZ_SEED ?? 27);
const CASES = Number(process.env.FUZZ_CASES ?? 250);
const fixtures = new URL('../fixtures/', import.meta.url).pathname;
const seedRuns = new URL('../../runs/seed/', import.meta.url).pathname;

/** The project's seeded generator (mulberry32), so every run of the test mutates the same way. */
const prng = seededRandom;

interface Format {
  name: string;
  /** The fixture, relative to test/fixtures/. */
  from: string;
  options: IngestOptions;
}

const FOREIGN = { dataset: 'fuzz', params: '1M', batch_size: '8', seq_len: '64', lr: '1e-3' };
const FORMATS: Format[] = [
  { name: 'tensorboard', from: 'trainer-logs/tensorboard/gpt-small', options: { set: FOREIGN } },
  { name: 'tensorboard-keras', from: 'trainer-logs/tensorboard/keras-lm', options: { set: FOREIGN } },
  { name: 'wandb', from: 'trainer-logs/wandb', options: { set: FOREIGN } },
  { name: 'wandb-csv', from: 'trainer-logs/wandb-export/val-loss-panel.csv', options: { set: FOREIGN } },
  { name: 'lightning', from: 'trainer-logs/lightning', options: { set: FOREIGN } },
  { name: 'huggingface', from: 'trainer-logs/huggingface', options: { set: { ...FOREIGN, batch_size: '32', seq_len: '1024' } } },
  { name: 'mlflow', from: 'trainer-logs/mlruns', options: { set: FOREIGN } },
  { name: 'nanogpt', from: 'trainer-logs/nanogpt/shakespeare-char.log', options: { set: FOREIGN } },
  { name: 'llmc', from: 'trainer-logs/llmc', options: { set: FOREIGN } },
  { name: 'megatron', from: 'trainer-logs/megatron/gpt-345m.log', options: { set: FOREIGN } },
  { name: 'csv', from: 'results.csv', options: { map: { run_id: 'name', params: 'model_params', val_bpc: 'loss', hardware: 'hw' }, set: { dataset: 'fuzz', seq_len: '256' } } },
  { name: 'jsonl', from: '../../runs/seed/v71.jsonl', options: {} },
];

const NUMBERS = ['nan', 'NaN', 'inf', '-inf', '-1', '0', '1e309', '0x10', '1,5', '2.05.1', '', '99999999999999999999', '-0', '1e-320', 'null', '"3"', '1e6', '3.'];
const JSON_VALUES = ['null', '[]', '{}', '"x"', '-5', '1e400', '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]', 'true'];

/** Every file under `path` (or `path` itself), relative to `root`. */
function filesUnder(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path).sort().flatMap((n) => filesUnder(join(path, n)));
}

/** One mutation of a file's bytes, and its name for the failure message. */
function mutate(bytes: Buffer, rand: () => number): { data: Buffer; what: string } {
  const at = (n = bytes.length) => Math.floor(rand() * Math.max(1, n));
  const text = bytes.toString('latin1');
  const kind = Math.floor(rand() * 10);
  switch (kind) {
    case 0: {
      const data = Buffer.from(bytes);
      const n = 1 + at(4);
      for (let i = 0; i < n && data.length; i++) data[at(data.length)] = at(256);
      return { data, what: `${n} bytes set at random` };
    }
    case 1: {
      const cut = at();
      return { data: bytes.subarray(0, cut), what: `cut at byte ${cut}` };
    }
    case 2: {
      const a = at();
      const b = Math.min(bytes.length, a + 1 + at(64));
      return { data: Buffer.concat([bytes.subarray(0, a), bytes.subarray(b)]), what: `bytes ${a}–${b} removed` };
    }
    case 3: {
      const a = at();
      const b = Math.min(bytes.length, a + 1 + at(64));
      return { data: Buffer.concat([bytes.subarray(0, b), bytes.subarray(a, b), bytes.subarray(b)]), what: `bytes ${a}–${b} repeated` };
    }
    case 4: {
      const a = at();
      const junk = Buffer.from(Array.from({ length: 1 + at(16) }, () => at(256)));
      return { data: Buffer.concat([bytes.subarray(0, a), junk, bytes.subarray(a)]), what: `${junk.length} random bytes inserted at ${a}` };
    }
    case 5:
    case 6: {
      const numbers = [...text.matchAll(/-?\d+(\.\d+)?([eE][-+]?\d+)?/g)];
      if (numbers.length === 0) return { data: Buffer.alloc(0), what: 'emptied' };
      const m = numbers[at(numbers.length)];
      const by = NUMBERS[at(NUMBERS.length)];
      return { data: Buffer.from(text.slice(0, m.index) + by + text.slice(m.index! + m[0].length), 'latin1'), what: `number '${m[0]}' at ${m.index} → '${by}'` };
    }
    case 7: {
      const lines = text.split('\n');
      const i = at(lines.length);
      const j = at(lines.length);
      if (rand() < 0.5) lines.splice(i, 1);
      else [lines[i], lines[j]] = [lines[j], lines[i]];
      return { data: Buffer.from(lines.join('\n'), 'latin1'), what: `lines ${i + 1}/${j + 1} dropped or swapped` };
    }
    case 8: {
      const values = [...text.matchAll(/:\s*(-?[\d.eE+-]+|"[^"]*"|true|false|null)/g)];
      if (values.length === 0) return { data: Buffer.concat([bytes, Buffer.from('\n{"a":')]), what: 'a cut-short JSON line appended' };
      const m = values[at(values.length)];
      const by = JSON_VALUES[at(JSON_VALUES.length)];
      const start = m.index! + m[0].length - m[1].length;
      return { data: Buffer.from(text.slice(0, start) + by + text.slice(start + m[1].length), 'latin1'), what: `value '${m[1]}' → ${by.slice(0, 12)}` };
    }
    default:
      return { data: Buffer.alloc(0), what: 'emptied' };
  }
}

test(`fuzz: ${CASES} seeded mutations per format (seed ${SEED}); each ingest succeeds readably or fails in one line naming its file, the run table unchanged`, (t) => {
  const rand = prng(SEED);
  const work = mkdtempSync(join(tmpdir(), 'bitscale-fuzz-'));
  // One run table for every case: a run of its own, which a failed ingest must leave byte for byte.
  const runs = join(work, 'runs');
  mkdirSync(join(runs, 'seed'), { recursive: true });
  cpSync(join(seedRuns, 'v72.jsonl'), join(runs, 'seed', 'v72.jsonl'));
  const before = snapshotFiles(runs);
  const tally: Record<string, { ok: number; refused: number }> = {};
  const failures: string[] = [];
  for (const format of FORMATS) {
    const input = join(work, format.name, relative(join(fixtures, format.from, '..'), join(fixtures, format.from)));
    cpSync(join(fixtures, format.from), input, { recursive: true });
    const files = filesUnder(input);
    tally[format.name] = { ok: 0, refused: 0 };
    for (let c = 0; c < CASES; c++) {
      const file = files[Math.floor(rand() * files.length)];
      const original = readFileSync(file);
      const { data, what } = mutate(original, rand);
      writeFileSync(file, data);
      const label = `${format.name} case ${c} (${relative(work, file)}: ${what})`;
      let wrote = false;
      try {
        ingestFiles([input], runs, { ...format.options, onWarning: () => {} });
        wrote = true;
        // What ingest wrote, every later command reads.
        loadRunTable(runs);
        tally[format.name].ok++;
      } catch (err) {
        if (wrote) failures.push(`${label}: ingest wrote a run the table refuses: ${(err as Error).message}`);
        else if (!(err instanceof BitscaleError)) failures.push(`${label}: ${(err as Error)?.constructor?.name}: ${(err as Error)?.stack?.split('\n').slice(0, 4).join(' | ')}`);
        else if (err.message.includes('\n')) failures.push(`${label}: more than one line: ${err.message}`);
        else if (!err.message.includes(work)) failures.push(`${label}: names no input file: ${err.message}`);
        else if (JSON.stringify(snapshotFiles(runs)) !== JSON.stringify(before)) failures.push(`${label}: the run table changed on failure: ${Object.keys(snapshotFiles(runs)).join(', ')}`);
        else tally[format.name].refused++;
      } finally {
        writeFileSync(file, original);
        rmSync(join(runs, 'ingested'), { recursive: true, force: true });
      }
    }
  }
  rmSync(work, { recursive: true, force: true });
  t.diagnostic(`read (exit 0) / refused (exit 1) per format: ${Object.entries(tally).map(([n, c]) => `${n} ${c.ok}/${c.refused}`).join(', ')}`);
  assert.deepEqual(failures, []);
  // Both outcomes occur for every format: the mutations reach the readers' error paths and their tolerant ones.
  for (const [name, t] of Object.entries(tally)) assert.ok(t.ok > 0 && t.refused > 0, `${name}: ${JSON.stringify(t)}`);
});

test('hostile inputs the fuzz named in issue 27: each is read with a warning or refused in one line naming its file', async () => {
  const { frameTFRecord } = await import('../../src/runs/formats/tfrecord.js');
  const { frameWandbRecords } = await import('../../src/runs/formats/wandb.js');
  const work = mkdtempSync(join(tmpdir(), 'bitscale-hostile-'));
  const runs = join(work, 'runs');
  mkdirSync(runs);
  const rand = prng(SEED);
  const garbage = (n: number) => Buffer.from(Array.from({ length: n }, () => Math.floor(rand() * 256)));
  const aliasBomb = 'a: &a ["x","x","x","x","x","x","x","x","x"]\n' + Array.from({ length: 9 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(9).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`).join('\n') + '\n';
  const deep = '['.repeat(200_000) + ']'.repeat(200_000);
  const cases: { name: string; files: Record<string, string | Uint8Array>; path: string; named?: string }[] = [
    { name: 'yaml alias bomb in an MLflow meta.yaml', path: 'ml', named: 'ml/0/r/meta.yaml', files: { 'ml/0/r/meta.yaml': aliasBomb, 'ml/0/r/metrics/val_loss': '1 3.0 10\n' } },
    { name: 'yaml alias bomb in Lightning hparams.yaml', path: 'pl', named: 'pl/x/version_0/hparams.yaml', files: { 'pl/x/version_0/hparams.yaml': aliasBomb, 'pl/x/version_0/metrics.csv': 'step,val_loss\n10,3.0\n' } },
    { name: 'garbage protobuf with a valid CRC in an event file', path: 'tb', files: { 'tb/run/events.out.tfevents.1.h.1.0': Buffer.concat([frameTFRecord(garbage(40)), frameTFRecord(garbage(200))]) } },
    { name: 'garbage protobuf with a valid CRC in a .wandb file', path: 'wb', files: { 'wb/run-20240101_000000-zz/run-zz.wandb': frameWandbRecords([garbage(50), garbage(500)]) } },
    { name: 'deeply nested JSON in trainer_state.json', path: 'hf', files: { 'hf/out/trainer_state.json': deep } },
    { name: 'deeply nested JSON in wandb-summary.json', path: 'wb2', files: { 'wb2/run-20240101_000000-yy/files/wandb-summary.json': `{"val/loss": ${deep}}` } },
    { name: 'null entries in trainer_state.json', path: 'hf2', files: { 'hf2/out/trainer_state.json': JSON.stringify({ log_history: [null, { eval_loss: 3.0, step: 10 }, { step: null, eval_loss: 2.9 }, 7] }) } },
    { name: 'null lines in wandb-history.jsonl', path: 'wb3', files: { 'wb3/run-20240101_000000-xx/wandb-history.jsonl': 'null\n{"_step": 10, "val/loss": 3.0}\n[]\n{"val/loss": 2.9}\n' } },
  ];
  for (const c of cases) {
    for (const [rel, data] of Object.entries(c.files)) {
      mkdirSync(join(work, rel, '..'), { recursive: true });
      writeFileSync(join(work, rel), data);
    }
    const before = snapshotFiles(runs);
    try {
      ingestFiles([join(work, c.path)], runs, { set: FOREIGN, onWarning: () => {} });
      loadRunTable(runs);
    } catch (err) {
      if (process.env.FUZZ_SHOW) console.log(c.name, '→', (err as Error).message.slice(0, 200));
      assert.ok(err instanceof BitscaleError, `${c.name}: ${(err as Error)?.stack}`);
      assert.ok(!err.message.includes('\n') && err.message.includes(join(work, c.named ?? c.path)), `${c.name}: ${err.message}`);
      assert.deepEqual(snapshotFiles(runs), before, c.name);
    }
  }
});
