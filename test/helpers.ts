/** Shared test fixtures. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import type { HeaderRecord } from '../src/runs/types.js';

/** `node bin/bitscale.js …args` from the repository root: its exit status, stdout and stderr. */
export function bitscaleCli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['bin/bitscale.js', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** One line on stderr, exit 1, nothing on stdout, matching `pattern`. */
export function failsWith(args: string[], pattern: RegExp): void {
  const r = bitscaleCli(args);
  assert.equal(r.status, 1, `${args.join(' ')}: ${r.stdout}`);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, pattern);
}

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

/** A valid header for a GPT-style (non-BitLM) run on a per-token dataset; override any field. */
export function foreignHeader(overrides: Partial<HeaderRecord> = {}): HeaderRecord {
  return {
    type: 'header', format_version: 1, run_id: 'gpt-r1', arch: 'gpt2',
    config: { d: 768, layers: 12, heads: 12, d_ff: 3072, seq_len: 1024, vocab: 50257 },
    params: 124_000_000,
    batch_size: 512, seq_len: 1024, lr: { peak: 6e-4, schedule: 'cosine', warmup_steps: 700, final: 6e-5 },
    planned_steps: 10_000, seed: 0,
    dataset: { name: 'openwebtext', bytes: null, sha256: null, token_unit: 'token', tokenizer: 'gpt2' },
    loss_unit: 'nats', precision: 'bf16-autocast', backend: 'pytorch', hardware: '8×A100',
    tool: { name: 'nanoGPT', version: 'abc123' },
    ...overrides,
  };
}
