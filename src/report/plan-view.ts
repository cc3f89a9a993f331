/**
 * The view of §4's "best config for the seed's own budget": `bitscale plan`'s frontier and
 * recommendation for the recommended config's GPU and planned hours, beside the seed's own choice
 * (as stated, and held to the same hours). Data only: templates/partials/best-for-budget.hbs words it.
 */
import { formatCount, formatShape } from '../util/format.js';
import { SEED_CONFIGS, countParams } from '../arch/bitlm.js';
import { microAccumText, rangesOverlap, verdictCell, type PlanCandidate } from '../plan/plan.js';
import { describeFamilyRules, BITLM_V57_FAMILY } from '../plan/shapes.js';
import type { ReportAnalysis } from './analysis.js';
import { planChart } from './charts.js';
import type { TopLevelSpec } from 'vega-lite';
import { runKey } from '../plan/what-if.js';
import { tellApartSentences } from '../plan/tell-apart-text.js';
import { batchTrade } from '../plan/render.js';

/**
 * The GPU-hours chart: for the sizes that are best at some budget, and the seed's configs, the
 * predicted val_bpc of their best batch at each budget of the sweep; the frontier as black diamonds.
 */
export function planChartFile(a: ReportAnalysis): { path: string; alt: string; spec: TopLevelSpec } | null {
  if (a.planSweep.length < 2) return null;
  const bestSizes = new Set(a.planSweep.map((s) => s.plan.recommended.params));
  const seedSizes = new Set(Object.values(SEED_CONFIGS).map((c) => countParams(c)));
  const shown = (n: number) => bestSizes.has(n) || seedSizes.has(n);
  const points = a.planSweep.flatMap((s) => s.plan.frontier.filter((c) => shown(c.params)).map((c) => ({ series: `${formatCount(c.params)} (${c.label})`, gpuHours: c.gpuHours, bpc: c.prediction.valBpc, params: c.params })));
  points.sort((x, y) => x.params - y.params || x.gpuHours - y.gpuHours);
  const best = a.planSweep.map((s) => ({ gpuHours: s.plan.recommended.gpuHours, bpc: s.plan.recommended.prediction.valBpc, label: formatCount(s.plan.recommended.params) }));
  const gpu = a.planSweep[0].plan.gpu.name;
  return {
    path: 'charts/plan.svg',
    alt: 'predicted val_bpc against GPU-hours for each model size, with the best size at each budget marked',
    spec: planChart({ subtitle: `one ${gpu}, ${a.recommended.dataset}, the sizes best at some budget and the seed's configs`, points: points.map(({ params: _p, ...rest }) => rest), best }),
  };
}

/** One column of §4's plan table: a config, its budget, memory, speed and predicted val_bpc. */
export interface PlanColumn {
  shape: string;
  params: number;
  bs: number;
  /** "micro × accumulation", or why not even a micro-batch of 1 fits. */
  micro: string;
  steps: number;
  tokens: number;
  tokensPerParam: number;
  /** The largest micro-batch's memory against the GPU's limit; null where not planned. */
  memory: { bytes: number; limitBytes: number; tt: string } | null;
  secondsPerStep: number | null;
  hours: number | null;
  valBpc: number;
  /** The range over laws (or the interval); null: none. */
  range: { lo: number; hi: number } | null;
  /** How far beyond the measured runs, as factors (null: inside); absent for the seed's stated choice. */
  extrapolation: { params: number | null; steps: number | null } | null;
}

function column(c: PlanCandidate): PlanColumn {
  const p = c.prediction;
  return {
    shape: c.label,
    params: c.params,
    bs: c.batchSize,
    micro: microAccumText(c.split),
    steps: c.steps,
    tokens: c.tokens,
    tokensPerParam: c.tokensPerParam,
    memory: { bytes: c.memoryBytes, limitBytes: c.limitBytes, tt: verdictCell(c.memoryVerdict) },
    secondsPerStep: c.secondsPerStep,
    hours: c.hours,
    valBpc: p.valBpc,
    range: p.range ?? (p.interval ? { lo: p.interval.lo, hi: p.interval.hi } : null),
    extrapolation: c.extrapolation ? { params: c.extrapolation.params, steps: c.extrapolation.steps } : null,
  };
}

/** One candidate run of the tell-apart table, with the two ranges it would leave. */
export interface TellApartRowView {
  rank: number;
  id: string;
  shape: string;
  params: number;
  steps: number;
  batchSize: number;
  gpuHours: number | null;
  /** The val_bpc it is assumed to land on. */
  assumed: number;
  bestAfter: { lo: number; hi: number };
  nextAfter: { lo: number; hi: number };
  /** Overlap of the two ranges after it, in the loss unit (negative: a gap). */
  overlap: number;
  separates: boolean;
  /** "3. size-d1280-L10": the same run's rank in §5, or "". */
  section5: string;
}

export interface TellApartView {
  sentences: string[];
  rule: string;
  rows: TellApartRowView[];
}

