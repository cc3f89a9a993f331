/** Writers for test fixtures in the formats other trainers write (built here, byte by byte). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { frameTFRecord } from '../../../src/runs/formats/tfrecord.js';
import { tensorBoardEventType } from '../../../src/runs/formats/tensorboard.js';

export type ScalarStyle = 'simple_value' | 'float_val' | 'double_val' | 'tensor_content';

export interface FixtureEvent {
  step: number;
  wall_time?: number;
  scalars?: Record<string, number>;
  style?: ScalarStyle;
  sessionStart?: boolean;
}

/** One Event protobuf's bytes, scalars written the way PyTorch (simple_value, new_style) or TF2 (tensor_content) do. */
export function encodeEvent(e: FixtureEvent): Uint8Array {
  const type = tensorBoardEventType();
  const style = e.style ?? 'simple_value';
  const value = Object.entries(e.scalars ?? {}).map(([tag, v]) => {
    const metadata = { plugin_data: { plugin_name: 'scalars' } };
    if (style === 'simple_value') return { tag, simple_value: v };
    if (style === 'float_val') return { tag, metadata, tensor: { dtype: 1, tensor_shape: {}, float_val: [v] } };
    if (style === 'double_val') return { tag, metadata, tensor: { dtype: 2, tensor_shape: {}, double_val: [v] } };
    const content = new Uint8Array(4);
    new DataView(content.buffer).setFloat32(0, v, true);
    return { tag, metadata, tensor: { dtype: 1, tensor_shape: {}, tensor_content: content } };
  });
  const msg: Record<string, unknown> = { wall_time: e.wall_time ?? 1_700_000_000 + e.step, step: e.step };
  if (e.sessionStart) msg.session_log = { status: 1 };
  else if (value.length) msg.summary = { value };
  return type.encode(type.fromObject(msg)).finish();
}

/** The bytes of an event file: the file_version record, then each event, TFRecord-framed. */
export function eventFileBytes(events: FixtureEvent[]): Uint8Array {
  const type = tensorBoardEventType();
  const first = type.encode(type.fromObject({ wall_time: 1_700_000_000, file_version: 'brain.Event:2' })).finish();
  const parts = [frameTFRecord(first), ...events.map((e) => frameTFRecord(encodeEvent(e)))];
  return Buffer.concat(parts);
}

export function writeFile(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
}
