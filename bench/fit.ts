/**
 * Benchmark of the joint-law fit: 250 synthetic points from a known Chinchilla-form law with 1%
 * noise, the full Besiroglu et al. start grid (4,500 L-BFGS starts), then 1000 bootstrap refits
 * started at the optimum (refitChinchilla, as fitChinchillaLaw does), and fitRunTable on the seed's runs.
 * Run: node --import tsx bench/fit.ts
 */
import { availableParallelism, loadavg } from 'node:os';
import { BESIROGLU_START_GRID, chinchillaLoss, fitChinchillaLaw, refitChinchilla, solveChinchilla, type JointPoint } from '../src/fit/chinchilla.js';
import { bootstrapParameters } from '../src/fit/resample.js';
import { seededRandom } from '../src/fit/stats.js';
import { fitRunTable } from '../src/fit/suite.js';
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
console.log(`node ${process.version}, ${availableParallelism()} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (other work on the machine slows these numbers)`);
