/**
 * The seed report's ten runs (the hand-written seed scaling report §1, §2.3, §3.1; runs/seed/) as run records built
 * in memory, so the fit tests do not depend on files under runs/. Params are exact counts where the
 * config is known (46,399,488; 13,680,640) and the reported count otherwise.
 */
import { toRunRecord } from '../../src/runs/table.js';
import type { RunLog, RunRecord } from '../../src/runs/types.js';

export interface SeedRunSpec {
  id: string;
  dataset: string;
  params: number;
  batchSize: number;
  lr: number;
  steps: number;
  valBpc: number;
  wallSeconds?: number | null;
}

export const SEED_RUNS: SeedRunSpec[] = [
  { id: 'v70', dataset: 'TinyStories', params: 5_500_000, batchSize: 256, lr: 3.2e-3, steps: 20000, valBpc: 1.481 },
  { id: 'v71', dataset: 'TinyStories', params: 46_399_488, batchSize: 64, lr: 3e-4, steps: 10000, valBpc: 1.335 },
  { id: 'v72', dataset: 'TinyStories', params: 46_399_488, batchSize: 64, lr: 3e-4, steps: 20000, valBpc: 1.238 },
  { id: 'v73', dataset: 'TinyStories', params: 46_399_488, batchSize: 64, lr: 3e-4, steps: 40000, valBpc: 1.169 },
  { id: 'glm_50M', dataset: 'GLM-Reasoning', params: 46_399_488, batchSize: 64, lr: 3e-4, steps: 20000, valBpc: 1.877 },
  { id: 'glm_50M_40K', dataset: 'GLM-Reasoning', params: 46_399_488, batchSize: 64, lr: 3e-4, steps: 40000, valBpc: 1.794 },
  { id: 'glm_50M_a100_bf16', dataset: 'GLM-Reasoning', params: 46_399_488, batchSize: 64, lr: 3e-4, steps: 40000, valBpc: 1.792, wallSeconds: 108 * 60 },
  { id: 'glm_50M_bs256_hlr', dataset: 'GLM-Reasoning', params: 46_399_488, batchSize: 256, lr: 6e-4, steps: 15000, valBpc: 1.766, wallSeconds: 69 * 60 },
  { id: 'glm_5M_bs256', dataset: 'GLM-Reasoning', params: 5_520_000, batchSize: 256, lr: 6e-4, steps: 15000, valBpc: 2.213 },
  { id: 'glm_14M_bs256', dataset: 'GLM-Reasoning', params: 13_680_640, batchSize: 256, lr: 6e-4, steps: 15000, valBpc: 2.003 },
];

/** A one-eval run log for a spec. */
export function seedRunLog(s: SeedRunSpec): RunLog {
  const tokens = s.steps * s.batchSize * 256;
  return {
    header: {
      type: 'header',
      format_version: 1,
      run_id: s.id,
      arch: 'bitlm-v57',
      config: null,
      params: s.params,
      batch_size: s.batchSize,
      seq_len: 256,
      lr: { peak: s.lr, schedule: 'unknown', warmup_steps: null, final: null },
      planned_steps: s.steps,
      seed: null,
      dataset: { name: s.dataset, bytes: null, sha256: null, token_unit: 'byte' },
      loss_unit: 'bits',
      precision: 'bf16-autocast',
      backend: 'pytorch',
      hardware: 'A100 40GB',
      tool: { name: 'test', version: '0' },
    },
    steps: [],
    evals: [{ type: 'eval', step: s.steps, tokens, val_bpc: s.valBpc }],
    summary: { type: 'summary', status: 'completed', steps: s.steps, tokens, final_val_bpc: s.valBpc, wall_s: s.wallSeconds ?? null },
  };
}

export function seedRuns(specs: SeedRunSpec[] = SEED_RUNS): RunRecord[] {
  return specs.map((s) => toRunRecord(seedRunLog(s), `seed/${s.id}.jsonl`)!);
}
