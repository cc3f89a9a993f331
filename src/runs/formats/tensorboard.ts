/**
 * TensorBoard event files (`events.out.tfevents.*`, TF2 `.v2` too): TFRecord-framed `Event`
 * protobufs, decoded with protobufjs from the inline schema below (the fields of TensorFlow's
 * event.proto, summary.proto and tensor.proto that scalars use; field numbers from those files).
 *
 * Scalars come as `simple_value` (PyTorch SummaryWriter), as a `tensor` with float_val/double_val
 * (PyTorch new_style) or with 4/8-byte little-endian `tensor_content` (TF2/Keras). float32 values
 * are read as the shortest decimal that is the same float32 (4.6, not 4.599999904632568).
 * Restarts follow TensorBoard's own rule: files are read in name order (the name starts with the
 * writer's start time); a `SessionLog START` at step s drops every earlier point at step ≥ s, and
 * a tag whose step goes backwards to s drops that tag's points at step ≥ s. Otherwise a point
 * logged again at the same step replaces the earlier one.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import protobuf from 'protobufjs';
import { BitscaleError } from '../../util/errors.js';
import { MetricSeries, type ForeignRun } from './common.js';
import { shortestFloat32 } from './values.js';
import { readTFRecords } from './tfrecord.js';

export const EVENT_PROTO = `
syntax = "proto3";
message Event {
  double wall_time = 1;
  int64 step = 2;
  oneof what {
    string file_version = 3;
    bytes graph_def = 4;
    Summary summary = 5;
    bytes log_message = 6;
    SessionLog session_log = 7;
    bytes tagged_run_metadata = 8;
    bytes meta_graph_def = 9;
  }
  bytes source_metadata = 10;
}
message SessionLog {
  enum SessionStatus { STATUS_UNSPECIFIED = 0; START = 1; STOP = 2; CHECKPOINT = 3; }
  SessionStatus status = 1;
  string checkpoint_path = 2;
  string msg = 3;
}
message Summary {
  message Value {
    string node_name = 7;
    string tag = 1;
    SummaryMetadata metadata = 9;
    oneof value {
      float simple_value = 2;
      bytes obsolete_old_style_histogram = 3;
      bytes image = 4;
      bytes histo = 5;
      bytes audio = 6;
      TensorProto tensor = 8;
    }
  }
  repeated Value value = 1;
}
message SummaryMetadata {
  message PluginData { string plugin_name = 1; bytes content = 2; }
  PluginData plugin_data = 1;
  string display_name = 2;
  string summary_description = 3;
  int32 data_class = 4;
}
message TensorShapeProto {
  message Dim { int64 size = 1; string name = 2; }
  repeated Dim dim = 2;
  bool unknown_rank = 3;
}
message TensorProto {
  int32 dtype = 1;
  TensorShapeProto tensor_shape = 2;
  int32 version_number = 3;
  bytes tensor_content = 4;
  repeated float float_val = 5 [packed = true];
  repeated double double_val = 6 [packed = true];
  repeated int32 int_val = 7 [packed = true];
  repeated int64 int64_val = 10 [packed = true];
}
`;

let eventType: protobuf.Type | null = null;
/** The `Event` message type, parsed once from EVENT_PROTO. */
export function tensorBoardEventType(): protobuf.Type {
  eventType ??= protobuf.parse(EVENT_PROTO, { keepCase: true }).root.lookupType('Event');
  return eventType;
}

const DT_FLOAT = 1;
const DT_DOUBLE = 2;
const SESSION_START = 1;

interface TensorJson {
  dtype?: number;
  tensor_shape?: { dim?: { size?: number }[] };
  tensor_content?: Uint8Array;
  float_val?: number[];
  double_val?: number[];
}
interface ValueJson {
  tag?: string;
  value?: string;
  simple_value?: number;
  tensor?: TensorJson;
  metadata?: { plugin_data?: { plugin_name?: string } };
}
interface EventJson {
  wall_time?: number;
  step?: number;
  summary?: { value?: ValueJson[] };
  session_log?: { status?: number };
}

