/**
 * `bitscale fit` (every group of the run table → fits/*.json, or one law on a CSV from elsewhere)
 * and `bitscale predict` (val_bpc for an untrained model, with its interval and its sources).
 * Parsing and formatting only; the math is in src/fit.
 */
import { readTextFile } from '../util/files.js';
import { join } from 'node:path';
import type { Command } from 'commander';
import { byCodePoint, loadRunTable, notScalingRuns, scalingRuns, selectRuns } from '../runs/table.js';
import { BitscaleError } from '../util/errors.js';
import { assertDirectoryOwned, writeDirectoryAtomic, writeFileAtomic } from '../util/atomic.js';
import { stableStringify } from '../util/json.js';
import { formatCount, formatLearningRate, formatLoss, formatNumber, formatParam, formatParamInterval, formatPercent, formatRange, formatSigned, formatSignedPercent, formatTable, formatSteps } from '../util/format.js';
import { BATCH_SIZE, LEARNING_RATE, LEVEL, NON_NEGATIVE_INT, numberOption, PARAM_COUNT, parseNumber, POSITIVE_INT, POSITIVE_REAL, RESAMPLES, SEED, STEPS } from '../util/numbers.js';
import { snakeCaseKeys } from '../util/json.js';
import type { FitSuite } from '../fit/suite.js';
import type { Prediction } from '../fit/predict.js';
import type { RepetitionCost } from '../fit/repetition-cost.js';
import type { BootstrapOptions } from '../fit/resample.js';
import { determinationLabel, withoutSamples, type FitForm, type FitResult } from '../fit/types.js';
import { emit, warn } from './output.js';
import type { Coverage, GroupBacktest } from '../fit/backtest.js';
import type { DataConstrainedFit } from '../fit/data-constrained.js';
import type { GroupRepetitionBacktest } from '../fit/repetition-backtest.js';
import type { BatchLrAnalysis } from '../fit/batch-lr-runs.js';
import type { AnySavedLaw, SavedDataConstrainedLaw, SavedLawPrediction } from '../fit/saved.js';
import type { RunRecord } from '../runs/types.js';

/** "A=1.0" or "A=1,alpha=0.2" or "R_D_star=15" (repeatable) → {A: 1, alpha: 0.2}. */
export function parseFixes(values: string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const part of values.flatMap((v) => v.split(','))) {
    const m = /^\s*([A-Za-z][A-Za-z_]*)\s*=\s*(\S+)\s*$/.exec(part);
    if (!m) throw new BitscaleError(`'${part}' is not NAME=VALUE`, { field: 'fix' });
    out[m[1]] = parseNumber(m[2], `fix ${m[1]}`);
  }
  return out;
}

/** "steps=1000" (repeatable) → {steps: '1000'}; the column name may hold spaces ("Training FLOP=1e19"). */
export function parseWhere(values: string[]): Record<string, string> | undefined {
  if (values.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const v of values) {
    const at = v.lastIndexOf('=');
    if (at <= 0 || at === v.length - 1) throw new BitscaleError(`'${v}' is not COLUMN=VALUE`, { field: 'where' });
    out[v.slice(0, at).trim()] = v.slice(at + 1).trim();
  }
  return out;
}

function bootstrapFrom(opts: { bootstrap?: number; seed?: number; level?: number }): BootstrapOptions | false {
  if (opts.bootstrap === 0) return false;
  return { count: opts.bootstrap, seed: opts.seed, level: opts.level };
}

/** The bootstrap options fit and predict share, each parsed by the shared number parser. */
function bootstrapOptions(cmd: Command): Command {
  return cmd
    .option('--bootstrap <n>', 'bootstrap resamples (0: none; default 1000)', numberOption('bootstrap', RESAMPLES))
    .option('--seed <n>', 'bootstrap seed (default 1)', numberOption('seed', SEED))
    .option('--level <p>', 'interval coverage, in (0, 1) (default 0.8)', numberOption('level', LEVEL));
}

/** One fit as a parameter table plus its diagnostics, for humans (its warnings go to stderr, see `warn`). */
export function formatFit(fit: FitResult): string {
  const rows = fit.paramOrder.map((k) => [k, formatParam(fit.params[k]), k in fit.fixed ? 'fixed' : formatParamInterval(fit.intervals[k])]);
  // The data-constrained law's R* parameters the runs did not identify: named, never given a value.
  const notIdentified = (fit as Partial<DataConstrainedFit>).notIdentified ?? {};
  for (const [k, why] of Object.entries(notIdentified)) if (why) rows.push([k, k === 'R_N_star' ? '+∞ (held)' : 'not identified', 'not identified']);
  const level = fit.bootstrap ? `${formatPercent(fit.bootstrap.level, 0)} interval` : 'interval';
  const lines = [
    fit.formula,
    ...(typeof fit.diagnostics.formChoice === 'string' ? [`form: ${fit.diagnostics.formChoice}`] : []),
    formatTable(['param', 'value', level], rows),
    `n ${fit.n}, dof ${fit.dof} (${determinationLabel(fit)}), RMSE ${formatParam(fit.rmse)}, objective ${formatParam(fit.objective)}` +
      (fit.loo ? `, leave-one-out RMSE ${formatParam(fit.loo.rmse)} (max ${formatParam(fit.loo.maxAbs)})` : '') +
      (fit.bootstrap ? `, bootstrap ${fit.bootstrap.used}/${fit.bootstrap.requested} (seed ${fit.bootstrap.seed})` : ''),
  ];
  return lines.join('\n');
}

