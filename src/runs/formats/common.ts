/**
 * What every log importer produces (a ForeignRun: named metric series plus the trainer's config)
 * and the one conversion from it to a bitscale run log: metric names chosen by convention or
 * `--map`, nats per token converted to bits, tokens and parameters found or refused by name.
 * Pure: no file is read or written here.
 */
import { parseDocument } from 'yaml';
import { BitscaleError } from '../../util/errors.js';
import { formatCount } from '../../util/format.js';
import { parseNumber, POSITIVE_INT, POSITIVE_REAL, NON_NEGATIVE_INT } from '../../util/numbers.js';
import { VERSION } from '../../version.js';
import { RUN_ID_PATTERN } from '../log.js';
import { RUN_LOG_FORMAT_VERSION, TOKEN_UNITS, type TokenUnit, type EvalRecord, type HeaderRecord, type RunLog, type StepRecord, type SummaryRecord } from '../types.js';

export const FORMAT_NAMES = ['tensorboard', 'wandb', 'wandb-csv', 'lightning', 'huggingface', 'mlflow', 'nanogpt', 'llmc', 'megatron'] as const;
export type FormatName = (typeof FORMAT_NAMES)[number];

export interface MetricPoint {
  step: number;
  value: number;
  /** Unix seconds when the writer logged it, where the format records it. */
  wallTime?: number;
  /** Where the point was read ("file:line" or "file@byte"), for messages. */
  where: string;
}

/**
 * Points keyed on (metric, step); a later `put` for the same key replaces the earlier one
 * (last writer wins: readers call `put` in file order, then record order).
 */
export class MetricSeries {
  private readonly byMetric = new Map<string, Map<number, MetricPoint>>();

  /** Highest step per metric, kept up to date so restart checks stay O(1) per point. */
  private readonly maxStep = new Map<string, number>();

  put(metric: string, point: MetricPoint): void {
    let points = this.byMetric.get(metric);
    if (!points) this.byMetric.set(metric, (points = new Map()));
    points.delete(point.step);
    points.set(point.step, point);
    this.maxStep.set(metric, Math.max(this.maxStep.get(metric) ?? -Infinity, point.step));
  }

  /** Drop points at or after `step` (of the named metrics, or all): a restart superseded them. */
  purgeFrom(step: number, metrics?: Iterable<string>): number {
    let dropped = 0;
    for (const name of metrics ?? this.byMetric.keys()) {
      const points = this.byMetric.get(name);
      if (!points) continue;
      if ((this.maxStep.get(name) ?? -Infinity) < step) continue;
      let max = -Infinity;
      for (const s of [...points.keys()]) {
        if (s >= step) dropped += Number(points.delete(s));
        else max = Math.max(max, s);
      }
      this.maxStep.set(name, max);
    }
    return dropped;
  }

  /** Highest step logged for a metric, or -Infinity. */
  lastStep(metric: string): number {
    return this.maxStep.get(metric) ?? -Infinity;
  }

  names(): string[] {
    return [...this.byMetric.keys()].filter((n) => (this.byMetric.get(n)?.size ?? 0) > 0).sort();
  }

  /** A metric's points in step order. */
  points(metric: string): MetricPoint[] {
    return [...(this.byMetric.get(metric)?.values() ?? [])].sort((a, b) => a.step - b.step);
  }
}

/** Facts a reader found in the trainer's own files; each names where it came from. */
export interface RunFacts {
  params?: { value: number; from: string; reported?: string };
  batchSize?: { value: number; from: string };
  seqLen?: { value: number; from: string };
  lr?: { value: number; from: string };
  plannedSteps?: number;
  seed?: number;
  dataset?: string;
  tokenizer?: string;
  arch?: string;
  /** The trainer's framework, stored as the run's backend. */
  backend: string;
  /** A hint shown when batch_size cannot be found, e.g. HF's per-device train_batch_size. */
  batchHint?: string;
  /** Tokens per optimizer step stated by the trainer (nanoGPT prints it). */
  tokensPerStep?: { value: number; from: string };
}

