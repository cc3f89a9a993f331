/**
 * The report fits some analysis groups in a worker thread (src/report/group-fitter.ts): the suite
 * assembled from them must equal the one fitRunTable makes alone, value for value.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fitGroupsByKey, fitRunTable, fittedGroupKeys } from '../../src/fit/suite.js';
import { loadRunTable } from '../../src/runs/table.js';
import { mainSuiteInput } from '../../src/report/analysis.js';
import { startGroupFitter, withoutLog } from '../../src/report/group-fitter.js';

const root = new URL('../../', import.meta.url).pathname;

test('groups fitted in the worker and here give the suite fitRunTable gives in one thread', async () => {
  const { mainRuns, suiteOptions } = mainSuiteInput(loadRunTable(join(root, 'runs')), { bootstrap: 200 });
  const keys = fittedGroupKeys(mainRuns, suiteOptions);
  assert.ok(keys.length >= 2, `groups: ${keys.join(', ')}`);
  const [here, ...away] = keys;
  const fitter = startGroupFitter();
  try {
    const remote = await fitter.call({ runs: mainRuns.map(withoutLog), options: suiteOptions, keys: away });
    assert.deepEqual([...remote.keys()].sort(), [...away].sort());
    const precomputed = new Map([...fitGroupsByKey(mainRuns, suiteOptions, [here]), ...remote]);
    assert.deepEqual(fitRunTable(mainRuns, { ...suiteOptions, precomputed }), fitRunTable(mainRuns, suiteOptions));
  } finally {
    await fitter.close();
  }
});
