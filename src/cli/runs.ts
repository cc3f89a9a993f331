import type { Command } from 'commander';
import { loadRunTable, selectRuns } from '../runs/table.js';
import type { PlannedRun } from '../runs/ingest.js';
import { CSV_FIELDS } from '../runs/csv-fields.js';
import { FORMAT_NAMES } from '../runs/formats/common.js';
import { METRIC_ROLES, SET_FIELDS } from '../runs/formats/convert.js';
import type { RunRecord } from '../runs/types.js';
import { formatCount, formatDurationColumn, formatLoss, formatTable, formatSteps } from '../util/format.js';
import { numberOption, POSITIVE_REAL } from '../util/numbers.js';
import { emit, warn } from './output.js';

/** Each RunRecord field's key in --json output: snake_case, the run log's own name where it has one. */
const RUN_JSON_KEYS: Record<Exclude<keyof RunRecord, 'log' | 'curve'>, string> = {
  id: 'run_id',
  file: 'file',
  collection: 'collection',
  arch: 'arch',
  config: 'config',
  params: 'params',
  paramsReported: 'params_reported',
  dataset: 'dataset',
  datasetBytes: 'dataset_bytes',
  uniqueTokens: 'unique_tokens',
  passes: 'passes',
  corpusSize: 'corpus_size',
  tokenUnit: 'token_unit',
  tokenizer: 'tokenizer',
  bytesPerToken: 'bytes_per_token',
  lossPer: 'loss_per',
  lossUnit: 'loss_unit',
  batchSize: 'batch_size',
  seqLen: 'seq_len',
  lr: 'lr',
  lrSchedule: 'lr_schedule',
  warmupSteps: 'warmup_steps',
  lrFinal: 'lr_final',
  plannedSteps: 'planned_steps',
  steps: 'steps',
  tokens: 'tokens',
  finalValBpc: 'val_bpc',
  precision: 'precision',
  backend: 'backend',
  kernels: 'kernels',
  hardware: 'hardware',
  status: 'status',
  wallSeconds: 'wall_s',
  peakBytes: 'peak_bytes',
  tokensPerSecond: 'tokens_per_s',
  source: 'source',
  notes: 'notes',
  purpose: 'purpose',
};

/** The run table as JSON: every field but the raw log, snake_case keys (the project's JSON convention). */
export function runToJson(r: RunRecord): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [field, key] of Object.entries(RUN_JSON_KEYS)) out[key] = r[field as keyof typeof RUN_JSON_KEYS];
  out.curve = r.curve.map((p) => ({ step: p.step, tokens: p.tokens, val_bpc: p.valBpc }));
  return out;
}

