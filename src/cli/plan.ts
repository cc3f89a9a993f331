/**
 * `bitscale plan`: the best BitLMv57 config for a budget (hours on N catalogued GPUs, or a FLOPs
 * total): the frontier of predicted val_bpc per size, the recommended config with its memory,
 * micro-batch × accumulation, steps and wall-clock, and whether the data can tell it from the next
 * best. Parsing and formatting only; the planner is src/plan. Heavy modules load inside the action.
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { readTextFile } from '../util/files.js';
import { PACKAGE_ROOT } from '../version.js';
import type { Command } from 'commander';
import type { PlanCandidate, PlanResult } from '../plan/plan.js';
import type { FitSuite } from '../fit/index.js';
import type { Span, TellApart, TellApartRow } from '../plan/tell-apart.js';
import { BitscaleError } from '../util/errors.js';
import { BATCH_SIZE, HEADROOM, POSITIVE_INT, POSITIVE_REAL, SEQUENCE, numberOption, parseNumber } from '../util/numbers.js';
import { formatBytes, formatCount, formatInteger, formatTable } from '../util/format.js';
import { bold, emit, warn } from './output.js';
import { verdictJson } from '../estimate/estimate.js';
import { DEFAULT_PLAN_HEADROOM, microAccumText, verdictCell } from '../plan/plan.js';
import { tellApartSentences } from '../plan/tell-apart-text.js';

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
  json?: boolean;
}

const bpc = (v: number) => v.toFixed(3);

function spanText(c: PlanCandidate): string {
  const p = c.prediction;
  if (p.range) return `${bpc(p.range.lo)}–${bpc(p.range.hi)}`;
  if (p.interval) return `${bpc(p.interval.lo)}–${bpc(p.interval.hi)}`;
  return '-';
}

/** "N ×4.0, steps ×2.7" or "" inside the measured ranges. */
export function extrapolationText(c: PlanCandidate): string {
  const e = c.extrapolation;
  if (!e) return '';
  const parts = [e.params !== null ? `N ×${e.params.toFixed(1)}` : '', e.steps !== null ? `steps ×${e.steps.toFixed(1)}` : '', e.tokens !== null ? `D ×${e.tokens.toFixed(1)}` : ''].filter(Boolean);
  return parts.join(', ');
}


function candidateJson(c: PlanCandidate) {
  return {
    shape: { d: c.config.d, layers: c.config.layers, heads: c.config.heads, d_ff: c.config.dFf, seq_len: c.config.seqLen, vocab: c.config.vocab },
    origin: c.origin,
    params: c.params,
    batch_size: c.batchSize,
    per_gpu_batch: c.perGpuBatch,
    micro_batch: c.microBatch,
    micro_batches: c.split.parts.map((p) => ({ size: p.size, count: p.count })),
    grad_accum_steps: c.accumulation,
    memory_bytes: c.memoryBytes,
    usable_bytes: c.usableBytes,
    limit_bytes: c.limitBytes,
    memory_verdict: verdictJson(c.memoryVerdict),
    seconds_per_step: c.secondsPerStep,
    speed: c.speed,
    steps: c.steps,
    tokens: c.tokens,
    tokens_per_param: c.tokensPerParam,
    hours: c.hours,
    gpu_hours: c.gpuHours,
    flops: c.flops,
    val_bpc: c.prediction.valBpc,
    interval: c.prediction.interval,
    range: c.prediction.range,
    method: c.prediction.method,
    warnings: c.prediction.warnings,
    extrapolation: c.extrapolation ? { params_factor: c.extrapolation.params, steps_factor: c.extrapolation.steps, tokens_factor: c.extrapolation.tokens } : null,
  };
}

export interface PlanContext {
  dataset: string | null;
  /** Why this dataset: "--dataset", "the report's headline dataset (…)", or the fallback. */
  datasetSource: string | null;
  law: string;
  rules: string[];
  batchSizes: number[];
  /** Why a measured batch size was left out, when one was. */
  batchSizeNote: string | null;
  /** What the law predicts: 'val_bpc' for the run table, 'loss' (the law's own unit) for a law file. */
  metric: string;
}

const spanJson = (s: Span) => ({ lo: s.lo, hi: s.hi });

