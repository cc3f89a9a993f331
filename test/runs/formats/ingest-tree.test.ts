/** End to end: a directory tree holding several trainers' logs → `ingest` → `runs` → `report`. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { eventFileBytes, writeFile } from './writers.js';
import { frameWandbRecords, wandbRecordType } from '../../../src/runs/formats/wandb.js';

const repo = new URL('../../../', import.meta.url).pathname;

function bitscale(args: string[]) {
  const r = spawnSync(process.execPath, [join(repo, 'bin/bitscale.js'), ...args], { cwd: repo, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function buildTree(root: string): void {
  // Hugging Face Trainer, GPT-2 small architecture.
  writeFile(join(root, 'hf', 'gpt2-ft', 'config.json'), JSON.stringify({ model_type: 'gpt2', n_embd: 768, n_layer: 12, n_head: 12, n_positions: 1024, vocab_size: 50257 }));
  writeFile(join(root, 'hf', 'gpt2-ft', 'trainer_state.json'), JSON.stringify({ global_step: 200, log_history: [
    { loss: 3.6, learning_rate: 5e-5, step: 100, num_input_tokens_seen: 100 * 8192 }, { eval_loss: 3.5, step: 100 },
    { loss: 3.3, learning_rate: 4e-5, step: 200, num_input_tokens_seen: 200 * 8192 }, { eval_loss: 3.2, step: 200 },
  ] }));
  // Lightning CSVLogger, resumed once.
  const hp = 'batch_size: 8\nblock_size: 128\nlr: 0.001\nn_params: 2000000\nbetas: !!python/tuple\n- 0.9\n- 0.99\n';
  writeFile(join(root, 'pl', 'tiny', 'version_0', 'hparams.yaml'), hp);
  writeFile(join(root, 'pl', 'tiny', 'version_0', 'metrics.csv'), 'epoch,step,train_loss,val_loss\n0,99,3.0,\n0,99,,2.9\n0,199,2.6,\n');
  writeFile(join(root, 'pl', 'tiny', 'version_1', 'hparams.yaml'), hp);
  writeFile(join(root, 'pl', 'tiny', 'version_1', 'metrics.csv'), 'epoch,step,train_loss,val_loss\n1,199,2.5,\n1,199,,2.4\n');
  // MLflow file store.
  const ml = join(root, 'mlruns', '0', 'f00d');
  writeFile(join(root, 'mlruns', '0', 'meta.yaml'), 'name: Default\n');
  writeFile(join(ml, 'meta.yaml'), 'run_name: ml-run\nstatus: 3\n');
  writeFile(join(ml, 'metrics', 'val_loss'), '1700000000000 3.0 50\n1700000060000 2.8 100\n');
  for (const [k, v] of Object.entries({ batch_size: '4', seq_len: '256', lr: '0.0003', n_params: '3000000' })) writeFile(join(ml, 'params', k), v);
  // nanoGPT stdout.
  writeFile(join(root, 'nanogpt', 'char.log'), 'batch_size = 12\nblock_size = 64\nlearning_rate = 6e-4\ntokens per iteration will be: 768\nnumber of parameters: 0.80M\nstep 0: train loss 4.1, val loss 4.2\nstep 500: train loss 2.0, val loss 2.1\n');
  // W&B local run.
  const type = wandbRecordType();
  const rec = (step: number, v: number) => type.encode(type.fromObject({ history: { item: [{ key: '_step', value_json: String(step) }, { key: 'val/loss', value_json: String(v) }] } })).finish();
  writeFile(join(root, 'wandb', 'run-20240101_000000-w1', 'run-w1.wandb'), frameWandbRecords([rec(10, 3.1), rec(20, 2.9)]));
  writeFile(join(root, 'wandb', 'run-20240101_000000-w1', 'files', 'config.yaml'), 'batch_size:\n  value: 2\nseq_len:\n  value: 64\nlr:\n  value: 0.002\nn_params:\n  value: 1000000\n');
  // A README and a stray file are ignored.
  writeFile(join(root, 'README.md'), '# logs\n');
}

test('ingest a tree of six formats (dry run writes nothing), then runs and report read them', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-tree-'));
  const runs = join(dir, 'runs');
  cpSync(join(repo, 'runs'), runs, { recursive: true });
  const logs = join(dir, 'logs');
  buildTree(logs);
  const tb = join(dir, 'tb', 'exp1');
  writeFile(join(tb, 'events.out.tfevents.1700000000.h.1.0'), eventFileBytes([{ step: 100, scalars: { 'train/loss': 3.2, 'val/loss': 3.25 } }, { step: 200, scalars: { 'val/loss': 3 } }]));

  const dry = bitscale(['--runs', runs, 'ingest', logs, '--set', 'dataset=mixed-web,batch_size=8', '--dry-run']);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /would ingest 5 runs/);
  assert.match(dry.stdout, /gpt2-ft \(huggingface\): train_loss ← loss, val_loss ← eval_loss, tokens ← num_input_tokens_seen, lr ← learning_rate/);
  assert.match(dry.stdout, /params 124\.4M \(.*config\.json \(GPT-2 formula\)\)/);
  assert.ok(!existsSync(join(runs, 'ingested')), 'a dry run writes nothing');

  const before = readFileSync(join(logs, 'pl', 'tiny', 'version_0', 'metrics.csv'), 'utf8');
  const r = bitscale(['--runs', runs, 'ingest', logs, '--set', 'dataset=mixed-web,batch_size=8', '--bytes-per-token', '4', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const ingested = JSON.parse(r.stdout).ingested as { run_id: string; mapping: { format: string } }[];
  assert.deepEqual(ingested.map((x) => `${x.run_id}:${x.mapping.format}`).sort(), ['char:nanogpt', 'gpt2-ft:huggingface', 'ml-run:mlflow', 'tiny:lightning', 'w1:wandb']);
  assert.equal(readFileSync(join(logs, 'pl', 'tiny', 'version_0', 'metrics.csv'), 'utf8'), before, 'sources untouched');

  const t = bitscale(['--runs', runs, 'ingest', join(dir, 'tb'), '--set', 'dataset=mixed-web,params=5M,batch_size=16,seq_len=128,lr=3e-4', '--bytes-per-token', '4']);
  assert.equal(t.code, 0, t.stderr);
  assert.deepEqual(readdirSync(join(runs, 'ingested')).sort(), ['char.jsonl', 'exp1.jsonl', 'gpt2-ft.jsonl', 'ml-run.jsonl', 'tiny.jsonl', 'w1.jsonl']);

  const table = bitscale(['--runs', runs, 'runs', '--collection', 'ingested', '--json']);
  assert.equal(table.code, 0, table.stderr);
  const byId = new Map((JSON.parse(table.stdout).runs as { run_id: string; val_bpc: number; params: number; steps: number }[]).map((x) => [x.run_id, x]));
  // Exact values: nats / ln 2 / 4 bytes per token, at the last step.
  assert.equal(byId.get('gpt2-ft')!.val_bpc, 3.2 / Math.LN2 / 4);
  assert.equal(byId.get('gpt2-ft')!.params, 124_439_808);
  assert.equal(byId.get('tiny')!.val_bpc, 2.4 / Math.LN2 / 4);
  assert.equal(byId.get('ml-run')!.val_bpc, 2.8 / Math.LN2 / 4);
  assert.equal(byId.get('char')!.val_bpc, 2.1 / Math.LN2 / 4);
  assert.equal(byId.get('w1')!.val_bpc, 2.9 / Math.LN2 / 4);
  assert.equal(byId.get('exp1')!.val_bpc, 3 / Math.LN2 / 4);

  const again = bitscale(['--runs', runs, 'ingest', logs, '--set', 'dataset=mixed-web,batch_size=8']);
  assert.equal(again.code, 1);
  assert.match(again.stderr, /duplicate run id|already exists/);

  const out = join(dir, 'report');
  const rep = bitscale(['--runs', runs, 'report', '--out', out, '--bootstrap', '20']);
  assert.equal(rep.code, 0, rep.stderr);
  assert.ok(existsSync(join(out, 'SCALING_REPORT.md')));
});
