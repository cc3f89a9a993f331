/**
 * Benchmark of the joint-law fitter: bitscale's variable projection (src/fit/chinchilla.ts) against
 * the L-BFGS multi-start fitter of bitscale 0.2 (bench/baseline/lbfgs-joint.ts), on the same data
 * and objective (Σ Huber_1e-3 of log residuals): Epoch's Chinchilla data (Besiroglu et al. 2024,
 * 5 highest losses dropped; 0.2 used their 4,500-start grid), the shipped Brown ladder and seed GLM
 * runs (0.2 used 243 starts there), and 250 synthetic points from a known law. Then 1,000 bootstrap
 * refits of the Brown joint law by each, and fitRunTable on the shipped runs.
 * Run: node --import tsx bench/fit.ts
 */
import { availableParallelism, loadavg } from 'node:os';
import { readFileSync } from 'node:fs';
import { chinchillaLoss, fitChinchillaLaw, refitChinchilla, solveChinchilla, type JointPoint } from '../src/fit/chinchilla.js';
import { resampleIndices, seededRandom } from '../src/fit/stats.js';
import { fitRunTable } from '../src/fit/suite.js';
import { loadRunTable, scalingRuns } from '../src/runs/table.js';
import { parseCsvTable } from '../src/util/csv.js';
import { formatTable } from '../src/util/format.js';
import { BESIROGLU_START_GRID, refitChinchillaLbfgs, solveChinchillaLbfgs, SUITE_START_GRID, type StartGrid } from './baseline/lbfgs-joint.js';

const time = <T>(f: () => T): [T, number] => {
  const t0 = performance.now();
  const r = f();
  return [r, (performance.now() - t0) / 1000];
};

const csv = parseCsvTable(readFileSync(new URL('../test/fit/fixtures/chinchilla_besiroglu2024.csv', import.meta.url), 'utf8'), 'chinchilla_besiroglu2024.csv').rows.map((r) => r.record);
const chinchilla: JointPoint[] = csv
  .map((r) => ({ params: Number(r['Model Size']), tokens: Number(r['Training FLOP']) / (6 * Number(r['Model Size'])), loss: Number(r.loss) }))
  .sort((a, b) => a.loss - b.loss)
  .slice(0, csv.length - 5);
const runs = scalingRuns(loadRunTable(new URL('../runs/', import.meta.url).pathname)).filter((r) => r.status === 'completed');
const ofDataset = (d: string): JointPoint[] => runs.filter((r) => r.dataset === d).map((r) => ({ params: r.params, tokens: r.tokens, loss: r.finalValBpc }));
const truth = { E: 1.82, A: 482.01, B: 2085.43, alpha: 0.3478, beta: 0.3658 };
const random = seededRandom(2024);
const synthetic: JointPoint[] = Array.from({ length: 250 }, () => {
  const params = Math.exp(Math.log(5e7) + random() * Math.log(300));
  const tokens = params * Math.exp(Math.log(2) + random() * Math.log(100));
  return { params, tokens, loss: chinchillaLoss(truth, params, tokens) * (1 + 0.01 * (random() * 2 - 1)) };
});

const sets: [string, JointPoint[], StartGrid][] = [
  ["Epoch's Chinchilla (240 points)", chinchilla, BESIROGLU_START_GRID],
  ['synthetic, 1% noise (250)', synthetic, BESIROGLU_START_GRID],
  [`Brown ladder (${ofDataset('brown').length} runs)`, ofDataset('brown'), SUITE_START_GRID],
  [`seed GLM-Reasoning (${ofDataset('GLM-Reasoning').length} runs)`, ofDataset('GLM-Reasoning'), SUITE_START_GRID],
];
const rows: (string | number)[][] = [];
const law = (th: ArrayLike<number>) => `E ${Math.exp(th[2]).toFixed(4)}, α ${th[3].toFixed(4)}, β ${th[4].toFixed(4)}`;
for (const [name, points, grid] of sets) {
  const [vp, vpS] = time(() => solveChinchilla(points));
  const [lb, lbS] = time(() => solveChinchillaLbfgs(points, { grid }));
  if (!vp || !lb) throw new Error(`no fit on ${name}`);
  const starts = grid.a.length * grid.b.length * grid.e.length * grid.alpha.length * grid.beta.length;
  rows.push([name, 'L-BFGS (0.2)', `${starts} starts`, lb.objective.toExponential(10), law(lb.theta), `${(lbS * 1000).toFixed(0)} ms`]);
  rows.push(['', 'variable projection', `${vp.starts} exponent pairs`, vp.objective.toExponential(10), law(vp.theta), `${(vpS * 1000).toFixed(0)} ms`]);
  rows.push(['', vp.objective <= lb.objective ? 'VP as low or lower' : `VP HIGHER by ${((vp.objective / lb.objective - 1) * 100).toExponential(2)}%`, '', '', '', `${(lbS / vpS).toFixed(1)}× faster`]);
}
console.log('Joint law L(N, D) = E + A/N^α + B/D^β, Huber δ = 1e-3 on log residuals: the optimum each fitter reaches');
console.log(formatTable(['data', 'fitter', 'search', 'objective', 'law', 'wall'], rows));

// 1,000 bootstrap refits of the Brown ladder's joint law, each from the full-data optimum.
const ladder = ofDataset('brown');
const full = solveChinchilla(ladder)!;
const draw = seededRandom(1);
const resamples = Array.from({ length: 1000 }, () => resampleIndices(ladder.length, draw).sort((i, j) => i - j));
const refitRows: (string | number)[][] = [];
const methods: [string, (idx: number[]) => { converged: boolean; theta: Float64Array } | null][] = [
  ['variable projection (refitChinchilla)', (idx) => refitChinchilla(ladder, Array.from(full.theta), { idx })],
  ['L-BFGS of 0.2, E = 0 check at 250 iterations', (idx) => refitChinchillaLbfgs(ladder, Array.from(full.theta), { idx })],
];
for (const [name, refit] of methods) {
  const [out, s] = time(() => resamples.map(refit));
  const done = out.filter((r) => r !== null);
  refitRows.push([name, done.length, done.filter((r) => !r.converged).length, done.filter((r) => r.theta[2] === Number.NEGATIVE_INFINITY).length, `${s.toFixed(2)} s`]);
}
const [fit, fitS] = time(() => fitChinchillaLaw(ladder, { bootstrap: { count: 1000 } }));
refitRows.push(['fitChinchillaLaw end to end (fit, 1,000 resamples, leave-one-out)', Number(fit.diagnostics.refits), Number(fit.diagnostics.refitsUnconverged), Number(fit.diagnostics.refitsAtFloor), `${fitS.toFixed(2)} s`]);
console.log(`\nBrown ladder joint law (${ladder.length} runs): 1,000 bootstrap refits (goal: ≤ 2 s, none stopped short)`);
console.log(formatTable(['refits', 'made', 'not converged', 'at E = 0', 'wall'], refitRows));

const [, suiteS] = time(() => fitRunTable(runs));
console.log(`\nfitRunTable on the ${runs.length} shipped scaling runs, 1,000 resamples per law: ${suiteS.toFixed(2)} s`);
console.log(`node ${process.version}, ${availableParallelism()} CPUs, load average ${loadavg().map((l) => l.toFixed(2)).join(' ')} (other work on the machine slows these numbers)`);
