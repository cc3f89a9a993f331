import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireRunLock, lockPathFor, readLockOwner } from '../../src/train/lock.js';

const logIn = () => join(mkdtempSync(join(tmpdir(), 'bitscale-lock-')), 'r.jsonl');

test('the lock names this host and pid, refuses a second writer in the same process, and is removed on release', () => {
  const log = logIn();
  const lock = acquireRunLock(log);
  const owner = readLockOwner(lockPathFor(log))!;
  assert.deepEqual([owner.host, owner.pid], [hostname(), process.pid]);
  assert.throws(() => acquireRunLock(log), /already being written by this process/);
  lock.release();
  assert.ok(!existsSync(lockPathFor(log)));
  acquireRunLock(log).release();
});

test('a lock held by a live process on this host is a clear error naming its pid', async () => {
  const log = logIn();
  const child = spawn('sleep', ['30']);
  await new Promise((r) => child.once('spawn', r));
  try {
    writeFileSync(lockPathFor(log), JSON.stringify({ host: hostname(), pid: child.pid, since: '2026-01-01T00:00:00Z' }));
    assert.throws(() => acquireRunLock(log), new RegExp(`being written by pid ${child.pid} on this host`));
  } finally {
    child.kill();
  }
});

test('a stale lock (its pid is dead on this host) is taken over', async () => {
  const log = logIn();
  const child = spawn(process.execPath, ['-e', '0']);
  await new Promise((r) => child.once('exit', r));
  writeFileSync(lockPathFor(log), JSON.stringify({ host: hostname(), pid: child.pid, since: '2026-01-01T00:00:00Z' }));
  const lock = acquireRunLock(log);
  assert.equal(readLockOwner(lockPathFor(log))!.pid, process.pid);
  lock.release();
});

test('a lock from another host cannot be checked from here: an error naming host, pid and the file to delete', () => {
  const log = logIn();
  writeFileSync(lockPathFor(log), JSON.stringify({ host: 'node-17', pid: 4242, since: '2026-01-01T00:00:00Z' }));
  assert.throws(() => acquireRunLock(log), /pid 4242 on host node-17 .*delete .*r\.jsonl\.lock/);
  assert.equal(readFileSync(lockPathFor(log), 'utf8').includes('node-17'), true, 'left in place');
});
