import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { acquireRunLock, lockPathFor, procStat, readLockOwner, staleReason } from '../../src/train/lock.js';

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

// ---------------------------------------------------------------------------------------------
// Issue 27: a lock names the process by pid, start time and host; dead, zombie or reused pids are stale.

test('a lock records the writer\'s start time from /proc/<pid>/stat and this boot', { skip: !existsSync('/proc/self/stat') }, () => {
  const log = logIn();
  const lock = acquireRunLock(log);
  const owner = readLockOwner(lockPathFor(log))!;
  assert.equal(owner.start, procStat(process.pid)!.start);
  assert.equal(owner.boot, readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim());
  lock.release();
});

test('a zombie (a killed trainer its parent has not reaped) holds no lock: it is taken over', { skip: !existsSync('/proc/self/stat') }, async () => {
  const log = logIn();
  // sh starts a short sleep in the background, then becomes a long sleep, which never reaps it.
  const parent = spawn('sh', ['-c', 'sleep 0.05 & echo $!; exec sleep 30']);
  const zombie = Number(await new Promise<string>((r) => parent.stdout.once('data', (d) => r(String(d)))));
  try {
    while (procStat(zombie)?.state !== 'Z') await new Promise((r) => setTimeout(r, 20));
    writeFileSync(lockPathFor(log), JSON.stringify({ host: hostname(), pid: zombie, since: '2026-01-01T00:00:00Z', start: procStat(zombie)!.start }));
    assert.equal(staleReason(readLockOwner(lockPathFor(log))!), `pid ${zombie} has exited (a zombie not yet reaped by its parent)`);
    const lock = acquireRunLock(log);
    assert.equal(readLockOwner(lockPathFor(log))!.pid, process.pid);
    lock.release();
  } finally {
    parent.kill();
  }
});

test('a pid now used by another process (another start time) is stale; the same pid with its own start time is a live writer, named with the lock file', { skip: !existsSync('/proc/self/stat') }, async () => {
  const log = logIn();
  const child = spawn('sleep', ['30']);
  await new Promise((r) => child.once('spawn', r));
  try {
    const start = procStat(child.pid!)!.start;
    writeFileSync(lockPathFor(log), JSON.stringify({ host: hostname(), pid: child.pid, since: '2026-01-01T00:00:00Z', start }));
    assert.throws(() => acquireRunLock(log), (err: Error) => err.message.includes(`being written by pid ${child.pid} on this host`) && err.message.includes(`lock file ${lockPathFor(log)}`) && err.message.includes(`kill ${child.pid}`));
    writeFileSync(lockPathFor(log), JSON.stringify({ host: hostname(), pid: child.pid, since: '2026-01-01T00:00:00Z', start: start - 1 }));
    assert.match(staleReason(readLockOwner(lockPathFor(log))!)!, new RegExp(`pid ${child.pid} now belongs to another process`));
    acquireRunLock(log).release();
  } finally {
    child.kill();
  }
});

test('a lock taken before this boot is stale', { skip: !existsSync('/proc/sys/kernel/random/boot_id') }, () => {
  assert.equal(staleReason({ host: hostname(), pid: process.pid, since: '2026-01-01T00:00:00Z', start: procStat(process.pid)!.start, boot: 'an-earlier-boot' }), 'the machine has restarted since it was taken');
});

test('processes racing to take over one stale lock: exactly one holds it, every other is refused naming the holder and the lock file', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-lock-race-'));
  const go = join(dir, 'go');
  const script = join(dir, 'take.ts');
  const lockModule = new URL('../../src/train/lock.ts', import.meta.url).pathname;
  writeFileSync(script, `import { existsSync } from 'node:fs';
import { acquireRunLock } from ${JSON.stringify(lockModule)};
process.stdout.write('ready\\n');
while (!existsSync(${JSON.stringify(go)})) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
try { const l = acquireRunLock(process.argv[2]); process.stdout.write('held\\n'); setTimeout(() => l.release(), 1500); }
catch (err) { process.stdout.write('refused ' + (err as Error).message + '\\n'); }
`);
  for (let round = 0; round < 3; round++) {
    const log = join(dir, `r${round}.jsonl`);
    writeFileSync(lockPathFor(log), JSON.stringify({ host: hostname(), pid: 2 ** 22 + 17, since: '2026-01-01T00:00:00Z', start: 1 }));
    const children = Array.from({ length: 4 }, () => spawn(process.execPath, ['--import', 'tsx', script, log], { stdio: ['ignore', 'pipe', 'inherit'] }));
    const outputs = children.map((c) => {
      let out = '';
      c.stdout.on('data', (d) => (out += d));
      return { ready: new Promise<void>((r) => c.stdout.once('data', () => r())), done: new Promise<string>((r) => c.once('exit', () => r(out))) };
    });
    await Promise.all(outputs.map((o) => o.ready));
    writeFileSync(go, '');
    const results = await Promise.all(outputs.map((o) => o.done));
    rmSync(go);
    const held = results.filter((r) => r.includes('held'));
    assert.equal(held.length, 1, results.join(''));
    for (const r of results.filter((x) => !x.includes('held'))) assert.match(r, new RegExp(`refused .*being written by pid \\d+ on this host .*lock file ${lockPathFor(log).replace(/[.]/g, '\\.')}`));
  }
});
