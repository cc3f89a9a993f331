/**
 * Benchmark of the joint-law fit: 250 synthetic points from a known Chinchilla-form law with 1%
 * noise, the full Besiroglu et al. start grid (4,500 L-BFGS starts), then 1000 bootstrap refits
 * started at the optimum (refitChinchilla, as fitChinchillaLaw does), and fitRunTable on the seed's runs.
 * Run: node --import tsx bench/fit.ts
 */
import { availableParallelism, loadavg } from 'node:os';
import { BESIROGLU_START_GRID, chinchillaLoss, fitChinchillaLaw, refitChinchilla, solveChinchilla, type JointPoint } from '../src/fit/chinchilla.js';
import { bootstrapParameters } from '../src/fit/resample.js';
import { quantile, resampleIndices, seededRandom } from '../src/fit/stats.js';
import { fitRunTable, SUITE_START_GRID } from '../src/fit/suite.js';
import { loadRunTable } from '../src/runs/table.js';
import { formatTable } from '../src/util/format.js';
import { seedRuns } from '../test/fit/seed-runs.js';

const truth = { E: 1.82, A: 482.01, B: 2085.43, alpha: 0.3478, beta: 0.3658 };
const random = seededRandom(2024);
const points: JointPoint[] = Array.from({ length: 250 }, () => {
  const params = Math.exp(Math.log(5e7) + random() * Math.log(300));
  const tokens = params * Math.exp(Math.log(2) + random() * Math.log(100));
  return { params, tokens, loss: chinchillaLoss(truth, params, tokens) * (1 + 0.01 * (random() * 2 - 1)) };
});

const rows: (string | number)[][] = [];
const time = <T>(f: () => T): [T, number] => {
  const t0 = performance.now();
  const r = f();
  return [r, (performance.now() - t0) / 1000];
};

const starts = BESIROGLU_START_GRID.a.length * BESIROGLU_START_GRID.b.length * BESIROGLU_START_GRID.e.length * BESIROGLU_START_GRID.alpha.length * BESIROGLU_START_GRID.beta.length;
const [sol, gridS] = time(() => solveChinchilla(points));
if (!sol) throw new Error('no fit');
rows.push(['joint law, full grid (250 points)', starts, `${gridS.toFixed(2)} s`, (starts / gridS).toFixed(0), `α ${sol.theta[3].toFixed(4)}, β ${sol.theta[4].toFixed(4)}`]);

const warm = Array.from(sol.theta);
const [draws, bootS] = time(() => bootstrapParameters(points.length, (idx) => {
  const s = refitChinchilla(points, warm, { idx });
  return s ? Array.from(s.theta) : null;
}, { count: 1000 }));
rows.push(['bootstrap refits, warm start', draws.summary.used, `${bootS.toFixed(2)} s`, (draws.summary.used / bootS).toFixed(0), '']);
rows.push(['grid + 1000 bootstrap', '', `${(gridS + bootS).toFixed(2)} s`, '', gridS + bootS < 10 ? 'target < 10 s: met' : 'target < 10 s: MISSED']);

const [fit, endS] = time(() => fitChinchillaLaw(points, { bootstrap: { count: 1000 }, loo: false }));
rows.push(['fitChinchillaLaw end to end (grid + 1000)', 1, `${endS.toFixed(2)} s`, '', `α ∈ [${fit.intervals.alpha!.lo.toFixed(3)}, ${fit.intervals.alpha!.hi.toFixed(3)}] (80%)`]);

const runs = seedRuns();
fitRunTable(runs);
const reps = 5;
const [, suiteS] = time(() => {
  for (let i = 0; i < reps; i++) fitRunTable(runs);
});
rows.push(['fitRunTable, 10 seed runs, 1000 resamples', reps, `${((suiteS / reps) * 1000).toFixed(0)} ms each`, (reps / suiteS).toFixed(1), '']);

console.log(formatTable(['what', 'fits', 'wall', 'fits/s', 'note'], rows));

// The Brown ladder's joint law (15 runs): 1,000 bootstrap refits from the full-data optimum, as
// fitChinchillaLaw makes them (refitChinchilla: the E = 0 check at iteration 250) against plain
// L-BFGS capped at 1,000 iterations (the earlier refits) and at 20,000 (to convergence).
const brown = loadRunTable(new URL('../runs/brown-ladder/', import.meta.url).pathname).filter((r) => r.status === 'completed' && r.purpose === 'scaling');
const ladder: JointPoint[] = brown.map((r) => ({ params: r.params, tokens: r.tokens, loss: r.finalValBpc }));
const optimum = fitChinchillaLaw(ladder, { grid: SUITE_START_GRID, bootstrap: false, loo: false }).params;
const start = [Math.log(optimum.A), Math.log(optimum.B), Math.log(optimum.E), optimum.alpha, optimum.beta];
const draw = seededRandom(1);
const resamples = Array.from({ length: 1000 }, () => resampleIndices(ladder.length, draw).sort((i, j) => i - j));
const ladderRows: (string | number)[][] = [];
const methods: [string, (idx: number[]) => { iterations: number; converged: boolean; theta: Float64Array; atFloor?: boolean } | null][] = [
  ['refitChinchilla (E = 0 check at 250)', (idx) => refitChinchilla(ladder, start, { idx })],
  ['plain L-BFGS, cap 1,000', (idx) => solveChinchilla(ladder, { starts: [start], idx, maxIterations: 1000 })],
  ['plain L-BFGS, cap 20,000', (idx) => solveChinchilla(ladder, { starts: [start], idx, maxIterations: 20000 })],
];
for (const [name, refit] of methods) {
  const [out, s] = time(() => resamples.map(refit));
  const done = out.filter((r) => r !== null);
  const betas = done.map((r) => r.theta[4]);
  ladderRows.push([name, done.reduce((a, r) => a + r.iterations, 0), done.filter((r) => !r.converged).length, done.filter((r) => r.atFloor).length, `${s.toFixed(2)} s`, `[${quantile(betas, 0.1).toFixed(4)}, ${quantile(betas, 0.9).toFixed(4)}]`]);
}
console.log(`\nBrown ladder joint law (${ladder.length} runs): 1,000 bootstrap refits`);
console.log(formatTable(['refits', 'L-BFGS iterations', 'not converged', 'at E = 0', 'wall', 'beta 80% interval'], ladderRows));
console.log(`node ${process.version}, ${availableParallelism()} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (other work on the machine slows these numbers)`);
