/**
 * Families compared, on the command line: `bitscale compare` (families from the run table),
 * `fit --csv … --family COL --reference F` (a table from elsewhere) and `predict --law FILE
 * --family F` (a saved families law). Parsing and rendering only; the math is in
 * src/fit/families.ts and the run selection in src/fit/family-runs.ts.
 */
import type { Command } from 'commander';
import { readTextFile } from '../util/files.js';
import { BitscaleError } from '../util/errors.js';
import { formatCount, formatParam, formatPercent, formatTable } from '../util/format.js';
import { LEVEL, numberOption, PARAM_COUNT, RESAMPLES, SEED, STEPS } from '../util/numbers.js';
import { loadRunTable } from '../runs/table.js';
import { writeFileAtomic } from '../util/atomic.js';
import { stableStringify } from '../util/json.js';
import type { Estimate, FamilyComparison } from '../fit/families.js';
import type { FamilyRunsComparison } from '../fit/family-runs.js';
import type { SavedFamilyLaw } from '../fit/saved.js';
import type { BootstrapOptions } from '../fit/resample.js';
import { emit, warn } from './output.js';

/** The seed report's recommended model (its "300M": d 2048, 16 layers, d_ff 1024), where `compare` gives m(N) and the gap by default. */
export const DEFAULT_TARGET = '369.6M';

/** "0.8120 (0.7500–0.8800)", or the value alone without an interval. */
function estimateText(e: Estimate, digits = 4): string {
  return `${formatParam(e.value, digits)}${e.lo !== null && e.hi !== null ? ` (${formatParam(e.lo, digits)} to ${formatParam(e.hi, digits)})` : ''}`;
}

/** The comparison as snake_case JSON (family names are keys as given, so no key conversion runs over them). */
export function familyComparisonJson(c: FamilyComparison) {
  const byFamily = <T>(fn: (f: FamilyComparison['contrasts'][number]) => T) => Object.fromEntries(c.contrasts.map((x) => [x.family, fn(x)]));
  const sep = c.separate;
  return {
    form: c.form,
    formula: c.shared.formula,
    reference: c.reference,
    families: c.families,
    runs: c.runs,
    level: c.level,
    params: c.shared.params,
    multipliers: c.shared.multipliers,
    separate: sep ? { formula: sep.formula, shared: sep.shared, scales: Object.fromEntries(Object.entries(sep.families).map(([f, v]) => [f, v.scale])) } : null,
    alphas: sep ? Object.fromEntries(Object.entries(sep.families).map(([f, v]) => [f, v.alpha])) : null,
    delta_alpha: sep ? byFamily((x) => x.deltaAlpha) : null,
    ceiling: sep ? byFamily((x) => (x.ceiling ? { verdict: x.ceiling.verdict, n_star: x.ceiling.nStar, beyond_largest: x.ceiling.beyondLargest, why: x.ceiling.why } : null)) : null,
    sizes: sep ? byFamily((x) => x.sizes.map((s) => ({ params: s.params, beyond_largest: s.beyondLargest, multiplier: s.multiplier, gap: s.gap }))) : null,
    fit: {
      shared: { objective: c.shared.objective, rmse: c.shared.rmse, log_rmse: c.shared.logRmse, converged: c.shared.converged, at_bound: c.shared.atBound },
      separate: sep ? { objective: sep.objective, rmse: sep.rmse, log_rmse: sep.logRmse, converged: sep.converged, at_bound: sep.atBound } : null,
    },
    ranges: c.ranges,
    bootstrap: c.bootstrap,
    warnings: c.warnings,
  };
}

