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
 *
 * PyTorch's `SummaryWriter.add_hparams(hparam_dict, metric_dict)` writes a sub-folder of the run
 * (named `str(time.time())` unless run_name is given) holding one event file with the hparams
 * plugin's summaries (`_hparams_/experiment`, `_hparams_/session_start_info`,
 * `_hparams_/session_end_info`) and `metric_dict` as scalars. Such a sub-folder is part of its
 * run, not a run of its own: the hyper-parameters in `session_start_info` (plugin content
 * `HParamsPluginData`, field numbers from tensorboard/plugins/hparams/plugin_data.proto and
 * api.proto) are read as the run's config, and its scalars are added under their own tags.
 */
import { existsSync, lstatSync, readdirSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import protobuf from 'protobufjs';
import { BitscaleError } from '../../util/errors.js';
import { openFileWindow, readRegularFile } from '../../util/files.js';
import { MetricSeries, type ForeignRun, type RunFacts } from './common.js';
import { factsFromConfig, flattenConfig, shortestFloat32 } from './values.js';
import { eachTFRecord, readTFRecords, type ByteSource } from './tfrecord.js';

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
message HParamsPluginData {
  int32 version = 1;
  oneof data {
    bytes experiment = 2;
    SessionStartInfo session_start_info = 3;
    bytes session_end_info = 4;
  }
}
message SessionStartInfo {
  map<string, HParamValue> hparams = 1;
  string model_uri = 2;
  string monitor_url = 3;
  string group_name = 4;
  double start_time_secs = 5;
}
// google.protobuf.Value, as the hparams plugin stores each value.
message HParamValue {
  oneof kind {
    int32 null_value = 1;
    double number_value = 2;
    string string_value = 3;
    bool bool_value = 4;
    bytes struct_value = 5;
    bytes list_value = 6;
  }
}
`;

let root: protobuf.Root | null = null;
/** A message type of EVENT_PROTO (parsed once). */
function eventProtoType(name: string): protobuf.Type {
  root ??= protobuf.parse(EVENT_PROTO, { keepCase: true }).root;
  return root.lookupType(name);
}
/** The `Event` message type. */
export function tensorBoardEventType(): protobuf.Type {
  return eventProtoType('Event');
}
/** The hparams plugin's `HParamsPluginData` message type. */
export function hparamsPluginDataType(): protobuf.Type {
  return eventProtoType('HParamsPluginData');
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
  metadata?: { plugin_data?: { plugin_name?: string; content?: Uint8Array } };
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

const SESSION_START_INFO_TAG = '_hparams_/session_start_info';

/** The hyper-parameters of an hparams `session_start_info` summary, as plain values. */
function decodeHparams(content: Uint8Array, file: string, offset: number): Record<string, unknown> {
  const type = hparamsPluginDataType();
  let data: { session_start_info?: { hparams?: Record<string, { number_value?: number; string_value?: string; bool_value?: boolean }> } };
  try {
    data = type.toObject(type.decode(content), { oneofs: true }) as typeof data;
  } catch (err) {
    throw new BitscaleError(`not the hparams plugin's data in the record at byte ${offset}: ${(err as Error).message}`, { file });
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data.session_start_info?.hparams ?? {})) out[k] = v.number_value ?? v.string_value ?? v.bool_value ?? null;
  return out;
}

/**
 * Add one file's scalar events to `series`, applying the restart rules. `prefix` namespaces tags.
 * Hyper-parameters found in an hparams `session_start_info` go into `hparams`.
 */
export function addEventFile(series: MetricSeries, file: string, prefix: string, skipTags: Set<string>, onWarning?: (m: string) => void, hparams?: Record<string, unknown>): void {
  const source = openFileWindow(file);
  try {
    addEvents(series, source, file, prefix, skipTags, onWarning, hparams);
  } finally {
    source.close();
  }
}

