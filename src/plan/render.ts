/**
 * The plan as `bitscale plan` prints it: JSON (snake_case keys) for --json, and the human text
 * (the frontier table, the recommendation, the next best and the run that would tell them apart).
 * Formatting only, through src/util/format.ts; styling (bold on a terminal) is the caller's.
 */
import type { ModelConfig } from '../arch/bitlm.js';
import { verdictJson } from '../estimate/estimate.js';
import { formatBytes, formatCount, formatInteger, formatLearningRate, formatLoss, formatPercent, formatRange, formatSigned, formatTable } from '../util/format.js';
import { snakeCaseKeys } from '../util/json.js';
import type { PlanAnswer } from './make-plan.js';
import { microAccumText, verdictCell, type PlanCandidate, type PlanResult } from './plan.js';
import { tellApartSentences } from './tell-apart-text.js';
import type { Span, TellApart, TellApartRow } from './tell-apart.js';

/** A candidate's predicted range, "1.402–1.431": the range over laws, else the interval, else "-". */
function spanText(c: PlanCandidate): string {
  const p = c.prediction;
  if (p.range) return `${formatLoss(p.range.lo)}–${formatLoss(p.range.hi)}`;
  if (p.interval) return `${formatLoss(p.interval.lo)}–${formatLoss(p.interval.hi)}`;
  return '-';
}

/** "N ×4.0, steps ×2.7" or "" inside the measured ranges. */
export function extrapolationText(c: PlanCandidate): string {
  const e = c.extrapolation;
  if (!e) return '';
  const parts = [e.params !== null ? `N ×${e.params.toFixed(1)}` : '', e.steps !== null ? `steps ×${e.steps.toFixed(1)}` : '', e.tokens !== null ? `D ×${e.tokens.toFixed(1)}` : ''].filter(Boolean);
  return parts.join(', ');
}

/** A shape as the run log's `config` spells it. */
const shapeJson = (c: ModelConfig) => ({ d: c.d, layers: c.layers, heads: c.heads, d_ff: c.dFf, seq_len: c.seqLen, vocab: c.vocab });
const spanJson = (s: Span) => ({ lo: s.lo, hi: s.hi });

function candidateJson(c: PlanCandidate) {
  return {
    shape: shapeJson(c.config),
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
    learning_rate: c.prediction.lr ? { lr: c.prediction.lr.expectedLr, lo: c.prediction.lr.expectedRange.lo, hi: c.prediction.lr.expectedRange.hi, from: `runs/${c.prediction.lr.evidence.collection}/`, source: c.prediction.lr.evidence.source } : null,
    warnings: c.prediction.warnings,
    extrapolation: c.extrapolation ? { params_factor: c.extrapolation.params, steps_factor: c.extrapolation.steps, tokens_factor: c.extrapolation.tokens } : null,
  };
}

