/**
 * Every `npx bitscale …` example in README.md and docs/*.md runs on a fresh clone: each quick one is run here (in
 * page order, so that `fit --save law.json` comes before the commands that read law.json) and
 * must exit 0; each slow or placeholder one is in SKIPPED with the reason. An example in neither
 * list fails the test, so a new example is classified when it is written.
 * The commands run in a temporary folder holding a copy of runs/ (what they may write goes there)
 * and links to the files the examples read.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

/** Examples not run here, by their text up to the first comment, with why. */
const SKIPPED: Record<string, string> = {
  'npx bitscale report': 'builds the whole report: about 20 s on 2 cores (test/report/report.test.ts builds it)',
  'npx bitscale report --html': 'the report plus its page: as slow as report (test/report/browser.test.ts)',
  'npx bitscale ingest my-runs/*.jsonl --into mylab': 'my-runs/ stands for the user\'s own logs',
  'npx bitscale ingest results.csv --map val_bpc=loss,steps=iter --set dataset=GLM-Reasoning,seq_len=256': 'results.csv stands for the user\'s own table',
  'npx bitscale ingest ladder.csv --into gpt --set arch=gpt2,token_unit=token,tokenizer=gpt2,loss_unit=nats,dataset=owt,seq_len=1024': 'ladder.csv stands for the user\'s own table',
  'npx bitscale ingest ~/logs --set dataset=owt,batch_size=480 --bytes-per-token 4.2 --dry-run': '~/logs stands for the user\'s own logs',
  'npx bitscale ingest mlruns/ --set dataset=c4 --strict': 'mlruns/ stands for the user\'s own MLflow folder (test/runs/ ingests MLflow fixtures)',
  'npx bitscale fit --csv data.csv --form saturating --x params --y val_bpc --fix A=1.0 --x-unit 1e6 --json': 'data.csv stands for the user\'s own table',
  'npx bitscale train --preset tiny': 'trains for minutes (test/train/ trains tiny runs of a few steps)',
  'npx bitscale train --preset small --threads 2': 'trains for minutes',
  'npx bitscale train --preset tiny --arch float-v52 --steps 30': 'trains float-v52 (test/model/float-family.test.ts trains it 30 steps and reads its log)',
  'npx bitscale train --resume tiny-bitlm-v57-s400-seed0': 'needs the checkpoint of a killed run of the line above',
  'npx bitscale sweep --grid sweeps/brown-ladder.json --jobs 2': 'trains 15 runs: 25 min on 2 cores',
  'npx bitscale sweep --grid sweeps/brown-repetition.json --jobs 2': 'trains 48 runs: 29 min on 2 cores',
  'npx bitscale sweep --grid sweeps/brown-batch-lr.json --jobs 2': 'trains 80 runs: 6 min on 2 cores',
  'npx bitscale sweep --grid sweeps/brown-family-v52.json --jobs 2': 'trains 10 runs: minutes on 2 cores (test/train/family-grids.test.ts checks the grid)',
  'npx bitscale sweep --grid sweeps/brown-family-float.json --jobs 2': 'trains 10 runs: minutes on 2 cores (test/train/family-grids.test.ts checks the grid)',
  'npx bitscale sweep --grid sweeps/brown-family-ff2.json --jobs 2': 'trains 10 runs: minutes on 2 cores (test/train/family-grids.test.ts checks the grid)',
  'npx bitscale sweep --grid reports/next-runs.json --slurm --submit --partition gpu --gpus-per-task 1': 'needs a Slurm cluster and the grid\'s data (test/sweep/slurm.test.ts runs sweeps on a real Slurm when one is installed)',
  'npx bitscale sweep --grid reports/next-runs.json --slurm --submit --partition gpu --account mylab --qos normal --time 12:00:00 --gpus-per-task 1 --cpus-per-task 8 --mem 64G --max-parallel 4 --sbatch=--constraint=a100': 'needs a Slurm cluster and the grid\'s data',
  'npx bitscale sweep --grid reports/next-runs.json --slurm --submit': 'needs a Slurm cluster and the grid\'s data',
  'npm ci && npx bitscale report': 'installs the packages, then builds the report (see report above)',
};

/** The examples: lines of the README's code blocks that start with `npx bitscale` (or `$ npx bitscale`), continuations joined, comments dropped. */
export function readmeExamples(text: string): string[] {
  const out: string[] = [];
  for (const block of text.split('```').filter((_, i) => i % 2 === 1)) {
    const lines = block.split('\n');
    for (let i = 0; i < lines.length; i++) {
      let line = lines[i].replace(/^\$ /, '');
      if (!/^(npm ci && )?npx bitscale /.test(line)) continue;
      while (/\\\s*$/.test(line) && i + 1 < lines.length) line = `${line.replace(/\\\s*$/, '')} ${lines[++i].trim()}`;
      out.push(line.replace(/\s+#.*$/, '').replace(/\s+/g, ' ').trim());
    }
  }
  return out;
}

/** Shell words: spaces split, double or single quotes group. */
function words(command: string): string[] {
  return [...command.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]);
}

/** The documentation's pages: README.md first, then docs/*.md in name order (examples run in that order). */
function documentationText(): string {
  const docs = readdirSync(join(root, 'docs')).filter((f) => f.endsWith('.md')).sort();
  return [readFileSync(join(root, 'README.md'), 'utf8'), ...docs.map((f) => readFileSync(join(root, 'docs', f), 'utf8'))].join('\n');
}

test('every npx bitscale example in the README and docs/ is either run here and exits 0, or skipped for a stated reason', () => {
  const examples = readmeExamples(documentationText());
  assert.ok(examples.length >= 25, `${examples.length} examples found`);
  const work = mkdtempSync(join(tmpdir(), 'bitscale-readme-'));
  try {
    cpSync(join(root, 'runs'), join(work, 'runs'), { recursive: true });
    mkdirSync(join(work, 'test', 'fit'), { recursive: true });
    symlinkSync(join(root, 'test', 'fit', 'fixtures'), join(work, 'test', 'fit', 'fixtures'));
    symlinkSync(join(root, 'reports'), join(work, 'reports'));
    symlinkSync(join(root, 'sweeps'), join(work, 'sweeps'));
    const ran: { example: string; seconds: number }[] = [];
    const failed: string[] = [];
    for (const example of new Set(examples)) {
      if (example in SKIPPED) continue;
      const args = words(example).slice(2);
      const t0 = performance.now();
      const r = spawnSync(process.execPath, [join(root, 'bin/bitscale.js'), ...args], { cwd: work, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
      ran.push({ example, seconds: (performance.now() - t0) / 1000 });
      if (r.status !== 0) failed.push(`${example}: exit ${r.status}: ${r.stderr.trim().split('\n').at(-1)}`);
    }
    assert.deepEqual(failed, []);
    assert.ok(ran.length >= 12, `${ran.length} run`);
    // Every skip names an example still in the documentation (a stale entry is removed, not kept).
    assert.deepEqual(Object.keys(SKIPPED).filter((k) => !examples.includes(k)), []);
    process.stderr.write(`# README examples: ${ran.length} run in ${ran.reduce((s, r) => s + r.seconds, 0).toFixed(1)} s, ${Object.keys(SKIPPED).length} skipped; slowest: ${[...ran].sort((a, b) => b.seconds - a.seconds).slice(0, 3).map((r) => `${r.example.slice(13, 60)} ${r.seconds.toFixed(1)} s`).join('; ')}\n`);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
});