function tellApartRowJson(r: TellApartRow) {
  const c = r.ranked.candidate;
  return {
    id: c.id,
    why: c.why,
    shape: { d: c.config.d, layers: c.config.layers, heads: c.config.heads, d_ff: c.config.dFf, seq_len: c.config.seqLen, vocab: c.config.vocab },
    params: r.ranked.params,
    batch_size: c.batchSize,
    lr: c.lr,
    steps: c.steps,
    tokens: r.ranked.tokens,
    gpu_hours: r.ranked.gpuHours,
    assumed_val_bpc: r.ranked.predictedBpc,
    rank: r.rank,
    span_narrowing: r.ranked.narrowing,
    recommended_range_after: spanJson(r.recommended),
    next_best_range_after: spanJson(r.nextBest),
    overlap_after_bpc: r.overlap,
    separates: r.separates,
  };
}

/** The tell-apart answer as JSON (snake_case). */
export function tellApartJson(t: TellApart) {
  return {
    needed: t.needed,
    note: t.note,
    rule: t.rule,
    before: t.before ? { recommended_range: spanJson(t.before.recommended), next_best_range: spanJson(t.before.nextBest), overlap_bpc: t.before.overlap } : null,
    pick: t.pick ? tellApartRowJson(t.pick) : null,
    pick_separates: t.pick ? t.separates : null,
    closest: t.closest ? tellApartRowJson(t.closest) : null,
    candidates: t.rows.map(tellApartRowJson),
  };
}

export function planToJson(r: PlanResult, context: PlanContext, t: TellApart) {
  return {
    gpu: r.gpu.id,
    gpus: r.gpus,
    budget: r.budget.kind === 'hours' ? { hours: r.budget.hours } : { flops: r.budget.flops },
    headroom: r.headroom,
    dataset: context.dataset,
    dataset_source: context.datasetSource,
    law: context.law,
    metric: context.metric,
    shape_rules: context.rules,
    batch_sizes: context.batchSizes,
    batch_size_note: context.batchSizeNote,
    recommended: candidateJson(r.recommended),
    next_best: r.nextBest ? candidateJson(r.nextBest) : null,
    gap_bpc: r.gap,
    ranges_overlap: r.overlap,
    tell_apart: tellApartJson(t),
    edge: r.edge,
    frontier: r.frontier.map(candidateJson),
    candidate_count: r.candidates.length,
    excluded: r.excluded.map((x) => ({ shape: x.label, batch_size: x.batchSize, reason: x.reason })),
    assumptions: r.assumptions,
  };
}

