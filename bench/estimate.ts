/**
 * Benchmark of the estimator: one estimate and a full --sweep-bs (target < 100 ms each), plus
 * loading and calibrating from the run table, which the CLI does once per call.
 *
 *   node --import tsx bench/estimate.ts [--runs runs] [--repeat 200]
 *
 * Times are medians (and 95th percentiles) over the repeats, after a warm-up. On a shared 2-core
 * machine, figures taken while other work runs read slow.
 */
import { parseArgs } from 'node:util';
import { SEED_CONFIGS } from '../src/arch/bitlm.js';
import { calibrateFromRuns } from '../src/estimate/calibrate.js';
import { estimateTraining, sweepBatchSizes } from '../src/estimate/estimate.js';
import { loadRunTable } from '../src/runs/table.js';
import { formatTable } from '../src/util/format.js';
import { timeRepeated } from './timing.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: 'runs' }, repeat: { type: 'string', default: '200' } } });
const repeat = Number(values.repeat);
const runs = loadRunTable(values.runs!);
const cal = calibrateFromRuns(runs);
const input = { config: SEED_CONFIGS['300M'], batchSize: 256, gpu: 'a100-40gb', steps: 30000 };

const cases: [string, () => unknown][] = [
  ['one estimate (300M, bs=256, A100 40GB)', () => estimateTraining(input, cal)],
  ['full --sweep-bs (300M, A100 40GB)', () => sweepBatchSizes(input, cal)],
  ['full --sweep-bs (13.7M, H200, to bs=4096)', () => sweepBatchSizes({ ...input, config: SEED_CONFIGS['13.7M'], gpu: 'h200' }, cal)],
  [`load + calibrate the run table (${runs.length} runs)`, () => calibrateFromRuns(loadRunTable(values.runs!))],
];
const rows = cases.map(([name, fn]) => {
  const t = timeRepeated(fn, { repeat, warmup: Math.min(20, repeat) });
  return [name, t.median.toFixed(3), t.p95.toFixed(3), t.median < 100 ? 'yes' : 'NO'];
});
process.stdout.write(`${formatTable(['case', 'median ms', 'p95 ms', '< 100 ms'], rows)}\n`);
