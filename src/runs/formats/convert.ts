/**
 * The one conversion from a ForeignRun to a bitscale run log: the metric for each role chosen by
 * `--map` or convention, nats per token converted to bits, tokens and parameters found or
 * refused by name. Pure: no file is read or written here.
 */
import { BitscaleError } from '../../util/errors.js';
import { formatCount } from '../../util/format.js';
import { parseNumber, POSITIVE_INT, POSITIVE_REAL, NON_NEGATIVE_INT } from '../../util/numbers.js';
import { VERSION } from '../../version.js';
import { copyPlace, setPlace } from '../checks.js';
import { RUN_ID_MAX_LENGTH, RUN_ID_PATTERN } from '../log.js';
import { RUN_LOG_FORMAT_VERSION, TOKEN_UNITS, type TokenUnit, type EvalRecord, type HeaderRecord, type RunLog, type StepRecord, type SummaryRecord } from '../types.js';
import { pointPlace, type ForeignRun, type FormatName, type MetricPoint, type MetricRole, type RunFacts, type SeriesView } from './common.js';

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

/** A run id from a trainer's run name: characters outside [A-Za-z0-9._-] become '-'; at most RUN_ID_MAX_LENGTH characters. */
export function runIdFrom(name: string): string {
  const id = name.replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^[^A-Za-z0-9]+/, '').slice(0, RUN_ID_MAX_LENGTH).replace(/-+$/, '');
  return id === '' ? 'run' : id;
}


/**
 * Which step a tokens-seen metric counts: 0 when the value at step s is s × tokens per step
 * (bitscale's own rule: s updates done), 1 when it is (s + 1) × tokens per step (the trainer logs
 * after the update numbered s, as W&B's 0-based _step does). The convention with the smaller
 * largest relative misfit wins; a point at step 0 with tokens > 0 can only be the latter.
 */
export function tokensStepOffset(points: Indexed): { offset: 0 | 1; perStep: number } | null {
  const n = points.length;
  if (n === 0 || points.value(n - 1) <= 0) return null;
  const lastStep = points.step(n - 1);
  const lastValue = points.value(n - 1);
  const misfit = (offset: number) => {
    if (lastStep + offset <= 0) return { misfit: Infinity, perStep: 0 };
    const perStep = lastValue / (lastStep + offset);
    let worst = 0;
    for (let k = 0; k < n; k++) {
      const expected = (points.step(k) + offset) * perStep;
      worst = Math.max(worst, Math.abs(points.value(k) - expected) / Math.max(1, expected));
    }
    return { misfit: worst, perStep };
  };
  const before = misfit(0);
  const after = misfit(1);
  return after.misfit < before.misfit ? { offset: 1, perStep: after.perStep } : Number.isFinite(before.misfit) ? { offset: 0, perStep: before.perStep } : null;
}

/** Points read by index, in step order. */
export interface Indexed {
  length: number;
  step(k: number): number;
  value(k: number): number;
}

/** The finite, non-negative points of a view (a tokens counter's usable values). */
function usable(v: SeriesView): Indexed {
  const keep: number[] = [];
  for (let k = 0; k < v.length; k++) if (Number.isFinite(v.value(k)) && v.value(k) >= 0) keep.push(k);
  return { length: keep.length, step: (j) => v.step(keep[j]), value: (j) => v.value(keep[j]) };
}

/** The value at `step` of points in step order (binary search), or undefined. */
function valueAt(points: Indexed, step: number): number | undefined {
  let lo = 0;
  let hi = points.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = points.step(mid);
    if (s === step) return points.value(mid);
    if (s < step) lo = mid + 1;
    else hi = mid - 1;
  }
  return undefined;
}

