/**
 * Start-up of the command line, as a user sees it: wall-clock of whole processes, best of --repeat
 * (default 5), for `node -e 0` (the floor), `--help`, `estimate --json`, `predict --json` and
 * `report` (into a temporary folder), each through the package's bin (bin/bitscale.js, which is
 * what `npm link` or a dependent project's node_modules/.bin/bitscale runs), through `npx bitscale`, and from the
 * TypeScript sources (BITSCALE_FROM_SOURCE=1, what every run cost before the build).
 * Rebuilds dist/ first, so it measures the current sources.
 *
 *   node --import tsx bench/cli.ts [--repeat 5] [--no-npx] [--no-sources]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { formatTable } from '../src/util/format.js';
import { numberOption, POSITIVE_INT } from '../src/util/numbers.js';

const { values } = parseArgs({ options: { repeat: { type: 'string', default: '5' }, 'no-npx': { type: 'boolean' }, 'no-sources': { type: 'boolean' } } });
const repeat = numberOption('repeat', POSITIVE_INT)(values.repeat!);
const root = new URL('..', import.meta.url).pathname;
const out = mkdtempSync(join(tmpdir(), 'bitscale-bench-cli-'));

const build = spawnSync(process.execPath, [join(root, 'scripts/build.js')], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);

// GNU time, where there is one, also gives the CPU seconds (user + system, children included): on a
// loaded machine they move much less than the wall-clock does.
const gnuTime = existsSync('/usr/bin/time') ? '/usr/bin/time' : null;
const timeFile = join(out, 'time.txt');
// A folder of its own: the report replaces its output folder as a whole.
const reportDir = join(out, 'report');

/** Best (lowest) wall-clock and CPU seconds of `repeat` runs of the command; exits if it fails. */
function best(argv: string[], env: Record<string, string> = {}): { wall: number; cpu: number | null } {
  let wall = Infinity;
  let cpu: number | null = gnuTime ? Infinity : null;
  const full = gnuTime ? [gnuTime, '-o', timeFile, '-f', '%U %S', ...argv] : argv;
  for (let i = 0; i < repeat; i++) {
    const t0 = performance.now();
    const r = spawnSync(full[0], full.slice(1), { cwd: root, env: { ...process.env, NO_COLOR: '1', ...env }, encoding: 'utf8' });
    const s = (performance.now() - t0) / 1000;
    if (r.status !== 0) {
      process.stderr.write(`${argv.join(' ')} failed (exit ${r.status}${r.error ? `, ${r.error.message}` : ''}):\n${r.stderr}`);
      process.exit(1);
    }
    wall = Math.min(wall, s);
    if (cpu !== null) cpu = Math.min(cpu, readFileSync(timeFile, 'utf8').trim().split(/\s+/).reduce((a, b) => a + Number(b), 0));
  }
  return { wall, cpu };
}

const commands: { args: string[]; goal: number | null }[] = [
  { args: ['--help'], goal: 0.25 },
  { args: ['estimate', '--model', '300M', '--gpu', 'a100-40gb', '--json'], goal: 0.35 },
  { args: ['predict', '--params', '369.6M', '--steps', '30000', '--bs', '256', '--dataset', 'GLM-Reasoning', '--json'], goal: 0.35 },
  { args: ['report', '--out', reportDir], goal: 1.5 },
];
// What `npm link`, or a project that depends on bitscale (node_modules/.bin/bitscale), runs.
const bin = join(root, 'bin/bitscale.js');
const rows: (string | number)[][] = [];
const row = (command: string, how: string, t: { wall: number; cpu: number | null }, goal: number | null) =>
  rows.push([command, how, t.wall.toFixed(2), t.cpu === null ? '-' : t.cpu.toFixed(2), goal === null ? '-' : `≤ ${goal.toFixed(2)}`, goal === null ? '-' : t.wall <= goal ? 'yes' : 'NO']);

row('node -e 0', 'node', best([process.execPath, '-e', '0']), null);
for (const c of commands) {
  const shown = `bitscale ${c.args.map((a) => (a === reportDir ? 'DIR' : a)).join(' ')}`;
  row(shown, 'bin', best([bin, ...c.args]), c.goal);
  if (!values['no-npx']) row(shown, 'npx', best(['npx', 'bitscale', ...c.args]), null);
  if (!values['no-sources']) row(shown, 'sources (tsx)', best([bin, ...c.args], { BITSCALE_FROM_SOURCE: '1' }), null);
}
rmSync(out, { recursive: true, force: true });

console.log(`bitscale start-up: wall-clock and CPU time (user + system) of the whole process, each the best of ${repeat}, in seconds; the goals are for the wall-clock through the bin (bin/bitscale.js, as \`npm link\` installs it)`);
console.log(formatTable(['command', 'via', 'wall (s)', 'CPU (s)', 'goal (wall)', 'met'], rows));
