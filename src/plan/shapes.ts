/**
 * The BitLMv57 family's shapes, as the seed's own configs set them (docs/model.md, "Shapes"):
 *   13.7M  d=640  L=6  H=20 d_ff=320
 *   46.4M  d=1024 L=8  H=32 d_ff=512
 *   "300M" d=2048 L=16 H=32 d_ff=1024
 * Rules read off them: head dim 32 until 32 heads, then 32 heads (H = min(d/32, 32));
 * d_ff = d/2; depth L = d/128 (the 46.4M and "300M"; the 13.7M's L=6 at d=640 is kept as its
 * own candidate). Pure.
 */
import { SEED_CONFIGS, type ModelConfig } from '../arch/bitlm.js';
import { BitscaleError } from '../util/errors.js';
import { formatShape } from '../util/format.js';

export interface FamilyRules {
  headDim: number;
  maxHeads: number;
  /** d_ff / d. */
  ffRatio: number;
  /** d / L. */
  widthPerLayer: number;
  minLayers: number;
  /** The widths enumerated. */
  widths: readonly number[];
}

/** The seed family's rules (see the module comment), over widths 256–4096 in steps of 128 up to 1024, then 256, then 512. */
export const BITLM_V57_FAMILY: FamilyRules = {
  headDim: 32,
  maxHeads: 32,
  ffRatio: 0.5,
  widthPerLayer: 128,
  minLayers: 2,
  widths: [256, 384, 512, 640, 768, 896, 1024, 1280, 1536, 1792, 2048, 2560, 3072, 3584, 4096],
};

/** Where a candidate shape came from. */
export type ShapeOrigin = 'family' | 'seed' | 'user';

export interface PlanShape {
  config: ModelConfig;
  origin: ShapeOrigin;
  /** "d=1024 L=8 H=32 d_ff=512". */
  label: string;
}

/** The family member of width d: H = min(d/headDim, maxHeads), d_ff = d·ffRatio, L = max(minLayers, round(d/widthPerLayer)). */
export function familyShape(d: number, rules: FamilyRules, seqLen: number, vocab = 128): ModelConfig {
  const heads = Math.min(Math.max(1, Math.round(d / rules.headDim)), rules.maxHeads);
  return { d, layers: Math.max(rules.minLayers, Math.round(d / rules.widthPerLayer)), heads, dFf: Math.round(d * rules.ffRatio), seqLen, vocab };
}

/** The rules in words, as the plan prints them. */
export function describeFamilyRules(rules: FamilyRules): string[] {
  return [
    `head dim ${rules.headDim} until ${rules.maxHeads} heads, then ${rules.maxHeads} heads (H = min(d/${rules.headDim}, ${rules.maxHeads}); the seed's 13.7M, 46.4M and "300M")`,
    `d_ff = ${rules.ffRatio}·d (all three seed configs)`,
    `depth L = d/${rules.widthPerLayer}, at least ${rules.minLayers} (the 46.4M and "300M"; the 13.7M's L=6 at d=640 is its own candidate)`,
    `widths d = ${rules.widths.join(', ')}`,
  ];
}

/** The family's shapes, the seed's configs and the user's, without repeats (first origin kept), in order of width then depth. */
export function planShapes(rules: FamilyRules, seqLen: number, extra: readonly ModelConfig[] = [], vocab = 128): PlanShape[] {
  const out = new Map<string, PlanShape>();
  const add = (config: ModelConfig, origin: ShapeOrigin) => {
    const key = `${formatShape(config)} T=${config.seqLen} V=${config.vocab}`;
    if (!out.has(key)) out.set(key, { config, origin, label: formatShape(config) });
  };
  for (const c of extra) add(c, 'user');
  for (const d of rules.widths) add(familyShape(d, rules, seqLen, vocab), 'family');
  for (const c of Object.values(SEED_CONFIGS)) add({ ...c, seqLen, vocab }, 'seed');
  return [...out.values()].sort((a, b) => a.config.d - b.config.d || a.config.layers - b.config.layers || a.config.heads - b.config.heads || a.config.dFf - b.config.dFf);
}

/**
 * `--shape d=1536,L=12,H=32,dff=768` (keys d, L|layers, H|heads, dff|d_ff) → a config at seqLen.
 * Every key is required; d must divide by H.
 */
export function parseShape(text: string, seqLen: number, vocab = 128): ModelConfig {
  const values: Record<string, number> = {};
  const alias: Record<string, string> = { d: 'd', l: 'layers', layers: 'layers', h: 'heads', heads: 'heads', dff: 'dFf', d_ff: 'dFf' };
  for (const part of text.split(',')) {
    const m = /^\s*([A-Za-z_]+)\s*=\s*([0-9]+)\s*$/.exec(part);
    const key = m ? alias[m[1].toLowerCase()] : undefined;
    if (!m || !key) throw new BitscaleError(`'${part.trim()}' in --shape '${text}' is not d=, L=, H= or dff= with a whole number`, { field: 'shape' });
    values[key] = Number(m[2]);
  }
  for (const k of ['d', 'layers', 'heads', 'dFf']) {
    if (!(values[k] >= 1)) throw new BitscaleError(`--shape '${text}' needs d, L, H and dff, each ≥ 1`, { field: 'shape' });
  }
  if (values.d % values.heads !== 0) throw new BitscaleError(`--shape '${text}': d=${values.d} is not divisible by H=${values.heads}`, { field: 'shape' });
  return { d: values.d, layers: values.layers, heads: values.heads, dFf: values.dFf, seqLen, vocab };
}
