/**
 * Parameter counts of common float transformer families from a Hugging Face `config.json`, for
 * runs ingested from other trainers (HF stores the architecture, never the count). Every weight
 * and bias is counted once; tied embeddings count once.
 */

type HfConfig = Record<string, unknown>;

const int = (c: HfConfig, key: string, dflt?: number): number | undefined => {
  const v = c[key];
  return typeof v === 'number' && Number.isInteger(v) && v > 0 ? v : dflt;
};

/**
 * GPT-2 (model_type "gpt2"), d = n_embd, L = n_layer, V = vocab_size, P = n_positions,
 * f = n_inner (4d when null):
 *   N = V·d + P·d + L·(4d² + 4d + 2·d·f + f + d + 4d) + 2d   (+ V·d if the LM head is untied)
 * per layer: c_attn d×3d + 3d, c_proj d×d + d, c_fc d×f + f, mlp c_proj f×d + d, two LayerNorms 2d each.
 * Example: GPT-2 small (d 768, L 12, V 50257, P 1024) → 124,439,808.
 */
export function countGpt2Params(c: HfConfig): number | null {
  const d = int(c, 'n_embd');
  const L = int(c, 'n_layer');
  const V = int(c, 'vocab_size');
  const P = int(c, 'n_positions') ?? int(c, 'n_ctx');
  if (!d || !L || !V || !P) return null;
  const f = int(c, 'n_inner', 4 * d)!;
  const perLayer = 4 * d * d + 4 * d + 2 * d * f + f + d + 4 * d;
  const untied = c.tie_word_embeddings === false ? V * d : 0;
  return V * d + P * d + L * perLayer + 2 * d + untied;
}

/**
 * LLaMA / Mistral (model_type "llama", "mistral"), d = hidden_size, L = num_hidden_layers,
 * f = intermediate_size, h = head_dim (d / heads by default), k = num_key_value_heads:
 *   N = V·d·(tied ? 1 : 2) + L·(2·d·h·heads + 2·d·h·k + 3·d·f + 2d) + d
 * (q and o projections, k and v projections, gate/up/down, two RMSNorms; final RMSNorm; no biases
 * unless attention_bias). Example: TinyLlama-1.1B → 1,100,048,384.
 */
export function countLlamaParams(c: HfConfig): number | null {
  const d = int(c, 'hidden_size');
  const L = int(c, 'num_hidden_layers');
  const V = int(c, 'vocab_size');
  const f = int(c, 'intermediate_size');
  const heads = int(c, 'num_attention_heads');
  if (!d || !L || !V || !f || !heads) return null;
  const kv = int(c, 'num_key_value_heads', heads)!;
  const h = int(c, 'head_dim', d / heads)!;
  const bias = c.attention_bias === true ? h * heads + 2 * h * kv + d : 0;
  const perLayer = 2 * d * h * heads + 2 * d * h * kv + 3 * d * f + 2 * d + bias;
  return V * d * (c.tie_word_embeddings === true ? 1 : 2) + L * perLayer + d;
}

/** The count for a config.json whose model_type bitscale knows, with the formula's name; else null. */
export function countHfParams(c: HfConfig): { params: number; formula: string } | null {
  const type = c.model_type;
  const params = type === 'gpt2' ? countGpt2Params(c) : type === 'llama' || type === 'mistral' ? countLlamaParams(c) : null;
  return params === null ? null : { params, formula: `${type === 'gpt2' ? 'GPT-2' : 'LLaMA'} formula` };
}
