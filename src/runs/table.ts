/**
 * The run table: every run log under runs/ as a typed RunRecord, and the queries the fitters and
 * the report need (filter, group by dataset / params / batch size / LR, per-step curves).
 */
import { byNaturalOrder } from '../util/numbers.js';
import { readdirSync, statSync, existsSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { tokensSeen } from '../arch/bitlm.js';
import { BitscaleError } from '../util/errors.js';
import { fsError } from '../util/files.js';
import { readRunLog, type ParseOptions } from './log.js';
import { archFamily } from '../arch/family.js';
import type { CurvePoint, HeaderRecord, RunLog, RunRecord, TokenUnit } from './types.js';

const LN2 = Math.LN2;

/** Every *.jsonl file below `dir`, sorted by relative path (so the table's order is stable); none when `dir` does not exist. */
export function listRunLogFiles(dir: string, onWarning?: (message: string) => void): string[] {
  if (!existsSync(dir)) return [];
  if (!statSync(dir).isDirectory()) throw new BitscaleError('is a file, expected the folder of run logs', { file: dir });
  const out: string[] = [];
  const walk = (d: string) => {
    let names: string[];
    try {
      names = readdirSync(d).sort();
    } catch (err) {
      throw fsError(err, d);
    }
    for (const name of names) {
      if (name.startsWith('.')) continue;
      const p = join(d, name);
      let isDir: boolean;
      try {
        isDir = statSync(p).isDirectory();
      } catch (err) {
        // A dangling symlink (or an entry removed meanwhile) is skipped with a warning, not the end of every command.
        onWarning?.(`${fsError(err, p).message}; skipped`);
        continue;
      }
      if (isDir) walk(p);
      else if (name.endsWith('.jsonl')) out.push(p);
    }
  };
  walk(dir);
  return out.sort((a, b) => byCodePoint(relative(dir, a), relative(dir, b)));
}

/**
 * Turn a parsed log into a run record. Losses in nats are converted to bits. Returns null (and
 * warns) for a log with no validation point yet.
 */
export function toRunRecord(log: RunLog, file: string, onWarning?: (m: string) => void): RunRecord | null {
  const h = log.header;
  const toBits = h.loss_unit === 'nats' ? 1 / LN2 : 1;
  const curve: CurvePoint[] = log.evals
    .map((e) => ({ step: e.step, tokens: tokensSeen(e.step, h.batch_size, h.seq_len), valBpc: e.val_bpc * toBits }))
    .sort((a, b) => a.step - b.step);
  if (curve.length === 0) {
    onWarning?.(`${file}: run ${h.run_id} has no val_bpc yet; left out of the table`);
    return null;
  }
  const last = curve[curve.length - 1];
  const summary = log.summary;
  const lastWall = [...log.steps, ...log.evals].reduce<number | null>((m, r) => (typeof r.wall_s === 'number' ? Math.max(m ?? 0, r.wall_s) : m), null);
  const peakFromSteps = log.steps.reduce<number | null>((m, r) => (typeof r.peak_bytes === 'number' ? Math.max(m ?? 0, r.peak_bytes) : m), null);
  const collection = file.split(/[\\/]/)[0] ?? '';
  return {
    id: h.run_id,
    file,
    collection: file.includes('/') || file.includes(sep) ? collection : '',
    arch: h.arch,
    config: h.config,
    params: h.params,
    paramsReported: h.params_reported ?? null,
    dataset: h.dataset.name,
    datasetBytes: h.dataset.bytes,
    ...corpusSizeOf(h, tokensSeen(last.step, h.batch_size, h.seq_len)),
    ...lossUnitOf(h),
    batchSize: h.batch_size,
    seqLen: h.seq_len,
    lr: h.lr.peak,
    // The validator requires lr.peak only: a schedule the log leaves out is recorded as unknown.
    lrSchedule: typeof h.lr.schedule === 'string' ? h.lr.schedule : 'unknown',
    warmupSteps: typeof h.lr.warmup_steps === 'number' ? h.lr.warmup_steps : null,
    lrFinal: typeof h.lr.final === 'number' ? h.lr.final : null,
    plannedSteps: h.planned_steps,
    steps: last.step,
    tokens: tokensSeen(last.step, h.batch_size, h.seq_len),
    finalValBpc: last.valBpc,
    curve,
    precision: h.precision,
    backend: h.backend,
    kernels: h.kernels ?? null,
    hardware: h.hardware,
    status: summary?.status ?? 'running',
    wallSeconds: summary?.wall_s ?? lastWall,
    peakBytes: summary?.peak_bytes ?? peakFromSteps,
    tokensPerSecond: summary?.tokens_per_s ?? null,
    source: typeof h.source === 'string' ? h.source : null,
    notes: typeof h.notes === 'string' ? h.notes : null,
    purpose: typeof h.purpose === 'string' ? h.purpose : 'scaling',
    log,
  };
}

/**
 * The unique tokens U of a run's training corpus in its token unit, and its passes over it
 * (tokens ÷ U): from `dataset.unique_tokens`, else the training split's bytes (`train_bytes`, else
 * the whole corpus's `bytes`) at one byte per token for a byte-level run or ÷ `bytes_per_token`.
 * A size the log does not state is unknown, never guessed.
 */
export function corpusSizeOf(h: HeaderRecord, tokens: number): Pick<RunRecord, 'uniqueTokens' | 'passes' | 'corpusSize'> {
  const known = (uniqueTokens: number, corpusSize: string) => ({ uniqueTokens, passes: tokens / uniqueTokens, corpusSize });
  const ds = h.dataset;
  if (typeof ds.unique_tokens === 'number') return known(ds.unique_tokens, 'dataset.unique_tokens');
  const [bytes, field] = typeof ds.train_bytes === 'number' ? [ds.train_bytes, 'dataset.train_bytes (training split)'] : typeof ds.bytes === 'number' ? [ds.bytes, 'dataset.bytes (whole corpus, validation included)'] : [null, ''];
  if (bytes === null) return { uniqueTokens: null, passes: null, corpusSize: 'unknown: the log states no corpus size' };
  if (ds.token_unit === 'byte') return known(bytes, `${field}, 1 byte per token`);
  if (typeof h.bytes_per_token === 'number') return known(bytes / h.bytes_per_token, `${field} ÷ ${h.bytes_per_token} bytes per token`);
  return { uniqueTokens: null, passes: null, corpusSize: `unknown: the corpus is stated in bytes and the run counts ${ds.token_unit}s, with no bytes per token` };
}

/** The token unit, tokenizer, conversion figure and loss unit (in words) a header declares. */
export function lossUnitOf(h: HeaderRecord): Pick<RunRecord, 'tokenUnit' | 'tokenizer' | 'bytesPerToken' | 'lossPer' | 'lossUnit'> {
  const tokenUnit = h.dataset.token_unit;
  const tokenizer = typeof h.dataset.tokenizer === 'string' ? h.dataset.tokenizer : null;
  const bytesPerToken = typeof h.bytes_per_token === 'number' ? h.bytes_per_token : null;
  const lossPer: TokenUnit = bytesPerToken !== null ? 'byte' : tokenUnit;
  return { tokenUnit, tokenizer, bytesPerToken, lossPer, lossUnit: lossUnitLabel(lossPer, tokenizer) };
}

/** "bits per byte", "bits per char", "bits per token (gpt2)" (a token's meaning depends on its tokenizer). */
export function lossUnitLabel(per: TokenUnit, tokenizer: string | null = null): string {
  return `bits per ${per}${per === 'token' && tokenizer ? ` (${tokenizer})` : ''}`;
}

/**
 * The analysis group of a run: (dataset, architecture family, token unit, loss unit). Fits,
 * predictions, intervals and claims use only one group's runs unless borrowing is asked for. Each
 * architecture name is its own family (BitLMv52 carries float parameters that v57 lacks, and
 * one foreign model says nothing about another); the token unit includes the tokenizer, since a
 * token of one tokenizer is not a token of another.
 */
export function analysisGroupKey(r: Pick<RunRecord, 'dataset' | 'arch' | 'tokenUnit' | 'tokenizer' | 'lossUnit'>): string {
  const unit = r.tokenUnit === 'token' && r.tokenizer ? `token:${r.tokenizer}` : r.tokenUnit;
  return `dataset=${r.dataset}|arch=${r.arch}|family=${archFamily(r.arch)}|token=${unit}|loss=${r.lossUnit}`;
}

/** Runs split into analysis groups, in key order; runs inside a group in (params, steps, id) order. */
export function analysisGroups(runs: RunRecord[]): Map<string, RunRecord[]> {
  return groupByKey(runs, analysisGroupKey);
}

/** The fields of a run that make its recipe, beyond its analysis group. */
export type RecipeFields = Pick<RunRecord, 'seqLen' | 'batchSize' | 'lr' | 'lrSchedule' | 'warmupSteps' | 'lrFinal'>;

/** Each recipe field's name in messages and its value, in the order they are compared. */
function recipeParts(r: RecipeFields): [string, string][] {
  return [
    ['seq_len', String(r.seqLen)],
    ['batch size', String(r.batchSize)],
    ['peak LR', String(r.lr)],
    ['LR schedule', r.lrSchedule],
    ['warmup', r.warmupSteps === null ? 'unknown' : `${r.warmupSteps} steps`],
    ['final LR', r.lrFinal === null ? 'unknown' : String(r.lrFinal)],
  ];
}

/**
 * The fit group of a run: its analysis group plus its recipe (seq_len, batch size and the LR
 * schedule the log records: peak, shape, warmup steps, final LR). Runs enter a law together only
 * inside one fit group: a run of another context, batch size or schedule would move a law whose
 * form has no term for the difference. The planned step count is not part of the recipe: a
 * budget's schedule ends at its own budget, and that is the D the laws vary. Laws that do model a
 * difference (the batch/LR comparison, the dataset offset) compare fit groups instead.
 */
export function fitGroupKey(r: Pick<RunRecord, 'dataset' | 'arch' | 'tokenUnit' | 'tokenizer' | 'lossUnit'> & RecipeFields): string {
  return `${analysisGroupKey(r)}|${recipeParts(r).map(([k, v]) => `${k.replace(/ /g, '_')}=${v}`).join('|')}`;
}

/** A recipe in words: "T 128, bs 16, LR 0.001 cosine, warmup 30 steps, final LR 0". */
export function recipeLabel(r: RecipeFields): string {
  const warmup = r.warmupSteps === null ? '' : `, warmup ${r.warmupSteps} steps`;
  const final = r.lrFinal === null ? '' : `, final LR ${r.lrFinal}`;
  return `T ${r.seqLen}, bs ${r.batchSize}, LR ${r.lr}${r.lrSchedule === 'unknown' ? '' : ` ${r.lrSchedule}`}${warmup}${final}`;
}

/** The recipe fields in which `a` differs from `b`: [field, a's value, b's value], in recipe order. */
export function recipeDifferences(a: RecipeFields, b: RecipeFields): [string, string, string][] {
  const pb = recipeParts(b);
  return recipeParts(a).flatMap(([k, v], i) => (v === pb[i][1] ? [] : [[k, v, pb[i][1]] as [string, string, string]]));
}

/** How two recipes differ, field by field: "seq_len 64 vs 128; peak LR 0.004 vs 0.001"; '' when they agree. */
export function recipeDifference(a: RecipeFields, b: RecipeFields): string {
  return recipeDifferences(a, b)
    .map(([k, va, vb]) => `${k} ${va} vs ${vb}`)
    .join('; ');
}

/** The LR schedule fields a log may leave unknown ('unknown' schedule, null warmup or final LR). */
const SCHEDULE_FIELDS = ['lrSchedule', 'warmupSteps', 'lrFinal'] as const;
const known = (r: RecipeFields, f: (typeof SCHEDULE_FIELDS)[number]) => (f === 'lrSchedule' ? r[f] !== 'unknown' : r[f] !== null);

/**
 * Runs split into fit groups (fitGroupKey), in key order; runs inside a group in (params, steps,
 * id) order. A schedule field a log leaves unknown is no evidence of a difference: where the other
 * runs of its analysis group, T, batch size and peak LR all record one value for it, the run is
 * grouped as if it recorded that value (a new GLM run logged with its cosine schedule joins the
 * seed's, which do not say); where they record several, it stays unknown, a recipe of its own.
 */
export function fitGroups(runs: RunRecord[]): Map<string, RunRecord[]> {
  const core = (r: RunRecord) => `${analysisGroupKey(r)}|${r.seqLen}|${r.batchSize}|${r.lr}`;
  const values = new Map<string, Map<string, Set<string | number>>>();
  for (const r of runs) {
    const byField = values.get(core(r)) ?? new Map<string, Set<string | number>>();
    values.set(core(r), byField);
    for (const f of SCHEDULE_FIELDS) if (known(r, f)) byField.set(f, (byField.get(f) ?? new Set()).add(r[f]!));
  }
  const filled = (r: RunRecord): RunRecord => {
    const byField = values.get(core(r))!;
    const fill = (f: (typeof SCHEDULE_FIELDS)[number]) => (!known(r, f) && byField.get(f)?.size === 1 ? { [f]: [...byField.get(f)!][0] } : {});
    return { ...r, ...fill('lrSchedule'), ...fill('warmupSteps'), ...fill('lrFinal') };
  };
  return groupByKey(runs, (r) => fitGroupKey(filled(r)));
}

/** A fit group's recipe: each schedule field as the runs that record it give it (fitGroups makes them agree), else unknown. */
export function groupRecipe(runs: readonly RunRecord[]): RecipeFields {
  const r0 = runs[0];
  const pick = <F extends (typeof SCHEDULE_FIELDS)[number]>(f: F): RunRecord[F] => (runs.find((r) => known(r, f)) ?? r0)[f];
  return { seqLen: r0.seqLen, batchSize: r0.batchSize, lr: r0.lr, lrSchedule: pick('lrSchedule'), warmupSteps: pick('warmupSteps'), lrFinal: pick('lrFinal') };
}

/**
 * The main recipe of one analysis group's runs: the fit group with the most runs, then the most
 * distinct sizes, then the first key. Runs of any other recipe are fitted in their own group; the
 * main recipe is what a stray run is compared to when it says why it entered no law.
 */
export function mainFitGroup(groups: ReadonlyMap<string, RunRecord[]>): string | null {
  let best: string | null = null;
  let score: [number, number] = [-1, -1];
  for (const [key, runs] of groups) {
    const s: [number, number] = [runs.length, new Set(runs.map((r) => r.params)).size];
    if (s[0] > score[0] || (s[0] === score[0] && s[1] > score[1])) [best, score] = [key, s];
  }
  return best;
}

/**
 * Refuse to put runs of different loss units into one fit or chart: the error names the runs of
 * each unit. `what` says what was being built ("the step law", "the chart").
 */
export function requireOneLossUnit(runs: Pick<RunRecord, 'id' | 'lossUnit'>[], what: string): string {
  const byUnit = new Map<string, string[]>();
  for (const r of runs) byUnit.set(r.lossUnit, [...(byUnit.get(r.lossUnit) ?? []), r.id]);
  if (byUnit.size > 1) {
    const parts = [...byUnit.entries()].sort(([a], [b]) => byCodePoint(a, b)).map(([u, ids]) => `${u}: ${ids.join(', ')}`);
    throw new BitscaleError(`${what} would mix loss units (${parts.join('; ')}); fit each unit apart`);
  }
  return byUnit.keys().next().value ?? lossUnitLabel('byte');
}

/**
 * Load every run under `dir`. Run ids must be unique across the whole directory; a duplicate is an
 * error naming both files. A `dir` that does not exist is an error.
 */
export function loadRunTable(dir: string, options: ParseOptions = {}): RunRecord[] {
  // A runs folder that does not exist is a typo, not an empty table: every command that reads runs says so.
  if (!existsSync(dir)) throw new BitscaleError('no such runs folder (--runs names the folder holding the run logs)', { file: dir });
  if (!statSync(dir).isDirectory()) throw new BitscaleError('not a folder (--runs names the folder holding the run logs)', { file: dir });
  const runs: RunRecord[] = [];
  const seen = new Map<string, string>();
  for (const path of listRunLogFiles(dir, options.onWarning)) {
    const rel = relative(dir, path).split(sep).join('/');
    const log = readRunLog(path, options);
    const prior = seen.get(log.header.run_id);
    if (prior) throw new BitscaleError(`duplicate run id '${log.header.run_id}' (also in ${prior})`, { file: path, line: 1, field: 'run_id' });
    seen.set(log.header.run_id, path);
    const rec = toRunRecord(log, rel, options.onWarning);
    if (rec) runs.push(rec);
  }
  return runs;
}

export interface RunFilter {
  dataset?: string;
  collection?: string;
  arch?: string;
  status?: string;
  purpose?: string;
}

/** Runs matching every given field (dataset names compare case-insensitively). */
export function filterRuns(runs: RunRecord[], f: RunFilter): RunRecord[] {
  return runs.filter(
    (r) =>
      (f.dataset === undefined || r.dataset.toLowerCase() === f.dataset.toLowerCase()) &&
      (f.collection === undefined || r.collection === f.collection) &&
      (f.arch === undefined || r.arch === f.arch) &&
      (f.status === undefined || r.status === f.status) &&
      (f.purpose === undefined || r.purpose === f.purpose),
  );
}

/** Each filter field's command-line flag and what its values are called, for messages. */
const FILTERS: [keyof RunFilter, string, string][] = [
  ['dataset', '--dataset', 'datasets'],
  ['collection', '--collection', 'collections'],
  ['arch', '--arch', 'architectures'],
  ['status', '--status', 'statuses'],
  ['purpose', '--purpose', 'purposes'],
];

/**
 * The rule every command follows for the runs it reads: at least one must remain. A folder with
 * no run logs, or a filter that matches none, is an error naming the folder or the filter and the
 * values that exist: "no runs with --dataset 'nope' under runs (datasets: GLM-Reasoning, TinyStories, brown)".
 * The filters are applied one at a time, so the message names the one that empties the table.
 */
export function selectRuns(runs: RunRecord[], f: RunFilter, runsDir: string): RunRecord[] {
  if (runs.length === 0) throw new BitscaleError('no run logs (*.jsonl) with a validation point in this folder', { file: runsDir });
  let kept = runs;
  const applied: string[] = [];
  for (const [key, flag, plural] of FILTERS) {
    if (f[key] === undefined) continue;
    const next = filterRuns(kept, { [key]: f[key] });
    if (next.length === 0) {
      const values = [...new Set(kept.map((r) => String(r[key])))].sort(byCodePoint);
      const among = applied.length ? ` among the runs with ${applied.join(' and ')}` : '';
      throw new BitscaleError(`no runs with ${flag} '${f[key]}'${among} under ${runsDir} (${plural}${among ? ' there' : ''}: ${values.join(', ')})`);
    }
    applied.push(`${flag} '${f[key]}'`);
    kept = next;
  }
  return kept;
}

/** The runs that measure scaling (not memory or speed probes): what every fit uses. */
export function scalingRuns(runs: RunRecord[]): RunRecord[] {
  return filterRuns(runs, { purpose: 'scaling' });
}

/** The runs scalingRuns leaves out, each with why: "purpose memory-measurement: …". */
export function notScalingRuns(runs: RunRecord[]): { id: string; reason: string }[] {
  return runs
    .filter((r) => r.purpose !== 'scaling')
    .map((r) => ({ id: r.id, reason: whyNotScaling(r) }));
}

/** Why a run whose purpose is not "scaling" stays out of the scaling fits. */
function whyNotScaling(r: RunRecord): string {
  if (r.purpose === 'repetition') return `purpose repetition: repeats a subset of its corpus (${r.passes === null ? 'passes unknown' : `${r.passes.toFixed(1)} passes`}), kept out of the unique-data fits; the repetition backtest uses it`;
  // A changed shape ratio (e.g. d_ff = 2·d) is another family at the same arch name: its runs would bend the main ladder's law.
  if (r.purpose === 'shape-ablation') return `purpose shape-ablation: ${r.arch} with another shape ratio than its main ladder (${r.config ? `d_ff = ${r.config.d_ff / r.config.d}·d` : 'shape unknown'}), kept out of its scaling fits; family comparisons use it`;
  return `purpose ${r.purpose}: measures something else, kept out of the scaling fits`;
}

export type GroupKey = 'dataset' | 'arch' | 'params' | 'batchSize' | 'lr' | 'seqLen' | 'collection' | 'steps' | 'lossUnit';

/**
 * Group runs by the given fields. The key is "dataset=GLM-Reasoning|params=46399488|…"; groups
 * come back in key order, runs inside a group in (params, steps, id) order.
 */
export function groupRuns(runs: RunRecord[], keys: GroupKey[]): Map<string, RunRecord[]> {
  return groupByKey(runs, (r) => keys.map((k) => `${k}=${r[k]}`).join('|'));
}

/** Runs grouped by a key function: groups in key order, runs inside a group in compareRuns order. */
function groupByKey(runs: RunRecord[], keyOf: (r: RunRecord) => string): Map<string, RunRecord[]> {
  const groups = new Map<string, RunRecord[]>();
  for (const r of runs) {
    const key = keyOf(r);
    const g = groups.get(key);
    if (g) g.push(r);
    else groups.set(key, [r]);
  }
  const sorted = [...groups.entries()].sort(([a], [b]) => byNaturalOrder(a, b));
  for (const [, g] of sorted) g.sort(compareRuns);
  return new Map(sorted);
}

export function compareRuns(a: RunRecord, b: RunRecord): number {
  return a.params - b.params || a.steps - b.steps || byCodePoint(a.id, b.id);
}

/**
 * Runs of one "step family": same dataset, params, batch size, LR and architecture, but different
 * step budgets. The step law is fitted within each family; src/fit/suite.ts groups each fit group
 * (fitGroups) apart, so a family's runs also share T and the LR schedule.
 */
export function stepFamilies(runs: RunRecord[]): Map<string, RunRecord[]> {
  return groupRuns(runs, ['dataset', 'arch', 'params', 'batchSize', 'lr']);
}

/** The last val_bpc measured at or before `step` on a run's curve, or null. */
export function valBpcAtStep(run: RunRecord, step: number): number | null {
  let v: number | null = null;
  for (const p of run.curve) if (p.step <= step) v = p.valBpc;
  return v;
}

/** Locale-independent string order, so that output never depends on the machine's locale. */
export function byCodePoint(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
