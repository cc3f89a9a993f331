/**
 * `plan` as a library call: from a budget, the GPU, the run table (or a saved law) and the shape
 * rules to the planner's answer — which dataset and law predict, which batch sizes are searched,
 * the plan itself (planTraining) and the cheapest run that would tell its two best apart
 * (tellApart). The CLI only parses options, calls makePlan and prints (src/plan/render.ts).
 */
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import type { GpuSpec } from '../estimate/hardware.js';
import { calibrateFromRuns } from '../estimate/calibrate.js';
import { fitRunTable, type FitSuite } from '../fit/index.js';
import type { SavedLaw } from '../fit/saved.js';
import { loadRunTable, scalingRuns, selectRuns } from '../runs/table.js';
import { BitscaleError } from '../util/errors.js';
import { readTextFile } from '../util/files.js';
import { PACKAGE_ROOT } from '../version.js';
import { planTraining, type MeasuredRanges, type PlanBudget, type PlanCandidate, type PlanResult, type Predictor } from './plan.js';
import { measuredRanges, planBatchSizes, predictionRuns, runTableQuery, runTablePredictor, savedLawPredictor, savedLawRanges } from './predictors.js';
import { predictBpc, type PredictOptions } from '../fit/index.js';
import type { CorpusSize, RepetitionCost } from '../fit/repetition-cost.js';
import type { RunRecord } from '../runs/types.js';
import { formatCount, formatLoss, formatNumber, formatPercent } from '../util/format.js';
import { compareFamilyRuns, FAMILY_DATASET, sharedBudgets } from '../fit/family-runs.js';
import { BITLM_ARCHITECTURES, isBitLM } from '../arch/family.js';
import { BITLM_V57_FAMILY, describeFamilyRules, parseShape, planShapes } from './shapes.js';
import { tellApart, type TellApart } from './tell-apart.js';
import { WhatIf } from './what-if.js';
import { sortedDistinct } from '../fit/stats.js';

export interface PlanRequest {
  gpu: GpuSpec;
  gpus: number;
  budget: PlanBudget;
  /** The dataset whose laws predict (default: the report's headline dataset, else the one with the most scaling runs). */
  dataset?: string;
  seqLen: number;
  /** Extra shapes as `--shape` spells them: "d=1536,L=12,H=32,dff=768". */
  shapes: readonly string[];
  /** Batch sizes to search (default: those with a law for the dataset, else those measured). */
  batchSizes?: readonly number[];
  headroom: number;
  /** A saved chinchilla law (already read) in place of the run table's laws, with the file it came from. */
  law?: { file: string; law: SavedLaw } | null;
  borrowGains: boolean;
  /** The corpus size the user gave (--unique-tokens, --dataset-bytes); absent or null: the dataset's runs' size. */
  corpus?: CorpusSize | null;
  /** The run table's folder, and whether the user named it (a missing default folder is then not an error with --law). */
  runsDir: string;
  runsGiven: boolean;
  /** The architecture planned (default bitlm-v57); another is predicted by the bitlm-v57 laws at N_eff = m·N (familyMultiplier). */
  arch?: string;
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
  /** The recommended run's passes over the dataset and the cost of repeating it (the run table's laws only; null with a law file or an unknown size). */
  repetition: RepetitionCost | null;
}

/** The planner's answer: the plan, what it was made from, and the run that would tell its two best apart. */
export interface PlanAnswer {
  result: PlanResult;
  context: PlanContext;
  tellApart: TellApart;
}

/** The report's headline dataset: the "recommended" block of the claims file bitscale ships (what `bitscale report` predicts for). */
export function headlineDataset(claimsFile = join(PACKAGE_ROOT, 'claims', 'seed-report.json')): { dataset: string; file: string } | null {
  if (!existsSync(claimsFile)) return null;
  const raw = JSON.parse(readTextFile(claimsFile)) as { recommended?: { dataset?: unknown } };
  const dataset = raw.recommended?.dataset;
  return typeof dataset === 'string' && dataset ? { dataset, file: relative(process.cwd(), claimsFile) || claimsFile } : null;
}

