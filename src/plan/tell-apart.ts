/**
 * The cheapest run that would tell the plan's recommendation from the next best size, when their
 * ranges overlap. It reuses the report's §5 machinery (src/plan/what-if.ts): each candidate run is
 * added to the run table at the val_bpc the current fits predict for it, the fits are redone, and
 * both competitors' predictions are recomputed with the recommendation's law held; candidates are
 * ranked as §5 ranks them (by how much they shrink the recommendation's span) and priced in
 * GPU-hours on the plan's GPUs by the estimator. Pure.
 */
import { countParams } from '../arch/bitlm.js';
import type { Calibration } from '../estimate/calibrate.js';
import { estimateTraining, type MicroBatchSplit } from '../estimate/estimate.js';
import type { MemoryPrecision } from '../estimate/memory.js';
import type { RunRecord } from '../runs/types.js';
import { spanOf, type PlanCandidate, type PlanResult } from './plan.js';
import { runTableQuery } from './predictors.js';
import { formatShape } from '../util/format.js';
import { familyCandidates, heldLaw, rankCandidates, runKey, usualLr, type CandidateRun, type RankedCandidate, type Refitter, type WhatIfTarget } from './what-if.js';

export interface Span {
  lo: number;
  hi: number;
}

export interface TellApartRow {
  /** Place in the §5 ranking of these candidates (1 = shrinks the recommendation's span most). */
  rank: number;
  ranked: RankedCandidate;
  /** The two competitors' ranges after the refit. */
  recommended: Span;
  nextBest: Span;
  /** Width of the two ranges' common part after the refit, in the law's unit; negative: a gap between them. */
  overlap: number;
  /** True when the ranges no longer overlap (overlap < 0). */
  separates: boolean;
}

export interface TellApart {
  /** False when there is nothing to tell apart (the ranges do not overlap, or one size is left). */
  needed: boolean;
  /** Why no run was searched for, when none was (not needed, or no run table to refit, as with a law file). */
  note: string | null;
  rule: string;
  /** Both ranges and their overlap at the refit settings, before any run is added. */
  before: { recommended: Span; nextBest: Span; overlap: number } | null;
  /** Every candidate, in §5 rank order. */
  rows: TellApartRow[];
  /** The cheapest run that separates them, else the one that shrinks the overlap most per GPU-hour; null when none shrinks it. */
  pick: TellApartRow | null;
  /** Whether `pick` separates them on its own. */
  separates: boolean;
  /** When none separates them: the candidate that leaves the least overlap (ties: the cheaper), whatever its price; null otherwise. */
  closest: TellApartRow | null;
}

export const TELL_APART_RULE =
  "each candidate is added to the run table at the val_bpc the current fits predict for it and the fits are redone (the report's §5 refits, the recommendation's law held); " +
  'it tells the two apart when their ranges (interval ∪ other laws) then no longer overlap. The cheapest such run in GPU-hours is named; ' +
  'when none does, the one that shrinks the overlap of the two ranges most per GPU-hour, and beside it the one that leaves the least overlap. A candidate the dataset already has a run of is left out (its value is measured, not assumed)';

/** Width of the common part of two ranges; negative when there is a gap between them. */
export function overlapWidth(a: Span, b: Span): number {
  return Math.min(a.hi, b.hi) - Math.max(a.lo, b.lo);
}

/**
 * The candidates for a plan: each competitor at the matched step budget (the one its law was
 * fitted at), then the §5 family candidates (new sizes at that budget, the 46.4M model at twice
 * it) at `batchSize` (default the recommendation's; the plan passes the batch size of the law that answers) and LR. A run that appears twice is kept once, under its first name.
 */
