import type { Command } from 'commander';
import { loadRunTable, selectRuns } from '../runs/table.js';
import { CSV_FIELDS } from '../runs/csv-fields.js';
import type { RunRecord } from '../runs/types.js';
import { formatCount, formatDurationColumn, formatTable } from '../util/format.js';
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
  tokenUnit: 'token_unit',
  tokenizer: 'tokenizer',
  bytesPerToken: 'bytes_per_token',
  lossPer: 'loss_per',
  lossUnit: 'loss_unit',
  batchSize: 'batch_size',
  seqLen: 'seq_len',
  lr: 'lr_peak',
  plannedSteps: 'planned_steps',
  steps: 'steps',
  tokens: 'tokens',
  finalValBpc: 'val_bpc',
  precision: 'precision',
  backend: 'backend',
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
    .option('--collection <name>', 'only runs in this folder of runs/ (seed, brown-cpu, …)')
    .option('--json', 'machine-readable JSON on stdout')
    .addHelpText('after', '\nExample:\n  bitscale runs --dataset GLM-Reasoning')
    .action((opts, cmd: Command) => {
      const runsDir: string = cmd.optsWithGlobals().runs;
      const runs = selectRuns(loadRunTable(runsDir, { onWarning: warn }), { dataset: opts.dataset, collection: opts.collection }, runsDir);
      const wall = formatDurationColumn(runs.map((r) => r.wallSeconds)).cells;
      emit(opts, { runs: runs.map(runToJson) }, () =>
        formatTable(
          ['run', 'dataset', 'params', 'bs', 'lr', 'steps', 'tokens', 'val loss', 'loss unit', 'precision', 'hardware', 'wall-clock', 'status'],
          runs.map((r, i) => [
            r.id,
            r.dataset,
            r.paramsReported && r.config === null ? r.paramsReported : formatCount(r.params),
            r.batchSize,
            r.lr.toExponential(),
            formatCount(r.steps, 0),
            formatCount(r.tokens),
            r.finalValBpc.toFixed(3),
            r.lossUnit,
            r.precision,
            r.hardware,
            wall[i],
            r.status,
          ]),
        ) + `\n${runs.length} run${runs.length === 1 ? '' : 's'}; params as a count, tokens = steps × bs × T (in each run's token unit), val loss in its loss unit`,
      );
    });

  program
    .command('ingest')
    .description('validate run logs (.jsonl) or results tables (.csv) and store them under runs/<into>/; sources are never modified')
    .argument('<files...>', 'run logs (JSON Lines) or CSV files')
    .option('--into <folder>', 'folder under the runs directory to store them in', 'ingested')
    .option('--map <field=column,...>', 'CSV: which column holds each field, e.g. val_bpc=loss,steps=iter')
    .option('--set <field=value,...>', 'CSV: a constant for a field the table lacks, e.g. dataset=GLM-Reasoning,seq_len=256')
    .option('--bytes-per-token <x>', 'convert per-token losses to bits per byte: divide each by X (your figure for the tokenizer on this data), recorded in the log as bytes_per_token', numberOption('--bytes-per-token', POSITIVE_REAL))
    .option('--dry-run', 'validate only; write nothing')
    .option('--json', 'machine-readable JSON on stdout')
    .addHelpText('after', `\nCSV fields:\n${Object.entries(CSV_FIELDS).map(([k, v]) => `  ${k.padEnd(15)} ${v}`).join('\n')}\n\nExample:\n  bitscale ingest results.csv --map val_bpc=loss,steps=iter --set dataset=GLM-Reasoning,seq_len=256`)
    .action(async (files: string[], opts, cmd: Command) => {
      const { ingestFiles, parseAssignments, planIngest } = await import('../runs/ingest.js');
      const runsDir: string = cmd.optsWithGlobals().runs;
      const options = { into: opts.into, map: parseAssignments(opts.map, '--map'), set: parseAssignments(opts.set, '--set'), bytesPerToken: opts.bytesPerToken as number | undefined, onWarning: warn };
      const plan = opts.dryRun ? planIngest(files, runsDir, options) : ingestFiles(files, runsDir, options);
      const rows = plan.map((p) => ({ run_id: p.runId, source: p.source, target: p.target, evals: p.log.evals.length }));
      emit(opts, { dry_run: Boolean(opts.dryRun), ingested: rows }, () =>
        `${opts.dryRun ? 'would ingest' : 'ingested'} ${rows.length} run${rows.length === 1 ? '' : 's'}\n` +
        formatTable(['run', 'from', 'to', 'val points'], rows.map((r) => [r.run_id, r.source, r.target, r.evals])),
      );
    });
}
