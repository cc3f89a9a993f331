/**
 * Which formulas apply to an architecture. Any non-empty name may appear in a run log ("gpt2",
 * "olmo2", "llama", …); only the BitLM architectures have a known shape → parameter count, FLOPs
 * and memory model (src/arch/bitlm.ts, src/estimate/); float-v52, the v52 stack with float weights, is one of
 * them although its weights are not ±1. Every other architecture is "foreign": its
 * runs must state `params`, and only the general laws (step, size, joint) are fitted to them.
 */
import type { Architecture } from './bitlm.js';

/** The architectures bitscale's own formulas describe. */
export const BITLM_ARCHITECTURES: readonly Architecture[] = ['bitlm-v57', 'bitlm-v52', 'float-v52'];

/** True for an architecture whose parameter count, FLOPs and memory bitscale can compute from its shape. */
export function isBitLM(arch: string): arch is Architecture {
  return (BITLM_ARCHITECTURES as readonly string[]).includes(arch);
}

export type ArchFamily = 'bitlm' | 'foreign';

/** 'bitlm' when bitscale's formulas apply, 'foreign' otherwise. */
export function archFamily(arch: string): ArchFamily {
  return isBitLM(arch) ? 'bitlm' : 'foreign';
}