/** The dataset to plan for: --dataset, else the report's headline dataset, else the one with the most scaling runs (said in a warning). */
export function chooseDataset(scaling: readonly { dataset: string }[], asked: string | undefined, headline = headlineDataset(), onWarning: (message: string) => void = () => {}): { dataset: string; source: string } {
  if (asked) return { dataset: scaling[0].dataset, source: '--dataset' };
  const counts = new Map<string, number>();
  for (const r of scaling) counts.set(r.dataset, (counts.get(r.dataset) ?? 0) + 1);
  const own = headline && [...counts.keys()].find((d) => d.toLowerCase() === headline.dataset.toLowerCase());
  if (own) return { dataset: own, source: `the report's headline dataset, from ${headline!.file}; another with --dataset` };
  const most = [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))[0][0];
  const source = `${headline ? `the report's headline dataset ${headline.dataset} has no scaling runs here, so ` : ''}the dataset with the most scaling runs (others: ${[...counts.keys()].filter((d) => d !== most).join(', ') || 'none'})`;
  onWarning(`no --dataset: planning for ${most}, ${source}`);
  return { dataset: most, source };
}

/** The law, the measured ranges and the batch sizes a plan uses, and the fits behind them (null for a saved law). */
interface PlanLaw {
  predict: Predictor;
  lawText: string;
  dataset: string | null;
  datasetSource: string | null;
  measured: MeasuredRanges | null;
  batchSizes: number[];
  batchSizeNote: string | null;
  suite: FitSuite | null;
  /** predictBpc's critical-batch option, when some run measures B_noise for the dataset. */
  batch?: PredictOptions['batch'];
}


/**
 * Plan the budget: the shapes (the BitLMv57 family, the seed configs and `shapes`), the law
 * (the run table's for the dataset, or the saved one), planTraining over them, and tellApart on
 * its answer. Warnings (runs skipped, the dataset chosen, extrapolations) go to `onWarning` in the
 * order they arise; bad input throws a BitscaleError naming the file or field.
 */