export interface ForeignRun {
  format: FormatName;
  /** The run's name in its trainer's terms (a directory name, an MLflow run name…). */
  name: string;
  /** The file or directory it was read from. */
  source: string;
  series: MetricSeries;
  facts: RunFacts;
  /** Metric names this format uses for each role, tried before the shared conventions. */
  conventions?: Partial<Record<MetricRole, string[]>>;
  /** How the trainer left the run, where the format records it. */
  status?: 'completed' | 'stopped' | 'running';
}

export type MetricRole = 'train_loss' | 'val_loss' | 'tokens' | 'lr';

/** Fields `--map` may name for a trainer's log: which metric plays each role. */
export const METRIC_ROLES: Record<MetricRole, string> = {
  train_loss: 'training loss (nats per token)',
  val_loss: 'validation loss (nats per token); required',
  tokens: 'tokens seen so far',
  lr: 'learning rate',
};

/** Fields `--set` may give for a trainer's log. */
export const SET_FIELDS = {
  run_id: 'run id (one run only)', params: 'parameter count (46.4M)', batch_size: 'sequences per optimizer step (effective, all devices)',
  seq_len: 'tokens per sequence', lr: 'peak learning rate', dataset: 'dataset name', tokenizer: 'tokenizer name',
  token_unit: 'what one token is: token (default), char or byte',
  arch: 'architecture name', planned_steps: 'planned steps', seed: 'random seed', precision: 'fp32, bf16-autocast, fp16-autocast or unknown',
  hardware: 'where it ran', backend: 'framework', notes: 'free text',
} as const;

/** Shared metric names per role, in order of preference (matched exactly, then ignoring case). */
const CONVENTIONS: Record<MetricRole, string[]> = {
  train_loss: ['train/loss', 'train_loss', 'loss/train', 'train/loss_step', 'train_loss_step', 'training_loss', 'trainer/loss', 'loss'],
  val_loss: ['val/loss', 'val_loss', 'validation/loss', 'valid/loss', 'eval/loss', 'eval_loss', 'loss/val', 'loss/validation', 'test/loss', 'val/loss_epoch', 'validation_loss'],
  tokens: ['train/num_input_tokens_seen', 'num_input_tokens_seen', 'tokens_seen', 'train/tokens', 'tokens', 'trainer/tokens'],
  lr: ['train/learning_rate', 'learning_rate', 'train/lr', 'lr', 'lr-AdamW', 'lr-Adam', 'trainer/lr'],
};

export interface ConvertOptions {
  /** ROLE → metric name, from `--map val_loss=eval/loss`. */
  map?: Record<string, string>;
  /** FIELD → value, from `--set params=124M,batch_size=32`: fills what the files lack. */
  set?: Record<string, string>;
  onWarning?: (message: string) => void;
}

/** What ingest prints and stores about how a run was read. */
export interface Mapping {
  format: FormatName;
  metrics: Partial<Record<MetricRole, string>>;
  unit: string;
  params: string;
  tokens: string;
  batch_size: string;
  seq_len: string;
}

export interface ConvertedRun {
  log: RunLog;
  mapping: Mapping;
}

/** Check `--map`/`--set` keys once, before any run is converted. */
export function checkForeignOptions(options: ConvertOptions): void {
  for (const k of Object.keys(options.map ?? {})) {
    if (!(k in METRIC_ROLES)) throw new BitscaleError(`--map ${k}: unknown field for a trainer's log (known: ${Object.keys(METRIC_ROLES).join(', ')})`, { field: k });
  }
  for (const k of Object.keys(options.set ?? {})) {
    if (!(k in SET_FIELDS)) throw new BitscaleError(`--set ${k}: unknown field for a trainer's log (known: ${Object.keys(SET_FIELDS).join(', ')})`, { field: k });
  }
}

/** Which metric plays `role`: `--map`, then the format's names, then the shared ones. */
export function chooseMetric(run: ForeignRun, role: MetricRole, map: Record<string, string>): string | null {
  const names = run.series.names();
  if (map[role] !== undefined) {
    if (!names.includes(map[role])) throw new BitscaleError(`--map ${role}=${map[role]}: no such metric (metrics: ${names.join(', ') || 'none'})`, { file: run.source, field: role });
    return map[role];
  }
  const candidates = [...(run.conventions?.[role] ?? []), ...CONVENTIONS[role]];
  for (const c of candidates) if (names.includes(c)) return c;
  const lower = new Map(names.map((n) => [n.toLowerCase(), n]));
  for (const c of candidates) if (lower.has(c.toLowerCase())) return lower.get(c.toLowerCase())!;
  return null;
}