/** The suite as tables, one per form. */
export function formatSuite(s: FitSuite): string {
  const out: string[] = [];
  out.push('Step laws  L(S) = Linf + C·S^(−beta)  (per step family: dataset, params, bs, LR)');
  out.push(
    formatTable(
      ['dataset', 'arch', 'loss unit', 'params', 'bs', 'lr', 'steps → loss', 'Δ/doubling', 'Linf', 'beta', 'fit'],
      s.stepLaws.map((f) => [
        f.dataset,
        f.arch,
        f.lossUnit,
        formatCount(f.params),
        f.batchSize,
        f.lr.toExponential(),
        f.points.map((p) => `${formatSteps(p.steps)}:${formatLoss(p.valBpc)}`).join(' '),
        f.perDoubling.map((d) => formatSigned(d.perDoubling)).join(' '),
        f.fit ? formatNumber(f.fit.params.Linf, 3) : '-',
        f.fit ? formatNumber(f.fit.params.beta, 3) : '-',
        f.fit ? f.fit.determination : 'per-doubling only',
      ]),
    ),
  );
  out.push('', 'Parameter laws  L(N) = A + B/(N/1e6)^alpha  (per budget: dataset, bs, LR, steps)');
  out.push(
    formatTable(
      ['dataset', 'arch', 'loss unit', 'bs', 'steps', 'N → loss', 'Δ/decade', 'A=fixed: B', 'alpha', 'RMSE', 'A free: A', 'B', 'alpha'],
      s.paramBudgets.map((b) => [
        b.dataset,
        b.arch,
        b.lossUnit,
        b.batchSize ?? 'mixed',
        formatSteps(b.steps),
        b.points.map((p) => `${formatCount(p.params)}:${formatLoss(p.valBpc)}`).join(' '),
        b.slopes.map((d) => formatSigned(d.slope, 2)).join(' '),
        `${formatNumber(b.fixedA.params.B, 3)} ${formatParamInterval(b.fixedA.intervals.B)}`,
        `${formatNumber(b.fixedA.params.alpha, 3)} ${formatParamInterval(b.fixedA.intervals.alpha)}`,
        formatParam(b.fixedA.rmse),
        b.free ? formatNumber(b.free.params.A, 3) : '-',
        b.free ? formatNumber(b.free.params.B, 3) : '-',
        b.free ? `${formatNumber(b.free.params.alpha, 3)}${b.free.determination === 'exact' ? ' (exact)' : ''}${b.free.noExtrapolation ? ' (do not extrapolate)' : ''}` : '-',
      ]),
    ),
  );
  out.push('', 'Joint law  L(N, D) = E + A/N^alpha + B/D^beta');
  for (const j of s.joint) {
    const label = `${j.dataset} (${j.arch}, ${j.lossUnit}; recipe ${j.recipe})`;
    out.push(j.fit ? `${label}:\n${formatFit(j.fit)}${j.fit.noExtrapolation ? '\n(shown, not used to predict: see the warning)' : ''}` : `${label}: not fitted: ${j.note}`);
  }
  out.push('', 'Batch size / LR at a matched model');
  out.push(
    formatTable(
      ['dataset', 'params', 'from (bs/lr/steps)', 'to', 'Δ val loss', 'wall ratio', 'tokens ratio'],
      s.batchLr.map((c) => [
        c.dataset,
        formatCount(c.params),
        `${c.from.runId} ${c.from.batchSize}/${c.from.lr}/${formatSteps(c.from.steps)}`,
        `${c.to.runId} ${c.to.batchSize}/${c.to.lr}/${formatSteps(c.to.steps)}`,
        formatSigned(c.deltaBpc),
        c.wallClockRatio === null ? '-' : c.wallClockRatio.toFixed(2),
        c.tokensRatio.toFixed(2),
      ]),
    ),
  );
  out.push('', 'Dataset offsets at matched N, steps, bs, LR');
  out.push(
    formatTable(
      ['params', 'steps', 'bs', 'easier', 'harder', 'offset'],
      s.datasetOffsets.map((d) => [formatCount(d.params), formatSteps(d.steps), d.batchSize, `${d.from.dataset} ${formatLoss(d.from.valBpc)}`, `${d.to.dataset} ${formatLoss(d.to.valBpc)}`, formatSigned(d.offset)]),
    ),
  );
  if (s.sizeComparisons.length) {
    out.push('', 'Sizes compared across recipes (a measured difference, not a law)');
    out.push(formatTable(['dataset', 'steps', 'N → loss (run: recipe)', 'Δ/decade'], s.sizeComparisons.map((c) => [c.dataset, formatSteps(c.steps), c.points.map((p, i) => `${formatCount(p.params)}:${formatLoss(p.valBpc)} (${c.runIds[i]}: ${c.recipes[i]})`).join(' '), c.slopes.map((d) => formatSigned(d.slope, 2)).join(' ')])));
  }
  if (s.excluded.length) out.push('', 'Runs not in any law', formatTable(['run', 'reason'], s.excluded.map((e) => [e.id, e.reason])));
  return out.join('\n');
}

/**
 * The files `bitscale fit` writes, name → content: deterministic (sorted keys, no timestamps, no
 * bootstrap draws), so the same runs give byte-identical files.
 */
/** The fits folder holds only fit files (*.json at its top); it is replaced as a whole. */
export const FITS_OUTPUT = { allowed: (rel: string, isDir: boolean) => !isDir && /^[^/]+\.json$/.test(rel), describe: 'fit files (*.json)' };

export function suiteFiles(suite: FitSuite): Record<string, string> {
  const s = withoutSamples(suite);
  const snake = (v: unknown) => `${stableStringify(snakeCaseKeys(v))}\n`;
  const head = { formatVersion: s.formatVersion, runs: s.runs.map((r) => r.id), options: s.options };
  const files: Record<string, unknown> = {
    'index.json': { ...head, runs: s.runs, excluded: s.excluded, files: ['steps.json', 'params.json', 'joint.json', 'batch-lr.json', 'dataset-offsets.json'] },
    'steps.json': { ...head, stepLaws: s.stepLaws },
    'params.json': { ...head, paramBudgets: s.paramBudgets, sizeComparisons: s.sizeComparisons },
    'joint.json': { ...head, joint: s.joint },
    'batch-lr.json': { ...head, batchLr: s.batchLr },
    'dataset-offsets.json': { ...head, datasetOffsets: s.datasetOffsets },
  };
  return Object.fromEntries(Object.entries(files).map(([k, v]) => [k, snake(v)]));
}

async function readCsv(file: string): Promise<Record<string, string>[]> {
  const { parseCsvTable } = await import('../util/csv.js');
  return parseCsvTable(readTextFile(file), file).rows.map((r) => r.record);
}

function formatPrediction(p: Prediction, groupLabel: (key: string) => string): string {
  const lines = [
    `predicted val_bpc ${formatLoss(p.valBpc)} ${p.lossUnit}${p.interval ? `  (${formatPercent(p.interval.level, 0)} prediction interval for a new run ${formatRange(p.interval.lo, p.interval.hi)})` : '  (no interval)'}`,
    `for N = ${formatCount(p.query.params)}, ${formatSteps(p.query.steps)} steps, bs ${p.query.batchSize}, ${p.query.dataset}`,
    `method: ${p.method}`,
    ...p.borrowing.map((b) => `borrowed (--borrow-gains): the ${b.what}, over ${b.values} doubling(s), includes those of ${b.groups.map(groupLabel).join(', ')}`),
    ...p.alternatives.map((a) => `with ${a.law}: ${formatLoss(a.valBpc)}`),
    ...(p.range && p.alternatives.length ? [`range over laws (interval ∪ other laws): ${formatRange(p.range.lo, p.range.hi)}`] : []),
    ...(p.repetition ? repetitionLines(p.repetition, p.lossUnit) : []),
    ...(p.lr ? [`learning rate: ${p.lr.askedLr === null ? `for LR ${formatLearningRate(p.lr.expectedLr)}` : `LR ${formatLearningRate(p.lr.askedLr)} costs ${formatSigned(p.lr.penalty, 4)} against ${formatLearningRate(p.lr.expectedLr)}`} (lr_opt ∝ B^γ and the loss curvature of runs/${p.lr.evidence.collection}/, ${p.lr.evidence.source}), see assumptions`] : []),
    ...(p.batch ? [`batch size: bs ${p.batch.fromBatch} has no run at the law's budget; asked at bs ${p.batch.toBatch} and ${formatSteps(Math.round(p.batch.equivalentSteps))} equivalent steps (${formatSteps(Math.round(p.batch.stepsRange.lo))}–${formatSteps(Math.round(p.batch.stepsRange.hi))} over B_noise's interval; ${p.batch.bNoise.source}), see assumptions`] : []),
    'fits:',
    ...p.fits.map((f) => `  ${f}`),
    'assumptions:',
    ...p.assumptions.map((a) => `  ${a}`),
  ];
  return lines.join('\n');
}