export function register(program: Command): void {
  program
    .command('runs')
    .description('print the run table: every run log under --runs, one row per run')
    .option('--dataset <name>', 'only runs on this dataset')
    .option('--collection <name>', 'only runs in this folder of runs/ (seed, brown-ladder, …)')
    .option('--json', 'machine-readable JSON on stdout')
    .addHelpText('after', '\nExample:\n  bitscale runs --dataset GLM-Reasoning')
    .action((opts, cmd: Command) => {
      const runsDir: string = cmd.optsWithGlobals().runs;
      const runs = selectRuns(loadRunTable(runsDir, { onWarning: warn }), { dataset: opts.dataset, collection: opts.collection }, runsDir);
      const wall = formatDurationColumn(runs.map((r) => r.wallSeconds)).cells;
      emit(opts, { runs: runs.map(runToJson) }, () =>
        formatTable(
          ['run', 'dataset', 'params', 'bs', 'lr', 'steps', 'tokens', 'passes', 'val loss', 'loss unit', 'precision', 'hardware', 'wall-clock', 'status'],
          runs.map((r, i) => [
            r.id,
            r.dataset,
            r.paramsReported && r.config === null ? r.paramsReported : formatCount(r.params),
            r.batchSize,
            r.lr.toExponential(),
            formatSteps(r.steps),
            formatCount(r.tokens),
            r.passes === null ? 'unknown' : r.passes.toFixed(2),
            formatLoss(r.finalValBpc),
            r.lossUnit,
            r.precision,
            r.hardware,
            wall[i],
            r.status,
          ]),
        ) + `\n${runs.length} run${runs.length === 1 ? '' : 's'}; params as a count, tokens = steps × bs × T (in each run's token unit), passes = tokens ÷ unique tokens of the corpus (unknown where the log states no size), val loss in its loss unit`,
      );
    });

  program
    .command('ingest')
    .description("validate run logs (.jsonl), results tables (.csv) or other trainers' logs (TensorBoard, W&B, Lightning, Hugging Face, MLflow, nanoGPT, llm.c, Megatron-LM) and store them under runs/<into>/; sources are never modified")
    .argument('<paths...>', 'run logs (JSON Lines), CSV files, or trainers\' log files and directories (each format recognised by its files)')
    .option('--into <folder>', 'folder under the runs directory to store them in', 'ingested')
    .option('--format <name>', `read every path as this trainer's format: ${FORMAT_NAMES.join(', ')}`)
    .option('--map <field=column,...>', 'CSV: which column holds each field, e.g. val_bpc=loss,steps=iter; trainers\' logs: which metric plays each role, e.g. val_loss=eval/loss')
    .option('--set <field=value,...>', 'a constant for a field the source lacks, e.g. dataset=GLM-Reasoning,seq_len=256')
    .option('--bytes-per-token <x>', 'convert per-token losses to bits per byte: divide each by X (your figure for the tokenizer on this data), recorded in the log as bytes_per_token', numberOption('--bytes-per-token', POSITIVE_REAL))
    .option('--dry-run', 'validate only and print what would be stored; write nothing')
    .option('--strict', "fail the whole command when any trainer's run cannot be read (default: report it as a warning and ingest the others)")
    .option('--json', 'machine-readable JSON on stdout')
    .addHelpText(
      'after',
      `\nCSV fields:\n${Object.entries(CSV_FIELDS).map(([k, v]) => `  ${k.padEnd(15)} ${v}`).join('\n')}\n` +
        `\nTrainers' logs, --map roles:\n${Object.entries(METRIC_ROLES).map(([k, v]) => `  ${k.padEnd(15)} ${v}`).join('\n')}\n` +
        `\nTrainers' logs, --set fields:\n${Object.entries(SET_FIELDS).map(([k, v]) => `  ${k.padEnd(15)} ${v}`).join('\n')}\n` +
        `\nExamples:\n  bitscale ingest results.csv --map val_bpc=loss,steps=iter --set dataset=GLM-Reasoning,seq_len=256\n` +
        `  bitscale ingest tb_logs/ --set params=124M,batch_size=480,seq_len=1024,dataset=owt --bytes-per-token 4.2 --dry-run\n` +
        `  (rules for each format, restarts and duplicates: docs/ingest-formats.md)`,
    )
    .action(async (paths: string[], opts, cmd: Command) => {
      const { ingestFiles, parseAssignments, planIngest } = await import('../runs/ingest.js');
      const runsDir: string = cmd.optsWithGlobals().runs;
      const options = {
        into: opts.into, format: opts.format, bytesPerToken: opts.bytesPerToken, strict: Boolean(opts.strict),
        map: parseAssignments(opts.map, '--map'), set: parseAssignments(opts.set, '--set'), onWarning: warn,
      };
      const plan = opts.dryRun ? planIngest(paths, runsDir, options) : ingestFiles(paths, runsDir, options);
      const rows = plan.map((p) => ({ run_id: p.runId, source: p.source, target: p.target, evals: p.log.evals.length, ...(p.mapping ? { mapping: p.mapping } : {}) }));
      emit(opts, { dry_run: Boolean(opts.dryRun), ingested: rows }, () =>
        `${opts.dryRun ? 'would ingest' : 'ingested'} ${rows.length} run${rows.length === 1 ? '' : 's'}\n` +
        formatTable(['run', 'from', 'to', 'val points'], rows.map((r) => [r.run_id, r.source, r.target, r.evals])) +
        plan.filter((p) => p.mapping).map(describeMapping).join(''),
      );
    });
}

/** How a trainer's run was read: the metrics chosen for each role and where each fact came from. */
function describeMapping(p: PlannedRun): string {
  const m = p.mapping!;
  const metrics = Object.entries(m.metrics).map(([role, name]) => `${role} ← ${name}`).join(', ');
  return (
    `\n${p.runId} (${m.format}): ${metrics}\n` +
    `  losses in ${m.unit}${p.log.header.bytes_per_token !== undefined ? `, then ÷ ${p.log.header.bytes_per_token} bytes per token = bits per byte` : ''}; final ${typeof p.log.summary?.final_val_bpc === 'number' ? formatLoss(p.log.summary.final_val_bpc, 4) : '-'}${p.log.summary && p.log.summary.status !== 'completed' ? ` (${p.log.summary.status}: ${p.log.summary.message})` : ''}\n` +
    `  params ${m.params}; batch_size ${m.batch_size}; seq_len ${m.seq_len}; tokens ${m.tokens}\n`
  );
}