export async function makePlan(req: PlanRequest, onWarning: (message: string) => void): Promise<PlanAnswer> {
  const shapes = planShapes(BITLM_V57_FAMILY, req.seqLen, req.shapes.map((s) => parseShape(s, req.seqLen)));
  const haveRuns = req.runsGiven || existsSync(req.runsDir);
  const all = haveRuns ? loadRunTable(req.runsDir, { onWarning }) : [];
  const calibration = calibrateFromRuns(all);
  const mainRuns = scalingRuns(all).filter((r) => r.arch === 'bitlm-v57');
  let law: PlanLaw;
  if (req.law) {
    const { file, law: saved } = req.law;
    // A saved law records no architecture or token unit: say what its D is here.
    onWarning(`${file}: the law is applied to byte-level strict ±1 BitLMv57 shapes, with D = steps × batch × T bytes (one token is one byte); a law fitted on another tokenizer or on float models (as ${saved.provenance.file ?? 'its table'} may be) predicts in its own loss unit and does not transfer`);
    // A law from elsewhere says nothing about batches: use those the run table measured (memory and speed), else the seed's 256.
    const measuredBs = sortedDistinct(mainRuns.map((r) => r.batchSize));
    law = {
      predict: savedLawPredictor(saved),
      lawText: `${saved.formula} saved to ${file} (${saved.provenance.file ?? 'a table'}, ${saved.provenance.used} rows)`,
      dataset: null,
      datasetSource: null,
      measured: savedLawRanges(saved),
      batchSizes: req.batchSizes ? sortedDistinct(req.batchSizes) : measuredBs.length ? measuredBs : [256],
      batchSizeNote: null,
      suite: null,
    };
  } else {
    if (!haveRuns) throw new BitscaleError(`no ${req.runsDir}/ folder here: give --runs DIR or --law FILE`, { file: req.runsDir });
    const scaling = scalingRuns(selectRuns(all, { dataset: req.dataset, arch: 'bitlm-v57' }, req.runsDir));
    if (scaling.length === 0) throw new BitscaleError(`no scaling runs${req.dataset ? ` with --dataset '${req.dataset}'` : ''} under ${req.runsDir}`, { file: req.runsDir, field: req.dataset ? 'dataset' : undefined });
    const { dataset, source } = chooseDataset(scaling, req.dataset, headlineDataset(), onWarning);
    const own = scaling.filter((r) => r.dataset === dataset);
    // The report's fits (its suite is every BitLMv57 scaling run, src/report/analysis.ts), for the runs this dataset's predictions read.
    const suite = fitRunTable(predictionRuns(mainRuns, dataset, req.borrowGains));
    const { batchSizes, note, batch } = planBatchSizes(all, own, suite, dataset, req.seqLen);
    law = {
      predict: runTablePredictor(suite, dataset, req.seqLen, { borrowGains: req.borrowGains, batch }),
      lawText: `the run table's laws for ${dataset} (predictBpc: the saturating law in N at the nearest budget, moved along steps by the measured per-doubling gain), as the report uses`,
      dataset,
      datasetSource: source,
      measured: measuredRanges(own, dataset),
      batchSizes: req.batchSizes ? sortedDistinct(req.batchSizes) : batchSizes,
      batchSizeNote: req.batchSizes && !batch ? null : note,
      suite,
      batch,
    };
  }
  const arch = req.arch ?? MAIN_PLAN_ARCH;
  const multiplier = arch === MAIN_PLAN_ARCH ? null : familyMultiplier(all, arch);
  const predict = multiplier ? multipliedPredictor(law.predict, multiplier) : law.predict;
  const result = planTraining({ gpu: req.gpu, gpus: req.gpus, budget: req.budget, shapes, batchSizes: law.batchSizes, predict, calibration, measured: law.measured, headroom: req.headroom });
  if (multiplier) {
    result.assumptions.unshift(
      `arch ${arch}: predicted by the ${MAIN_PLAN_ARCH} laws at N_eff = m·N, m = ${formatNumber(multiplier.value, 3)} (${formatPercent(multiplier.level, 0)} interval ${formatNumber(multiplier.lo, 3)}–${formatNumber(multiplier.hi, 3)}), the shared-law multiplier of ${arch} against ${MAIN_PLAN_ARCH} measured on ${multiplier.from} — borrowed from another architecture's runs${law.dataset && law.dataset.toLowerCase() !== FAMILY_DATASET ? ` on another dataset than ${law.dataset}` : ''}, and assumed constant in N and in the budget; each candidate's range spans m's interval. Memory, speed and FLOPs use ${MAIN_PLAN_ARCH}'s step (the memory model has no per-architecture terms) and the ±1 matrix count as N`,
    );
    onWarning(`plan --arch ${arch}: the ${MAIN_PLAN_ARCH} laws at N_eff = m·N with m = ${formatNumber(multiplier.value, 3)} borrowed from ${multiplier.from}`);
  }
  for (const w of result.recommended.prediction.warnings) onWarning(w);
  const repetition = law.suite && law.dataset ? recommendedRepetition(multiplier ? { ...result.recommended, params: multiplier.value * result.recommended.params } : result.recommended, law.suite, law.dataset, all, req, onWarning, law.batch) : null;
  if (result.recommended.memoryVerdict.kind !== 'fits') onWarning(`the recommended micro-batch ${result.recommended.memoryVerdict.text}: check the T×T storage of your implementation before the run`);
  // The tell-apart refits add candidate runs of the planned arch to bitlm-v57's laws: only for bitlm-v57 itself.
  const whatIf = !multiplier && law.suite && law.dataset ? new WhatIf(mainRuns, law.suite, law.dataset, { borrowGains: req.borrowGains, batch: law.batch }) : null;
  const apart = tellApart(result, whatIf, { runs: mainRuns, seqLen: req.seqLen, calibration });
  const context: PlanContext = {
    dataset: law.dataset,
    datasetSource: law.datasetSource,
    law: law.lawText,
    rules: describeFamilyRules(BITLM_V57_FAMILY),
    batchSizes: law.batchSizes,
    batchSizeNote: law.batchSizeNote,
    metric: req.law ? 'loss' : 'val_bpc',
    repetition,
  };
  return { result, context, tellApart: apart };
}

/**
 * The recommended run's passes over its dataset and the cost of repeating it (src/fit/repetition-cost.ts),
 * and a warning when the passes beyond the first are predicted to gain less than the run's own
 * prediction interval is wide: the plan then buys repeats the data cannot tell from one pass.
 */
