/**
 * Measures the tfjs trainer's peak bytes per training step at shapes chosen to stress different
 * parts of the memory model, by running `bitscale train` for a few steps (every step profiled
 * with tf.profile; the trainer logs peak_bytes) and writing the run logs to runs/tfjs-memory/.
 * test/estimate/tfjs-memory.test.ts checks the fp32 estimate (preset tfjs-fp32) against them.
 *
 *   node --import tsx bench/measure-tfjs-memory.ts [--out runs/tfjs-memory] [--backend wasm] [--steps 3]
 *
 * Existing logs of the same run ids are replaced. Each run takes seconds on one core.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { ModelConfig } from '../src/arch/bitlm.js';
import { modelConfigFromJson } from '../src/estimate/calibrate.js';
import { estimateTrainingMemory } from '../src/estimate/memory.js';
import { readRunLog, writeRunLog } from '../src/runs/log.js';
import { formatBytes, formatTable } from '../src/util/format.js';

interface Shape {
  id: string;
  why: string;
  model: ModelConfig;
  batchSize: number;
}

const V = 128;
/** Shapes of different balance: attention-heavy, FFN-heavy, weight-heavy, deep and narrow. */
export const SHAPES: Shape[] = [
  { id: 'tfjsmem-attn-d64-L2-H8-T128-bs8', why: 'T×T tensors dominate (H·T/d = 16)', model: { d: 64, layers: 2, heads: 8, dFf: 64, seqLen: 128, vocab: V }, batchSize: 8 },
  { id: 'tfjsmem-ffn-d128-L2-H2-ff512-T32-bs16', why: 'd_ff = 4d, short context', model: { d: 128, layers: 2, heads: 2, dFf: 512, seqLen: 32, vocab: V }, batchSize: 16 },
  { id: 'tfjsmem-weights-d384-L1-H4-ff384-T16-bs2', why: 'weights and AdamW dominate (few tokens)', model: { d: 384, layers: 1, heads: 4, dFf: 384, seqLen: 16, vocab: V }, batchSize: 2 },
  { id: 'tfjsmem-deep-d96-L4-H4-ff192-T64-bs8', why: 'four layers, balanced', model: { d: 96, layers: 4, heads: 4, dFf: 192, seqLen: 64, vocab: V }, batchSize: 8 },
];

const root = new URL('..', import.meta.url).pathname;

function main(): void {
  const { values } = parseArgs({ options: { out: { type: 'string', default: 'runs/tfjs-memory' }, backend: { type: 'string', default: 'wasm' }, steps: { type: 'string', default: '3' } } });
  const steps = Number(values.steps);
  const tmp = mkdtempSync(join(tmpdir(), 'bitscale-mem-'));
  const rows: (string | number)[][] = [];
  try {
    for (const s of SHAPES) {
      rmSync(join(values.out!, `${s.id}.jsonl`), { force: true });
      const cfgPath = join(tmp, `${s.id}.json`);
      const m = s.model;
      const config = { name: s.id, model: { d: m.d, layers: m.layers, heads: m.heads, d_ff: m.dFf, seq_len: m.seqLen, vocab: m.vocab }, batchSize: s.batchSize, steps, lr: 1e-3, warmup: 1, evalEvery: steps, evalWindows: 8, checkpointEvery: 0, profileEvery: 1 };
      writeFileSync(cfgPath, JSON.stringify(config));
      const t0 = performance.now();
      const args = [join(root, 'bin/bitscale.js'), 'train', '--config', cfgPath, '--out', values.out!, '--run-id', s.id, '--backend', values.backend!, '--checkpoint-dir', join(tmp, 'ckpt'), '--threads', '1'];
      const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
      if (r.status !== 0) throw new Error(`bitscale train failed for ${s.id}: ${r.stderr}`);
      // A 3-step profiling run says nothing about scaling: mark it so that the fits leave it out.
      const logPath = join(values.out!, `${s.id}.jsonl`);
      const log = readRunLog(logPath);
      log.header.purpose = 'memory-measurement';
      writeRunLog(logPath, log);
      const measured = log.summary?.peak_bytes ?? 0;
      const predicted = estimateTrainingMemory(modelConfigFromJson(log.header.config!), log.header.batch_size, { precision: 'fp32', preset: 'tfjs-fp32' });
      rows.push([s.id, log.header.backend, formatBytes(measured), formatBytes(predicted.totalBytes), (predicted.totalBytes / measured).toFixed(3), predicted.peakPhase, `${((performance.now() - t0) / 1000).toFixed(1)} s`]);
    }
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
  process.stdout.write(`${formatTable(['run', 'backend', 'measured peak', 'fp32 estimate', 'est/meas', 'peak phase', 'time'], rows)}\n`);
}

main();