/** A prediction's passes over its corpus and the cost of repeating it, for humans. */
function repetitionLines(r: RepetitionCost, lossUnit: string): string[] {
  const passes = `passes: ${r.passes.toFixed(2)} over ${formatCount(r.uniqueTokens)} unique tokens (from ${r.uniqueSource}); the law's budget made ${r.budgetPasses.toFixed(2)}`;
  if (r.cost === null) return [passes, `cost of repetition: unknown: ${r.note}`];
  if (r.passes <= 1) return [passes, `cost of repetition: none (${r.note})`];
  const iv = r.interval ? ` (${formatPercent(r.interval.level, 0)} interval ${formatRange(r.interval.lo, r.interval.hi, 4)}, over R_D_star's bootstrap interval)` : '';
  return [passes, `cost of repetition: ${formatSigned(r.cost, 4)} ${lossUnit}${iv}: with repeats valued by the data-constrained law, ${formatLoss(r.valBpc!)} (the law at ${formatSteps(Math.round(r.effectiveSteps!))} steps' worth of new tokens)`, `  ${r.note}`];
}

/** `predict --law FILE --params N --tokens D`: the saved law's value, bootstrap interval, provenance and extrapolation factors. */
async function predictFromLawFile(opts: { law: string; params: number; tokens?: number; uniqueTokens?: number; family?: string; json?: boolean }): Promise<void> {
  const { readAnySavedLawFile } = await import('./law-file.js');
  const { predictSavedLaw } = await import('../fit/saved.js');
  const law = readAnySavedLawFile(opts.law);
  if (law.form === 'families') return (await import('./compare.js')).predictFromFamilyLaw(law, opts);
  if (opts.family !== undefined) throw new BitscaleError(`--family needs a families law (fit --csv … --family COL --save); ${opts.law} holds a ${law.form} law`, { field: 'family' });
  if (opts.tokens === undefined) throw new BitscaleError('--law FILE needs --tokens D (training tokens, e.g. 4T)', { field: 'tokens' });
  if (law.form === 'data-constrained') return predictFromDataConstrainedLaw(law, { ...opts, tokens: opts.tokens });
  if (opts.uniqueTokens !== undefined) throw new BitscaleError(`--unique-tokens needs a data-constrained law; ${opts.law} holds a ${law.form} law, which treats every token as unique`, { field: 'unique-tokens' });
  const p = predictSavedLaw(law, opts.params, opts.tokens);
  for (const w of p.warnings) warn(w);
  const json = { ...savedPredictionJson(opts.law, law, p), extrapolation: { params_factor: p.extrapolation.params, tokens_factor: p.extrapolation.tokens } };
  emit(opts, json, () =>
    [
      ...savedPredictionHead(p),
      `for N = ${formatCount(p.params)}, D = ${formatCount(p.tokens)} tokens`,
      `law: ${law.formula}; E ${law.params.E.toPrecision(4)}, A ${law.params.A.toPrecision(4)}, B ${law.params.B.toPrecision(4)}, alpha ${law.params.alpha.toPrecision(4)}, beta ${law.params.beta.toPrecision(4)}`,
      `from: ${p.provenance}`,
      `fitted on N ${formatCount(law.ranges.params.min)}–${formatCount(law.ranges.params.max)}, D ${formatCount(law.ranges.tokens.min)}–${formatCount(law.ranges.tokens.max)}`,
      `extrapolation: ${p.extrapolation.params === null && p.extrapolation.tokens === null ? 'none, inside the fitted ranges' : [p.extrapolation.params !== null ? `N ×${p.extrapolation.params.toFixed(1)}` : '', p.extrapolation.tokens !== null ? `D ×${p.extrapolation.tokens.toFixed(1)}` : ''].filter(Boolean).join(', ')}`,
    ].join('\n'),
  );
}

/** What predict --law --json prints for a law of either form. */
function savedPredictionJson(file: string, law: AnySavedLaw, p: SavedLawPrediction) {
  return { law_file: file, formula: law.formula, law_params: law.params, params: p.params, tokens: p.tokens, value: p.value, interval: p.interval, curve_interval: p.curveInterval, scatter: p.scatter, fitted_ranges: law.ranges, provenance: law.provenance, warnings: p.warnings };
}

/** The first lines predict --law prints: the value with its prediction interval, and the curve's own interval. */
function savedPredictionHead(p: SavedLawPrediction): string[] {
  return [
    `predicted loss ${formatLoss(p.value, 4)}${p.interval ? `  (${formatPercent(p.interval.level, 0)} prediction interval for a new run ${formatRange(p.interval.lo, p.interval.hi, 4)})` : '  (no interval)'}`,
    ...(p.curveInterval ? [`the curve itself (bootstrap of the law, no run-to-run scatter): ${formatRange(p.curveInterval.lo, p.curveInterval.hi, 4)}${p.scatter ? `; scatter σ = ${p.scatter.toFixed(4)} in ln(loss)` : ''}`] : []),
  ];
}

/** `predict --law FILE --params N --tokens D --unique-tokens U` on a data-constrained law: the value, its intervals, passes, D', N' and the cost of repetition. */
async function predictFromDataConstrainedLaw(law: SavedDataConstrainedLaw, opts: { law: string; params: number; tokens: number; uniqueTokens?: number; json?: boolean }): Promise<void> {
  if (opts.uniqueTokens === undefined) throw new BitscaleError(`${opts.law} holds a data-constrained law: give --unique-tokens U (the corpus size in tokens, e.g. 387M)`, { field: 'unique-tokens' });
  const { predictDataConstrainedLaw } = await import('../fit/saved.js');
  const p = predictDataConstrainedLaw(law, opts.params, opts.tokens, opts.uniqueTokens);
  for (const w of p.warnings) warn(w);
  const json = {
    ...savedPredictionJson(opts.law, law, p),
    not_identified: law.not_identified,
    unique_tokens: p.uniqueTokens,
    passes: p.passes,
    effective_tokens: p.effectiveTokens,
    effective_params: p.effectiveParams,
    optimal_params: p.optimalParams,
    unique_data_value: p.uniqueDataValue,
    repetition_cost: p.repetitionCost,
    repetition_cost_interval: p.repetitionCostInterval,
    extrapolation: { params_factor: p.extrapolation.params, tokens_factor: p.extrapolation.tokens, unique_tokens_factor: p.extrapolation.uniqueTokens, passes_factor: p.extrapolation.passes },
  };
  const lp = law.params;
  const r = (v: number | null) => (v === null ? '-' : v.toPrecision(4));
  emit(opts, json, () =>
    [
      ...savedPredictionHead(p),
      `for N = ${formatCount(p.params)}, D = ${formatCount(p.tokens)} tokens over U = ${formatCount(p.uniqueTokens)} unique tokens: ${p.passes.toFixed(2)} passes; effective D' = ${formatCount(p.effectiveTokens)}${p.optimalParams === null ? '' : `, effective N' = ${formatCount(p.effectiveParams)} (N_opt(U) = ${formatCount(p.optimalParams)})`}`,
      `cost of repetition${p.optimalParams === null ? '' : ' (repeated tokens, and parameters beyond N_opt(U))'}: ${formatSigned(p.repetitionCost, 4)} over the same law with every token unique (${formatLoss(p.uniqueDataValue, 4)})${p.repetitionCostInterval ? `, bootstrap ${formatPercent(p.repetitionCostInterval.level, 0)} interval ${formatRange(p.repetitionCostInterval.lo, p.repetitionCostInterval.hi, 4)}` : ''}`,
      `law: E ${r(lp.E)}, A ${r(lp.A)}, B ${r(lp.B)}, alpha ${r(lp.alpha)}, beta ${r(lp.beta)}, R_D_star ${lp.R_D_star === null ? 'not identified' : r(lp.R_D_star)}, R_N_star ${lp.R_N_star === null ? '+∞ (not identified)' : r(lp.R_N_star)}`,
      `from: ${p.provenance}`,
      `fitted on N ${formatCount(law.ranges.params.min)}–${formatCount(law.ranges.params.max)}, D ${formatCount(law.ranges.tokens.min)}–${formatCount(law.ranges.tokens.max)}, U ${formatCount(law.ranges.unique_tokens.min)}–${formatCount(law.ranges.unique_tokens.max)}, ${law.ranges.passes.min.toPrecision(3)}–${law.ranges.passes.max.toPrecision(3)} passes`,
    ].join('\n'),
  );
}

