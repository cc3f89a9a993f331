/**
 * Checkpoints: one file, written atomically (temp + rename), holding a JSON header (the step, the
 * config, the wall time so far) and the raw fp32 values of the weights and the AdamW moments.
 * Layout: 8-byte ASCII decimal header length, the JSON header, padding to 4 bytes, the floats.
 * The trainer saves and restores through `saveCheckpoint` and `restoreCheckpoint`, the one place
 * that knows what a training state is made of.
 */
import type * as tf from '@tensorflow/tfjs-core';
import { existsSync, readFileSync } from 'node:fs';
import type { BitLM } from '../model/model.js';
import { writeFileAtomic } from '../util/atomic.js';
import { BitscaleError } from '../util/errors.js';
import { fsError } from '../util/files.js';
import type { AdamW } from './adamw.js';
import type { TrainConfig } from './presets.js';
import { assignValues } from './replica.js';

export interface CheckpointMeta {
  runId: string;
  /** Optimizer updates done: training continues with update `step`. */
  step: number;
  config: TrainConfig;
  /** Cumulative training wall time at the checkpoint, seconds. */
  wallSeconds: number;
  /** Sizes of the float arrays, in order (weights, then m, then v). */
  sizes: number[];
}

function writeCheckpoint(path: string, meta: CheckpointMeta, arrays: Float32Array[]): void {
  const json = Buffer.from(JSON.stringify(meta), 'utf8');
  const headLen = 8 + json.length;
  const pad = (4 - (headLen % 4)) % 4;
  const floats = arrays.reduce((a, x) => a + x.length, 0);
  const buf = Buffer.alloc(headLen + pad + 4 * floats);
  buf.write(String(json.length).padStart(8, '0'), 0, 'ascii');
  json.copy(buf, 8);
  let off = headLen + pad;
  for (const a of arrays) {
    Buffer.from(a.buffer, a.byteOffset, a.byteLength).copy(buf, off);
    off += a.byteLength;
  }
  writeFileAtomic(path, buf);
}

export function readCheckpoint(path: string): { meta: CheckpointMeta; arrays: Float32Array[] } | null {
  if (!existsSync(path)) return null;
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch (err) {
    throw fsError(err, path);
  }
  const jsonLen = Number(buf.toString('ascii', 0, 8));
  if (!Number.isInteger(jsonLen) || jsonLen <= 0) throw new BitscaleError('not a bitscale checkpoint', { file: path });
  const meta = JSON.parse(buf.toString('utf8', 8, 8 + jsonLen)) as CheckpointMeta;
  const headLen = 8 + jsonLen;
  let off = headLen + ((4 - (headLen % 4)) % 4);
  const arrays = meta.sizes.map((n) => {
    const a = new Float32Array(n);
    Buffer.from(a.buffer).set(buf.subarray(off, off + 4 * n));
    off += 4 * n;
    return a;
  });
  if (off !== buf.length) throw new BitscaleError(`checkpoint size ${buf.length} does not match its header (${off})`, { file: path });
  return { meta, arrays };
}

/** What a checkpoint holds, in order: the model's variables, then AdamW's first and second moments. */
function trainingState(model: BitLM, opt: AdamW): tf.Variable[] {
  return [...model.variables, ...opt.m, ...opt.v];
}

/** Write the model's and the optimizer's state after `meta.step` updates to `path`. */
export function saveCheckpoint(path: string, meta: Omit<CheckpointMeta, 'sizes'>, model: BitLM, opt: AdamW): void {
  const state = trainingState(model, opt);
  writeCheckpoint(path, { ...meta, sizes: state.map((v) => v.size) }, state.map((v) => v.dataSync() as Float32Array));
}

/**
 * Load the checkpoint at `path`, if there is one, into the model and the optimizer (AdamW then
 * continues with update `meta.step`); null when there is none.
 */
export function restoreCheckpoint(path: string, model: BitLM, opt: AdamW): CheckpointMeta | null {
  const ck = readCheckpoint(path);
  if (!ck) return null;
  const state = trainingState(model, opt);
  if (ck.arrays.length !== state.length) throw new BitscaleError(`checkpoint holds ${ck.arrays.length} arrays, the model needs ${state.length}`, { file: path });
  state.forEach((v, i) => {
    if (ck.arrays[i].length !== v.size) throw new BitscaleError(`checkpoint array ${i} has ${ck.arrays[i].length} values, expected ${v.size}`, { file: path });
  });
  assignValues(state, ck.arrays);
  opt.t = ck.meta.step;
  return ck.meta;
}
