/** Writers for test fixtures in the formats other trainers write (built here, byte by byte). */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { frameTFRecord } from '../../../src/runs/formats/tfrecord.js';
import { hparamsPluginDataType, tensorBoardEventType } from '../../../src/runs/formats/tensorboard.js';

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

/**
 * The event file PyTorch's `SummaryWriter.add_hparams(hparam_dict, metric_dict)` writes into its
 * sub-folder, built the way torch/utils/tensorboard/summary.py's `hparams()` builds it: three
 * summaries with the hparams plugin's metadata (`_hparams_/experiment`,
 * `_hparams_/session_start_info` holding the values as google.protobuf.Value, and
 * `_hparams_/session_end_info` with status 1 = success), then each metric as a scalar at `step`.
 * (Written by our encoder from the writer's source: no PyTorch here to run the real writer.)
 */
export function hparamsEventFileBytes(hparams: Record<string, number | string | boolean>, metrics: Record<string, number>, step = 0): Uint8Array {
  const type = tensorBoardEventType();
  const data = hparamsPluginDataType();
  const plugin = (content: Uint8Array) => ({ plugin_data: { plugin_name: 'hparams', content } });
  const value = (v: number | string | boolean) => (typeof v === 'number' ? { number_value: v } : typeof v === 'string' ? { string_value: v } : { bool_value: v });
  const ssi = data.encode(data.fromObject({ version: 0, session_start_info: { hparams: Object.fromEntries(Object.entries(hparams).map(([k, v]) => [k, value(v)])) } })).finish();
  const exp = data.encode(data.fromObject({ version: 0, experiment: new Uint8Array(0) })).finish();
  const sei = data.encode(data.fromObject({ version: 0, session_end_info: Uint8Array.of(0x08, 0x01) })).finish();
  const summary = (tag: string, content: Uint8Array) => type.encode(type.fromObject({ wall_time: 1_700_000_000, step, summary: { value: [{ tag, metadata: plugin(content) }] } })).finish();
  const first = type.encode(type.fromObject({ wall_time: 1_700_000_000, file_version: 'brain.Event:2' })).finish();
  return Buffer.concat([
    frameTFRecord(first),
    frameTFRecord(summary('_hparams_/experiment', exp)),
    frameTFRecord(summary('_hparams_/session_start_info', ssi)),
    frameTFRecord(summary('_hparams_/session_end_info', sei)),
    ...Object.entries(metrics).map(([tag, v]) => frameTFRecord(encodeEvent({ step, scalars: { [tag]: v } }))),
  ]);
}

export function writeFile(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, data);
}