/** A run id from a trainer's run name: characters outside [A-Za-z0-9._-] become '-'. */
export function runIdFrom(name: string): string {
  const id = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').replace(/-+$/, '');
  return id === '' ? 'run' : id;
}

/**
 * One ForeignRun as a run log in bits per token: bits = nats / ln 2, `dataset.token_unit` "token"
 * (or `--set token_unit=char|byte`). Ingest's `--bytes-per-token` then converts to per byte.
 * Non-finite losses are kept in the summary's `nonfinite` list and mark the run diverged.
 * Throws one error naming every field found neither in the files nor in `--set`.
 */
export function foreignToRunLog(run: ForeignRun, options: ConvertOptions = {}): ConvertedRun {
  const map = options.map ?? {};
  const set = options.set ?? {};
  const file = run.source;
  const toBits = (nats: number) => nats / Math.LN2;
  // Every field found nowhere is collected, so that one error names them all.
  const absent: { field: string; how: string }[] = [];
  const missing = (field: string, how: string) => void absent.push({ field, how });

  const metrics: Partial<Record<MetricRole, string>> = {};
  for (const role of Object.keys(METRIC_ROLES) as MetricRole[]) {
    const name = chooseMetric(run, role, map);
    if (name !== null) metrics[role] = name;
  }
  if (!metrics.val_loss) {
    throw new BitscaleError(`no validation loss among the metrics (${run.series.names().join(', ') || 'none'}); name one with --map val_loss=METRIC`, { file, field: 'val_loss' });
  }
  const valPoints = run.series.points(metrics.val_loss);
  const trainPoints = metrics.train_loss ? run.series.points(metrics.train_loss) : [];
  const lrAt = new Map((metrics.lr ? run.series.points(metrics.lr) : []).map((p) => [p.step, p.value]));
  const tokenPoints = metrics.tokens ? run.series.points(metrics.tokens).filter((p) => Number.isFinite(p.value)) : [];
  const lastStep = Math.max(valPoints.at(-1)?.step ?? 0, trainPoints.at(-1)?.step ?? 0);

  // Tokens per step: a tokens-seen metric, else what the trainer states, else batch × seq len.
  const lastTokens = [...tokenPoints].reverse().find((p) => p.step > 0);
  let tokensPerStep: { value: number; from: string } | undefined = lastTokens
    ? { value: lastTokens.value / lastTokens.step, from: `metric ${metrics.tokens}` }
    : run.facts.tokensPerStep;

  // The files come first; --set fills what they lack (as it does for CSV columns), and a --set
  // value the files contradict is reported, not applied.
  const fill = <T extends { value: number; from: string }>(field: string, found: T | undefined, parse: (text: string) => number): T | { value: number; from: string } | undefined => {
    if (set[field] === undefined) return found;
    const given = parse(set[field]);
    if (found && Math.abs(found.value - given) > 1e-6 * Math.abs(given)) options.onWarning?.(`${file}: --set ${field}=${set[field]} not used: the files give ${found.value} (${found.from})`);
    return found ?? { value: given, from: '--set' };
  };
  const positiveInt = (f: string) => (t: string) => parseNumber(t, f, POSITIVE_INT);
  let batch: { value: number; from: string } | undefined = run.facts.batchSize;
  let seq: { value: number; from: string } | undefined = run.facts.seqLen;
  // With tokens per step known, one of batch size and sequence length gives the other.
  const derive = () => {
    if (!tokensPerStep) return;
    if (batch && !seq && Number.isInteger(tokensPerStep.value / batch.value)) seq = { value: tokensPerStep.value / batch.value, from: `${tokensPerStep.from} ÷ batch_size` };
    if (seq && !batch && Number.isInteger(tokensPerStep.value / seq.value)) batch = { value: tokensPerStep.value / seq.value, from: `${tokensPerStep.from} ÷ seq_len` };
  };
  derive();
  batch = fill('batch_size', batch, positiveInt('batch_size'));
  seq = fill('seq_len', seq, positiveInt('seq_len'));
  derive();
  if (!batch) missing('batch_size', run.facts.batchHint ?? 'no batch size in the config');
  if (!seq) missing('seq_len', 'no sequence length in the config');

  const params = fill('params', run.facts.params, (t) => Math.round(parseNumber(t, 'params', POSITIVE_REAL))) as RunFacts['params'];
  if (!params) missing('params', 'the format stores no parameter count and no architecture bitscale can count');
  let lr = run.facts.lr;
  if (!lr && lrAt.size > 0) {
    const peak = [...lrAt.values()].filter(Number.isFinite).reduce((a, b) => Math.max(a, b), -Infinity);
    if (peak > 0) lr = { value: peak, from: `max of metric ${metrics.lr}` };
  }
  lr = fill('lr', lr, (t) => parseNumber(t, 'lr', POSITIVE_REAL));
  if (!lr) missing('lr', 'no learning rate in the config or the metrics');
  const dataset = run.facts.dataset ?? set.dataset;
  if (!dataset) missing('dataset', 'the format does not name the dataset');
  if (absent.length > 0) {
    const [first, ...rest] = absent;
    const also = rest.length > 0 ? `; also not found: ${rest.map((a) => `${a.field} (${a.how})`).join(', ')}` : '';
    throw new BitscaleError(`not found in the ${run.format} files (${first.how}, or give it with --set ${first.field}=VALUE)${also}`, { file, field: first.field });
  }
  if (tokensPerStep && tokensPerStep.value !== batch!.value * seq!.value) {
    options.onWarning?.(`${file}: ${tokensPerStep.value} tokens per step (${tokensPerStep.from}) differ from batch_size ${batch!.value} × seq_len ${seq!.value}; eval records carry the former, the run table's token counts the latter`);
  }
  tokensPerStep ??= { value: batch!.value * seq!.value, from: 'batch_size × seq_len' };
  const tokenAt = new Map(tokenPoints.map((p) => [p.step, p.value]));
  const tokensOf = (step: number) => tokenAt.get(step) ?? Math.round(step * tokensPerStep!.value);

  const nonfinite: { metric: string; step: number; value: string; at: string }[] = [];
  const finite = (metric: string, p: MetricPoint) => {
    if (Number.isFinite(p.value)) return true;
    nonfinite.push({ metric, step: p.step, value: String(p.value), at: p.where });
    return false;
  };
  const wallStart = [...valPoints, ...trainPoints].reduce((m, p) => Math.min(m, p.wallTime ?? Infinity), Infinity);
  const wallOf = (p: MetricPoint) => (p.wallTime !== undefined && Number.isFinite(wallStart) ? { wall_s: Math.max(0, p.wallTime - wallStart) } : {});

  const steps: StepRecord[] = trainPoints
    .filter((p) => finite(metrics.train_loss!, p))
    .map((p) => {
      const rec: StepRecord = { type: 'step', step: p.step, tokens: tokensOf(p.step), train_loss: toBits(p.value) };
      const l = lrAt.get(p.step);
      if (l !== undefined && Number.isFinite(l) && l >= 0) rec.lr = l;
      return { ...rec, ...wallOf(p) };
    });
  const evals: EvalRecord[] = valPoints
    .filter((p) => finite(metrics.val_loss!, p))
    .map((p) => ({ type: 'eval', step: p.step, tokens: tokensOf(p.step), val_bpc: toBits(p.value), ...wallOf(p) }));
  if (evals.length === 0) throw new BitscaleError(`metric ${metrics.val_loss} has no finite value`, { file, field: 'val_loss' });

  const tokenUnit = set.token_unit ?? 'token';
  if (!(TOKEN_UNITS as readonly string[]).includes(tokenUnit)) throw new BitscaleError(`--set token_unit=${tokenUnit}: expected one of ${TOKEN_UNITS.join(', ')}`, { field: 'token_unit' });
  const unit = `bits per ${tokenUnit} (nats / ln 2)`;
  const tokenizer = run.facts.tokenizer ?? set.tokenizer;
  const header: HeaderRecord = {
    type: 'header',
    format_version: RUN_LOG_FORMAT_VERSION,
    run_id: set.run_id ?? runIdFrom(run.name),
    arch: run.facts.arch ?? set.arch ?? 'unknown',
    config: null,
    params: params!.value,
    batch_size: batch!.value,
    seq_len: seq!.value,
    lr: { peak: lr!.value, schedule: 'unknown', warmup_steps: null, final: null },
    planned_steps: run.facts.plannedSteps ?? (set.planned_steps !== undefined ? parseNumber(set.planned_steps, 'planned_steps', NON_NEGATIVE_INT) : lastStep),
    seed: run.facts.seed ?? (set.seed !== undefined ? parseNumber(set.seed, 'seed', { integer: true }) : null),
    dataset: { name: dataset!, bytes: null, sha256: null, token_unit: tokenUnit as TokenUnit, ...(tokenizer ? { tokenizer } : {}) },
    loss_unit: 'bits',
    precision: (set.precision ?? 'unknown') as HeaderRecord['precision'],
    backend: set.backend ?? run.facts.backend,
    hardware: set.hardware ?? 'unknown',
    tool: { name: `bitscale ingest (${run.format})`, version: VERSION },
    source: run.source,
  };
  if (params!.reported) header.params_reported = params!.reported;
  if (set.notes) header.notes = set.notes;
  header.ingested_from = { format: run.format, metrics, params: params!.from, tokens: tokensPerStep.from };

  const last = evals[evals.length - 1];
  // Status: diverged on any non-finite loss; else what the format records; else completed when the
  // last logged step reaches the planned steps (or none are known), stopped when it falls short.
  const planned = header.planned_steps;
  const status = nonfinite.length > 0 ? 'diverged' : (run.status ?? (lastStep >= planned ? 'completed' : 'stopped'));
  const summary: SummaryRecord = {
    type: 'summary',
    status,
    steps: last.step,
    tokens: last.tokens,
    final_val_bpc: last.val_bpc,
    wall_s: typeof last.wall_s === 'number' ? last.wall_s : null,
  };
  if (status === 'stopped' && !run.status) summary.message = `the last logged step ${lastStep} is short of the planned ${planned}`;
  if (nonfinite.length > 0) {
    const first = nonfinite[0];
    summary.message = `${first.metric} is ${first.value} at step ${first.step} (${first.at}); ${nonfinite.length} non-finite point${nonfinite.length === 1 ? '' : 's'} kept in nonfinite`;
    summary.nonfinite = nonfinite;
  }
  if (!RUN_ID_PATTERN.test(header.run_id)) throw new BitscaleError(`'${header.run_id}' may hold only letters, digits, '.', '_' and '-'`, { file, field: 'run_id' });
  return {
    log: { header, steps, evals, summary },
    mapping: {
      format: run.format,
      metrics,
      unit,
      params: `${formatCount(params!.value)} (${params!.from})`,
      tokens: `${formatCount(tokensOf(last.step))} at step ${last.step} (${tokensPerStep.from})`,
      batch_size: `${batch!.value} (${batch!.from})`,
      seq_len: `${seq!.value} (${seq!.from})`,
    },
  };
}