/** The comparison for humans: the shared law and its multipliers, the exponents, and per family a table of m(N) and the gap. */
export function renderFamilyComparison(c: FamilyComparison, lossUnit = 'loss'): string {
  const pct = `${formatPercent(c.level, 0)} interval`;
  const ref = c.reference;
  const lines = [
    `families: ${c.families.map((f) => `${f}${f === ref ? ' (reference)' : ''}, ${c.runs[f]} runs`).join('; ')}`,
    '',
    `shared law with a multiplier: ${c.shared.formula}`,
    formatTable(['param', 'value', pct], Object.entries(c.shared.params).map(([k, e]) => [k, formatParam(e.value), e.lo === null ? '-' : `${formatParam(e.lo)}–${formatParam(e.hi!)}`])),
    ...Object.entries(c.shared.multipliers).map(([f, e]) => `m[${f}] = ${estimateText(e, 3)}: ${f} at N parameters matches ${ref} at m·N`),
  ];
  if (c.separate) {
    const sep = c.separate;
    lines.push('', `separate exponents: ${sep.formula}`);
    lines.push(formatTable(['family', 'alpha_f', pct, 'scale'], Object.entries(sep.families).map(([f, v]) => [f, formatParam(v.alpha.value), v.alpha.lo === null ? '-' : `${formatParam(v.alpha.lo)}–${formatParam(v.alpha.hi!)}`, formatParam(v.scale.value)])));
    lines.push(`shared: ${Object.entries(sep.shared).map(([k, e]) => `${k} ${estimateText(e)}`).join(', ')}`);
    for (const x of c.contrasts) {
      lines.push('', `${x.family} against ${ref}: Δα = ${estimateText(x.deltaAlpha!, 3)}`, `ceiling: ${x.ceiling!.why}`);
      lines.push(
        formatTable(
          ['N', 'm(N)', pct, `gap (${lossUnit})`, pct, 'note'],
          x.sizes.map((s) => [
            formatCount(s.params),
            formatParam(s.multiplier.value, 3),
            s.multiplier.lo === null ? '-' : `${formatParam(s.multiplier.lo, 3)}–${formatParam(s.multiplier.hi!, 3)}`,
            formatParam(s.gap.value, 4),
            s.gap.lo === null ? '-' : `${formatParam(s.gap.lo, 4)} to ${formatParam(s.gap.hi!, 4)}`,
            s.beyondLargest === null ? '' : `extrapolated ×${s.beyondLargest.toFixed(1)} beyond the largest run`,
          ]),
        ),
      );
    }
    lines.push('', 'm(N) and the gap come from the separate-exponent law; its floor and data term are shared, so neither depends on D (any matched D gives the same).');
  }
  const b = c.bootstrap;
  lines.push(`fit: shared law RMSE ${formatParam(c.shared.rmse)}${c.separate ? `, separate-exponent law RMSE ${formatParam(c.separate.rmse)}` : ''} (${lossUnit}); ${b ? `bootstrap ${b.used}/${b.requested} resamples within each family (seed ${b.seed})` : 'no bootstrap'}`);
  return lines.join('\n');
}

