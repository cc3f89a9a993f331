/**
 * Reading the values trainers write: Python's spellings of numbers, JSON with bare NaN, PyYAML
 * output, float32 scalars, and the usual config key names for batch size, sequence length, etc.
 */
import { parseDocument } from 'yaml';
import { BitscaleError } from '../../util/errors.js';
import { parseNumberText } from '../../util/numbers.js';
import type { RunFacts } from './common.js';

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
    const v = typeof hit[1] === 'number' ? hit[1] : typeof hit[1] === 'string' ? (parseDecimal(hit[1]) ?? NaN) : NaN;
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

/** A finite decimal number, or null for anything else ("0x10", "1,5", "2.05.1", "", "nan"): the project's one number parser, without K/M suffixes. */
export function parseDecimal(text: string): number | null {
  const v = parseNumberText(text, false);
  return Number.isFinite(v) ? v : null;
}

/**
 * A logged value: a decimal number, or Python's spellings of non-finite floats (nan, inf, -inf,
 * NaN, Infinity). Null for anything else, which the reader skips with a warning: an unreadable
 * number is never taken for NaN (that would call the run diverged) nor read as hex.
 */
export function parseLoggedNumber(text: string): number | null {
  const t = text.trim();
  if (/^[-+]?nan$/i.test(t)) return NaN;
  if (/^[-+]?inf(inity)?$/i.test(t)) return t.startsWith('-') ? -Infinity : Infinity;
  return parseDecimal(t);
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
  try {
    // The yaml package refuses a document whose aliases expand too far (an "alias bomb").
    return doc.toJS({ maxAliasCount: 100 });
  } catch (err) {
    throw new BitscaleError(`not YAML bitscale reads: ${String((err as Error).message).split('\n')[0]}`, { file });
  }
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
    // V8 quotes the text around the fault, newlines and all: keep the message to one short line.
    const why = String((err as Error).message).replace(/[\u0000-\u001f\u007f]+/g, ' ').slice(0, 160);
    throw new BitscaleError(`not valid JSON: ${why}`, { file });
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