function addEvents(series: MetricSeries, source: ByteSource, file: string, prefix: string, skipTags: Set<string>, onWarning?: (m: string) => void, hparams?: Record<string, unknown>): void {
  const type = tensorBoardEventType();
  for (const { offset, data } of eachTFRecord(source, file, onWarning)) {
    let ev: EventJson;
    try {
      ev = type.toObject(type.decode(data), { longs: Number, oneofs: true }) as EventJson;
    } catch (err) {
      throw new BitscaleError(`not an Event protobuf in the record at byte ${offset}: ${(err as Error).message}`, { file });
    }
    const step = ev.step ?? 0;
    if (!Number.isSafeInteger(step) || step < 0) {
      onWarning?.(`${file}@${offset}: an event at step ${step}, which is no step number; skipped`);
      continue;
    }
    if (ev.session_log?.status === SESSION_START) series.purgeFrom(step);
    for (const v of ev.summary?.value ?? []) {
      const tag = prefix + (v.tag ?? '');
      const plugin = v.metadata?.plugin_data?.plugin_name;
      if (plugin === 'hparams' && v.tag === SESSION_START_INFO_TAG && v.metadata?.plugin_data?.content && hparams) Object.assign(hparams, decodeHparams(v.metadata.plugin_data.content, file, offset));
      if (plugin && plugin !== 'scalars') skipTags.add(tag);
      if (skipTags.has(tag)) continue;
      const value = v.value === 'simple_value' ? shortestFloat32(v.simple_value ?? 0) : v.value === 'tensor' && v.tensor ? tensorScalar(v.tensor) : null;
      if (value === null) continue;
      if (step < series.lastStep(tag)) series.purgeFrom(step, [tag]);
      series.put(tag, { step, value, wallTime: ev.wall_time, file, byte: offset });
    }
  }
}

/** Does this folder hold an `add_hparams` sub-folder's event files (the hparams plugin's session_start_info)? */
export function isHparamsDir(dir: string): boolean {
  const files = eventFilesIn(dir);
  if (files.length === 0) return false;
  const type = tensorBoardEventType();
  for (const file of files) {
    let records: { data: Uint8Array }[];
    try {
      records = readTFRecords(readRegularFile(file, 16 * 1024 * 1024), file);
    } catch {
      return false;
    }
    for (const { data } of records) {
      try {
        const ev = type.toObject(type.decode(data), { longs: Number, oneofs: true }) as EventJson;
        if ((ev.summary?.value ?? []).some((v) => v.metadata?.plugin_data?.plugin_name === 'hparams')) return true;
      } catch {
        return false;
      }
    }
  }
  return false;
}

/** Sub-folders of a run directory that `add_hparams` wrote. */
export function hparamsSubdirs(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => !n.startsWith('.') && lstatSync(join(dir, n)).isDirectory() && isHparamsDir(join(dir, n)))
    .sort()
    .map((n) => join(dir, n));
}

/**
 * The run in a directory of event files. Keras writes `train/` and `validation/` subdirectories
 * for one run; when `dir` has no event files of its own, each subdirectory's tags are read as
 * `<subdir>/<tag>` (e.g. `validation/epoch_loss`). `only` reads just those event files.
 * `add_hparams` sub-folders are merged: their hyper-parameters become the run's config facts,
 * their scalars are added under tags the run does not already log.
 */
export function readTensorBoardRun(dir: string, name = basename(dir), onWarning?: (m: string) => void, only?: string[]): ForeignRun {
  const series = new MetricSeries();
  const skip = new Set<string>();
  const hparams: Record<string, unknown> = {};
  const own = only ?? eventFilesIn(dir);
  if (own.length > 0) for (const f of own) addEventFile(series, f, '', skip, onWarning, hparams);
  else {
    const subs = readdirSync(dir).filter((s) => eventFilesIn(join(dir, s)).length > 0 && !isHparamsDir(join(dir, s))).sort();
    if (subs.length === 0) throw new BitscaleError('no TensorBoard event files (events.out.tfevents.*) here', { file: dir });
    for (const s of subs) for (const f of eventFilesIn(join(dir, s))) addEventFile(series, f, `${s}/`, skip, onWarning, hparams);
  }
  const hpDirs = only ? [] : hparamsSubdirs(dir);
  for (const hp of hpDirs) {
    const extra = new MetricSeries();
    for (const f of eventFilesIn(hp)) addEventFile(extra, f, '', new Set(), onWarning, hparams);
    for (const tag of extra.names()) {
      if (series.names().includes(tag)) onWarning?.(`${hp}: add_hparams metric '${tag}' is also logged by the run; the run's own points are kept`);
      else for (const p of extra.points(tag)) series.put(tag, p);
    }
  }
  const facts: RunFacts = Object.keys(hparams).length > 0 ? factsFromConfig(flattenConfig(hparams), `${hpDirs.length === 1 ? hpDirs[0] : dir} add_hparams`, 'tensorboard') : { backend: 'tensorboard' };
  return {
    format: 'tensorboard',
    name,
    source: dir,
    series,
    facts,
    conventions: { train_loss: ['train/epoch_loss'], val_loss: ['validation/epoch_loss', 'val/epoch_loss'] },
  };
}