function tellApartRowJson(r: TellApartRow) {
  const c = r.ranked.candidate;
  return {
    id: c.id,
    why: c.why,
    shape: shapeJson(c.config),
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

/**
 * The recommended shape at every batch size searched, ascending: the wall-clock trade the
 * critical-batch law implies (smaller batches take more, cheaper steps; each is worth
 * `equivalentSteps` at the law's own batch size).
 */
export function batchTrade(r: PlanResult): { batchSize: number; secondsPerStep: number; steps: number; tokens: number; equivalentSteps: number | null; lawBatch: number | null; valBpc: number; range: { lo: number; hi: number } | null }[] {
  return r.candidates
    .filter((c) => c.label === r.recommended.label)
    .sort((a, b) => a.batchSize - b.batchSize)
    .map((c) => ({ batchSize: c.batchSize, secondsPerStep: c.secondsPerStep, steps: c.steps, tokens: c.tokens, equivalentSteps: c.prediction.batch ? c.prediction.batch.equivalentSteps : null, lawBatch: c.prediction.batch ? c.prediction.batch.toBatch : null, valBpc: c.prediction.valBpc, range: c.prediction.range }));
}

/** `plan --json`. */
export function planToJson({ result: r, context, tellApart: t }: PlanAnswer) {
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
    repetition: snakeCaseKeys(context.repetition),
    batch_trade: snakeCaseKeys(batchTrade(r)),
  };
}

/** `plan`'s text; `bold` styles the headings (the CLI's bold on a terminal, identity elsewhere). */
export function renderPlan({ result: r, context, tellApart: t }: PlanAnswer, bold: (text: string) => string = (x) => x): string {
  const budget = r.budget.kind === 'hours' ? `${r.budget.hours} h` : `${r.budget.flops.toExponential(2)} FLOPs`;
  const headroom = formatPercent(r.headroom, 0);
  const lines: string[] = [];
  lines.push(bold(`Plan: ${r.gpus} × ${r.gpu.name} for ${budget}${context.dataset ? `, ${context.dataset}` : ''}`));
  if (context.datasetSource) lines.push(`dataset: ${context.dataset} (${context.datasetSource})`);
  lines.push(`memory: ${headroom} of each GPU's usable memory kept free (--headroom ${r.headroom}); T×T column: "fits" across the estimator's bytes/element range, "≤ X B" where it fits only up to X bytes/element`);
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
    formatLoss(c.prediction.valBpc),
    spanText(c),
    extrapolationText(c),
  ]);
  lines.push(formatTable(['', 'params', 'shape', 'bs', 'micro × accum (per GPU)', 'steps', 'tokens', 'tok/param', 'memory', 'T×T', 's/step', context.metric, 'range', 'extrapolation'], rows));
  const c = r.recommended;
  lines.push('');
  lines.push(bold(`Recommended: ${c.label} (${formatCount(c.params)} parameters, ${formatInteger(c.params)})`));
  lines.push(`  batch ${c.batchSize}${r.gpus > 1 ? ` (${c.perGpuBatch} per GPU)` : ''}: micro-batch × accumulation ${microAccumText(c.split)}`);
  lines.push(`  ${formatInteger(c.steps)} steps, ${formatCount(c.tokens)} tokens, ${c.tokensPerParam.toFixed(1)} tokens per parameter`);
  lines.push(`  memory ${formatBytes(c.memoryBytes)} of ${formatBytes(c.limitBytes)} (${formatBytes(c.usableBytes)} usable less ${headroom} headroom); over the T×T range ${c.memoryVerdict.range[0].toFixed(2)}–${c.memoryVerdict.range[1] === null ? '∞' : c.memoryVerdict.range[1].toFixed(2)} bytes/element it ${c.memoryVerdict.text}`);
  lines.push(`  ${c.secondsPerStep.toPrecision(3)} s/step; ${c.hours.toFixed(2)} h (${c.gpuHours.toFixed(1)} GPU-hours)`);
  const p = c.prediction;
  lines.push(`  predicted ${context.metric} ${formatLoss(p.valBpc)}${p.interval ? ` (${formatPercent(p.interval.level, 0)} interval ${formatLoss(p.interval.lo)}–${formatLoss(p.interval.hi)})` : ''}${p.range ? `, range over laws ${formatLoss(p.range.lo)}–${formatLoss(p.range.hi)}` : ''}`);
  if (p.lr) lines.push(`  learning rate: ${formatLearningRate(p.lr.expectedLr)}${p.lr.batch === p.lr.budgetBatch ? `, the law's budget's own` : ` (${formatLearningRate(p.lr.expectedRange.lo)}–${formatLearningRate(p.lr.expectedRange.hi)}): the law's budget's ${formatLearningRate(p.lr.budgetLr)} at bs ${p.lr.budgetBatch} moved by lr_opt ∝ B^γ, γ = ${p.lr.evidence.gamma.toFixed(3)} (runs/${p.lr.evidence.collection}/${p.lr.evidence.source === 'borrowed' ? ', borrowed' : ''})`}`);
  lines.push(`  speed: ${c.speed}`);
  lines.push(`  method: ${p.method}`);
  if (c.extrapolation) lines.push(`  extrapolation: ${extrapolationText(c)} beyond the measured runs`);
  const rep = context.repetition;
  if (rep) lines.push(`  passes: ${rep.passes.toFixed(2)} over ${formatCount(rep.uniqueTokens)} unique tokens (${rep.uniqueSource}); cost of repetition ${rep.cost === null ? `unknown (${rep.note})` : `${formatSigned(rep.cost, 4)}${rep.interval ? ` (${formatPercent(rep.interval.level, 0)} interval ${formatRange(rep.interval.lo, rep.interval.hi, 4)})` : ''}${rep.repeatsGain === null ? '' : `; the passes beyond the first gain ${formatLoss(rep.repeatsGain, 4)}`}`}`);
  if (r.edge) lines.push(`  it is the ${r.edge} size that fits: the best may lie beyond the shapes searched (add one with --shape)`);
  const trade = batchTrade(r);
  if (trade.length > 1) {
    lines.push('');
    lines.push(`Batch size for ${c.label}: the wall-clock trade (equivalent steps: what the steps are worth at the law's batch size, by S(B) = S_min(1 + B_noise/B))`);
    lines.push(formatTable(['bs', 's/step', 'steps', 'tokens', 'equivalent steps', context.metric, 'range'], trade.map((x) => [x.batchSize, x.secondsPerStep.toPrecision(3), formatInteger(x.steps), formatCount(x.tokens), x.equivalentSteps === null ? 'measured bs' : `${formatInteger(Math.round(x.equivalentSteps))} at bs ${x.lawBatch}`, formatLoss(x.valBpc), x.range ? `${formatLoss(x.range.lo)}–${formatLoss(x.range.hi)}` : '-'])).replace(/^/gm, '  '));
  }
  if (r.nextBest && r.gap !== null) {
    const n = r.nextBest;
    lines.push('');
    lines.push(`Next best: ${n.label} (${formatCount(n.params)}) at bs ${n.batchSize}, ${formatInteger(n.steps)} steps: ${formatLoss(n.prediction.valBpc)} (${formatSigned(r.gap)} ${context.metric === 'val_bpc' ? 'BPC' : "in the law's loss unit"})`);
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
            formatLoss(x.ranked.predictedBpc),
            `${formatLoss(x.recommended.lo)}–${formatLoss(x.recommended.hi)}`,
            `${formatLoss(x.nextBest.lo)}–${formatLoss(x.nextBest.hi)}`,
            formatLoss(x.overlap),
            x.separates ? 'yes' : 'no',
          ]),
        ).replace(/^/gm, '  '),
      );
    }
  }
  const tooBig = r.excluded.filter((x) => x.reason.startsWith('does not fit'));
  if (r.excluded.length) {
    lines.push('');
    lines.push(`Excluded: ${r.excluded.length} (${tooBig.length} ${tooBig.length === 1 ? 'does' : 'do'} not fit even at micro-batch 1${tooBig.length ? `: ${[...new Set(tooBig.map((x) => x.label))].join('; ')}` : ''})`);
    for (const x of r.excluded.filter((y) => !y.reason.startsWith('does not fit')).slice(0, 5)) lines.push(`  - ${x.label} bs ${x.batchSize}: ${x.reason}`);
  }
  lines.push('');
  lines.push('assumptions:');
  for (const a of r.assumptions) lines.push(`  - ${a}`);
  return lines.join('\n');
}