function recommendedRepetition(c: PlanCandidate, suite: FitSuite, dataset: string, runs: RunRecord[], req: PlanRequest, onWarning: (message: string) => void, batch: PredictOptions['batch']): RepetitionCost | null {
  const p = predictBpc(suite, runTableQuery(c, dataset, req.seqLen), { borrowGains: req.borrowGains, repetition: { runs, corpus: req.corpus }, batch });
  const r = p.repetition;
  const width = p.interval ? p.interval.hi - p.interval.lo : null;
  if (r && r.repeatsGain !== null && width !== null && r.repeatsGain < width)
    onWarning(
      `the recommended run makes ${r.passes.toFixed(2)} passes over ${dataset}'s ${formatCount(r.uniqueTokens)} unique tokens: the passes beyond the first are predicted to gain ${formatLoss(r.repeatsGain, 4)} bits/byte, less than its ${formatPercent(p.interval!.level, 0)} prediction interval is wide (${formatLoss(width, 4)}), so a one-pass run could not be told from it (${r.note})`,
    );
  return r;
}

/** The architecture whose laws the planner's run table holds. */
export const MAIN_PLAN_ARCH = 'bitlm-v57';

/** `arch`'s shared-law multiplier against bitlm-v57 (src/fit/family-runs.ts), where some dataset has ladders of both. */
export interface PlanMultiplier {
  value: number;
  lo: number;
  hi: number;
  level: number;
  /** Where it was measured, in words: "brown (8 + 15 runs)". */
  from: string;
}

/** A bootstrap of 200 resamples: enough for an interval the plan widens each prediction by. */
const MULTIPLIER_BOOTSTRAP = { count: 200, seed: 1, level: 0.8 };

/**
 * m of `arch` against bitlm-v57 from the run table's family ladders (the shared law E + A/(m·N)^α +
 * B/D^β). Throws BitscaleError naming what is missing when no dataset has runs of both on one recipe.
 */
export function familyMultiplier(runs: readonly RunRecord[], arch: string): PlanMultiplier {
  if (!isBitLM(arch)) throw new BitscaleError(`unknown arch '${arch}': plan knows ${BITLM_ARCHITECTURES.join(', ')}`, { field: 'arch' });
  let r;
  // At the largest budget both ran (the saturating form, tokens matched), as the report compares them.
  const steps = sharedBudgets(runs, [MAIN_PLAN_ARCH, arch], FAMILY_DATASET).at(-1);
  try {
    r = compareFamilyRuns(runs, { families: [MAIN_PLAN_ARCH, arch], bootstrap: MULTIPLIER_BOOTSTRAP, dataset: FAMILY_DATASET, steps });
  } catch (err) {
    if (err instanceof BitscaleError) throw new BitscaleError(`plan --arch ${arch} needs its multiplier against ${MAIN_PLAN_ARCH} from ladders of both on one dataset and recipe: ${err.problem}`, { field: 'arch' });
    throw err;
  }
  const m = r.comparison.shared.multipliers[arch];
  if (m.lo === null || m.hi === null) throw new BitscaleError(`plan --arch ${arch}: the multiplier against ${MAIN_PLAN_ARCH} has no bootstrap interval (too few runs)`, { field: 'arch' });
  const counts = r.families.map((f) => f.runIds.length).join(' + ');
  return { value: m.value, lo: m.lo, hi: m.hi, level: r.comparison.level, from: `${r.families[0].dataset}'s family ladders (${counts} runs${steps === undefined ? '' : ` at ${steps} steps`}, \`bitscale compare --dataset ${FAMILY_DATASET} --families ${MAIN_PLAN_ARCH},${arch}${steps === undefined ? '' : ` --steps ${steps}`}\`)` };
}

/** A predictor at N_eff = m·N; the range also spans the predictions at m's interval ends. */
export function multipliedPredictor(predict: Predictor, m: PlanMultiplier): Predictor {
  return (q) => {
    const at = (f: number) => predict({ ...q, params: f * q.params });
    const p = at(m.value);
    const ends = [at(m.lo), at(m.hi)];
    const lo = Math.min(p.range?.lo ?? p.interval?.lo ?? p.valBpc, ...ends.map((e) => e.range?.lo ?? e.interval?.lo ?? e.valBpc));
    const hi = Math.max(p.range?.hi ?? p.interval?.hi ?? p.valBpc, ...ends.map((e) => e.range?.hi ?? e.interval?.hi ?? e.valBpc));
    return { ...p, range: { lo, hi }, method: `${p.method}, at N_eff = ${formatNumber(m.value, 3)}·N (the multiplier, borrowed; the range spans m ${formatNumber(m.lo, 3)}–${formatNumber(m.hi, 3)})` };
  };
}
