/**
 * The build (scripts/build.js → dist/) and the bin that chooses between it and the sources
 * (bin/bitscale.js, bin/build-check.js). Each test works on a copy of the package in a temporary
 * folder (node_modules linked), so the worktree's own dist/ is never touched while other test files
 * run the CLI.
 */
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const runsDir = join(root, 'runs');
let pkg: string;
let work: string;

interface Result {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Run the copy's bin: the bundle, or the sources through tsx with `fromSource`. */
function cli(args: string[], options: { fromSource?: boolean; cwd?: string; nodeArgs?: string[] } = {}): Result {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: '1', BITSCALE_FROM_SOURCE: options.fromSource ? '1' : undefined };
  const r = spawnSync(process.execPath, [...(options.nodeArgs ?? []), join(pkg, 'bin/bitscale.js'), ...args], { cwd: options.cwd ?? work, encoding: 'utf8', env });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function build(): void {
  const r = spawnSync(process.execPath, [join(pkg, 'scripts/build.js')], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
}

/** Every file under `dir`, relative path → bytes. */
function tree(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const rel of readdirSync(dir, { recursive: true }) as string[]) {
    const path = join(dir, rel);
    if (statSync(path).isFile()) out.set(rel, readFileSync(path));
  }
  return out;
}

before(() => {
  pkg = mkdtempSync(join(tmpdir(), 'bitscale-build-'));
  for (const part of ['bin', 'scripts', 'src', 'templates', 'claims', 'package.json', 'tsconfig.json']) cpSync(join(root, part), join(pkg, part), { recursive: true });
  symlinkSync(join(root, 'node_modules'), join(pkg, 'node_modules'));
  work = join(pkg, 'work');
  mkdirSync(work);
  build();
});

after(() => rmSync(pkg, { recursive: true, force: true }));

test('the bundle prints byte for byte what the sources print: help, estimate, predict, runs, fit --csv, errors', () => {
  const cases = [
    ['--help'],
    ['ingest', '--help'],
    ['estimate', '--model', '300M', '--gpu', 'a100-40gb', '--json'],
    ['estimate', '--model', '300M', '--gpu', 'a100-40gb', '--sweep-bs'],
    ['--runs', runsDir, 'predict', '--params', '369.6M', '--steps', '30000', '--bs', '256', '--dataset', 'GLM-Reasoning', '--bootstrap', '50', '--json'],
    ['--runs', runsDir, 'runs', '--json'],
    ['estimate', '--model', '300M', '--gpu', 'nope'],
    ['fit', '--csv', join(root, 'test/fit/fixtures/chinchilla_besiroglu2024.csv'), '--form', 'chinchilla', '--x', 'Model Size', '--flops', 'Training FLOP', '--y', 'loss', '--drop-highest', '5', '--bootstrap', '0', '--json'],
    ['estimate', '--no-such-option'],
  ];
  for (const args of cases) {
    const bundled = cli(args);
    const sources = cli(args, { fromSource: true });
    assert.deepEqual(bundled, sources, `bitscale ${args.join(' ')}`);
  }
  // The cases cover success, a BitscaleError and a commander error.
  assert.equal(cli(['estimate', '--model', '300M', '--gpu', 'nope']).status, 1);
  assert.match(cli(['estimate', '--model', '300M', '--gpu', 'a100-40gb', '--json']).stdout, /^\{/);
});

test('the bundle writes the same report, file for file, as the sources, with templates and claims found from any folder', () => {
  const args = ['--runs', runsDir, 'report', '--out', 'rep', '--bootstrap', '20', '--json'];
  const a = join(work, 'a');
  const b = join(work, 'b');
  mkdirSync(a);
  mkdirSync(b);
  const bundled = cli(args, { cwd: a });
  const sources = cli(args, { cwd: b, fromSource: true });
  assert.equal(bundled.status, 0, bundled.stderr);
  assert.deepEqual(bundled, sources);
  const ta = tree(join(a, 'rep'));
  assert.ok(ta.has('SCALING_REPORT.md') && [...ta.keys()].some((k) => k.endsWith('.svg')));
  assert.deepEqual(ta, tree(join(b, 'rep')));
});

test('the build precompiles every shipped template, with the options the report compiles with, so the bundle need not compile them', async () => {
  const { TEMPLATE_OPTIONS, PRECOMPILED_FILE, templateKey } = await import('../src/report/templates.js');
  const file = createRequire(import.meta.url)(join(pkg, 'dist', PRECOMPILED_FILE)) as { options: unknown; specs: Record<string, unknown> };
  assert.deepEqual(file.options, TEMPLATE_OPTIONS);
  const shipped = (readdirSync(join(pkg, 'templates'), { recursive: true }) as string[]).filter((n) => n.endsWith('.hbs'));
  assert.ok(shipped.includes('report.md.hbs') && shipped.length > 10, shipped.join(', '));
  for (const n of shipped) assert.ok(templateKey(readFileSync(join(pkg, 'templates', n), 'utf8')) in file.specs, n);
});

test('commands that do not need them load neither TensorFlow.js, vega, Handlebars, the fitters nor the CSV parser', () => {
  const heavy = ['@tensorflow', 'vega', 'vega-lite', 'handlebars', 'ml-levenberg-marquardt', 'ml-matrix', 'csv-parse'];
  // A module hook that appends each loaded URL to a file.
  writeFileSync(join(work, 'hooks.mjs'), "import { appendFileSync } from 'node:fs';\nexport async function load(url, context, next) { appendFileSync(process.env.TRACE_FILE, url + '\\n'); return next(url, context); }\n");
  writeFileSync(join(work, 'trace.mjs'), "import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n");
  const packagesLoaded = (args: string[]): string[] => {
    const file = join(work, `trace-${args[0]}.txt`);
    writeFileSync(file, '');
    process.env.TRACE_FILE = file;
    const r = cli(args, { nodeArgs: ['--import', join(work, 'trace.mjs')] });
    delete process.env.TRACE_FILE;
    assert.equal(r.status, 0, r.stderr);
    const urls = readFileSync(file, 'utf8').split('\n');
    assert.ok(urls.some((u) => u.includes('/dist/cli.js')), 'the bundle ran');
    return [...new Set(urls.map((u) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1]).filter((p): p is string => Boolean(p)))].sort();
  };
  const heavyIn = (pkgs: string[]) => pkgs.filter((p) => heavy.some((h) => p === h || p.startsWith(`${h}/`)));
  assert.deepEqual(heavyIn(packagesLoaded(['--help'])), []);
  assert.deepEqual(heavyIn(packagesLoaded(['estimate', '--model', '300M', '--gpu', 'a100-40gb', '--json'])), []);
  assert.deepEqual(heavyIn(packagesLoaded(['runs', '--runs', runsDir, '--json'])), []);
  // The tracer sees them when they are loaded: predict needs the fitters.
  assert.ok(packagesLoaded(['predict', '--runs', runsDir, '--params', '10M', '--steps', '15000', '--bs', '256', '--dataset', 'GLM-Reasoning', '--bootstrap', '0', '--json']).includes('ml-levenberg-marquardt'));
});

test('train runs from the bundle on the wasm backend (its .wasm files load) and trains exactly as the sources do', () => {
  const text = join(work, 'text.txt');
  writeFileSync(text, 'the quick brown fox jumps over the lazy dog. '.repeat(400));
  const run = (out: string, fromSource: boolean) => {
    const r = cli(['train', '--preset', 'tiny', '--steps', '2', '--batch-size', '2', '--eval-every', '2', '--data', text, '--out', out, '--backend', 'wasm', '--checkpoint-dir', join(work, 'ckpt'), '--json'], { fromSource });
    assert.equal(r.status, 0, r.stderr);
    // Timings and memory differ from run to run; everything else is the seed's.
    return readFileSync(join(work, out, 'tiny-bitlm-v57-s2-seed0.jsonl'), 'utf8').split('\n').filter(Boolean).map((line) => {
      const { wall_s: _w, tokens_per_s: _t, peak_bytes: _p, ...rest } = JSON.parse(line);
      return rest;
    });
  };
  const bundled = run('bundled', false);
  assert.equal(bundled[0].backend, 'wasm');
  assert.equal(bundled.at(-1).status, 'completed');
  assert.deepEqual(bundled, run('sources', true));
});

test('sweep from the bundle starts its train runs through the package\'s bin', () => {
  const text = join(work, 'sweep-text.txt');
  writeFileSync(text, 'a sweep trains on this line. '.repeat(300));
  const grid = join(work, 'grid.json');
  writeFileSync(grid, JSON.stringify({ name: 'g', out: join(work, 'sweep-runs'), data: text, base: { preset: 'tiny', batchSize: 2, evalEvery: 2, checkpointEvery: 0 }, models: [{ name: 'm', model: { d: 16, layers: 1, heads: 2, d_ff: 16, seq_len: 16 } }], steps: [2] }));
  const r = cli(['sweep', '--grid', grid, '--backend', 'wasm', '--json']);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  const log = readFileSync(join(work, 'sweep-runs', 'g-m-s2.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  assert.equal(log.at(-1).status, 'completed');
  // The Slurm script, written by the bundle: its template is found and its tasks run this package's bin.
  const pending = join(work, 'grid-slurm.json');
  writeFileSync(pending, readFileSync(grid, 'utf8').replace('sweep-runs', 'slurm-runs'));
  const slurm = cli(['sweep', '--grid', pending, '--slurm', '--sweep-dir', join(work, 'slurm-sweep')]);
  assert.equal(slurm.status, 0, slurm.stderr);
  const script = readdirSync(join(work, 'slurm-sweep'), { recursive: true }).map(String).find((f) => f.endsWith('.sbatch'));
  assert.ok(script, slurm.stdout);
  assert.ok(readFileSync(join(work, 'slurm-sweep', script), 'utf8').includes(join(pkg, 'bin', 'bitscale.js')));
});

test('a stale or missing build is never run: any change to src/ falls back to the sources with a one-line warning', () => {
  const help = cli(['--help']);
  assert.equal(help.stderr, '', 'a fresh build runs without a word');
  const cliTs = join(pkg, 'src/cli.ts');
  const original = readFileSync(cliTs, 'utf8');

  // A new mtime with the same content (a git checkout, `touch`): the hash says the build is current.
  const later = new Date(Date.now() + 5000);
  utimesSync(cliTs, later, later);
  assert.deepEqual(cli(['--help']), help);

  // The same size, other content: the sources run, and their new text is what is printed.
  writeFileSync(cliTs, original.replace('Scaling laws, predictions', 'SCALING LAWS, PREDICTIONS'));
  assert.equal(statSync(cliTs).size, Buffer.byteLength(original));
  const edited = cli(['--help']);
  assert.equal(edited.status, 0);
  assert.match(edited.stdout, /SCALING LAWS, PREDICTIONS/);
  assert.equal(edited.stderr, 'warning: src/cli.ts changed since the build, so bitscale runs its sources through tsx (slower); rebuild with `npm run build`\n');

  // Rebuilt: the bundle runs again, with the edit in it.
  build();
  const rebuilt = cli(['--help']);
  assert.equal(rebuilt.stderr, '');
  assert.match(rebuilt.stdout, /SCALING LAWS, PREDICTIONS/);

  // An editor's swap file is not a source.
  writeFileSync(join(pkg, 'src/.cli.ts.swp'), 'x');
  assert.equal(cli(['--help']).stderr, '');
  rmSync(join(pkg, 'src/.cli.ts.swp'));

  // A file appended to, a new file, a removed file, no build at all.
  appendFileSync(cliTs, '// edited\n');
  assert.match(cli(['--help']).stderr, /^warning: src\/cli\.ts changed since the build/);
  build();
  writeFileSync(join(pkg, 'src/extra.ts'), 'export const x = 1;\n');
  assert.match(cli(['--help']).stderr, /^warning: src\/extra\.ts is new since the build/);
  build();
  rmSync(join(pkg, 'src/extra.ts'));
  assert.match(cli(['--help']).stderr, /^warning: src\/extra\.ts was removed since the build/);
  rmSync(join(pkg, 'dist'), { recursive: true });
  const none = cli(['--help']);
  assert.equal(none.stderr, 'warning: there is no build in dist/, so bitscale runs its sources through tsx (slower); rebuild with `npm run build`\n');
  assert.equal(none.status, 0);
  assert.match(none.stdout, /SCALING LAWS, PREDICTIONS/);
  build();
  assert.equal(cli(['--help']).stderr, '');
});
