/** Shared test fixtures. */
import type { HeaderRecord } from '../src/runs/types.js';

/** A valid header for a small v57 run; override any field. */
export function sampleHeader(overrides: Partial<HeaderRecord> = {}): HeaderRecord {
  return {
    type: 'header', format_version: 1, run_id: 'r1', arch: 'bitlm-v57',
    config: { d: 64, layers: 2, heads: 4, d_ff: 32, seq_len: 32, vocab: 128 },
    params: 2 * (4 * 64 * 64 + 3 * 64 * 32) + 2 * 128 * 64,
    batch_size: 8, seq_len: 32, lr: { peak: 1e-3, schedule: 'cosine', warmup_steps: 10, final: 0 },
    planned_steps: 100, seed: 1,
    dataset: { name: 'brown', bytes: 1000, sha256: null, token_unit: 'byte' },
    loss_unit: 'bits', precision: 'fp32', backend: 'wasm', hardware: 'test cpu',
    tool: { name: 'bitscale', version: '0.1.0' }, ste: 'clipped',
    ...overrides,
  };
}