/** More training-loss points than this are thinned to every k-th as step records (see foreignToRunLog). */
export const MAX_STEP_RECORDS = 100_000;

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
  // Views read the points by index: a metric of millions of points is never turned into objects.
  const none = run.series.view('');
  const val = run.series.view(metrics.val_loss);
  const train = metrics.train_loss ? run.series.view(metrics.train_loss) : none;
  const lrs = metrics.lr ? run.series.view(metrics.lr) : none;
  const tokenView = metrics.tokens ? run.series.view(metrics.tokens) : none;
  const tokenPoints = usable(tokenView);
  const lastStep = Math.max(val.length ? val.step(val.length - 1) : 0, train.length ? train.step(train.length - 1) : 0);

  // Tokens per step: a tokens-seen metric (its own counts win, whichever step it counts from),
  // else what the trainer states, else batch × seq len.
  const counted = tokensStepOffset(tokenPoints);
  const tokenOffset = counted?.offset ?? 0;
  let tokensPerStep: { value: number; from: string } | undefined = counted
    ? { value: counted.perStep, from: `metric ${metrics.tokens}${tokenOffset ? ', logged after the update numbered by its step: tokens = (step + 1) × tokens per step' : ''}` }
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
  if (!lr && lrs.length > 0) {
    let peak = -Infinity;
    for (let k = 0; k < lrs.length; k++) if (Number.isFinite(lrs.value(k))) peak = Math.max(peak, lrs.value(k));
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
  const tokensOf = (step: number) => valueAt(tokenPoints, step) ?? Math.round((step + tokenOffset) * tokensPerStep!.value);

  const nonfinite: { metric: string; step: number; value: string; at: string }[] = [];
  const finite = (metric: string, p: MetricPoint) => {
    if (Number.isFinite(p.value)) return true;
    nonfinite.push({ metric, step: p.step, value: String(p.value), at: pointPlace(p) });
    return false;
  };
  let wallStart = Infinity;
  for (const v of [val, train]) for (let k = 0; k < v.length; k++) wallStart = Math.min(wallStart, v.wall(k) ?? Infinity);
  const wallOf = (w: number | undefined) => (w !== undefined && Number.isFinite(wallStart) ? Math.max(0, w - wallStart) : undefined);

  // Training-loss points: every one is checked for a non-finite value; a run logging more than
  // MAX_STEP_RECORDS keeps every k-th (and the last) as step records, said in a warning and in the
  // header: step records only inform the run table's wall-clock and peak memory, while every
  // validation point is kept.
  const finiteTrain: number[] = [];
  for (let k = 0; k < train.length; k++) {
    if (Number.isFinite(train.value(k))) finiteTrain.push(k);
    else finite(metrics.train_loss!, train.point(k));
  }
  const every = Math.max(1, Math.ceil(finiteTrain.length / MAX_STEP_RECORDS));
  const keptTrain = every === 1 ? finiteTrain : finiteTrain.filter((_, j) => j % every === 0 || j === finiteTrain.length - 1);
  if (every > 1) options.onWarning?.(`${file}: ${finiteTrain.length} training-loss points; ${keptTrain.length} kept as step records (one in every ${every}, and the last): step records only give the run table its wall-clock and peak memory, and every validation point is kept`);

  // Each record keeps the place in the user's own file it came from, for messages.
  const placeOf = (p: MetricPoint) => (p.line !== undefined ? p : { file: pointPlace(p) });
  const steps: StepRecord[] = [];
  for (const k of keptTrain) {
    const p = train.point(k);
    const rec: StepRecord = { type: 'step', step: p.step, tokens: tokensOf(p.step), train_loss: toBits(p.value) };
    const l = valueAt(lrs, p.step);
    if (l !== undefined && Number.isFinite(l) && l >= 0) rec.lr = l;
    const wall = wallOf(p.wallTime);
    if (wall !== undefined) rec.wall_s = wall;
    setPlace(rec, placeOf(p));
    steps.push(rec);
  }
  const evals: EvalRecord[] = [];
  for (let k = 0; k < val.length; k++) {
    const p = val.point(k);
    if (!finite(metrics.val_loss!, p)) continue;
    const rec: EvalRecord = { type: 'eval', step: p.step, tokens: tokensOf(p.step), val_bpc: toBits(p.value) };
    const wall = wallOf(p.wallTime);
    if (wall !== undefined) rec.wall_s = wall;
    setPlace(rec, placeOf(p));
    evals.push(rec);
  }
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
  if (tokenOffset) header.tokens_step_offset = 1;

  setPlace(header, { file });
  if (set.notes) header.notes = set.notes;
  header.ingested_from = { format: run.format, metrics, params: params!.from, tokens: tokensPerStep.from, ...(every > 1 ? { train_points: { logged: finiteTrain.length, kept: keptTrain.length, every } } : {}) };

  const last = evals[evals.length - 1];
  // The run closes at its last record, which for a killed, running or diverged run is often a
  // training step after the last validation; the result is the last finite validation point.
  const lastRecord = [...steps, ...evals].reduce((a, b) => (b.step > a.step || (b.step === a.step && b.type === 'eval') ? b : a));
  // Status: diverged on any non-finite loss; else what the format records; else completed when the
  // last logged step reaches the planned steps (or none are known), stopped when it falls short.
  const planned = header.planned_steps;
  const status = nonfinite.length > 0 ? 'diverged' : (run.status ?? (lastStep >= planned ? 'completed' : 'stopped'));
  const summary: SummaryRecord = {
    type: 'summary',
    status,
    steps: lastRecord.step,
    tokens: lastRecord.tokens,
    final_val_bpc: last.val_bpc,
    wall_s: typeof lastRecord.wall_s === 'number' ? lastRecord.wall_s : null,
  };
  copyPlace(lastRecord, summary);
  if (status === 'stopped' && !run.status) summary.message = `the last logged step ${lastStep} is short of the planned ${planned}`;
  if (nonfinite.length > 0) {
    const first = nonfinite[0];
    summary.message = `${first.metric} is ${first.value} at step ${first.step} (${first.at}); ${nonfinite.length} non-finite point${nonfinite.length === 1 ? '' : 's'} kept in nonfinite`;
    summary.nonfinite = nonfinite;
  }
  if (!RUN_ID_PATTERN.test(header.run_id)) throw new BitscaleError(`'${header.run_id}' may hold only letters, digits, '.', '_' and '-'`, { file, field: 'run_id' });
  if (status !== 'completed') {
    options.onWarning?.(`${file}: run '${header.run_id}' ingested as ${status}${summary.message ? ` (${summary.message})` : run.status ? ` (as the ${run.format} files record it)` : ''}; its result is the last finite validation point, step ${last.step}`);
  }
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
