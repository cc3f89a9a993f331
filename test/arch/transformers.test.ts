import { test } from 'node:test';
import assert from 'node:assert/strict';
import { countGpt2Params, countHfParams, countLlamaParams } from '../../src/arch/transformers.js';

// Hugging Face config.json values of the published checkpoints.
const gpt2Small = { model_type: 'gpt2', n_embd: 768, n_layer: 12, n_head: 12, n_positions: 1024, n_ctx: 1024, vocab_size: 50257, n_inner: null };
const tinyLlama = { model_type: 'llama', hidden_size: 2048, num_hidden_layers: 22, intermediate_size: 5632, num_attention_heads: 32, num_key_value_heads: 4, vocab_size: 32000, tie_word_embeddings: false };

test('GPT-2 small counts 124,439,808 parameters with tied embeddings', () => {
  assert.equal(countGpt2Params(gpt2Small), 124_439_808);
});

test('GPT-2 medium (d 1024, 24 layers) counts 354,823,168', () => {
  assert.equal(countGpt2Params({ ...gpt2Small, n_embd: 1024, n_layer: 24, n_head: 16 }), 354_823_168);
});

test('an untied GPT-2 head adds V·d', () => {
  assert.equal(countGpt2Params({ ...gpt2Small, tie_word_embeddings: false }), 124_439_808 + 50257 * 768);
});

test('TinyLlama-1.1B (grouped-query attention, untied head) counts 1,100,048,384', () => {
  assert.equal(countLlamaParams(tinyLlama), 1_100_048_384);
});

test('countHfParams names the formula and refuses unknown model types', () => {
  assert.deepEqual(countHfParams(gpt2Small), { params: 124_439_808, formula: 'GPT-2 formula' });
  assert.equal(countHfParams({ model_type: 'bert', hidden_size: 768 }), null);
  assert.equal(countGpt2Params({ model_type: 'gpt2', n_embd: 768 }), null);
});