/** §4's "cheapest run that would tell them apart": the sentences and the candidates, with the §5 row each one repeats. */
function tellApartView(a: ReportAnalysis, gpu: string): TellApartView | null {
  const t = a.planTellApart;
  if (!t) return null;
  const section5 = new Map(a.nextRuns.map((n, i) => [runKey(n.candidate), `${i + 1}. ${n.candidate.id}`]));
  return {
    sentences: tellApartSentences(t, gpu),
    rule: t.rule,
    rows: t.rows.map((r) => ({
      rank: r.rank,
      id: r.ranked.candidate.id,
      shape: formatShape(r.ranked.candidate.config),
      params: r.ranked.params,
      steps: r.ranked.candidate.steps,
      batchSize: r.ranked.candidate.batchSize,
      gpuHours: r.ranked.gpuHours,
      assumed: r.ranked.predictedBpc,
      bestAfter: r.recommended,
      nextAfter: r.nextBest,
      overlap: r.overlap,
      separates: r.separates,
      section5: section5.get(runKey(r.ranked.candidate)) ?? '',
    })),
  };
}

/** §4's plan, or why there is none (`available: false`, with the GPU and hours it would have used). */
export type PlanView = PlanUnavailable | PlanAvailable;

export interface PlanUnavailable {
  available: false;
  note: string;
  gpu: string;
  hours: number | null;
}

export interface PlanAvailable {
  available: true;
  command: string;
  gpu: string;
  hours: number | null;
  /** Fraction of the GPU's memory kept free. */
  headroom: number;
  rules: string[];
  batchSizes: string;
  /** The batch sizes the law measured (the others are answered by the critical-batch law); '' when every one was measured. */
  lawBatchSizes: string;
  /** The best shape at each batch size searched (renderPlan's batch trade); empty when only one was. */
  batchTrade: ReturnType<typeof batchTrade>;
  candidates: number;
  excluded: string[];
  frontier: (PlanColumn & { best: boolean })[];
  seed: PlanColumn;
  seedInHours: PlanColumn | null;
  best: PlanColumn;
  nextBest: { shape: string; params: number; valBpc: number; gap: number } | null;
  overlap: boolean;
  tellApart: TellApartView | null;
  /** The seed's predicted val_bpc minus the best's, both in the planned hours. */
  gainOverSeed: number | null;
  seedOverlap: boolean | null;
  chart: string | null;
  sweepHours: string;
  sameBestEverywhere: boolean;
  method: string;
  assumptions: string[];
}

export function planView(a: ReportAnalysis): PlanView {
  const plan = a.plan;
  const rec = a.recommended;
  if (!plan) return { available: false, note: a.planNote ?? 'not planned', gpu: a.estimate.gpu.name, hours: rec.plannedHours };
  const best = plan.recommended;
  const seedInHours = plan.candidates.find((c) => c.label === formatShape(rec.config) && c.batchSize === rec.batchSize) ?? null;
  const e = a.estimate;
  const h = a.headline;
  const seedRange = h.range ?? (h.interval ? { lo: h.interval.lo, hi: h.interval.hi } : null);
  return {
    available: true,
    command: `bitscale plan --gpu ${plan.gpu.id} --hours ${rec.plannedHours} --dataset ${rec.dataset}`,
    gpu: plan.gpu.name,
    hours: rec.plannedHours,
    headroom: plan.headroom,
    rules: describeFamilyRules(BITLM_V57_FAMILY),
    batchSizes: [...new Set(plan.candidates.map((c) => c.batchSize))].sort((x, y) => x - y).join(', '),
    lawBatchSizes: plan.candidates.some((c) => c.prediction.batch) ? [...new Set(plan.candidates.filter((c) => !c.prediction.batch).map((c) => c.batchSize))].sort((x, y) => x - y).join(', ') : '',
    batchTrade: ((t) => (t.length > 1 ? t : []))(batchTrade(plan)),
    candidates: plan.candidates.length,
    excluded: plan.excluded.filter((x) => x.reason.startsWith('does not fit')).map((x) => x.label),
    frontier: plan.frontier.map((c) => ({ ...column(c), best: c === best })),
    seed: {
      shape: formatShape(rec.config),
      params: a.recommendedParams,
      bs: rec.batchSize,
      micro: e.split ? `${e.split.largest} × ${e.split.steps}` : 'does not fit at micro-batch 1',
      steps: rec.steps,
      tokens: rec.steps * rec.batchSize * rec.config.seqLen,
      tokensPerParam: (rec.steps * rec.batchSize * rec.config.seqLen) / a.recommendedParams,
      hours: e.totalHours,
      secondsPerStep: e.secondsPerStep,
      memory: seedInHours ? column(seedInHours).memory : null,
      valBpc: h.valBpc,
      range: seedRange,
      extrapolation: null,
    },
    seedInHours: seedInHours ? column(seedInHours) : null,
    best: column(best),
    nextBest: plan.nextBest ? { shape: plan.nextBest.label, params: plan.nextBest.params, valBpc: plan.nextBest.prediction.valBpc, gap: plan.gap! } : null,
    overlap: plan.overlap === true,
    tellApart: tellApartView(a, plan.gpu.name),
    gainOverSeed: seedInHours ? seedInHours.prediction.valBpc - best.prediction.valBpc : null,
    seedOverlap: seedInHours ? seedInHours !== best && rangesOverlap(seedInHours.prediction, best.prediction) : null,
    chart: planChartFile(a)?.path ?? null,
    sweepHours: a.planSweep.map((x) => x.hours).join(', '),
    sameBestEverywhere: a.planSweep.length > 1 && new Set(a.planSweep.map((x) => x.plan.recommended.params)).size === 1,
    method: best.prediction.method,
    assumptions: plan.assumptions,
  };
}
