/**
 * Plain-text training logs.
 * - nanoGPT (train.py's stdout): `step N: train loss X, val loss Y` (estimates over eval_iters),
 *   `iter N: loss X, time …ms, mfu …%`, `tokens per iteration will be: 16,384`,
 *   `number of parameters: 10.65M` (rounded, and without position embeddings), and the config as
 *   printed by configurator.py (`key = value` lines, `Overriding: key = value`).
 *   Metrics: `train/loss`, `val/loss` from step lines, `iter/loss` from iter lines.
 * - llm.c `main.log`: `s:N trl:X` (train loss), `s:N tel:Y` (val loss), `s:N eval:Z`
 *   (HellaSwag accuracy: kept as metric `eval`, never a loss), and any other `key:value` pairs.
 * - Megatron-LM: `iteration N/ T | consumed samples: … | learning rate: … | global batch size: B |
 *   lm loss: 3.77E+00 |` and `validation loss at iteration N | lm loss value: … |`. Metrics
 *   `lm loss`, `validation/lm loss`, `learning rate`; B is the batch size and T the planned steps.
 * ANSI colour codes are stripped first.
 */
import { basename, dirname, extname } from 'node:path';
import { BitscaleError } from '../../util/errors.js';
import { readLines } from '../../util/files.js';
import { MetricSeries, putLogged, unterminatedLine, type ForeignRun, type RunFacts, type Warn } from './common.js';
import { factsFromConfig, parseDecimal } from './values.js';

