/**
 * The words for the plan's "cheapest run that would tell them apart" (src/plan/tell-apart.ts),
 * printed by `bitscale plan` and the report's §4 plan part alike. Light: formatting only, so the
 * CLI can import it without loading the fits.
 */
import { formatCount, formatInteger, formatLoss, formatRange, formatShape } from '../util/format.js';
import type { Span, TellApart, TellApartRow } from './tell-apart.js';

const spanText = (s: Span) => formatRange(s.lo, s.hi);
const apartText = (v: number) => (v >= 0 ? `overlapping by ${formatLoss(v)} BPC` : `a gap of ${formatLoss(-v)} BPC between them`);

/** "size-d1280-L10: d=… (90.4M params), 15,000 steps at bs 256, 2.2 GPU-hours on … (rank 4 of 6 by §5's ranking, applied to the recommendation's span)". */
export function describeRun(r: TellApartRow, count: number, gpu: string): string {
  const c = r.ranked.candidate;
  const hours = r.ranked.gpuHours === null ? 'GPU-hours unknown' : `${r.ranked.gpuHours.toFixed(1)} GPU-hours on ${gpu}`;
  return `${c.id}: ${formatShape(c.config)} (${formatCount(r.ranked.params)} params), ${formatInteger(c.steps)} steps at bs ${c.batchSize}, ${hours} (rank ${r.rank} of ${count} by §5's ranking, applied to the recommendation's span)`;
}

/** The sentences the CLI and the report print: the answer, and what the ranges would become. */
export function tellApartSentences(t: TellApart, gpu: string): string[] {
  const head = 'Cheapest run that would tell them apart';
  if (!t.needed) return [`${head}: none needed — ${t.note}.`];
  if (t.note) return [`${head}: not searched — ${t.note}.`];
  const b = t.before!;
  const now = `now ${spanText(b.recommended)} and ${spanText(b.nextBest)}, ${apartText(b.overlap)}, at the refit settings`;
  if (!t.pick) return [`${head}: none of the ${t.rows.length} candidates separates them or shrinks their overlap (${now}).`];
  const after = `After it the ranges would be ${spanText(t.pick.recommended)} and ${spanText(t.pick.nextBest)}, ${apartText(t.pick.overlap)} (${now}).`;
  if (t.separates) return [`${head}: ${describeRun(t.pick, t.rows.length, gpu)}.`, after];
  const closest = t.closest && t.closest !== t.pick ? [`The one that comes closest, at any price: ${describeRun(t.closest, t.rows.length, gpu)}, leaving them ${apartText(t.closest.overlap)}.`] : [];
  return [`${head}: none of the ${t.rows.length} candidates separates them alone.`, `The one that shrinks their overlap most per GPU-hour: ${describeRun(t.pick, t.rows.length, gpu)}.`, after, ...closest];
}
