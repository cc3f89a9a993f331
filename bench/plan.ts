/**
 * Benchmark of the planner (target: a full plan < 1 s): the search alone (planTraining over the
 * family's shapes × batch sizes, given the fitted laws and the calibration), and the whole of what
 * `bitscale plan` computes (load the run table, calibrate, fit the laws with their bootstrap, plan,
 * and the refits that look for the cheapest run that would tell the two best sizes apart).
 *
 *   node --import tsx bench/plan.ts [--runs runs] [--repeat 20]
 *
 * Medians (and 95th percentiles) over the repeats after a warm-up. On a shared 2-core machine,
 * figures taken while other work runs read slow; compare ratios within one run.
 */
import { parseArgs } from 'node:util';
import { calibrateFromRuns } from '../src/estimate/calibrate.js';
import { requireGpu } from '../src/estimate/hardware.js';
import { fitRunTable } from '../src/fit/index.js';
import { planTraining } from '../src/plan/plan.js';
import { lawBatchSizes, measuredRanges, predictionRuns, runTablePredictor } from '../src/plan/predictors.js';
import { tellApart } from '../src/plan/tell-apart.js';
import { WhatIf } from '../src/plan/what-if.js';
import { BITLM_V57_FAMILY, planShapes } from '../src/plan/shapes.js';
import { loadRunTable, scalingRuns } from '../src/runs/table.js';
import { formatTable } from '../src/util/format.js';
import { timeRepeated } from './timing.js';

const { values } = parseArgs({ options: { runs: { type: 'string', default: 'runs' }, repeat: { type: 'string', default: '20' } } });
const repeat = Number(values.repeat);
const dataset = 'GLM-Reasoning';
const shapes = planShapes(BITLM_V57_FAMILY, 256);

/** What `bitscale plan --gpu G --gpus N --hours H --dataset GLM-Reasoning` computes (src/cli/plan.ts). */
function plan(runsDir: string, gpu: string, gpus: number, hours: number) {
  const runs = loadRunTable(runsDir);
  const main = scalingRuns(runs).filter((r) => r.arch === 'bitlm-v57');
  const suite = fitRunTable(predictionRuns(main, dataset, false));
  const calibration = calibrateFromRuns(runs);
  const result = planTraining({
    gpu: requireGpu(gpu),
    gpus,
    budget: { kind: 'hours', hours },
    shapes,
    batchSizes: lawBatchSizes(suite, dataset, 256),
    predict: runTablePredictor(suite, dataset, 256),
    calibration,
    measured: measuredRanges(main, dataset),
  });
  return { result, apart: tellApart(result, new WhatIf(main, suite, dataset), { runs: main, seqLen: 256, calibration }) };
}

const runs = loadRunTable(values.runs!);
const suite = fitRunTable(scalingRuns(runs).filter((r) => r.arch === 'bitlm-v57'));
const calibration = calibrateFromRuns(runs);
const searchOnly = (gpu: string, gpus: number, hours: number) =>
  planTraining({ gpu: requireGpu(gpu), gpus, budget: { kind: 'hours', hours }, shapes, batchSizes: [64, 256], predict: runTablePredictor(suite, dataset, 256), calibration });

const last = plan(values.runs!, 'a100-40gb', 1, 12);
const cases: [string, () => unknown][] = [
  [`search only: ${shapes.length} shapes × 2 batch sizes, 1× A100 40GB, 12 h`, () => searchOnly('a100-40gb', 1, 12)],
  [`search only: ${shapes.length} shapes × 2 batch sizes, 8× H100, 24 h`, () => searchOnly('h100-80gb', 8, 24)],
  [`full plan: load ${runs.length} runs, calibrate, fit the laws (bootstrap), search, tell apart (${last.apart.rows.length} refits + 1)`, () => plan(values.runs!, 'a100-40gb', 1, 12)],
];
const rows = cases.map(([name, fn]) => {
  const t = timeRepeated(fn, { repeat, warmup: Math.min(3, repeat) });
  return [name, t.median.toFixed(1), t.p95.toFixed(1), t.median < 1000 ? 'yes' : 'NO'];
});
process.stdout.write(`${formatTable(['case', 'median ms', 'p95 ms', '< 1 s'], rows)}\n`);
const r = last.result;
process.stdout.write(`recommended (1× A100 40GB, 12 h): ${r.recommended.label}, bs ${r.recommended.batchSize}, ${r.recommended.steps} steps, val_bpc ${r.recommended.prediction.valBpc.toFixed(3)}; ${r.candidates.length} candidates; tell-apart pick: ${last.apart.pick?.ranked.candidate.id ?? 'none'}\n`);