const ANSI = /\x1b\[[0-9;]*m/g;
const NANOGPT = /^(step \d+: train loss|iter \d+: loss)/m;
const LLMC = /^s:\d+ (trl|tel):/m;
const MEGATRON = /iteration\s+\d+\/\s*\d+ \|.*lm loss: /;

/** Which plain-text format this log is, or null. */
export function sniffPlainText(text: string): 'nanogpt' | 'llmc' | 'megatron' | null {
  const t = text.replace(ANSI, '');
  return NANOGPT.test(t) ? 'nanogpt' : LLMC.test(t) ? 'llmc' : MEGATRON.test(t) ? 'megatron' : null;
}

/**
 * A text log's lines, one at a time (the file is streamed, never held whole), ANSI colours
 * stripped. A last line with no line end is dropped with a warning: its last number may be cut
 * short ("3.2" of "3.25"), and a shorter number is a wrong value, not a value.
 */
function* logLines(file: string, warn: Warn): Generator<{ text: string; line: number }> {
  for (const l of readLines(file)) {
    if (!l.terminated) {
      if (l.text.trim() !== '') warn?.(unterminatedLine(file, l.line, l.text));
      return;
    }
    yield { text: l.text.replace(ANSI, ''), line: l.line };
  }
}

/** A config value as Python printed it: numbers, quoted strings, True/False. */
function pythonValue(text: string): unknown {
  const t = text.trim().replace(/\s+#.*$/, '');
  if (/^(['"]).*\1$/.test(t)) return t.slice(1, -1);
  if (t === 'True' || t === 'False') return t === 'True';
  return parseDecimal(t.replace(/(\d)_(?=\d)/g, '$1')) ?? t;
}

function runName(file: string): string {
  const stem = basename(file, extname(file));
  return ['main', 'log', 'train', 'stdout', 'out'].includes(stem) ? basename(dirname(file)) : stem;
}

export function readNanoGptLog(file: string, warn?: Warn): ForeignRun {
  const series = new MetricSeries();
  const config: Record<string, unknown> = {};
  let tokensPerIter: number | undefined;
  let params: { value: number; from: string; reported: string } | undefined;
  for (const { text, line: n } of logLines(file, warn)) {
    const line = text.trim();
    const where = `${file}:${n}`;
    let m: RegExpExecArray | null;
    if ((m = /^step (\d+): train loss ([^,]+), val loss (\S+)/.exec(line))) {
      putLogged(series, 'train/loss', Number(m[1]), m[2], file, n, warn);
      putLogged(series, 'val/loss', Number(m[1]), m[3], file, n, warn);
    } else if ((m = /^iter (\d+): loss ([^,]+)/.exec(line))) {
      putLogged(series, 'iter/loss', Number(m[1]), m[2], file, n, warn);
    } else if ((m = /^tokens per iteration will be: (\d{1,3}(?:,\d{3})*|\d+)$/.exec(line))) {
      tokensPerIter = Number(m[1].replace(/,/g, ''));
    } else if ((m = /^number of parameters: (\d+(?:\.\d+)?)M$/.exec(line))) {
      params = { value: Math.round(Number(m[1]) * 1e6), from: `${where} (nanoGPT rounds it and leaves out position embeddings)`, reported: `${m[1]}M` };
    } else if ((m = /^(?:Overriding: )?([A-Za-z_]\w*) = (.+)$/.exec(line))) {
      config[m[1]] = pythonValue(m[2]);
    }
  }
  if (series.names().length === 0) throw new BitscaleError('no nanoGPT loss lines (step N: train loss X, val loss Y)', { file });
  const facts = factsFromConfig(config, `${file} config`, 'pytorch (nanoGPT)');
  if (params) facts.params = params;
  if (tokensPerIter) {
    // batch_size in nanoGPT is the micro-batch; the step's batch is tokens per iteration ÷ block_size.
    delete facts.batchSize;
    facts.tokensPerStep = { value: tokensPerIter, from: `${file} "tokens per iteration"` };
  }
  return { format: 'nanogpt', name: runName(file), source: file, series, facts };
}

export function readLlmcLog(file: string, warn?: Warn): ForeignRun {
  const series = new MetricSeries();
  for (const { text, line } of logLines(file, warn)) {
    const m = /^s:(\d+)\s+(.*)$/.exec(text.trim());
    if (!m) continue;
    for (const pair of m[2].split(/\s+/)) {
      const kv = /^([A-Za-z_]\w*):(\S+)$/.exec(pair);
      if (kv) putLogged(series, kv[1], Number(m[1]), kv[2], file, line, warn);
    }
  }
  if (series.names().length === 0) throw new BitscaleError('no llm.c log lines (s:N trl:X / s:N tel:Y)', { file });
  return {
    format: 'llmc',
    name: runName(file),
    source: file,
    series,
    facts: { backend: 'llm.c' },
    conventions: { train_loss: ['trl'], val_loss: ['tel'] },
  };
}

export function readMegatronLog(file: string, warn?: Warn): ForeignRun {
  const series = new MetricSeries();
  const args: Record<string, unknown> = {};
  // The arguments block Megatron prints at start: `  seq_length ......... 2048`.
  for (const { text } of logLines(file, undefined)) {
    const m = /^\s+([a-z_]\w*) \.{2,} (\S.*)$/.exec(text);
    if (m) args[m[1]] = pythonValue(m[2]);
  }
  const facts: RunFacts = factsFromConfig(args, `${file} arguments`, 'megatron-lm');
  const fields = (text: string) => new Map(text.split('|').map((f) => f.split(/:\s*/)).filter((kv) => kv.length === 2).map(([k, v]) => [k.trim(), v.trim()]));
  for (const { text: raw, line } of logLines(file, warn)) {
    const where = `${file}:${line}`;
    const it = /iteration\s+(\d+)\/\s*(\d+) \|(.*)$/.exec(raw);
    const val = /validation loss at iteration\s+(\d+)\s*\|(.*)$/.exec(raw);
    if (it) {
      const step = Number(it[1]);
      facts.plannedSteps ??= Number(it[2]);
      const f = fields(it[3]);
      for (const key of ['lm loss', 'learning rate']) if (f.has(key)) putLogged(series, key, step, f.get(key)!, file, line, warn);
      const batch = parseDecimal(f.get('global batch size') ?? '');
      if (batch !== null && Number.isInteger(batch) && batch > 0) facts.batchSize ??= { value: batch, from: `${where} global batch size` };
    } else if (val) {
      const f = fields(val[2]);
      if (f.has('lm loss value')) putLogged(series, 'validation/lm loss', Number(val[1]), f.get('lm loss value')!, file, line, warn);
    }
  }
  if (series.names().length === 0) throw new BitscaleError('no Megatron-LM iteration lines (iteration N/ T | … | lm loss: X |)', { file });
  return { format: 'megatron', name: runName(file), source: file, series, facts, conventions: { train_loss: ['lm loss'], val_loss: ['validation/lm loss'], lr: ['learning rate'] } };
}
