import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync, readdirSync, existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

export function bitscale(args: string[], env: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, [join(root, 'bin/bitscale.js'), ...args], { cwd: root, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1', ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('every command has --help and exits 0', () => {
  const top = bitscale(['--help']);
  assert.equal(top.code, 0);
  const commands = [...top.stdout.split('Commands:')[1].matchAll(/^ {2}([a-z-]+)\b/gm)].map((m) => m[1]).filter((c) => c !== 'help');
  assert.ok(commands.includes('runs') && commands.includes('ingest'), top.stdout);
  for (const c of commands) {
    const r = bitscale([c, '--help']);
    assert.equal(r.code, 0, `${c} --help`);
    assert.match(r.stdout, new RegExp(`Usage: bitscale ${c}`));
  }
});

test('runs --json prints only JSON on stdout, with the seed runs in it', () => {
  const r = bitscale(['runs', '--collection', 'seed', '--json']);
  assert.equal(r.code, 0, r.stderr);
  const parsed = JSON.parse(r.stdout);
  assert.equal(parsed.runs.length, 10);
  assert.equal(parsed.runs.find((x: { id: string }) => x.id === 'v72').tokens, 20000 * 64 * 256);
});

test('bad input: one line on stderr naming file, line and field, exit 1, nothing written', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-cli-'));
  const csv = join(dir, 'r.csv');
  writeFileSync(csv, 'params,steps,bs,lr,val_bpc\n5e6,100,8,1e-3,oops\n');
  const runs = join(dir, 'runs');
  const r = bitscale(['--runs', runs, 'ingest', csv, '--set', 'dataset=x,seq_len=256']);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /r\.csv:2: field 'val_bpc': not a number: 'oops'/);
  assert.ok(!existsSync(runs) || readdirSync(runs).length === 0);
  const unknown = bitscale(['nonsense']);
  assert.equal(unknown.code, 1);
  assert.equal(unknown.stderr.trim().split('\n').length, 1);
});

test('train --resume PATH continues the log where it is: a completed run elsewhere is refused by its own path', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-resume-'));
  const log = join(dir, 'brown-cpu-d64-L2-s250.jsonl');
  writeFileSync(log, readFileSync(join(root, 'runs/brown-cpu/brown-cpu-d64-L2-s250.jsonl')));
  const r = bitscale(['train', '--resume', log, '--backend', 'cpu', '--checkpoint-dir', join(dir, 'ck')]);
  assert.equal(r.code, 1);
  assert.match(r.stderr, new RegExp(`${log.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}: the run is already completed`));
  const missing = bitscale(['train', '--resume', join(dir, 'nope.jsonl')]);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /nope\.jsonl: no run log to resume/);
});

test('ingest of a non-BitLM run without params: one line on stderr saying why, exit 1, nothing written', () => {
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-cli-'));
  const csv = join(dir, 'gpt.csv');
  writeFileSync(csv, 'steps,bs,lr,val_bpc\n1000,512,6e-4,3.2\n');
  const runs = join(dir, 'runs');
  const r = bitscale(['--runs', runs, 'ingest', csv, '--set', 'dataset=owt,seq_len=1024,arch=gpt2,token_unit=token,tokenizer=gpt2']);
  assert.equal(r.code, 1);
  assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
  assert.match(r.stderr, /gpt\.csv:1: field 'params': missing column: architecture 'gpt2' is not BitLM, so bitscale has no parameter formula for it; give the count/);
  assert.equal(existsSync(runs), false);
});
