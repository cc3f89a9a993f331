/**
 * Hugging Face Trainer output directories: `trainer_state.json` (`log_history`: train entries
 * {loss, learning_rate, epoch, step, num_input_tokens_seen?}, eval entries {eval_loss, …, step},
 * a final {train_loss, train_runtime, …}) and `config.json` (the architecture; the parameter
 * count is computed from it, src/arch/transformers.ts). Checkpoints hold a copy of the state up
 * to their step: the state with the highest `global_step` is read (the top-level one on a tie).
 */
import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { countHfParams } from '../../arch/transformers.js';
import { BitscaleError } from '../../util/errors.js';
import { readLines, readTextFile } from '../../util/files.js';
import { MetricSeries, type ForeignRun, type RunFacts } from './common.js';
import { parsePythonJson } from './values.js';

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/** A JSON file that must hold an object (trainer_state.json, config.json). */
function readJson(file: string): Record<string, unknown> {
  const value = parsePythonJson(readTextFile(file), file);
  if (!isPlainObject(value)) throw new BitscaleError(`expected a JSON object, got ${value === null ? 'null' : Array.isArray(value) ? 'a list' : typeof value}`, { file });
  return value;
}

/** Is this a Trainer output directory (or one of its checkpoints)? */
export function isHuggingFaceDir(dir: string): boolean {
  return existsSync(join(dir, 'trainer_state.json'));
}

/**
 * trainer_state.json read as a stream (a long run's log_history can be hundreds of MB): the
 * document is scanned once, keeping its text outside `log_history` (parsed as JSON at the end,
 * with the list left empty) and handing each element of `log_history` to `onEntry` as it is
 * complete (parsed on its own, so the list is never whole in memory). Without `onEntry` the
 * elements are only counted. Returns the rest of the state and the number of elements, or null
 * for the count when there is no log_history list.
 */
export function readTrainerState(file: string, onEntry?: (entry: unknown, index: number) => void): { state: Record<string, unknown>; entries: number | null } {
  const rest: string[] = [];
  let element: string[] = [];
  let depth = 0;
  let inString = false;
  let escaped = false;
  let lastKey = '';
  let stringStart = -1;
  let stringParts: string[] = [];
  // 'doc': outside log_history; 'key': saw the key at depth 1, waiting for ':' then '['; 'list': inside it.
  let mode: 'doc' | 'key' | 'list' = 'doc';
  let listDepth = 0;
  let entries: number | null = null;
  const finishElement = () => {
    const text = element.join('').trim();
    element = [];
    if (text === '') return;
    const index = entries!;
    entries = index + 1;
    if (onEntry) onEntry(parsePythonJson(text, `${file} log_history[${index}]`), index);
  };
  for (const { text: line } of readLines(file)) {
    const text = `${line}\n`;
    let start = 0; // start of the piece of `text` not yet given to `rest` or `element`
    const flush = (to: number) => {
      if (to > start) (mode === 'list' ? element : rest).push(text.slice(start, to));
      start = to;
    };
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (inString) {
        if (escaped) escaped = false;
        else if (c === '\\') escaped = true;
        else if (c === '"') {
          inString = false;
          if (depth === 1 && mode === 'doc') lastKey = stringParts.join('') + text.slice(stringStart, i);
        }
        continue;
      }
      if (c === '"') {
        inString = true;
        stringParts = [];
        stringStart = i + 1;
        continue;
      }
      if (mode === 'doc' && c === ':' && depth === 1 && lastKey === 'log_history') mode = 'key';
      else if (mode === 'key' && c === '[') {
        flush(i + 1);
        rest.push(']');
        mode = 'list';
        listDepth = depth + 1;
        entries = 0;
        depth++;
        start = i + 1;
        continue;
      } else if (mode === 'key' && !/\s/.test(c)) mode = 'doc';
      if (c === '{' || c === '[') depth++;
      else if (c === '}' || c === ']') {
        if (mode === 'list' && depth === listDepth) {
          flush(i);
          finishElement();
          mode = 'doc';
          depth--;
          start = i + 1;
          continue;
        }
        depth--;
      } else if (c === ',' && mode === 'list' && depth === listDepth) {
        flush(i);
        finishElement();
        start = i + 1;
        continue;
      }
      if (c !== ':' && depth === 1) lastKey = c === ',' ? '' : lastKey;
    }
    if (inString) stringParts.push(text.slice(stringStart));
    stringStart = 0;
    flush(text.length);
  }
  if (mode === 'list') throw new BitscaleError(`log_history is not closed before the end of the file (a state still being written?)`, { file, field: 'log_history' });
  const state = parsePythonJson(rest.join(''), file);
  if (!isPlainObject(state)) throw new BitscaleError(`expected a JSON object, got ${state === null ? 'null' : Array.isArray(state) ? 'a list' : typeof state}`, { file });
  return { state, entries };
}