export function renderPlan(r: PlanResult, context: PlanContext, t: TellApart): string {
  const budget = r.budget.kind === 'hours' ? `${r.budget.hours} h` : `${r.budget.flops.toExponential(2)} FLOPs`;
  const lines: string[] = [];
  lines.push(bold(`Plan: ${r.gpus} × ${r.gpu.name} for ${budget}${context.dataset ? `, ${context.dataset}` : ''}`));
  if (context.datasetSource) lines.push(`dataset: ${context.dataset} (${context.datasetSource})`);
  lines.push(`memory: ${(100 * r.headroom).toFixed(0)}% of each GPU's usable memory kept free (--headroom ${r.headroom}); T×T column: "fits" across the estimator's bytes/element range, "≤ X B" where it fits only up to X bytes/element`);
  lines.push(`law: ${context.law}`);
  lines.push('shapes (BitLMv57 family rules, plus the seed configs and any --shape):');
  for (const rule of context.rules) lines.push(`  - ${rule}`);
  lines.push(`batch sizes: ${context.batchSizes.join(', ')}${context.batchSizeNote ? ` (${context.batchSizeNote})` : ''}`);
  lines.push(`${r.candidates.length} candidates fit and were predicted, ${r.excluded.length} excluded`);
  lines.push('');
  lines.push(`Frontier: the best predicted ${context.metric} per size (* recommended)`);
  const rows = r.frontier.map((c) => [
    c === r.recommended ? '*' : '',
    formatCount(c.params),
    c.label,
    c.batchSize,
    microAccumText(c.split),
    formatInteger(c.steps),
    formatCount(c.tokens),
    c.tokensPerParam.toFixed(1),
    formatBytes(c.memoryBytes),
    verdictCell(c.memoryVerdict),
    c.secondsPerStep.toPrecision(3),
    bpc(c.prediction.valBpc),
    spanText(c),
    extrapolationText(c),
  ]);
  lines.push(formatTable(['', 'params', 'shape', 'bs', 'micro × accum (per GPU)', 'steps', 'tokens', 'tok/param', 'memory', 'T×T', 's/step', context.metric, 'range', 'extrapolation'], rows));
  const c = r.recommended;
  lines.push('');
  lines.push(bold(`Recommended: ${c.label} (${formatCount(c.params)} parameters, ${formatInteger(c.params)})`));
  lines.push(`  batch ${c.batchSize}${r.gpus > 1 ? ` (${c.perGpuBatch} per GPU)` : ''}: micro-batch × accumulation ${microAccumText(c.split)}`);
  lines.push(`  ${formatInteger(c.steps)} steps, ${formatCount(c.tokens)} tokens, ${c.tokensPerParam.toFixed(1)} tokens per parameter`);
  lines.push(`  memory ${formatBytes(c.memoryBytes)} of ${formatBytes(c.limitBytes)} (${formatBytes(c.usableBytes)} usable less ${(100 * r.headroom).toFixed(0)}% headroom); over the T×T range ${c.memoryVerdict.range[0].toFixed(2)}–${c.memoryVerdict.range[1] === null ? '∞' : c.memoryVerdict.range[1].toFixed(2)} bytes/element it ${c.memoryVerdict.text}`);
  lines.push(`  ${c.secondsPerStep.toPrecision(3)} s/step; ${c.hours.toFixed(2)} h (${c.gpuHours.toFixed(1)} GPU-hours)`);
  const p = c.prediction;
  lines.push(`  predicted ${context.metric} ${bpc(p.valBpc)}${p.interval ? ` (${Math.round(p.interval.level * 100)}% interval ${bpc(p.interval.lo)}–${bpc(p.interval.hi)})` : ''}${p.range ? `, range over laws ${bpc(p.range.lo)}–${bpc(p.range.hi)}` : ''}`);
  lines.push(`  speed: ${c.speed}`);
  lines.push(`  method: ${p.method}`);
  if (c.extrapolation) lines.push(`  extrapolation: ${extrapolationText(c)} beyond the measured runs`);
  if (r.edge) lines.push(`  it is the ${r.edge} size that fits: the best may lie beyond the shapes searched (add one with --shape)`);
  if (r.nextBest && r.gap !== null) {
    const n = r.nextBest;
    lines.push('');
    lines.push(`Next best: ${n.label} (${formatCount(n.params)}) at bs ${n.batchSize}, ${formatInteger(n.steps)} steps: ${bpc(n.prediction.valBpc)} (+${r.gap.toFixed(3)} ${context.metric === 'val_bpc' ? 'BPC' : "in the law's loss unit"})`);
    lines.push(r.overlap ? '  their ranges overlap: the data cannot tell them apart' : '  their ranges do not overlap: the recommendation is better by more than the laws disagree');
    lines.push('');
    const [first, ...rest] = tellApartSentences(t, r.gpu.name);
    lines.push(first, ...rest.map((x) => `  ${x}`));
    if (t.rows.length) {
      lines.push(`  rule: ${t.rule}`);
      lines.push(
        formatTable(
          ['rank', 'run', 'params', 'steps', 'bs', 'GPU-hours', 'assumed', 'recommended after', 'next best after', 'overlap after', 'separates'],
          t.rows.map((x) => [
            x.rank,
            x.ranked.candidate.id,
            formatCount(x.ranked.params),
            formatInteger(x.ranked.candidate.steps),
            x.ranked.candidate.batchSize,
            x.ranked.gpuHours === null ? '-' : x.ranked.gpuHours.toFixed(1),
            bpc(x.ranked.predictedBpc),
            `${bpc(x.recommended.lo)}–${bpc(x.recommended.hi)}`,
            `${bpc(x.nextBest.lo)}–${bpc(x.nextBest.hi)}`,
            x.overlap.toFixed(3),
            x.separates ? 'yes' : 'no',
          ]),
        ).replace(/^/gm, '  '),
      );
    }
  }
  const tooBig = r.excluded.filter((x) => x.reason.startsWith('does not fit'));
  if (r.excluded.length) {
    lines.push('');
    lines.push(`Excluded: ${r.excluded.length} (${tooBig.length} ${tooBig.length === 1 ? "does" : "do"} not fit even at micro-batch 1${tooBig.length ? `: ${[...new Set(tooBig.map((x) => x.label))].join('; ')}` : ''})`);
    for (const x of r.excluded.filter((y) => !y.reason.startsWith('does not fit')).slice(0, 5)) lines.push(`  - ${x.label} bs ${x.batchSize}: ${x.reason}`);
  }
  lines.push('');
  lines.push('assumptions:');
  for (const a of r.assumptions) lines.push(`  - ${a}`);
  return lines.join('\n');
}