/** `fit --csv F --form chinchilla|saturating --family COL --reference F`: compare the table's families (and --save the shared law). */
export async function familyCsvCommand(opts: Record<string, any>, bootstrap: BootstrapOptions | false): Promise<void> {
  if (!opts.csv) throw new BitscaleError('--family COL compares the families of a table: give --csv FILE', { field: 'family' });
  if (opts.family === undefined || opts.reference === undefined) throw new BitscaleError('--family COL and --reference F go together (the column naming each row\'s family, and the family the others are measured against)', { field: opts.family === undefined ? 'family' : 'reference' });
  if (!opts.x || !opts.y) throw new BitscaleError('--csv needs --x COL and --y COL', { field: 'x' });
  if (opts.fix?.length) throw new BitscaleError('--fix does not apply with --family: the comparison fits every parameter', { field: 'fix' });
  const { parseCsvTable } = await import('../util/csv.js');
  const { fitFamilyColumns } = await import('../fit/columns.js');
  const { parseWhere } = await import('./fit.js');
  const text = readTextFile(opts.csv);
  const rows = parseCsvTable(text, opts.csv).rows.map((r) => r.record);
  const result = fitFamilyColumns(rows, { form: opts.form, x: opts.x, y: opts.y, d: opts.d, flops: opts.flops, family: opts.family, reference: opts.reference, separateExponents: opts.separateExponents === true, delta: opts.delta, where: parseWhere(opts.where), bootstrap, file: opts.csv });
  for (const w of result.comparison.warnings) warn(w);
  if (opts.save) {
    const { createHash } = await import('node:crypto');
    const { savedFamilyLawFromFit } = await import('../fit/saved.js');
    writeFileAtomic(opts.save, `${stableStringify(savedFamilyLawFromFit(result, createHash('sha256').update(text).digest('hex')))}\n`);
  }
  const { input } = result;
  emit(opts, { ...familyComparisonJson(result.comparison), input }, () => `${opts.csv}: ${input.used} of ${input.rows} rows\n${renderFamilyComparison(result.comparison)}${opts.save ? `\nsaved the shared law to ${opts.save}` : ''}`);
}

/** `predict --law FILE --family F --params N [--tokens D]` on a saved families law. */
export async function predictFromFamilyLaw(law: SavedFamilyLaw, opts: { law: string; params: number; tokens?: number; family?: string; json?: boolean }): Promise<void> {
  const { predictFamilyLaw } = await import('../fit/saved.js');
  const p = predictFamilyLaw(law, opts.family, opts.params, opts.tokens);
  for (const w of p.warnings) warn(w);
  const json = { law_file: opts.law, formula: law.formula, family: p.family, reference: law.reference, multiplier: p.multiplier, law_params: law.params, params: p.params, tokens: law.law === 'chinchilla' ? p.tokens : null, value: p.value, interval: p.interval, curve_interval: p.curveInterval, scatter: p.scatter, extrapolation: { params_factor: p.extrapolation.params, tokens_factor: p.extrapolation.tokens }, provenance: law.provenance, warnings: p.warnings };
  const range = (i: { lo: number; hi: number } | null) => (i ? `${i.lo.toFixed(4)}–${i.hi.toFixed(4)}` : '-');
  emit(opts, json, () =>
    [
      `predicted loss ${p.value.toFixed(4)} for ${p.family} at N = ${formatCount(p.params)}${law.law === 'chinchilla' ? `, D = ${formatCount(p.tokens)} tokens` : ''}${p.interval ? `  (${formatPercent(p.interval.level, 0)} prediction interval for a new run ${range(p.interval)})` : ''}`,
      ...(p.curveInterval ? [`the curve itself (bootstrap of the law): ${range(p.curveInterval)}`] : []),
      `m[${p.family}] = ${p.multiplier.toPrecision(4)} against ${law.reference}: the ${law.reference} law at ${formatCount(p.multiplier * p.params)} parameters`,
      `law: ${law.formula}`,
      `from: ${p.provenance}`,
    ].join('\n'),
  );
}

/** The comparison of run-table families for humans: which runs, any mismatch, then the comparison. */
export function renderFamilyRuns(r: FamilyRunsComparison): string {
  const head = r.families.map((f, i) => `${i === 0 ? 'reference ' : ''}${f.selector.text}: ${f.runIds.length} runs on ${f.dataset} (${f.lossUnit}), recipe ${f.recipe}${f.leftOut.length ? `; ${f.leftOut.length} left out (${f.leftOut.map((x) => `${x.id}: ${x.reason}`).join('; ')})` : ''}`);
  const mismatch = r.mismatches.map((m) => `MISMATCH (--allow-mismatch): ${m.family} differs from ${r.families[0].selector.text} in ${m.differs}; every number below mixes that difference into the family's effect`);
  // Across budgets the laws share one data term; families that learn at different rates per step are compared more cleanly at one.
  const hint = r.comparison.form === 'chinchilla' && r.sharedSteps.length ? [`every family ran ${r.sharedSteps.join(', ')} steps: --steps S compares them at one budget (tokens matched, no data term shared between families that may learn at different rates per step), as the report does`] : [];
  return [...head, ...mismatch, ...hint, '', renderFamilyComparison(r.comparison, r.families[0].lossUnit)].join('\n');
}