/** A scalar tensor's value, or null when it holds something else (a histogram, text, a vector). */
function tensorScalar(t: TensorJson): number | null {
  const size = (t.tensor_shape?.dim ?? []).reduce((n, d) => n * (d.size ?? 1), 1);
  if (size !== 1) return null;
  if (t.dtype === DT_FLOAT) {
    if (t.float_val?.length) return shortestFloat32(t.float_val[0]);
    if (t.tensor_content?.length === 4) return shortestFloat32(new DataView(t.tensor_content.buffer, t.tensor_content.byteOffset, 4).getFloat32(0, true));
  }
  if (t.dtype === DT_DOUBLE) {
    if (t.double_val?.length) return t.double_val[0];
    if (t.tensor_content?.length === 8) return new DataView(t.tensor_content.buffer, t.tensor_content.byteOffset, 8).getFloat64(0, true);
  }
  return null;
}

/** Is this file name an event file? */
export function isEventFile(name: string): boolean {
  return /^events\.out\.tfevents\./.test(name);
}

/** Event files in a directory, oldest writer first (the name's unix time, then the name). */
export function eventFilesIn(dir: string): string[] {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) return [];
  const time = (n: string) => Number(/^events\.out\.tfevents\.(\d+)/.exec(n)?.[1] ?? 0);
  return readdirSync(dir)
    .filter(isEventFile)
    .sort((a, b) => time(a) - time(b) || (a < b ? -1 : a > b ? 1 : 0))
    .map((n) => join(dir, n));
}

/** Add one file's scalar events to `series`, applying the restart rules. `prefix` namespaces tags. */
export function addEventFile(series: MetricSeries, file: string, prefix: string, skipTags: Set<string>, onWarning?: (m: string) => void): void {
  const type = tensorBoardEventType();
  for (const { offset, data } of readTFRecords(readFileSync(file), file, onWarning)) {
    let ev: EventJson;
    try {
      ev = type.toObject(type.decode(data), { longs: Number, oneofs: true }) as EventJson;
    } catch (err) {
      throw new BitscaleError(`not an Event protobuf in the record at byte ${offset}: ${(err as Error).message}`, { file });
    }
    const step = ev.step ?? 0;
    if (ev.session_log?.status === SESSION_START) series.purgeFrom(step);
    for (const v of ev.summary?.value ?? []) {
      const tag = prefix + (v.tag ?? '');
      const plugin = v.metadata?.plugin_data?.plugin_name;
      if (plugin && plugin !== 'scalars') skipTags.add(tag);
      if (skipTags.has(tag)) continue;
      const value = v.value === 'simple_value' ? shortestFloat32(v.simple_value ?? 0) : v.value === 'tensor' && v.tensor ? tensorScalar(v.tensor) : null;
      if (value === null) continue;
      if (step < series.lastStep(tag)) series.purgeFrom(step, [tag]);
      series.put(tag, { step, value, wallTime: ev.wall_time, where: `${file}@${offset}` });
    }
  }
}

/**
 * The run in a directory of event files. Keras writes `train/` and `validation/` subdirectories
 * for one run; when `dir` has no event files of its own, each subdirectory's tags are read as
 * `<subdir>/<tag>` (e.g. `validation/epoch_loss`). `only` reads just those event files.
 */
export function readTensorBoardRun(dir: string, name = basename(dir), onWarning?: (m: string) => void, only?: string[]): ForeignRun {
  const series = new MetricSeries();
  const skip = new Set<string>();
  const own = only ?? eventFilesIn(dir);
  if (own.length > 0) for (const f of own) addEventFile(series, f, '', skip, onWarning);
  else {
    const subs = readdirSync(dir).filter((s) => eventFilesIn(join(dir, s)).length > 0).sort();
    if (subs.length === 0) throw new BitscaleError('no TensorBoard event files (events.out.tfevents.*) here', { file: dir });
    for (const s of subs) for (const f of eventFilesIn(join(dir, s))) addEventFile(series, f, `${s}/`, skip, onWarning);
  }
  return {
    format: 'tensorboard',
    name,
    source: dir,
    series,
    facts: { backend: 'tensorboard' },
    conventions: { train_loss: ['train/epoch_loss'], val_loss: ['validation/epoch_loss', 'val/epoch_loss'] },
  };
}