/** Flatten nested config objects to dotted keys: {model: {d: 1}} → {"model.d": 1}. */
export function flattenConfig(value: unknown, prefix = '', out: Record<string, unknown> = {}): Record<string, unknown> {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) flattenConfig(v, prefix ? `${prefix}.${k}` : k, out);
  } else if (prefix) out[prefix] = value;
  return out;
}

/** Config key names trainers use for each fact (matched on the last dotted component). */
const CONFIG_KEYS = {
  params: ['n_params', 'num_params', 'num_parameters', 'params', 'param_count'],
  batchSize: ['batch_size', 'global_batch_size', 'total_batch_size', 'effective_batch_size'],
  seqLen: ['seq_len', 'block_size', 'seq_length', 'max_seq_length', 'context_length', 'sequence_length'],
  lr: ['lr', 'learning_rate', 'max_lr', 'peak_lr'],
  plannedSteps: ['max_steps', 'max_iters', 'train_iters', 'total_steps', 'num_steps', 'train_steps'],
  seed: ['seed'],
  dataset: ['dataset', 'dataset_name'],
  tokenizer: ['tokenizer', 'tokenizer_name'],
} as const;

/** The facts a flat trainer config states under its usual key names. `from` names the file. */
export function factsFromConfig(config: Record<string, unknown>, from: string, backend: string): RunFacts {
  const find = (names: readonly string[]): [string, unknown] | undefined => {
    for (const name of names) {
      for (const [k, v] of Object.entries(config)) if ((k === name || k.endsWith(`.${name}`)) && v !== null && v !== undefined && v !== '') return [k, v];
    }
    return undefined;
  };
  const num = (names: readonly string[], integer: boolean) => {
    const hit = find(names);
    if (!hit) return undefined;
    const v = typeof hit[1] === 'number' ? hit[1] : typeof hit[1] === 'string' ? Number(hit[1]) : NaN;
    if (!Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) return undefined;
    return { value: v, from: from.endsWith('/') ? `${from}${hit[0]}` : `${from} ${hit[0]}` };
  };
  const str = (names: readonly string[]) => {
    const hit = find(names);
    return hit && typeof hit[1] === 'string' ? hit[1] : undefined;
  };
  const facts: RunFacts = { backend };
  const params = num(CONFIG_KEYS.params, true);
  if (params) facts.params = params;
  facts.batchSize = num(CONFIG_KEYS.batchSize, true);
  facts.seqLen = num(CONFIG_KEYS.seqLen, true);
  facts.lr = num(CONFIG_KEYS.lr, false);
  facts.plannedSteps = num(CONFIG_KEYS.plannedSteps, true)?.value;
  const seed = find(CONFIG_KEYS.seed);
  if (seed && typeof seed[1] === 'number' && Number.isInteger(seed[1])) facts.seed = seed[1];
  facts.dataset = str(CONFIG_KEYS.dataset);
  facts.tokenizer = str(CONFIG_KEYS.tokenizer);
  for (const k of Object.keys(facts) as (keyof RunFacts)[]) if (facts[k] === undefined) delete facts[k];
  return facts;
}

