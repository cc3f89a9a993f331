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
import { readTextFile } from '../../util/files.js';
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

/** Keys of a log_history entry that are bookkeeping, not metrics. */
const NOT_METRICS = new Set(['step', 'epoch', 'total_flos']);

export function readHuggingFaceRun(dir: string, onWarning?: (m: string) => void): ForeignRun {
  const candidates = [join(dir, 'trainer_state.json'), ...(existsSync(dir) ? readdirSync(dir) : [])
    .filter((n) => /^checkpoint-\d+$/.test(n))
    .map((n) => join(dir, n, 'trainer_state.json'))]
    .filter((f) => existsSync(f));
  if (candidates.length === 0) throw new BitscaleError('no trainer_state.json here', { file: dir });
  const states = candidates.map((file) => ({ file, state: readJson(file) }));
  const globalStep = (state: Record<string, unknown>) => (typeof state.global_step === 'number' && Number.isFinite(state.global_step) ? state.global_step : 0);
  const newest = states.reduce((a, b) => (globalStep(b.state) > globalStep(a.state) ? b : a));
  const file = newest.file;
  const history = newest.state.log_history;
  if (!Array.isArray(history)) throw new BitscaleError('no log_history list', { file, field: 'log_history' });

  const series = new MetricSeries();
  history.forEach((entry: unknown, i: number) => {
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
