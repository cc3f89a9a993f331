/**
 * `bitscale train`: argument parsing, the signal handler, progress display and output only; the
 * run is trainRun (src/train/run.ts, imported lazily so that other commands start without
 * TensorFlow.js).
 */
import { Option, type Command } from 'commander';
import { BATCH_SIZE, LEARNING_RATE, POSITIVE_INT, SEED, STEPS, numberOption, type NumberSpec } from '../util/numbers.js';
import { formatCount, formatDuration, formatLoss, formatPercent } from '../util/format.js';
import { emit, warn } from './output.js';
import { DEFAULT_TRAIN_COLLECTION, type TrainRequest } from '../train/run.js';

/** The options as commander hands them over: the request trainRun takes (numbers parsed and range-checked), plus --json. */
interface TrainCliOptions extends Omit<TrainRequest, 'runs'> {
  json?: boolean;
}

/** Evaluation / checkpoint intervals in steps; 0 means the default (eval) or never (checkpoint). */
const INTERVAL: NumberSpec = { integer: true, min: 0, max: 1e12 };

/** Exit status of a run stopped by a signal after writing its checkpoint: EX_TEMPFAIL, "try again". */
export const EXIT_INTERRUPTED = 75;

/**
 * SIGTERM (preemption, `scancel`, `scontrol requeue`, a time limit), SIGUSR1 (Slurm's warning
 * before the limit, `--signal`) and SIGINT stop the run after its current update with a
 * checkpoint; a second SIGINT exits at once.
 */
function stopOnSignals(): { stop: AbortController; release: () => void } {
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
  // Removed when the run ends: a sweep's task runner (src/sweep/task-runner.ts) trains many runs in one process.
  const release = () => {
    for (const sig of ['SIGTERM', 'SIGUSR1', 'SIGINT'] as const) process.off(sig, onSignal);
  };
  return { stop, release };
}

/** One line of progress: a bar on a terminal, plain text otherwise. */
function progressLine(p: { step: number; steps: number; trainBits: number; tokensPerSecond: number; etaSeconds: number; valBpc: number | null }, tty: boolean): string {
  const frac = p.step / p.steps;
  const text = `step ${p.step}/${p.steps}  loss ${formatLoss(p.trainBits)} bits  ${formatCount(Math.round(p.tokensPerSecond))} tok/s  ETA ${formatDuration(p.etaSeconds)}${p.valBpc !== null ? `  val ${formatLoss(p.valBpc)} bpc` : ''}`;
  if (!tty) return text;
  const width = 24;
  const filled = Math.round(frac * width);
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${formatPercent(frac, 0).padStart(4)}  ${text}`;
}

async function runTrain(opts: TrainCliOptions, cmd: Command): Promise<void> {
  const { stop, release } = stopOnSignals();
  try {
    await trainAndReport(opts, cmd, stop);
  } finally {
    release();
  }
}

async function trainAndReport(opts: TrainCliOptions, cmd: Command, stop: AbortController): Promise<void> {
  const { trainRun, trainResultJson, trainResultText } = await import('../train/run.js');
  const tty = Boolean(process.stderr.isTTY);
  const result = await trainRun(
    { ...opts, runs: cmd.optsWithGlobals().runs as string | undefined },
    {
      stop: stop.signal,
      onEvent: (msg) => process.stderr.write(`${msg}\n`),
      onWarning: warn,
      onProgress: (p) => {
        const every = Math.max(1, Math.round(p.steps / 20));
        if (tty) process.stderr.write(`\r\x1b[2K${progressLine(p, true)}`);
        else if (p.step % every === 0 || p.step === p.steps) process.stderr.write(`${progressLine(p, false)}\n`);
      },
    },
  );
  if (!result) return;
  if (tty) process.stderr.write('\n');
  if (result.status === 'diverged') warn(result.message ?? 'the run diverged');
  emit(opts, trainResultJson(result), () => trainResultText(result));
  if (result.status === 'diverged') process.exitCode = 2;
  if (result.status === 'interrupted') process.exitCode = EXIT_INTERRUPTED;
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
    .option('--arch <name>', 'bitlm-v57, bitlm-v52 or float-v52 (the v52 stack with float weights)')
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
}