/** Python's spellings of non-finite floats (nan, inf, -inf, NaN, Infinity) and plain numbers. */
export function parseLoggedNumber(text: string): number {
  const t = text.trim();
  if (/^[-+]?nan$/i.test(t)) return NaN;
  if (/^[-+]?inf(inity)?$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  return t === '' ? NaN : Number(t);
}

/** PyYAML's `!!python/tuple` (Lightning's hparams.yaml) read as a list. */
const PYTHON_TUPLE = { tag: 'tag:yaml.org,2002:python/tuple', collection: 'seq' as const, resolve: <T>(seq: T) => seq };

/**
 * YAML as Python trainers write it (yaml package). Other Python-specific tags (objects) load as
 * their plain value with a warning; a syntax error names the file.
 */
export function parseTrainerYaml(text: string, file: string, onWarning?: (m: string) => void): unknown {
  const doc = parseDocument(text, { customTags: [PYTHON_TUPLE] });
  if (doc.errors.length > 0) throw new BitscaleError(`not valid YAML: ${doc.errors[0].message.split('\n')[0]}`, { file, line: doc.errors[0].linePos?.[0]?.line });
  for (const w of doc.warnings) onWarning?.(`${file}: ${w.message.split('\n')[0]} (read as its plain value)`);
  return doc.toJS();
}

const PY_NONFINITE = { NaN: NaN, Infinity: Infinity, '-Infinity': -Infinity } as Record<string, number>;

/**
 * JSON as Python's json.dumps writes it: bare NaN, Infinity and -Infinity (outside strings) are
 * read as those numbers. Throws naming the file when the text is not JSON even so.
 */
export function parsePythonJson(text: string, file: string): unknown {
  const marked = text.replace(/("(?:[^"\\]|\\.)*")|(-?Infinity|NaN)/g, (m, str: string | undefined) => (str !== undefined ? str : `"\\u0000${m}"`));
  try {
    return JSON.parse(marked, (_k, v) => (typeof v === 'string' && v.startsWith('\u0000') ? PY_NONFINITE[v.slice(1)] : v));
  } catch (err) {
    throw new BitscaleError(`not valid JSON: ${(err as Error).message}`, { file });
  }
}

/**
 * The shortest decimal that reads back as the same float32: TensorBoard stores scalars as float32,
 * so 4.6 arrives as 4.599999904632568; this returns 4.6 (at most 9 significant digits).
 */
export function shortestFloat32(x: number): number {
  if (!Number.isFinite(x)) return x;
  for (let digits = 1; digits < 9; digits++) {
    const candidate = Number(x.toPrecision(digits));
    if (Math.fround(candidate) === x) return candidate;
  }
  return Number(x.toPrecision(9));
}
