/**
 * The report fits some analysis groups in a worker thread (src/report/group-fitter.ts): the suite
 * assembled from them must equal the one fitRunTable makes alone, value for value, also when the
 * worker shares the joint law's bootstrap refits with this thread (src/report/refit-helper.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { fitGroupsByKey, fitRunTable, fittedGroupKeys } from '../../src/fit/suite.js';
import { loadRunTable } from '../../src/runs/table.js';
import { mainSuiteInput } from '../../src/report/analysis.js';
import { startGroupFitter, withoutLog } from '../../src/report/group-fitter.js';
import { startRefitHelper } from '../../src/report/refit-helper.js';

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

test('a worker that shares the joint law refits with this thread, chunk by chunk, gives the same fits, draw for draw', async () => {
  const { mainRuns, suiteOptions } = mainSuiteInput(loadRunTable(join(root, 'runs')), { bootstrap: 200 });
  const brown = fittedGroupKeys(mainRuns, suiteOptions).filter((k) => k.startsWith('dataset=brown|'));
  assert.equal(brown.length, 1, 'the Brown ladder has a joint law with a bootstrap');
  const helper = startRefitHelper();
  const fitter = startGroupFitter({ helper: helper.handle });
  try {
    const remote = await fitter.call({ runs: mainRuns.map(withoutLog), options: suiteOptions, keys: brown });
    const joint = remote.get(brown[0])!.joint.find((j) => j.fit !== null)!;
    const refits = Number(joint.fit!.diagnostics.refits);
    assert.ok(refits > 100, `the law has bootstrap refits (${refits})`);
    // This thread, idle while it awaits the worker, claimed some of the chunks (the left-out-run refits come one at a time, unshared).
    assert.ok(helper.refitted() > 0 && helper.refitted() < refits, `${helper.refitted()} of ${refits}`);
    assert.deepEqual(remote, fitGroupsByKey(mainRuns, suiteOptions, brown));
  } finally {
    helper.close();
    await fitter.close();
  }
});