const heldText = (v: boolean | null) => (v === null ? '-' : v ? 'yes' : 'no');

/** One group's backtest as a table and its summary, for humans. */
export function formatBacktest(g: GroupBacktest, groupLabel: (key: string) => string): string {
  const b = g.backtest!;
  const level = formatPercent(b.interval.level, 0);
  const sizes = b.fitted.sizes;
  const j = b.joint;
  return [
    `Backtest: predicting the largest size of ${groupLabel(g.group)}, recipe ${g.recipe}`,
    `held out: N = ${formatCount(b.heldOut.params)} (${b.heldOut.runIds.length} runs); fitted on ${sizes.length} sizes ${formatCount(sizes[0])}–${formatCount(sizes[sizes.length - 1])} (${b.fitted.runIds.length} runs); extrapolation ${b.extrapolationFactor.toFixed(2)}× in N${b.tokensFactor > 1 ? `, up to ${b.tokensFactor.toFixed(2)}× in D` : ''}`,
    `joint law on the smaller sizes: E ${formatParam(j.params.E)}, A ${formatParam(j.params.A)}, B ${formatParam(j.params.B)}, alpha ${formatParam(j.params.alpha)}, beta ${formatParam(j.params.beta)} (${determinationLabel(j)}, n ${j.n}, dof ${j.dof}, RMSE ${formatParam(j.rmse)} ${g.lossUnit})`,
    ...(typeof j.diagnostics.formChoice === 'string' ? [`form: ${j.diagnostics.formChoice}`] : []),
    formatTable(
      ['run', 'N', 'steps', 'tokens', 'measured', 'predicted', 'rel. error', `${level} interval`, 'held', 'size law', 'range over laws', 'held'],
      b.points.map((p) => [
        p.runId,
        formatCount(p.params),
        formatSteps(p.steps),
        formatCount(p.tokens),
        formatLoss(p.measured, 4),
        formatLoss(p.predicted, 4),
        formatSignedPercent(p.relativeError, 2),
        p.interval ? `${formatRange(p.interval.lo, p.interval.hi, 4)}` : '-',
        heldText(p.intervalHolds),
        p.sizeLaw === null ? '-' : formatLoss(p.sizeLaw, 4),
        p.range ? formatRange(p.range.lo, p.range.hi, 4) : '-',
        heldText(p.rangeHolds),
      ]),
    ),
    `mean |relative error| ${formatPercent(b.summary.meanAbsRelativeError, 2)} (max ${formatPercent(b.summary.maxAbsRelativeError, 2)}); the ${level} interval held ${b.summary.intervalHeld} of ${b.summary.withInterval}; the range over laws held ${b.summary.rangeHeld} of ${b.summary.withRange}`,
    `interval: ${b.interval.method}; n − p = ${b.interval.dof}${b.interval.t === null ? '' : `, t = ${b.interval.t.toFixed(3)}, s = ${formatParam(b.interval.logScale!)} (log units)`}`,
    ...b.points.filter((p) => p.sizeLawNote).map((p) => `size law for ${p.runId}: ${p.sizeLawNote}`),
  ].join('\n');
}

/** One recipe's repetition backtest as a table and its summary, for humans. */
export function formatRepetitionBacktest(g: GroupRepetitionBacktest, groupLabel: (key: string) => string): string {
  const b = g.backtest;
  const title = `Repetition backtest: ${groupLabel(g.group)}, recipe ${g.recipe}: fitted on the runs with ≤ ${b.fitMaxPasses} passes, predicting those with ≥ ${b.heldMinPasses}`;
  if (b.refusal !== null) return `${title}
not backtested: ${b.refusal}`;
  const law = b.law!;
  const p = law.params;
  const rStar = law.intervals.R_D_star;
  const level = formatPercent(b.level, 0);
  return [
    title,
    `fitted: ${b.fitted.length} runs; data-constrained law E ${formatParam(p.E)}, A ${formatParam(p.A)}, B ${formatParam(p.B)}, alpha ${formatParam(p.alpha)}, beta ${formatParam(p.beta)}, R_D_star ${formatParam(p.R_D_star)} passes${rStar ? `, ${formatPercent(rStar.level, 0)} bootstrap interval ${rStar.hi >= b.rStarBound * 0.99 ? `${formatParam(rStar.lo)}–∞ (draws reach the search bound ${b.rStarBound})` : formatRange(rStar.lo, rStar.hi, 2)}` : ''} (${determinationLabel(law)}, n ${law.n}, dof ${law.dof}); R_N_star ${Number.isFinite(p.R_N_star) ? formatParam(p.R_N_star) : `+∞ (no excess-parameter decay${law.notIdentified.R_N_star === null ? ': fitting it did not lower the objective' : `: ${law.notIdentified.R_N_star}`})`}`,
    formatTable(
      ['run', 'N', 'tokens', 'U', 'passes', 'measured', 'predicted', 'rel. error', `${level} interval`, 'held', 'unique-data law', 'its error'],
      b.held.map((h) => [
        h.id,
        formatCount(h.params),
        formatCount(h.tokens),
        formatCount(h.uniqueTokens),
        h.passes.toFixed(1),
        formatLoss(h.observed, 4),
        formatLoss(h.predicted, 4),
        formatSignedPercent(h.error, 2),
        h.interval ? formatRange(h.interval.lo, h.interval.hi, 4) : '-',
        h.inside === null ? '-' : h.inside ? 'yes' : 'no',
        formatLoss(h.uniqueDataPredicted, 4),
        formatSignedPercent(h.uniqueDataError, 2),
      ]),
    ),
    `data-constrained law: mean |relative error| ${formatPercent(b.errors!.meanAbs, 2)} (max ${formatPercent(b.errors!.maxAbs, 2)}); the ${level} interval held ${b.coverage ? `${b.coverage.inside} of ${b.coverage.total}` : 'none (no interval)'}`,
    `unique-data law (every token counted as new, fitted on the same runs): mean |relative error| ${formatPercent(b.uniqueDataErrors!.meanAbs, 2)} (max ${formatPercent(b.uniqueDataErrors!.maxAbs, 2)})`,
    `interval: the law at each of ${law.samples?.length ?? 0} bootstrap draws times e^(σz), σ = ${b.scatter === null ? '-' : formatParam(b.scatter)} the residual standard error in ln(loss) (${g.lossUnit})`,
  ].join('\n');
}

