/**
 * `bitscale plan`: the best BitLMv57 config for a budget (hours on N catalogued GPUs, or a FLOPs
 * total). Option parsing and printing only: the planner is makePlan (src/plan/make-plan.ts), its
 * text and JSON src/plan/render.ts. Heavy modules load inside the action.
 */
import type { Command } from 'commander';
import { BitscaleError } from '../util/errors.js';
import { BATCH_SIZE, HEADROOM, PARAM_COUNT, POSITIVE_INT, POSITIVE_REAL, SEQUENCE, numberOption, parseNumber } from '../util/numbers.js';
import { bold, emit, warn } from './output.js';
import { DEFAULT_PLAN_HEADROOM } from '../plan/plan.js';

export interface PlanCliOptions {
  gpu: string;
  gpus: number;
  hours?: number;
  flops?: number;
  dataset?: string;
  seqLen: number;
  shape: string[];
  batchSize?: string;
  headroom: number;
  law?: string;
  borrowGains?: boolean;
  uniqueTokens?: number;
  datasetBytes?: number;
  arch: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('plan')
    .description('the best BitLMv57 config for a budget: predicted val_bpc, memory fit and wall-clock for each size')
    .requiredOption('--gpu <id>', 'GPU from the catalog (bitscale estimate --help lists them), e.g. a100-40gb')
    .option('--gpus <n>', 'GPUs, data parallel', numberOption('gpus', POSITIVE_INT), 1)
    .option('--hours <h>', 'wall-clock hours on those GPUs', numberOption('hours', POSITIVE_REAL))
    .option('--flops <c>', 'instead of --hours: total training FLOPs, e.g. 1e19', numberOption('flops', POSITIVE_REAL))
    .option('--dataset <name>', "dataset whose laws predict val_bpc (default: the report's headline dataset, GLM-Reasoning)")
    .option('--seq-len <n>', 'context T', numberOption('seq-len', SEQUENCE), 256)
    .option('--shape <spec>', 'add a shape, e.g. d=1536,L=12,H=32,dff=768 (repeatable)', (v: string, prev: string[]) => [...prev, v], [] as string[])
    .option('--batch-size <list>', 'batch sizes to consider, e.g. 64,256 (default: those the dataset\'s runs used)')
    .option('--headroom <fraction>', `fraction of each GPU's usable memory to keep free, in [0, 1)`, numberOption('headroom', HEADROOM), DEFAULT_PLAN_HEADROOM)
    .option('--law <file>', 'a law saved by `bitscale fit --csv … --form chinchilla --save FILE`, in place of the run table\'s')
    .option('--borrow-gains', 'as predict: let the step gain come from other datasets of the same loss unit where this one has too few doublings')
    .option('--unique-tokens <n>', "the corpus size in tokens, for the recommended run's passes and cost of repetition (default: the dataset's runs' size), e.g. 387M", numberOption('unique-tokens', PARAM_COUNT))
    .option('--dataset-bytes <n>', 'the corpus size in bytes, for a byte-level dataset (= --unique-tokens), e.g. 387M', numberOption('dataset-bytes', PARAM_COUNT))
    .option('--arch <name>', 'bitlm-v57 (default), bitlm-v52 or float-v52: another family is planned with the bitlm-v57 laws at N_eff = m·N, m its measured multiplier (bitscale compare)', 'bitlm-v57')
    .option('--json', 'print JSON only')
    .addHelpText('after', '\nExamples:\n  bitscale plan --gpu a100-40gb --hours 12 --dataset GLM-Reasoning\n  bitscale plan --gpu h100-80gb --gpus 8 --hours 24 --json\n  bitscale plan --gpu a100-40gb --flops 1e19 --law law.json\n  bitscale plan --gpu a100-40gb --hours 12 --dataset-bytes 387M')
    .action(async (opts: PlanCliOptions, cmd: Command) => {
      if ((opts.hours === undefined) === (opts.flops === undefined)) throw new BitscaleError('give one budget: --hours H or --flops C', { field: 'hours' });
      const corpus = (await import('../fit/repetition-cost.js')).corpusSizeFromOptions(opts);
      const { requireGpu } = await import('../estimate/hardware.js');
      const gpu = requireGpu(opts.gpu);
      const law = opts.law ? { file: opts.law, law: (await import('./law-file.js')).readSavedLawFile(opts.law) } : null;
      const { makePlan } = await import('../plan/make-plan.js');
      const { planToJson, renderPlan } = await import('../plan/render.js');
      const plan = await makePlan(
        {
          gpu,
          gpus: opts.gpus,
          budget: opts.hours !== undefined ? { kind: 'hours', hours: opts.hours } : { kind: 'flops', flops: opts.flops! },
          dataset: opts.dataset,
          seqLen: opts.seqLen,
          shapes: opts.shape,
          batchSizes: opts.batchSize?.split(',').map((t) => parseNumber(t.trim(), 'batch-size', BATCH_SIZE)),
          headroom: opts.headroom,
          law,
          borrowGains: opts.borrowGains === true,
          corpus,
          runsDir: cmd.optsWithGlobals().runs ?? 'runs',
          runsGiven: cmd.getOptionValueSourceWithGlobals('runs') === 'cli',
          arch: opts.arch,
        },
        warn,
      );
      emit(opts, planToJson(plan), () => renderPlan(plan, bold));
    });
}