/** Keys of a log_history entry that are bookkeeping, not metrics. */
const NOT_METRICS = new Set(['step', 'epoch', 'total_flos']);

export function readHuggingFaceRun(dir: string, onWarning?: (m: string) => void): ForeignRun {
  const candidates = [join(dir, 'trainer_state.json'), ...(existsSync(dir) ? readdirSync(dir) : [])
    .filter((n) => /^checkpoint-\d+$/.test(n))
    .map((n) => join(dir, n, 'trainer_state.json'))]
    .filter((f) => existsSync(f));
  if (candidates.length === 0) throw new BitscaleError('no trainer_state.json here', { file: dir });
  // Each state's bookkeeping first (its log_history only counted), then the newest one's history.
  const states = candidates.map((file) => ({ file, ...readTrainerState(file) }));
  const globalStep = (state: Record<string, unknown>) => (typeof state.global_step === 'number' && Number.isFinite(state.global_step) ? state.global_step : 0);
  const newest = states.reduce((a, b) => (globalStep(b.state) > globalStep(a.state) ? b : a));
  const file = newest.file;
  if (newest.entries === null) throw new BitscaleError('no log_history list', { file, field: 'log_history' });

  const series = new MetricSeries();
  readTrainerState(file, (entry: unknown, i: number) => {
    if (!isPlainObject(entry)) {
      onWarning?.(`${file}: log_history[${i}] is ${entry === null ? 'null' : typeof entry}, not an entry; skipped`);
      return;
    }
    if ('train_runtime' in entry) return; // the final summary: train_loss is an average over the run
    const step = entry.step;
    // An entry without its step is skipped, never given another step.
    if (typeof step !== 'number' || !Number.isInteger(step) || step < 0) {
      onWarning?.(`${file}: field 'log_history[${i}].step': ${step === undefined ? 'missing' : `expected a step number, got ${JSON.stringify(step)?.slice(0, 40)}`}; the entry is skipped`);
      return;
    }
    for (const [k, v] of Object.entries(entry)) {
      if (NOT_METRICS.has(k)) continue;
      if (typeof v === 'number') series.put(k, { step, value: v, file, entry: i });
    }
  });

  const facts: RunFacts = { backend: 'transformers' };
  const configFile = [join(dir, 'config.json'), join(file, '..', 'config.json')].find((f) => existsSync(f));
  if (configFile) {
    const config = readJson(configFile);
    if (typeof config.model_type === 'string') facts.arch = config.model_type;
    const counted = countHfParams(config);
    if (counted) facts.params = { value: counted.params, from: `${configFile} (${counted.formula})` };
    else onWarning?.(`${configFile}: model_type ${JSON.stringify(config.model_type)} has no parameter formula in bitscale; give --set params=`);
  }
  if (typeof newest.state.max_steps === 'number' && Number.isInteger(newest.state.max_steps) && newest.state.max_steps > 0) facts.plannedSteps = newest.state.max_steps;
  const perDevice = newest.state.train_batch_size;
  facts.batchHint = typeof perDevice === 'number'
    ? `trainer_state.json has train_batch_size ${perDevice}, which is per device; the effective batch also needs devices × gradient accumulation`
    : 'trainer_state.json does not state the batch size';
  return {
    format: 'huggingface',
    name: basename(dir),
    source: file,
    series,
    facts,
    conventions: { train_loss: ['loss'], val_loss: ['eval_loss'], tokens: ['num_input_tokens_seen'], lr: ['learning_rate'] },
  };
}
