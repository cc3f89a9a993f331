import { test } from 'node:test';
import assert from 'node:assert/strict';
import { selectBackend } from '../../src/train/backend.js';

test('auto falls through the native backends that cannot load here to wasm, saying why', async () => {
  const { backend, skipped } = await selectBackend('auto');
  if (skipped.length === 2) {
    assert.equal(backend, 'wasm');
    assert.match(skipped[0], /@tensorflow\/tfjs-node-gpu/);
    assert.match(skipped[1], /@tensorflow\/tfjs-node/);
  } else {
    assert.equal(backend, 'tensorflow'); // a machine where tfjs-node installed
  }
});

test('an explicit backend that cannot load is an error naming the package', async (t) => {
  const { skipped } = await selectBackend('auto');
  if (skipped.length < 2) return t.skip('tfjs-node is installed here');
  await assert.rejects(selectBackend('node'), /no TensorFlow.js backend could start: @tensorflow\/tfjs-node is not usable/);
  await assert.rejects(selectBackend('tpu' as never), /unknown backend 'tpu'/);
});

test('the pure-JS cpu backend can be chosen explicitly', async () => {
  assert.equal((await selectBackend('cpu')).backend, 'cpu');
});