/** `fit --csv F --form critical-batch --x BATCH --y STEPS --by SIZE`: S(B) per group and B_noise's trend (nothing written). */
async function criticalBatchCsvCommand(opts: { csv: string; x?: string; y?: string; by?: string; level?: number; json?: boolean }): Promise<void> {
  if (!opts.x || !opts.y || !opts.by) throw new BitscaleError('--form critical-batch needs --x BATCH_COL, --y STEPS_COL and --by COL', { field: !opts.x ? 'x' : !opts.y ? 'y' : 'by' });
  const { fitCriticalBatchColumns } = await import('../fit/columns.js');
  const t = fitCriticalBatchColumns(await readCsv(opts.csv), { x: opts.x, y: opts.y, by: opts.by, file: opts.csv, level: opts.level });
  for (const g of t.groups) if (g.refusal) warn(`${opts.by} = ${g.by}: not fitted: ${g.refusal}`);
  emit(opts, t, () =>
    [
      `${opts.csv}: S(B) = S_min·(1 + B_noise/B) per ${opts.by} (x = ${opts.x}, y = ${opts.y}); B_noise is the critical batch B_crit = E_min/S_min (McCandlish et al. 2018)`,
      formatTable(
        [opts.by!, 'runs', 'S_min', 'B_noise', `${formatPercent(t.groups[0].level, 0)} interval`],
        t.groups.map((g) => [String(g.by), g.n, g.S_min === null ? '-' : formatNumber(g.S_min, 4), g.B_noise === null ? '-' : formatNumber(g.B_noise, 4), g.B_noise === null ? '-' : `${formatNumber(g.lo!, 4)}–${g.hi === null ? '∞' : formatNumber(g.hi, 4)}`]),
      ),
      t.trend ? `trend: B_noise = ${formatNumber(t.trend.coefficient, 4)} · ${opts.by}^${formatNumber(t.trend.exponent, 4)}${t.trend.exponent_interval ? ` (exponent ${formatPercent(t.trend.exponent_interval.level, 0)} interval ${formatNumber(t.trend.exponent_interval.lo, 3)}–${formatNumber(t.trend.exponent_interval.hi, 3)})` : ''}` : 'trend: fewer than two groups fitted',
    ].join('\n'),
  );
}

/** `fit --batch-lr`: the batch/LR laws of each grid collection (src/fit/batch-lr-runs.ts). */
async function batchLrCommand(runs: RunRecord[], opts: { collection?: string; level?: number; json?: boolean }): Promise<void> {
  const { analyseBatchLr } = await import('../fit/batch-lr-runs.js');
  const collections = opts.collection ? [opts.collection] : [...new Set(runs.filter((r) => r.purpose === 'batch-lr').map((r) => r.collection))].sort();
  if (collections.length === 0) throw new BitscaleError('no runs of purpose batch-lr: name a grid collection with --collection (e.g. sweeps/brown-batch-lr.json trains one)', { field: 'batch-lr' });
  const analyses = collections.map((c) => analyseBatchLr(runs, c, opts.level));
  emit(opts, snakeCaseKeys({ analyses }), () => analyses.map(formatBatchLr).join('\n\n'));
}

function formatBatchLr(a: BatchLrAnalysis): string {
  const lines = [`Batch size and learning rate: ${a.collection} (${a.lossUnit})`];
  const rates = [...new Set(a.lr.flatMap((p) => p.rates.map((r) => r.lr)))].sort((x, y) => x - y);
  lines.push(
    formatTable(
      ['N', 'tokens', 'batch', ...rates.map((lr) => `lr ${lr}`), 'lr_opt'],
      a.lr.map((p) => [formatCount(p.params), formatCount(p.tokens), p.batch, ...rates.map((lr) => { const r = p.rates.find((x) => x.lr === lr); return r ? formatLoss(r.loss) : '-'; }), p.optimum === null ? '-' : p.optimum.atEdge ? `${p.optimum.atEdge === 'low' ? '≤' : '≥'} ${p.optimum.lrOpt} (edge)` : formatNumber(p.optimum.lrOpt, 3)]),
    ),
  );
  const law = a.lrLaw;
  lines.push(law ? `lr_opt ∝ B^γ: γ = ${formatNumber(law.gamma, 3)}${law.interval ? `, ${formatPercent(law.interval.level, 0)} interval ${formatNumber(law.interval.lo, 3)}–${formatNumber(law.interval.hi, 3)}; the √ rule (γ = 0.5) is ${law.sqrtInside ? 'inside' : 'outside'} it` : ' (no interval: no residual degree of freedom)'} (${law.n} optima with the best rate inside the grid, one intercept per size and budget)` : 'lr_opt ∝ B^γ: not fitted (no size and budget has two batch sizes whose best rate lies inside the grid)');
  for (const sz of a.sizes) {
    lines.push('', `critical batch at N = ${formatCount(sz.params)}: S(B) = S_min(1 + B_noise/B) for the fewest steps each batch size took to a target loss (over its rates and budgets)`);
    lines.push(
      formatTable(
        ['target', 'steps per batch', 'S_min', 'B_noise', 'interval'],
        sz.targets.map((t) => [formatLoss(t.target), t.points.map((p) => `${p.batch}: ${Math.round(p.steps)}`).join(', ') || '-', t.fit.refusal ? '-' : formatNumber(t.fit.sMin, 3), t.fit.refusal ? `not fitted: ${t.fit.refusal}` : formatNumber(t.fit.bNoise, 3), t.fit.interval ? `${formatNumber(t.fit.interval.lo, 3)}–${Number.isFinite(t.fit.interval.hi) ? formatNumber(t.fit.interval.hi, 3) : '∞'}` : '-']),
      ),
    );
    lines.push(sz.trend ? `B_noise ∝ L^k: k = ${formatNumber(sz.trend.exponent, 3)}${sz.trend.exponentInterval ? ` (${formatPercent(sz.trend.exponentInterval.level, 0)} interval ${formatNumber(sz.trend.exponentInterval.lo, 3)}–${formatNumber(sz.trend.exponentInterval.hi, 3)})` : ''} over ${sz.trend.n} targets` : 'B_noise ∝ L^k: fewer than two targets fitted');
  }
  return lines.join('\n');
}

