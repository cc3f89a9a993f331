/** Bounds and consistency of a whole run log (issue 9, item 11): impossible → error, implausible → warning. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRunLog } from '../../src/runs/log.js';
import { csvToRunLogs } from '../../src/runs/ingest.js';
import { loadRunTable } from '../../src/runs/table.js';
import { sampleHeader } from '../helpers.js';

// sampleHeader: batch_size 8, seq_len 32 → 256 tokens per step; vocab 128; params 61440 (d 64, L 2).
const TPS = 8 * 32;
const header = (o: Record<string, unknown> = {}) => JSON.stringify(sampleHeader(o as never));
const ev = (step: number, val: number, tokens = step * TPS) => JSON.stringify({ type: 'eval', step, tokens, val_bpc: val });
const st = (step: number, loss = 4, tokens = step * TPS) => JSON.stringify({ type: 'step', step, tokens, train_loss: loss });
const sum = (steps: number, final: number | null, tokens = steps * TPS) => JSON.stringify({ type: 'summary', status: 'completed', steps, tokens, final_val_bpc: final, wall_s: 1 });
const text = (...lines: string[]) => lines.join('\n') + '\n';

function parse(t: string): { warnings: string[] } {
  const warnings: string[] = [];
  parseRunLog(t, 'x.jsonl', { onWarning: (w) => warnings.push(w) });
  return { warnings };
}
const refused = (t: string, re: RegExp) => assert.throws(() => parse(t), (err: Error) => re.test(err.message));

test('a consistent log passes with no warning', () => {
  assert.deepEqual(parse(text(header(), st(50), ev(50, 3.9), st(100), ev(100, 3.5), sum(100, 3.5))).warnings, []);
});

test('impossible values are errors naming file, line and field: val_bpc 1e30 or 0, params 1e30, step 1e30', () => {
  refused(text(header(), ev(100, 1e30)), /^x\.jsonl:2: field 'val_bpc': 1e\+30 bits is beyond any real loss \(bound 1000 bits per token\)/);
  refused(text(header(), ev(100, 0)), /^x\.jsonl:2: field 'val_bpc': 0: a validation loss of 0 is impossible/);
  refused(text(header({ config: null, params: 1e30 })), /^x\.jsonl:1: field 'params': 1e\+30 is beyond any model \(bound 10000000000000\)/);
  refused(text(header(), ev(1e30, 3.5)), /^x\.jsonl:2: field 'step': 1e\+30 is beyond any run/);
  refused(text(header(), st(100, 2000)), /^x\.jsonl:2: field 'train_loss': 2000 bits is beyond any real loss/);
  // In nats the bound is converted: 700 nats = 1010 bits.
  refused(text(header({ loss_unit: 'nats' }), ev(100, 700)), /field 'val_bpc': 700 nats is beyond/);
  refused(text(header({ batch_size: 1e10 })), /field 'batch_size': 10000000000 is beyond any run/);
});

test('records out of step order, or a step given twice, are errors naming both lines', () => {
  refused(text(header(), ev(200, 3.5), ev(100, 3.6)), /^x\.jsonl:3: field 'step': eval records out of step order: step 100 after step 200 \(line 2\)/);
  refused(text(header(), ev(100, 3.5), ev(100, 3.6)), /^x\.jsonl:3: field 'step': a second eval record at step 100 \(the first on line 2\)/);
  refused(text(header(), st(200), ev(100, 3.6)), /^x\.jsonl:3: field 'step': records out of step order: step 100 after step 200 \(line 2\)/);
});

test('tokens must be step × batch_size × seq_len: within 1% silent, within 2× a warning, beyond an error', () => {
  refused(text(header(), ev(15000, 3.5, 5)), /^x\.jsonl:2: field 'tokens': 5 contradicts step 15000 × batch_size 8 × seq_len 32 = 3840000/);
  refused(text(header(), ev(0, 7, 10)), /field 'tokens': 10 contradicts step 0/);
  // One target fewer per window (T − 1 = 31 of 32) is 3.1% off: a warning, not an error.
  const w = parse(text(header(), ev(100, 3.5, 100 * 8 * 31))).warnings;
  assert.equal(w.length, 1);
  assert.match(w[0], /^x\.jsonl:2: field 'tokens': 24800 differs from step 100 × batch_size 8 × seq_len 32 = 25600 by -3\.1%/);
  assert.deepEqual(parse(text(header(), ev(100, 3.5, 25600 + 100))).warnings, [], '0.4% off is within tolerance');
});

test('a summary that contradicts the records is an error: final_val_bpc ≠ last eval, steps ≠ last step', () => {
  refused(text(header(), ev(100, 3.5), sum(100, 3.2)), /^x\.jsonl:3: field 'final_val_bpc': 3\.2 contradicts the last eval's val_bpc 3\.5 \(line 2, step 100\)/);
  refused(text(header(), ev(100, 3.5), sum(200, 3.5)), /^x\.jsonl:3: field 'steps': 200 contradicts the last record, at step 100 \(line 2\)/);
  refused(text(header(), ev(100, 3.5), sum(100, 3.5, 7)), /^x\.jsonl:3: field 'tokens': 7 contradicts step 100/);
  // Rounded to the third decimal is agreement.
  assert.deepEqual(parse(text(header(), ev(100, 3.50041), sum(100, 3.5))).warnings, []);
  // A diverged run: step records past the last eval, the summary at the last step; final may be null.
  assert.deepEqual(parse(text(header(), st(50), ev(50, 3.9), st(60, 20), JSON.stringify({ type: 'summary', status: 'diverged', steps: 60, tokens: 60 * TPS, final_val_bpc: null, wall_s: 1 }))).warnings, []);
});

test('implausible values are warnings, with the bound they crossed', () => {
  const w1 = parse(text(header(), ev(100, 0.3))).warnings;
  assert.match(w1[0], /x\.jsonl:2: field 'val_bpc': 0\.3 bits is below what any model reaches on natural text \(warning below 0\.5/);
  const w2 = parse(text(header(), ev(100, 11))).warnings;
  assert.match(w2[0], /field 'val_bpc': 11 bits is far above a uniform guess over 128 symbols \(log2 = 7\.00 bits; warning above 1\.5×\)/);
  const w3 = parse(text(header({ config: null, params: 500 }))).warnings;
  assert.match(w3[0], /x\.jsonl:1: field 'params': 500 is smaller than any useful model/);
  const w4 = parse(text(header(), ev(2e8, 3.5))).warnings;
  assert.ok(w4.some((w) => /field 'step': 200000000 steps is unusually many/.test(w)));
});

test('a CSV with a column name given twice is refused, naming both columns', () => {
  const csv = 'run_id,params,dataset,steps,batch_size,seq_len,lr,loss,loss\na,1M,x,100,8,32,0.001,3.5,2.0\n';
  assert.throws(() => csvToRunLogs(csv, 'r.csv', { map: { val_bpc: 'loss' } }), (err: Error) => /^r\.csv:1: field 'loss': columns 8 and 9 are both named 'loss'; rename one/.test(err.message));
});

test('a CSV row with val_bpc 0 is refused with the CSV line; rows in any order are fine', () => {
  const head = 'run_id,params,dataset,steps,batch_size,seq_len,lr,val_bpc\n';
  assert.throws(() => csvToRunLogs(`${head}a,1M,x,100,8,32,0.001,3.5\na,1M,x,200,8,32,0.001,0\n`, 'r.csv'), (err: Error) => /^r\.csv:3: field 'val_bpc': 0: a validation loss of 0 is impossible/.test(err.message));
  const [{ log }] = csvToRunLogs(`${head}a,1M,x,200,8,32,0.001,3.4\na,1M,x,100,8,32,0.001,3.5\n`, 'r.csv');
  assert.deepEqual(log.evals.map((e) => e.step), [100, 200]);
});

test('every shipped run log passes the checks without a warning', () => {
  const warnings: string[] = [];
  const runs = loadRunTable(new URL('../../runs/', import.meta.url).pathname, { onWarning: (w) => warnings.push(w) });
  assert.ok(runs.length >= 20);
  assert.deepEqual(warnings, []);
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-checks-'));
  writeFileSync(join(dir, 'a.jsonl'), text(header(), ev(100, 3.5), sum(100, 3.5)));
  assert.equal(loadRunTable(dir).length, 1);
});

test('docs/run-log.md states the bounds that BOUNDS enforces', async () => {
  const { BOUNDS } = await import('../../src/runs/checks.js');
  const doc = (await import('node:fs')).readFileSync(new URL('../../docs/run-log.md', import.meta.url), 'utf8');
  const section = doc.slice(doc.indexOf('## Bounds and consistency'));
  const row = (field: string) => section.split('\n').find((l) => l.startsWith(`| ${field}`)) ?? '';
  const sci = (n: number) => `1e${Math.log10(n)}`;
  assert.ok(row('`val_bpc`').includes(`> ${BOUNDS.lossMaxBits} bits`) && row('`val_bpc`').includes(`< ${BOUNDS.lossWarnLowBits} bits`) && row('`val_bpc`').includes(`${BOUNDS.lossWarnUniformFactor} × log2(vocab)`));
  assert.ok(row('`params`').includes(`> ${sci(BOUNDS.paramsMax)} | > ${sci(BOUNDS.paramsWarnHigh)}, or < ${sci(BOUNDS.paramsWarnLow)}`), row('`params`'));
  assert.ok(row('`step`').includes(`> ${sci(BOUNDS.stepsMax)} | > ${sci(BOUNDS.stepsWarnHigh)}`), row('`step`'));
  assert.ok(row('`batch_size`').includes(`> ${sci(BOUNDS.shapeMax)} | > ${sci(BOUNDS.shapeWarnHigh)}`));
  assert.ok(row('`tokens`').includes(`more than ${BOUNDS.tokensFactor}× off`) && row('`tokens`').includes(`more than ${BOUNDS.tokensTolerance * 100}% off`));
  assert.ok(row('summary `final_val_bpc`').includes(`more than ${BOUNDS.finalTolerance}`));
});
