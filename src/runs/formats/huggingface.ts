/**
 * Hugging Face Trainer output directories: `trainer_state.json` (`log_history`: train entries
 * {loss, learning_rate, epoch, step, num_input_tokens_seen?}, eval entries {eval_loss, …, step},
 * a final {train_loss, train_runtime, …}) and `config.json` (the architecture; the parameter
 * count is computed from it, src/arch/transformers.ts). Checkpoints hold a copy of the state up
 * to their step: the state with the highest `global_step` is read (the top-level one on a tie).
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { countHfParams } from '../../arch/transformers.js';
import { BitscaleError } from '../../util/errors.js';
import { MetricSeries, type ForeignRun, type RunFacts } from './common.js';
import { parsePythonJson } from './values.js';

const readJson = (file: string) => parsePythonJson(readFileSync(file, 'utf8'), file) as Record<string, unknown>;

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
  const newest = states.reduce((a, b) => (Number(b.state.global_step ?? 0) > Number(a.state.global_step ?? 0) ? b : a));
  const file = newest.file;
  const history = newest.state.log_history;
  if (!Array.isArray(history)) throw new BitscaleError('no log_history list', { file, field: 'log_history' });

  const series = new MetricSeries();
  history.forEach((entry: Record<string, unknown>, i: number) => {
    if ('train_runtime' in entry) return; // the final summary: train_loss is an average over the run
    const step = entry.step;
    if (typeof step !== 'number') throw new BitscaleError(`log_history[${i}] has no step`, { file, field: `log_history[${i}].step` });
    for (const [k, v] of Object.entries(entry)) {
      if (NOT_METRICS.has(k)) continue;
      if (typeof v === 'number') series.put(k, { step, value: v, where: `${file} log_history[${i}]` });
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
  if (typeof newest.state.max_steps === 'number' && newest.state.max_steps > 0) facts.plannedSteps = newest.state.max_steps;
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