/** `fit --backtest-repetition`: each recipe with heavily repeated runs backtested (nothing written). */
async function repetitionBacktestCommand(runs: RunRecord[], opts: { bootstrap?: number; seed?: number; level?: number; json?: boolean }): Promise<void> {
  const { backtestRepetitionGroups } = await import('../fit/repetition-backtest.js');
  const { groupLabel } = await import('../fit/predict.js');
  const groups = backtestRepetitionGroups(runs, { bootstrap: { count: opts.bootstrap, seed: opts.seed, level: opts.level } });
  if (groups.length === 0) throw new BitscaleError('no recipe has a completed run of known corpus size with 16 or more passes over it: nothing to backtest (train one with train_subset, e.g. sweeps/brown-repetition.json)', { field: 'backtest-repetition' });
  const json = () =>
    snakeCaseKeys({
      backtests: groups.map((g) => {
        const b = g.backtest;
        return { group: g.group, recipe: g.recipe, lossUnit: g.lossUnit, fitMaxPasses: b.fitMaxPasses, heldMinPasses: b.heldMinPasses, level: b.level, refusal: b.refusal, fitted: b.fitted, params: b.law?.params ?? null, intervals: b.law?.intervals ?? null, scatter: b.scatter, held: b.held, errors: b.errors, uniqueDataErrors: b.uniqueDataErrors, coverage: b.coverage };
      }),
    });
  emit(opts, json(), () => groups.map((g) => formatRepetitionBacktest(g, groupLabel)).join('\n\n'));
  if (groups.every((g) => g.backtest.refusal !== null)) process.exitCode = 1;
}

/** The JSON form of one group's backtest (camelCase here; snake_case on output). */
function backtestJson(g: GroupBacktest) {
  const b = g.backtest!;
  const j = b.joint;
  return {
    group: g.group,
    recipe: g.recipe,
    mainRecipe: g.mainRecipe,
    dataset: g.dataset,
    arch: g.arch,
    lossUnit: g.lossUnit,
    heldOut: b.heldOut,
    fitted: b.fitted,
    extrapolationFactor: b.extrapolationFactor,
    tokensFactor: b.tokensFactor,
    joint: { formula: j.formula, formChoice: j.diagnostics.formChoice ?? null, params: j.params, determination: j.determination, n: j.n, dof: j.dof, rmse: j.rmse, noExtrapolation: j.noExtrapolation, warnings: j.warnings },
    sizeLaws: b.sizeLaws.map((l) => ({ steps: l.steps, batchSize: l.batchSize, seqLen: l.seqLen, tokens: l.tokens, sizes: l.sizes, runIds: l.runIds, formula: l.fit.formula, params: l.fit.params, determination: l.fit.determination, notUsed: l.notUsed })),
    points: b.points,
    summary: b.summary,
    interval: b.interval,
    warnings: b.warnings,
  };
}

/** A leave-one-size-out coverage as a table and its summary, for humans. */
export function formatCoverage(title: string, c: Coverage, lossUnit: string): string {
  const level = formatPercent(c.level, 0);
  return [
    title,
    formatTable(
      ['held-out N', 'run', 'tokens', 'measured', 'predicted', 'rel. error', `${level} interval`, 'held'],
      c.points.map((p) => [formatCount(p.params), p.runId, formatCount(p.tokens), formatLoss(p.measured, 4), formatLoss(p.predicted, 4), formatSignedPercent((p.predicted - p.measured) / p.measured, 2), p.interval ? `${formatRange(p.interval.lo, p.interval.hi, 4)}` : '-', heldText(p.holds)]),
    ),
    `coverage of the ${level} prediction interval by leave-one-size-out: ${c.held} of ${c.withInterval} held-out runs (${formatPercent(c.coverage, 0)}) over ${c.sizes.length} sizes; mean |relative error| ${formatPercent(c.meanAbsRelativeError, 2)} (${lossUnit})`,
    ...c.skipped.map((k) => `size ${formatCount(k.params)} not held out: ${k.reason}`),
  ].join('\n');
}

function coverageJson(c: Coverage) {
  return { level: c.level, sizes: c.sizes, held: c.held, withInterval: c.withInterval, coverage: c.coverage, meanAbsRelativeError: c.meanAbsRelativeError, points: c.points, skipped: c.skipped, method: c.method };
}

/** `fit --coverage`: each analysis group's leave-one-size-out coverage (nothing written). */
async function coverageCommand(runs: RunRecord[], opts: { level?: number; json?: boolean }): Promise<void> {
  const { leaveOneSizeOut, backtestRunOf } = await import('../fit/backtest.js');
  const { groupLabel } = await import('../fit/predict.js');
  const { analysisGroups } = await import('../runs/table.js');
  const done: { group: string; lossUnit: string; coverage: Coverage }[] = [];
  const refused: { group: string; reason: string }[] = [];
  for (const [group, rs] of analysisGroups(runs.filter((r) => r.status === 'completed'))) {
    try {
      done.push({ group, lossUnit: rs[0].lossUnit, coverage: leaveOneSizeOut(rs.map(backtestRunOf), { level: opts.level }) });
    } catch (err) {
      if (!(err instanceof BitscaleError)) throw err;
      refused.push({ group, reason: err.message });
    }
  }
  if (done.length === 0) throw new BitscaleError(`no analysis group has enough sizes for coverage: ${refused.map((g) => `${groupLabel(g.group)}: ${g.reason}`).join('; ') || 'no completed runs'}`);
  for (const g of refused) warn(`${groupLabel(g.group)}: no coverage: ${g.reason}`);
  emit(opts, snakeCaseKeys({ coverage: done.map((g) => ({ group: g.group, lossUnit: g.lossUnit, ...coverageJson(g.coverage) })), notCovered: refused }), () => done.map((g) => formatCoverage(`Coverage: ${groupLabel(g.group)}`, g.coverage, g.lossUnit)).join('\n\n'));
}

/**
 * `fit --backtest-largest`: each analysis group of the selected runs backtested (nothing written).
 * A group that cannot be (too few sizes) is a warning while another can; when none can, one line
 * per the shared error rule, exit 1.
 */
async function backtestCommand(runs: RunRecord[], opts: { bootstrap?: number; seed?: number; level?: number; json?: boolean }): Promise<void> {
  if (opts.bootstrap !== undefined || opts.seed !== undefined) throw new BitscaleError('--bootstrap and --seed do not apply to --backtest-largest: its prediction interval is computed, not resampled (--level sets its coverage)', { field: opts.bootstrap !== undefined ? 'bootstrap' : 'seed' });
  const { backtestGroups } = await import('../fit/backtest.js');
  const { groupLabel } = await import('../fit/predict.js');
  const groups = backtestGroups(runs, { level: opts.level });
  const done = groups.filter((g) => g.backtest);
  const refused = groups.filter((g) => !g.backtest);
  const label = (g: GroupBacktest) => `${groupLabel(g.group)}, recipe ${g.recipe}`;
  if (done.length === 0) throw new BitscaleError(`no fit group can be backtested: ${refused.map((g) => `${label(g)}: ${g.refusal}`).join('; ') || 'no completed runs'}`);
  for (const g of refused) warn(`${label(g)} is not backtested: ${g.refusal}`);
  for (const g of done) for (const w of g.backtest!.warnings) warn(`backtest of ${label(g)}: ${w}`);
  const coverageLine = (c: Coverage | null) => (c ? `coverage of the ${formatPercent(c.level, 0)} interval by leave-one-size-out (fit --coverage): ${c.held} of ${c.withInterval} held-out runs (${formatPercent(c.coverage, 0)}) over ${c.sizes.length} sizes` : 'coverage: too few sizes to hold each out in turn');
  emit(opts, snakeCaseKeys({ backtests: done.map((g) => ({ ...backtestJson(g), coverage: g.backtest!.coverage ? coverageJson(g.backtest!.coverage) : null })), notBacktested: refused.map((g) => ({ group: g.group, recipe: g.recipe, reason: g.refusal })) }), () => done.map((g) => `${formatBacktest(g, groupLabel)}\n${coverageLine(g.backtest!.coverage)}`).join('\n\n'));
}

