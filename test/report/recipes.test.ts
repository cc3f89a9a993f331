/**
 * A fit group is one recipe (issue 25, item 1), as the report shows it: a run of another recipe
 * joins no law of the ladder's, is listed under "Runs not in any fit" with why, and a joint law
 * that cannot be fitted says so where it would have been.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countParams } from '../../src/arch/bitlm.js';
import { buildReport } from '../../src/report/build.js';
import { writeRunLog } from '../../src/runs/log.js';
import type { HeaderRecord } from '../../src/runs/types.js';
import { foreignHeader, sampleHeader } from '../helpers.js';
import { writeLadder } from '../fit/ladder-fixture.js';

const root = new URL('../../', import.meta.url).pathname;

/** A completed run on brown with one eval at the end. */
function writeRun(dir: string, collection: string, header: HeaderRecord, steps: number, loss: number): void {
  const tokens = steps * header.batch_size * header.seq_len;
  writeRunLog(join(dir, collection, `${header.run_id}.jsonl`), {
    header: { ...header, planned_steps: steps },
    steps: [],
    evals: [{ type: 'eval', step: steps, tokens, val_bpc: loss }],
    summary: { type: 'summary', status: 'completed', steps, tokens, final_val_bpc: loss, wall_s: null },
  });
}

test('the report: a smoke run (T 64, LR 4e-3) and a stray in the ladder join no law of the ladder, are listed with why, and the joint laws they cannot make say so', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-recipes-'));
  cpSync(join(root, 'runs/seed'), join(dir, 'seed'), { recursive: true });
  writeLadder(dir, { collection: 'ladder' });
  // As `train --preset tiny` writes it by default, into runs/local/: d=64, L=2, 400 steps at T 64, LR 4e-3, warmup 40.
  const config = { d: 64, layers: 2, heads: 4, d_ff: 64, seq_len: 64, vocab: 128 };
  const tiny = sampleHeader({ run_id: 'tiny-s400-seed0', config, params: countParams({ d: 64, layers: 2, dFf: 64, vocab: 128 }), batch_size: 16, seq_len: 64, lr: { peak: 4e-3, schedule: 'cosine', warmup_steps: 40, final: 0 } });
  writeRun(dir, 'local', tiny, 400, 3.59);
  // A stray in the ladder's own folder: a ladder size at T 64, far off the ladder's law.
  writeRun(dir, 'ladder', sampleHeader({ run_id: 'ladder-stray-T64', config: { d: 64, layers: 2, heads: 4, d_ff: 32, seq_len: 64, vocab: 128 }, params: countParams({ d: 64, layers: 2, dFf: 32, vocab: 128 }), batch_size: 16, seq_len: 64, lr: { peak: 3e-3, schedule: 'cosine', warmup_steps: 25, final: 0 } }), 500, 2.5);
  // Another architecture: a 3 × 3 GPT-2 ladder of one recipe (warmup 700) and one run at warmup 2000.
  for (const params of [20e6, 60e6, 180e6]) {
    for (const steps of [2000, 4000, 8000]) {
      const tokens = steps * 512 * 1024;
      writeRun(dir, 'gpt', foreignHeader({ run_id: `gpt-${params / 1e6}M-s${steps}`, params, config: null }), steps, 1.8 + 300 / params ** 0.3 + 400 / tokens ** 0.3);
    }
  }
  writeRun(dir, 'gpt', foreignHeader({ run_id: 'gpt-warmup2000', params: 60e6, config: null, lr: { peak: 6e-4, schedule: 'cosine', warmup_steps: 2000, final: 6e-5 } }), 4000, 3.2);
  const outDir = mkdtempSync(join(tmpdir(), 'bitscale-recipes-out-'));
  const built = await buildReport({ runsDir: dir, outDir, templatesDir: join(root, 'templates'), claimsFile: join(root, 'claims/seed-report.json'), analysis: { bootstrap: 100, candidateBootstrap: 50 } });
  const markdown = readFileSync(built.reportPath, 'utf8');
  const section = (name: string) => markdown.slice(markdown.indexOf(`## Local data set: \`runs/${name}/\``)).split(/\n## /)[0];

  // Every run in no law, with why; the ladder's own runs are not among them.
  const table = markdown.slice(markdown.indexOf('### Runs not in any fit')).split(/\n## /)[0];
  const reason = (id: string) => table.match(new RegExp(`^\\| \`${id}\` \\| [^|]+ \\| (.+) \\|$`, 'm'))?.[1];
  assert.equal(reason('tiny-s400-seed0'), 'another recipe than the main brown one (seq_len 64 vs 128; peak LR 0.004 vs 0.003; warmup 40 steps vs 25 steps); its recipe (T 64, bs 16, LR 0.004 cosine, warmup 40 steps, final LR 0) has 1 run of brown at 1 size and 1 step count: too few for a step family, a size law or the joint law (7 runs)');
  assert.match(reason('ladder-stray-T64')!, /^another recipe than the main brown one \(seq_len 64 vs 128\)/);
  assert.match(reason('v70')!, /^another recipe than the main TinyStories one \(batch size 256 vs 64; peak LR 0\.0032 vs 0\.0003\)/);
  assert.ok(!/\| `ladder-d/.test(table), 'every ladder run is in a law');

  // The ladder's joint law: its 15 runs only, named by recipe beside the stray's, which says why it is not fitted.
  const ladder = section('ladder');
  assert.match(ladder, /#### Joint law L\(N, D\) on brown \(recipe T 128, bs 16, LR 0\.003 cosine, warmup 25 steps, final LR 0\)\n\n\| parameter \| value \| interval \| unit \|/);
  assert.match(ladder, /`L\(N, D\) = E \+ A\/N\^alpha \+ B\/D\^beta[^`]*` — over-determined \(n = 15, dof = 10\)/);
  assert.match(ladder, /#### Joint law L\(N, D\) on brown \(recipe T 64, bs 16, LR 0\.003 cosine, warmup 25 steps, final LR 0\)\n\nNot fitted: 1 run\(s\) without two values of both N and D: the joint law needs at least 7 runs spanning N and D \(recipe T 64, bs 16, LR 0\.003 cosine, warmup 25 steps, final LR 0\)\./);
  assert.match(ladder, /Every run of the largest size, 1\.2M \(3 runs\), is held out\. The joint law L\(N, D\) = E \+ A\/N\^α \+ B\/D\^β is fitted on the 4 smaller sizes \([^;]+; 12 runs, all their budgets\)/);

  // The smoke run's own section: its joint law is not fitted, and says why (the section does not vanish).
  const local = section('local');
  assert.match(local, /#### Joint law L\(N, D\) on brown\n\nNot fitted: 1 run\(s\) without two values of both N and D: the joint law needs at least 7 runs spanning N and D \(recipe T 64, bs 16, LR 0\.004 cosine, warmup 40 steps, final LR 0\)\./);
  assert.match(local, /#### Backtest: predicting the largest size\n\nNot computed: /);

  // Another architecture's section: the joint law is the main recipe's and says so; the other recipe's says why it is not fitted.
  const gpt = markdown.slice(markdown.indexOf('## Other architecture: gpt2 on openwebtext')).split(/\n## /)[0];
  assert.match(gpt, /#### Joint law L\(N, D\) \(bits per token \(gpt2\)\)\n\nThe main recipe's runs only \(T 1024, bs 512, LR 0\.0006 cosine, warmup 700 steps, final LR 0\.00006; 9 runs\): a law never mixes recipes\.\n\n\| parameter \|/);
  assert.match(gpt, /^Recipe T 1024, bs 512, LR 0\.0006 cosine, warmup 2000 steps, final LR 0\.00006 \(1 run\): not fitted: 1 run\(s\) without two values of both N and D: the joint law needs at least 7 runs spanning N and D\.$/m);
  assert.match(reason('gpt-warmup2000')!, /^another recipe than the main openwebtext one \(warmup 2000 steps vs 700 steps\)/);
});
