/**
 * The report's §5 candidates as a sweep grid (reports/next-runs.json), ready for
 * `bitscale sweep --grid reports/next-runs.json --slurm`: one grid entry per candidate, in rank
 * order, each with its own step budget, batch size, learning rate and full model shape, and the
 * estimator's GPU-hours beside it (under "notes", which the sweep does not pass to the trainer).
 */
import type { ReportAnalysis } from './analysis.js';

export interface NextRunsGrid {
  name: string;
  about: string;
  out: string;
  dataset: string;
  base: Record<string, unknown>;
  models: Record<string, unknown>[];
}

export function nextRunsGrid(a: ReportAnalysis): NextRunsGrid {
  const rec = a.recommended;
  return {
    name: 'next-runs',
    about:
      `The report's suggested next runs (§5), best first. Train on ${rec.dataset}: set "data" to its text before submitting. ` +
      `GPU-hours are the estimator's, on ${rec.gpu} at ${rec.precision}. Run with: bitscale sweep --grid reports/next-runs.json --slurm --submit`,
    out: 'runs/next-runs',
    dataset: rec.dataset,
    base: { preset: '46.4M' },
    models: a.nextRuns.map((n, i) => ({
      name: n.candidate.id,
      model: { d: n.candidate.config.d, layers: n.candidate.config.layers, heads: n.candidate.config.heads, d_ff: n.candidate.config.dFf, seq_len: n.candidate.config.seqLen, vocab: n.candidate.config.vocab },
      batchSize: n.candidate.batchSize,
      lr: n.candidate.lr,
      steps: [n.candidate.steps],
      notes: {
        rank: i + 1,
        why: n.candidate.why,
        params: n.params,
        tokens: n.tokens,
        gpu_hours: n.gpuHours === null ? null : Number(n.gpuHours.toFixed(2)),
        predicted_val_bpc: Number(n.predictedBpc.toFixed(4)),
      },
    })),
  };
}