export function register(program: Command): void {
  bootstrapOptions(
    program
      .command('fit')
      .description('fit the scaling laws to every group of the run table and write fits/*.json, or fit one law to a CSV (--csv)')
      .option('--csv <file>', 'fit a table from elsewhere instead of the run table')
      .option('--form <form>', 'with --csv: steps | saturating | chinchilla | data-constrained | critical-batch')
      .option('--x <col>', 'with --csv: x column (steps, or N)')
      .option('--y <col>', 'with --csv: y column (loss / val_bpc)')
      .option('--d <col>', 'with --csv --form chinchilla or data-constrained: tokens column D')
      .option('--by <col>', 'with --csv --form critical-batch: one fit per value of this column (e.g. model size); B_noise = c·by^k across them')
      .option('--unique <col>', 'with --csv --form data-constrained: unique-tokens column U (the corpus each run drew its D tokens from)')
      .option('--flops <col>', 'with --csv --form chinchilla: training FLOPs column C, D = C/(6N)')
      .option('--fix <name=value>', 'hold a parameter fixed, e.g. A=1.0 or R_N_star=5 (repeatable)', (v: string, prev: string[]) => [...prev, v], [] as string[])
      .option('--delta <δ>', 'Huber δ of the chinchilla form (given: used as is; default: the form is chosen by held-out sizes)', numberOption('delta', POSITIVE_REAL))
      .option('--no-select', 'with --form chinchilla: no form selection; the published default (E fitted, Huber δ = 1e-3)')
      .option('--x-unit <n>', 'with --form saturating: B is quoted for x in this unit (e.g. 1e6 or 1M)', numberOption('x-unit', POSITIVE_REAL))
      .option('--where <col=value>', 'with --csv: keep only the rows where the column has this value, e.g. steps=1000 (repeatable)', (v: string, prev: string[]) => [...prev, v], [] as string[])
      .option('--drop-highest <n>', 'with --csv: drop the n rows with the highest y first (Besiroglu et al. drop 5)', numberOption('drop-highest', NON_NEGATIVE_INT))
      .option('--family <col>', 'with --csv --form chinchilla or saturating: the column naming each row\'s model family; fits one shared law with a multiplier m_f on N per family (give --reference)')
      .option('--reference <family>', 'with --family: the family the others are measured against (m = 1)')
      .option('--separate-exponents', 'with --family: also fit an exponent alpha_f per family (delta alpha, the ceiling N*, m(N) and the gap per size)'),
  )
    .option('--out <dir>', 'where to write the run-table fits', 'fits')
    .option('--collection <name>', 'only runs in this folder of runs/ (seed, brown-ladder, …)')
    .option('--dataset <name>', 'only runs on this dataset')
    .option('--save <file>', 'with --csv --form chinchilla or data-constrained: save the law (parameters, bootstrap draws, fitted N/D ranges, provenance) for predict --law and plan --law')
    .option('--coverage', 'measure the coverage of the joint law\'s prediction interval by leave-one-size-out, per analysis group (or on --csv with --form chinchilla); writes nothing (--level sets the interval)')
    .option('--batch-lr', 'the batch-size and learning-rate laws on a grid of runs (--collection, default: every collection of purpose batch-lr runs): lr_opt per batch size, lr_opt ∝ B^γ, and the critical batch S(B) = S_min(1 + B_noise/B) at target losses; writes nothing')
    .option('--backtest-repetition', 'fit the data-constrained law on the runs with ≤ 4 passes over their corpus and predict those with ≥ 16, per recipe, beside the unique-data law; writes nothing (--bootstrap, --seed, --level set the interval)')
    .option('--backtest-largest', 'hold out the largest size of each analysis group, fit the laws on the smaller sizes and predict it; writes nothing (--level sets the prediction interval)')
    .option('--json', 'machine-readable JSON on stdout (snake_case keys)')
    .addHelpText(
      'after',
      '\nExamples:\n  bitscale fit\n  bitscale fit --backtest-largest --dataset brown\n  bitscale fit --csv data.csv --form saturating --x params --y val_bpc --fix A=1.0 --x-unit 1e6 --json\n  bitscale fit --csv test/fit/fixtures/chinchilla_besiroglu2024.csv --form chinchilla --x "Model Size" --flops "Training FLOP" --y loss --drop-highest 5\n  bitscale fit --csv test/fit/fixtures/families-synthetic.csv --form chinchilla --x params --d tokens --y loss --family family --reference float --separate-exponents --json',
    )
    .action(async (opts, cmd: Command) => {
      const { fitColumns, FORM_PARAMS } = await import('../fit/columns.js');
      const { fitRunTable } = await import('../fit/suite.js');
      const bootstrap = bootstrapFrom(opts);
      if (opts.family !== undefined || opts.reference !== undefined || opts.separateExponents) return (await import('./compare.js')).familyCsvCommand(opts, bootstrap);
      if (opts.save && !(opts.csv && (opts.form === 'chinchilla' || opts.form === 'data-constrained'))) throw new BitscaleError('--save keeps a law fitted with --csv FILE --form chinchilla or data-constrained', { field: 'save' });
      if (opts.csv && opts.form === 'critical-batch') return criticalBatchCsvCommand(opts);
      if (opts.by !== undefined) throw new BitscaleError('--by COL is for --csv FILE --form critical-batch', { field: 'by' });
      if (opts.csv) {
        const form = opts.form as FitForm;
        if (!form || !(form in FORM_PARAMS)) throw new BitscaleError(`--form must be steps, saturating, chinchilla, data-constrained or critical-batch`, { field: 'form' });
        if (opts.unique && form !== 'data-constrained') throw new BitscaleError('--unique COL is for --form data-constrained', { field: 'unique' });
        if (!opts.x || !opts.y) throw new BitscaleError('--csv needs --x COL and --y COL', { field: 'x' });
        const columnFit = fitColumns(await readCsv(opts.csv), {
          form,
          x: opts.x,
          y: opts.y,
          d: opts.d,
          unique: opts.unique,
          flops: opts.flops,
          fix: parseFixes(opts.fix),
          delta: opts.delta,
          select: opts.select,
          xUnit: opts.xUnit,
          dropHighestY: opts.dropHighest,
          where: parseWhere(opts.where),
          bootstrap,
          file: opts.csv,
        });
        const { input, fit } = columnFit;
        for (const w of fit.warnings) warn(w);
        if (opts.coverage) {
          if (form !== 'chinchilla') throw new BitscaleError('--coverage measures the joint law: use it with --form chinchilla', { field: 'coverage' });
          const { leaveOneSizeOut } = await import('../fit/backtest.js');
          const c = leaveOneSizeOut(columnFit.jointPoints!.map((q, i) => ({ id: `row ${i + 1}`, params: q.params, steps: 0, batchSize: 0, seqLen: 0, tokens: q.tokens, loss: q.loss })), { level: opts.level, delta: opts.delta });
          emit(opts, snakeCaseKeys({ file: opts.csv, ...coverageJson(c) }), () => formatCoverage(`Coverage: ${opts.csv} (${input.used} rows)`, c, 'loss'));
          return;
        }
        if (opts.save) {
          const { writeSavedLawFile } = await import('./law-file.js');
          writeSavedLawFile(opts.save, columnFit, readTextFile(opts.csv));
        }
        emit(opts, snakeCaseKeys(withoutSamples({ ...fit, input })), () => `${opts.csv}: ${input.used} of ${input.rows} rows${input.dropped ? ` (${input.dropped} highest-y dropped)` : ''}\n${formatFit(fit)}${opts.save ? `\nsaved the law to ${opts.save}` : ''}`);
        // A law that must not be extrapolated, or intervals withheld because they excluded their
        // own estimate: the numbers are shown (with the warning on stderr), but it is no success.
        if (fit.noExtrapolation || fit.bootstrap?.withheld) process.exitCode = 1;
        return;
      }
      const runsDir: string = cmd.optsWithGlobals().runs;
      const selected = selectRuns(loadRunTable(runsDir, { onWarning: warn }), { collection: opts.collection, dataset: opts.dataset }, runsDir);
      if (opts.backtestRepetition) return repetitionBacktestCommand(selected, opts);
      if (opts.batchLr) return batchLrCommand(selected, opts);
      const runs = scalingRuns(selected);
      if (runs.length === 0) throw new BitscaleError('the selected runs are all probes (purpose other than "scaling"): nothing to fit', { file: runsDir });
      if (opts.backtestLargest) return backtestCommand(runs, opts);
      if (opts.coverage) return coverageCommand(runs, opts);
      assertDirectoryOwned(opts.out, FITS_OUTPUT); // before the fitting, not after
      const fitted = fitRunTable(runs, { bootstrap });
      // Probes never reach the fits; they are listed with the runs the fits left out, and why.
      const suite = { ...fitted, excluded: [...fitted.excluded, ...notScalingRuns(selected)].sort((a, b) => byCodePoint(a.id, b.id)) };
      for (const j of suite.joint) for (const w of j.fit?.warnings ?? []) warn(`joint law on ${j.dataset}: ${w}`);
      const files = suiteFiles(suite);
      // The fit files change together or not at all, as the report and its charts do.
      await writeDirectoryAtomic(opts.out, (staging) => {
        for (const [name, text] of Object.entries(files)) writeFileAtomic(join(staging, name), text);
      }, FITS_OUTPUT);
      emit(opts, snakeCaseKeys(withoutSamples(suite)), () => `${formatSuite(suite)}\n\nwrote ${Object.keys(files).map((f) => join(opts.out, f)).join(', ')}`);
    });

  bootstrapOptions(
    program
      .command('predict')
      .description('predict val_bpc for a model not yet trained, with its interval and the fits it came from')
      .requiredOption('--params <n>', 'parameter count, e.g. 369.6M', numberOption('params', PARAM_COUNT))
      .option('--steps <n>', 'optimizer steps, e.g. 30000 or 30K (required without a law file)', numberOption('steps', STEPS))
      .option('--bs <n>', 'batch size (sequences per step) (required without a law file)', numberOption('bs', BATCH_SIZE))
      .option('--lr <x>', 'peak learning rate (default: the rate the law\'s budget stands for at this batch size, lr_opt ∝ B^γ from a batch/LR grid); another pays the grid\'s loss curvature', numberOption('lr', LEARNING_RATE))
      .option('--dataset <name>', 'dataset, e.g. GLM-Reasoning (required without a law file)')
      .option('--tokens <n>', 'with a law file: training tokens D, e.g. 4T', numberOption('tokens', PARAM_COUNT))
      .option('--unique-tokens <n>', 'unique tokens U of the corpus (passes = D/U), e.g. 387M: with the run table, for the cost of repetition (default: the dataset\'s runs\' size); with a data-constrained law file, required for repeated data', numberOption('unique-tokens', PARAM_COUNT))
      .option('--dataset-bytes <n>', 'the corpus size in bytes, for a byte-level dataset (= --unique-tokens), e.g. 387M', numberOption('dataset-bytes', PARAM_COUNT))
      .option('--seq-len <n>', 'context T; only budgets at this T are used', numberOption('seq-len', POSITIVE_INT))
      .option('--law <law>', 'auto | fixed-a | free: which saturating fit of the run table; or a law file saved by fit --save', 'auto')
      .option('--arch <name>', 'architecture, when the dataset has runs of more than one (default then: bitlm-v57)')
      .option('--borrow-gains', 'let the step gain come from other datasets of the same loss unit where this one has too few doublings (said in the output)')
      .option('--collection <name>', 'only runs in this folder of runs/')
      .option('--family <name>', 'with a families law file (fit --csv … --family COL --save): the family to predict'),
  )
    .option('--json', 'machine-readable JSON on stdout (snake_case keys)')
    .addHelpText('after', '\nExamples:\n  bitscale predict --params 369.6M --steps 30000 --batch-size 256 --dataset GLM-Reasoning\n  bitscale predict --law law.json --params 7B --tokens 4T\n  bitscale predict --law families.json --params 46M --tokens 1B --family bitlm-v52')
    .action(async (opts, cmd: Command) => {
      const { predictBpc, groupLabel } = await import('../fit/predict.js');
      const { corpusSizeFromOptions } = await import('../fit/repetition-cost.js');
      const law = ({ auto: 'auto', 'fixed-a': 'fixedA', free: 'free' } as const)[opts.law as 'auto' | 'fixed-a' | 'free'];
      if (!law) return predictFromLawFile(opts);
      for (const [k, flag] of [['steps', 'steps'], ['bs', 'batch-size'], ['dataset', 'dataset']] as const) if (opts[k] === undefined) throw new BitscaleError(`--${flag} is required (or give --law FILE with --params and --tokens)`, { field: flag });
      const selected = selectRuns(loadRunTable(cmd.optsWithGlobals().runs, { onWarning: warn }), { collection: opts.collection }, cmd.optsWithGlobals().runs);
      const p = predictBpc(scalingRuns(selected), { params: opts.params, steps: opts.steps, batchSize: opts.bs, dataset: opts.dataset, seqLen: opts.seqLen, arch: opts.arch, lr: opts.lr }, { law, fit: { bootstrap: bootstrapFrom(opts) }, borrowGains: opts.borrowGains === true, repetition: { runs: selected, corpus: corpusSizeFromOptions(opts) }, batch: { runs: selected } });
      for (const w of p.warnings) warn(w);
      emit(opts, snakeCaseKeys(p), () => formatPrediction(p, groupLabel));
    });
}
