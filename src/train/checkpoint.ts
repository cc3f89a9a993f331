/**
 * Checkpoints: one file, written atomically (temp + rename), holding a JSON header (the step, the
 * config, the wall time so far) and the raw fp32 values of the weights and the AdamW moments.
 * Layout: 8-byte ASCII decimal header length, the JSON header, padding to 4 bytes, the floats.
 */
import { existsSync, readFileSync } from 'node:fs';
import { writeFileAtomic } from '../util/atomic.js';
import { BitscaleError } from '../util/errors.js';
import { fsError } from '../util/files.js';
import type { TrainConfig } from './presets.js';

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

export function writeCheckpoint(path: string, meta: CheckpointMeta, arrays: Float32Array[]): void {
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
