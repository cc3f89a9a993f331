/**
 * The view of §4's "best config for the seed's own budget": `bitscale plan`'s frontier and
 * recommendation for the recommended config's GPU and planned hours, beside the seed's own choice
 * (as stated, and held to the same hours). Formatting only.
 */
import { formatCount, formatInteger } from '../util/format.js';
import { SEED_CONFIGS, countParams } from '../arch/bitlm.js';
import { microAccumText, rangesOverlap, verdictCell, type PlanCandidate } from '../plan/plan.js';
import { describeFamilyRules, BITLM_V57_FAMILY } from '../plan/shapes.js';
import { formatShape } from '../util/format.js';
import type { ReportAnalysis } from './analysis.js';
import { planChart } from './charts.js';
import type { TopLevelSpec } from 'vega-lite';
import { runKey } from '../plan/what-if.js';
import { spanText, tellApartSentences } from '../plan/tell-apart-text.js';

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

const bpc = (v: number) => v.toFixed(3);
const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(2)} GiB`;

function span(c: PlanCandidate): string {
  const p = c.prediction;
  const r = p.range ?? (p.interval ? { lo: p.interval.lo, hi: p.interval.hi } : null);
  return r ? `${bpc(r.lo)}–${bpc(r.hi)}` : '—';
}

function extrapolation(c: PlanCandidate): string {
  const e = c.extrapolation;
  if (!e) return 'inside';
  return [e.params !== null ? `N ×${e.params.toFixed(1)}` : '', e.steps !== null ? `steps ×${e.steps.toFixed(1)}` : ''].filter(Boolean).join(', ');
}

function column(c: PlanCandidate) {
  return {
    shape: c.label,
    params: formatCount(c.params),
    bs: c.batchSize,
    micro: microAccumText(c.split),
    steps: formatInteger(c.steps),
    tokens: formatCount(c.tokens),
    tokensPerParam: c.tokensPerParam.toFixed(1),
    memory: `${gib(c.memoryBytes)} of ${gib(c.limitBytes)} (T×T: ${verdictCell(c.memoryVerdict)})`,
    secondsPerStep: `${c.secondsPerStep.toFixed(3)} s`,
    hours: `${c.hours.toFixed(1)} h`,
    valBpc: bpc(c.prediction.valBpc),
    range: span(c),
    extrapolation: extrapolation(c),
  };
}

/** §4's "cheapest run that would tell them apart": the sentences and the candidates, with the §5 row each one repeats. */
function tellApartView(a: ReportAnalysis, gpu: string) {
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
      params: formatCount(r.ranked.params),
      budget: `${formatCount(r.ranked.candidate.steps, 0)} steps, bs ${r.ranked.candidate.batchSize}`,
      hours: r.ranked.gpuHours === null ? '—' : `${r.ranked.gpuHours.toFixed(1)} h`,
      assumed: bpc(r.ranked.predictedBpc),
      bestAfter: spanText(r.recommended),
      nextAfter: spanText(r.nextBest),
      overlap: r.overlap.toFixed(3),
      separates: r.separates ? 'yes' : 'no',
      section5: section5.get(runKey(r.ranked.candidate)) ?? '',
    })),
  };
}

export function planView(a: ReportAnalysis) {
  const plan = a.plan;
  const rec = a.recommended;
  if (!plan) return { available: false, note: a.planNote ?? 'not planned' };
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
    headroom: `${(100 * plan.headroom).toFixed(0)}%`,
    rules: describeFamilyRules(BITLM_V57_FAMILY),
    batchSizes: [...new Set(plan.candidates.map((c) => c.batchSize))].sort((x, y) => x - y).join(', '),
    candidates: plan.candidates.length,
    excluded: plan.excluded.filter((x) => x.reason.startsWith('does not fit')).map((x) => x.label),
    frontier: plan.frontier.map((c) => ({ ...column(c), mark: c === best ? '**best**' : '' })),
    seed: {
      shape: formatShape(rec.config),
      params: formatCount(a.recommendedParams),
      bs: rec.batchSize,
      micro: e.split ? `${e.split.largest} × ${e.split.steps}` : 'does not fit at micro-batch 1',
      steps: formatInteger(rec.steps),
      tokens: formatCount(rec.steps * rec.batchSize * rec.config.seqLen),
      tokensPerParam: ((rec.steps * rec.batchSize * rec.config.seqLen) / a.recommendedParams).toFixed(1),
      hours: e.totalHours === null ? '—' : `${e.totalHours.toFixed(1)} h`,
      secondsPerStep: e.secondsPerStep === null ? '—' : `${e.secondsPerStep.toFixed(3)} s`,
      memory: seedInHours ? column(seedInHours).memory : '',
      valBpc: bpc(h.valBpc),
      range: seedRange ? `${bpc(seedRange.lo)}–${bpc(seedRange.hi)}` : '—',
    },
    seedInHours: seedInHours ? column(seedInHours) : null,
    best: column(best),
    nextBest: plan.nextBest ? { shape: plan.nextBest.label, params: formatCount(plan.nextBest.params), valBpc: bpc(plan.nextBest.prediction.valBpc), gap: plan.gap!.toFixed(3) } : null,
    overlap: plan.overlap === true,
    tellApart: tellApartView(a, plan.gpu.name),
    gainOverSeed: seedInHours ? (seedInHours.prediction.valBpc - best.prediction.valBpc).toFixed(3) : null,
    seedOverlap: seedInHours ? seedInHours !== best && rangesOverlap(seedInHours.prediction, best.prediction) : null,
    chart: planChartFile(a)?.path ?? null,
    sweepHours: a.planSweep.map((x) => x.hours).join(', '),
    sameBestEverywhere: a.planSweep.length > 1 && new Set(a.planSweep.map((x) => x.plan.recommended.params)).size === 1,
    method: best.prediction.method,
    assumptions: plan.assumptions,
  };
}