export function register(program: Command): void {
  program
    .command('compare')
    .description('compare model families on the run table: the effective-parameter multiplier m, the exponents and a ceiling N*, and the loss gap, with bootstrap intervals')
    .requiredOption('--families <list>', 'comma-separated families, the reference first: an arch (bitlm-v57) or an arch with its d_ff/d ratio (bitlm-v57:ff2)')
    .option('--dataset <name>', 'only runs on this dataset (default: each family\'s main fit group, on any dataset)')
    .option('--at <n>', `a size beyond the runs where m(N) and the gap are given (repeatable; default ${DEFAULT_TARGET}, the seed's recommended model)`, (v: string, prev: number[] | undefined) => [...(prev ?? []), numberOption('at', PARAM_COUNT)(v)], undefined as number[] | undefined)
    .option('--steps <n>', 'compare at one budget: each family\'s runs of this many steps, with the saturating law A + B/(m·N)^α (tokens matched exactly, no shared D term)', numberOption('steps', STEPS))
    .option('--allow-mismatch', 'compare families whose runs differ in dataset, units or recipe (the output says what differs)')
    .option('--bootstrap <n>', 'bootstrap resamples, within each family (default 1000)', numberOption('bootstrap', RESAMPLES))
    .option('--seed <n>', 'bootstrap seed (default 1)', numberOption('seed', SEED))
    .option('--level <p>', 'interval coverage, in (0, 1) (default 0.8)', numberOption('level', LEVEL))
    .option('--json', 'machine-readable JSON on stdout (snake_case keys; family names as given)')
    .addHelpText('after', '\nExamples:\n  bitscale compare --dataset brown --families bitlm-v57,float-v52\n  bitscale compare --dataset brown --families float-v52,bitlm-v57 --steps 560\n  bitscale compare --dataset brown --families bitlm-v57,bitlm-v57:ff2 --json')
    .action(async (opts, cmd: Command) => {
      const { compareFamilyRuns } = await import('../fit/family-runs.js');
      const runsDir: string = cmd.optsWithGlobals().runs;
      const runs = loadRunTable(runsDir, { onWarning: warn });
      const bootstrap: BootstrapOptions | false = opts.bootstrap === 0 ? false : { count: opts.bootstrap, seed: opts.seed, level: opts.level };
      const targets: number[] = opts.at ?? [numberOption('at', PARAM_COUNT)(DEFAULT_TARGET)];
      const r = compareFamilyRuns(runs, { dataset: opts.dataset, families: String(opts.families).split(',').filter((s) => s.trim() !== ''), allowMismatch: opts.allowMismatch === true, bootstrap, targets, steps: opts.steps });
      for (const m of r.mismatches) warn(`--allow-mismatch: ${m.family} differs from ${r.families[0].selector.text} in ${m.differs}`);
      for (const w of [...r.warnings, ...r.comparison.warnings]) warn(w);
      const json = {
        dataset: r.dataset,
        families: r.families.map((f) => ({ family: f.selector.text, arch: f.selector.arch, dff_ratio: f.selector.dffRatio, runs: f.runIds, dataset: f.dataset, loss_unit: f.lossUnit, token_unit: f.tokenUnit, recipe: f.recipe, left_out: f.leftOut })),
        mismatch: r.mismatches.length ? r.mismatches : null,
        warnings: r.warnings,
        shared_steps: r.sharedSteps,
        comparison: familyComparisonJson(r.comparison),
      };
      emit(opts, json, () => renderFamilyRuns(r));
    });
}