function parseBatchSizes(text: string): number[] {
  return [...new Set(text.split(',').map((t) => parseNumber(t.trim(), 'batch-size', BATCH_SIZE)))].sort((a, b) => a - b);
}

/** The report's headline dataset: the "recommended" block of the claims file bitscale ships (what `bitscale report` predicts for). */
export function headlineDataset(claimsFile = join(PACKAGE_ROOT, 'claims', 'seed-report.json')): { dataset: string; file: string } | null {
  if (!existsSync(claimsFile)) return null;
  const raw = JSON.parse(readTextFile(claimsFile)) as { recommended?: { dataset?: unknown } };
  const dataset = raw.recommended?.dataset;
  return typeof dataset === 'string' && dataset ? { dataset, file: relative(process.cwd(), claimsFile) || claimsFile } : null;
}

/** The dataset to plan for: --dataset, else the report's headline dataset, else the one with the most scaling runs (said in a warning). */
export function chooseDataset(scaling: readonly { dataset: string }[], asked: string | undefined, headline = headlineDataset()): { dataset: string; source: string } {
  if (asked) return { dataset: scaling[0].dataset, source: '--dataset' };
  const counts = new Map<string, number>();
  for (const r of scaling) counts.set(r.dataset, (counts.get(r.dataset) ?? 0) + 1);
  const own = headline && [...counts.keys()].find((d) => d.toLowerCase() === headline.dataset.toLowerCase());
  if (own) return { dataset: own, source: `the report's headline dataset, from ${headline!.file}; another with --dataset` };
  const most = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0][0];
  const source = `${headline ? `the report's headline dataset ${headline.dataset} has no scaling runs here, so ` : ''}the dataset with the most scaling runs (others: ${[...counts.keys()].filter((d) => d !== most).join(', ') || 'none'})`;
  warn(`no --dataset: planning for ${most}, ${source}`);
  return { dataset: most, source };
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
    .option('--json', 'print JSON only')
    .addHelpText('after', '\nExamples:\n  bitscale plan --gpu a100-40gb --hours 12 --dataset GLM-Reasoning\n  bitscale plan --gpu h100-80gb --gpus 8 --hours 24 --json\n  bitscale plan --gpu a100-40gb --flops 1e19 --law law.json')
    .action(async (opts: PlanCliOptions, cmd: Command) => {
      if ((opts.hours === undefined) === (opts.flops === undefined)) throw new BitscaleError('give one budget: --hours H or --flops C', { field: 'hours' });
      const { requireGpu } = await import('../estimate/hardware.js');
      const gpu = requireGpu(opts.gpu);
      const { planShapes, parseShape, describeFamilyRules, BITLM_V57_FAMILY } = await import('../plan/shapes.js');
      const { planTraining } = await import('../plan/plan.js');
      const { lawBatchSizes, measuredRanges, predictionRuns, runTablePredictor, savedLawPredictor, savedLawRanges } = await import('../plan/predictors.js');
      const { calibrateFromRuns } = await import('../estimate/calibrate.js');
      const { loadRunTable, scalingRuns, selectRuns } = await import('../runs/table.js');
      const shapes = planShapes(BITLM_V57_FAMILY, opts.seqLen, opts.shape.map((s) => parseShape(s, opts.seqLen)));
      const runsDir: string = cmd.optsWithGlobals().runs ?? 'runs';
      const runsGiven = cmd.getOptionValueSourceWithGlobals('runs') === 'cli';
      const haveRuns = runsGiven || existsSync(runsDir);
      const all = haveRuns ? loadRunTable(runsDir, { onWarning: warn }) : [];
      const calibration = calibrateFromRuns(all);
      let predict;
      let lawText: string;
      let dataset: string | null = null;
      let datasetSource: string | null = null;
      let measured = null;
      let batchSizes: number[];
      let bsNote: string | null = null;
      let suite: FitSuite | null = null;
      const mainRuns = scalingRuns(all).filter((r) => r.arch === 'bitlm-v57');
      if (opts.law) {
        const { readSavedLawFile } = await import('./law-file.js');
        const law = readSavedLawFile(opts.law);
        predict = savedLawPredictor(law);
        lawText = `${law.formula} saved to ${opts.law} (${law.provenance.file ?? 'a table'}, ${law.provenance.used} rows)`;
        // A saved law records no architecture or token unit: say what its D is here.
        warn(`${opts.law}: the law is applied to byte-level strict ±1 BitLMv57 shapes, with D = steps × batch × T bytes (one token is one byte); a law fitted on another tokenizer or on float models (as ${law.provenance.file ?? 'its table'} may be) predicts in its own loss unit and does not transfer`);
        measured = savedLawRanges(law);
        // A law from elsewhere says nothing about batches: use those the run table measured (memory and speed), else the seed's 256.
        const measuredBs = [...new Set(mainRuns.map((r) => r.batchSize))].sort((a, b) => a - b);
        batchSizes = opts.batchSize ? parseBatchSizes(opts.batchSize) : measuredBs.length ? measuredBs : [256];
      } else {
        if (!haveRuns) throw new BitscaleError(`no ${runsDir}/ folder here: give --runs DIR or --law FILE`, { file: runsDir });
        const scaling = scalingRuns(selectRuns(all, { dataset: opts.dataset, arch: 'bitlm-v57' }, runsDir));
        if (scaling.length === 0) throw new BitscaleError(`no scaling runs${opts.dataset ? ` with --dataset '${opts.dataset}'` : ''} under ${runsDir}`, { file: runsDir, field: opts.dataset ? 'dataset' : undefined });
        ({ dataset, source: datasetSource } = chooseDataset(scaling, opts.dataset));
        const own = scaling.filter((r) => r.dataset === dataset);
        const { fitRunTable } = await import('../fit/index.js');
        // The report's fits (its suite is every BitLMv57 scaling run, src/report/analysis.ts), for the runs this dataset's predictions read.
        suite = fitRunTable(predictionRuns(mainRuns, dataset!, opts.borrowGains === true));
        predict = runTablePredictor(suite, dataset!, opts.seqLen, { borrowGains: opts.borrowGains === true });
        lawText = `the run table's laws for ${dataset} (predictBpc: the saturating law in N at the nearest budget, moved along steps by the measured per-doubling gain), as the report uses`;
        measured = measuredRanges(own, dataset!);
        const measuredBs = [...new Set(own.map((r) => r.batchSize))].sort((a, b) => a - b);
        const withLaw = lawBatchSizes(suite, dataset!, opts.seqLen);
        batchSizes = opts.batchSize ? parseBatchSizes(opts.batchSize) : withLaw.length ? withLaw : measuredBs;
        const without = measuredBs.filter((b) => !withLaw.includes(b));
        if (!opts.batchSize && without.length && withLaw.length)
          bsNote = `bs ${without.join(', ')} (also measured) has no ${dataset} parameter law, and predictBpc has no batch-size correction: left out (add it with --batch-size ${measuredBs.join(',')})`;
      }
      const budget = opts.hours !== undefined ? { kind: 'hours' as const, hours: opts.hours } : { kind: 'flops' as const, flops: opts.flops! };
      const result = planTraining({ gpu, gpus: opts.gpus, budget, shapes, batchSizes, predict, calibration, measured, headroom: opts.headroom });
      for (const w of result.recommended.prediction.warnings) warn(w);
      if (result.recommended.memoryVerdict.kind !== 'fits') warn(`the recommended micro-batch ${result.recommended.memoryVerdict.text}: check the T×T storage of your implementation before the run`);
      const { tellApart } = await import('../plan/tell-apart.js');
      const { WhatIf } = await import('../plan/what-if.js');
      const whatIf = suite && dataset ? new WhatIf(mainRuns, suite, dataset, { borrowGains: opts.borrowGains === true }) : null;
      const apart = tellApart(result, whatIf, { runs: mainRuns, seqLen: opts.seqLen, calibration });
      const context = { dataset, datasetSource, law: lawText, rules: describeFamilyRules(BITLM_V57_FAMILY), batchSizes, batchSizeNote: bsNote, metric: opts.law ? 'loss' : 'val_bpc' };
      emit(opts, planToJson(result, context, apart), () => renderPlan(result, context, apart));
    });
}