export function tellApartCandidates(recommended: PlanCandidate, nextBest: PlanCandidate, lr: number, matchedSteps: number, batchSize: number = recommended.batchSize): CandidateRun[] {
  const short = (id: string, who: string, c: PlanCandidate): CandidateRun => ({ id, why: `${who} (${formatShape(c.config)}) at the matched step budget`, config: c.config, batchSize, lr, steps: matchedSteps });
  const all = [short('recommended-short', 'the recommendation itself', recommended), short('next-best-short', 'the next best size', nextBest), ...familyCandidates({ config: recommended.config, batchSize, lr }, matchedSteps)];
  const seen = new Set<string>();
  return all.filter((c) => {
    const key = runKey(c);
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

/** GPU-hours of a candidate on the plan's GPUs, data parallel as the plan runs (bs / gpus each); null when it does not split or fit. */
export function planGpuTime(plan: Pick<PlanResult, 'gpu' | 'gpus'>, calibration?: Calibration, precision?: MemoryPrecision) {
  return (c: CandidateRun): { gpuHours: number | null; split: MicroBatchSplit | null } => {
    if (c.batchSize % plan.gpus !== 0) return { gpuHours: null, split: null };
    const e = estimateTraining({ config: c.config, batchSize: c.batchSize / plan.gpus, gpu: plan.gpu, precision, steps: c.steps }, calibration);
    return { gpuHours: e.totalHours === null ? null : e.totalHours * plan.gpus, split: e.split };
  };
}

const unanswered = (needed: boolean, note: string): TellApart => ({ needed, note, rule: TELL_APART_RULE, before: null, rows: [], pick: null, separates: false, closest: null });

/**
 * Find the cheapest run that would tell the plan's two best sizes apart (the rule in TELL_APART_RULE).
 * `candidates` defaults to tellApartCandidates at the recommendation's matched budget and the LR
 * most of the dataset's runs at its batch size used.
 */
export function tellApart(
  plan: PlanResult,
  w: Refitter | null,
  options: { runs: readonly RunRecord[]; seqLen?: number; calibration?: Calibration; precision?: MemoryPrecision; candidates?: readonly CandidateRun[] },
): TellApart {
  const rec = plan.recommended;
  const next = plan.nextBest;
  if (!next) return unanswered(false, 'only one size fits: nothing to tell apart');
  if (!plan.overlap) return unanswered(false, 'their ranges do not overlap: no run is needed');
  const p = rec.prediction;
  if (!w || !p.law || p.baseSteps === undefined) return unanswered(true, "it needs the run table's laws, which a refit redoes");
  // Candidates run at the batch size of the law that answers (a run at another batch would not enter its fit), at that batch's usual LR.
  const lawBatch = p.batch?.toBatch ?? rec.batchSize;
  const lr = usualLr(options.runs, w.dataset, lawBatch);
  if (!options.candidates && lr === null) return unanswered(true, `no ${w.dataset} run at bs ${lawBatch} to take a learning rate from`);
  const measured = new Set(options.runs.filter((r) => r.dataset.toLowerCase() === w.dataset.toLowerCase()).map((r) => `${r.params}|${r.batchSize}|${r.steps}`));
  const candidates = (options.candidates ?? tellApartCandidates(rec, next, lr!, p.baseSteps, lawBatch)).filter((c) => !measured.has(`${countParams(c.config)}|${c.batchSize}|${c.steps}`));
  const law = heldLaw(p.law);
  const target = (c: PlanCandidate): WhatIfTarget => ({ query: runTableQuery(c, w.dataset, options.seqLen), law });
  const [recTarget, nextTarget] = [target(rec), target(next)];
  const { ranked } = rankCandidates(w, candidates, recTarget, planGpuTime(plan, options.calibration, options.precision));
  const beforeRec = spanOf(w.predict(w.before(), recTarget));
  const beforeNext = spanOf(w.predict(w.before(), nextTarget));
  const before = { recommended: beforeRec, nextBest: beforeNext, overlap: overlapWidth(beforeRec, beforeNext) };
  const rows: TellApartRow[] = ranked.map((r, i) => {
    const recommended = spanOf(r.after);
    const nextBest = spanOf(w.predict(w.after(r.candidate).suite, nextTarget));
    const overlap = overlapWidth(recommended, nextBest);
    return { rank: i + 1, ranked: r, recommended, nextBest, overlap, separates: overlap < 0 };
  });
  const priced = rows.filter((r) => r.ranked.gpuHours !== null && r.ranked.gpuHours > 0);
  const separating = priced.filter((r) => r.separates).sort((a, b) => a.ranked.gpuHours! - b.ranked.gpuHours! || a.rank - b.rank);
  const perHour = (r: TellApartRow) => (before.overlap - r.overlap) / r.ranked.gpuHours!;
  const shrinking = priced.filter((r) => r.overlap < before.overlap).sort((a, b) => perHour(b) - perHour(a) || a.rank - b.rank);
  const pick = separating[0] ?? shrinking[0] ?? null;
  const closest = separating.length ? null : ([...shrinking].sort((a, b) => a.overlap - b.overlap || a.ranked.gpuHours! - b.ranked.gpuHours! || a.rank - b.rank)[0] ?? null);
  return { needed: true, note: null, rule: TELL_APART_RULE, before, rows, pick, separates: separating.length > 0, closest };
}
