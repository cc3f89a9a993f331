/**
 * The CSV fields bitscale understands; `--map FIELD=COLUMN` renames a CSV column to one of them.
 * A module of its own, without the CSV parser, because `bitscale ingest --help` lists them.
 */
export const CSV_FIELDS = {
  run_id: 'run identifier; rows sharing it form one run\'s curve (default: FILE-lineN, one run per row)',
  params: 'parameter count (a count: 46399488 or 46.4M); optional when d, layers, d_ff, vocab are given',
  dataset: 'dataset name',
  steps: 'optimizer steps at which val_bpc was measured',
  batch_size: 'sequences per step (alias: bs)',
  seq_len: 'context length T in tokens (alias: T)',
  lr: 'peak learning rate',
  val_bpc: 'validation loss, in loss_unit (default bits per byte)',
  arch: 'architecture name (default bitlm-v57); any other name (gpt2, olmo2, …) is a foreign model and needs params',
  d: 'model width', layers: 'layers', heads: 'attention heads', d_ff: 'FFN width', vocab: 'vocabulary (default 128)',
  loss_unit: 'bits (default) or nats',
  token_unit: 'what one token is: byte (default; BitLM is byte-level), char, or token (a tokenizer\'s token)',
  tokenizer: 'the tokenizer when token_unit is token, e.g. gpt2 or olmo2',
  precision: 'fp32, bf16-autocast, fp16-autocast or unknown (default)',
  hardware: 'where it ran (default unknown)', backend: 'framework or tfjs backend (default unknown)',
  wall_s: 'wall-clock seconds at that step', train_loss: 'training loss at that step, in loss_unit',
  planned_steps: 'planned steps (default: the last step)', seed: 'random seed',
  dataset_bytes: 'corpus size in bytes', dataset_sha256: 'corpus sha256', source: 'where the numbers come from', notes: 'free text',
} as const;
