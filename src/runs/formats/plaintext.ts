/**
 * Plain-text training logs.
 * - nanoGPT (train.py's stdout): `step N: train loss X, val loss Y` (estimates over eval_iters),
 *   `iter N: loss X, time …ms, mfu …%`, `tokens per iteration will be: 16,384`,
 *   `number of parameters: 10.65M` (rounded, and without position embeddings), and the config as
 *   printed by configurator.py (`key = value` lines, `Overriding: key = value`).
 *   Metrics: `train/loss`, `val/loss` from step lines, `iter/loss` from iter lines.
 * - llm.c `main.log`: `s:N trl:X` (train loss), `s:N tel:Y` (val loss), `s:N eval:Z`
 *   (HellaSwag accuracy: kept as metric `eval`, never a loss), and any other `key:value` pairs.
 * ANSI colour codes are stripped first.
 */
import { readFileSync } from 'node:fs';
import { basename, dirname, extname } from 'node:path';
import { BitscaleError } from '../../util/errors.js';
import { factsFromConfig, MetricSeries, parseLoggedNumber, type ForeignRun } from './common.js';

const ANSI = /\x1b\[[0-9;]*m/g;
const NANOGPT = /^(step \d+: train loss|iter \d+: loss)/m;
const LLMC = /^s:\d+ (trl|tel):/m;

/** Which plain-text format this log is, or null. */
export function sniffPlainText(text: string): 'nanogpt' | 'llmc' | null {
  const t = text.replace(ANSI, '');
  return NANOGPT.test(t) ? 'nanogpt' : LLMC.test(t) ? 'llmc' : null;
}

/** A config value as Python printed it: numbers, quoted strings, True/False. */
function pythonValue(text: string): unknown {
  const t = text.trim().replace(/\s+#.*$/, '');
  if (/^(['"]).*\1$/.test(t)) return t.slice(1, -1);
  if (t === 'True' || t === 'False') return t === 'True';
  const n = Number(t.replace(/_/g, ''));
  return Number.isFinite(n) && t !== '' ? n : t;
}

function runName(file: string): string {
  const stem = basename(file, extname(file));
  return ['main', 'log', 'train', 'stdout', 'out'].includes(stem) ? basename(dirname(file)) : stem;
}

export function readNanoGptLog(file: string): ForeignRun {
  const series = new MetricSeries();
  const config: Record<string, unknown> = {};
  let tokensPerIter: number | undefined;
  let params: { value: number; from: string; reported: string } | undefined;
  readFileSync(file, 'utf8').replace(ANSI, '').split('\n').forEach((raw, i) => {
    const line = raw.trim();
    const where = `${file}:${i + 1}`;
    let m: RegExpExecArray | null;
    if ((m = /^step (\d+): train loss ([^,]+), val loss (\S+)/.exec(line))) {
      series.put('train/loss', { step: Number(m[1]), value: parseLoggedNumber(m[2]), where });
      series.put('val/loss', { step: Number(m[1]), value: parseLoggedNumber(m[3]), where });
    } else if ((m = /^iter (\d+): loss ([^,]+)/.exec(line))) {
      series.put('iter/loss', { step: Number(m[1]), value: parseLoggedNumber(m[2]), where });
    } else if ((m = /^tokens per iteration will be: ([\d,]+)/.exec(line))) {
      tokensPerIter = Number(m[1].replace(/,/g, ''));
    } else if ((m = /^number of parameters: ([\d.]+)M/.exec(line))) {
      params = { value: Math.round(Number(m[1]) * 1e6), from: `${where} (nanoGPT rounds it and leaves out position embeddings)`, reported: `${m[1]}M` };
    } else if ((m = /^(?:Overriding: )?([A-Za-z_]\w*) = (.+)$/.exec(line))) {
      config[m[1]] = pythonValue(m[2]);
    }
  });
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

export function readLlmcLog(file: string): ForeignRun {
  const series = new MetricSeries();
  readFileSync(file, 'utf8').replace(ANSI, '').split('\n').forEach((raw, i) => {
    const m = /^s:(\d+)\s+(.*)$/.exec(raw.trim());
    if (!m) return;
    for (const pair of m[2].split(/\s+/)) {
      const kv = /^([A-Za-z_]\w*):(\S+)$/.exec(pair);
      if (kv) series.put(kv[1], { step: Number(m[1]), value: parseLoggedNumber(kv[2]), where: `${file}:${i + 1}` });
    }
  });
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
