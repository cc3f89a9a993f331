/**
 * One writer per run log: `${log}.lock` holds the writer's host and pid, created with O_EXCL so
 * that two processes cannot both hold it (written to a temporary file and hard-linked into place,
 * so the lock is never seen empty). A lock whose pid is dead on this host is stale (its
 * writer was killed with SIGKILL or lost its node's power) and is taken over; a live writer, or a
 * lock from another host that cannot be checked from here, is a clear error.
 */
import { linkSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { BitscaleError } from '../util/errors.js';

export interface LockOwner {
  host: string;
  pid: number;
  /** ISO time the lock was taken. */
  since: string;
}

export interface RunLock {
  path: string;
  release(): void;
}

export function lockPathFor(logPath: string): string {
  return `${logPath}.lock`;
}

/** Is `pid` a live process on this machine? (signal 0 checks without sending anything) */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function readLockOwner(path: string): LockOwner | null {
  try {
    const o = JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
    return typeof o.host === 'string' && Number.isInteger(o.pid) ? o : null;
  } catch {
    return null;
  }
}

/** Take the lock of the run log at `logPath`, or throw naming the process that holds it. */
export function acquireRunLock(logPath: string): RunLock {
  const path = lockPathFor(logPath);
  if (heldHere.has(path)) throw new BitscaleError('the run log is already being written by this process', { file: logPath });
  const me: LockOwner = { host: hostname(), pid: process.pid, since: new Date().toISOString() };
  const tmp = `${path}.${me.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(me)}\n`);
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        linkSync(tmp, path);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
        const owner = readLockOwner(path);
        if (owner && owner.host !== me.host)
          throw new BitscaleError(`the run log is being written by pid ${owner.pid} on host ${owner.host} (lock taken ${owner.since}); if that process is gone, delete ${path}`, { file: logPath });
        if (owner && owner.pid !== me.pid && processAlive(owner.pid))
          throw new BitscaleError(`the run log is being written by pid ${owner.pid} on this host (lock taken ${owner.since}); stop it first, or wait for it to finish`, { file: logPath });
        // Stale: its pid is dead on this host (or the file is not a lock): take it over.
        rmSync(path, { force: true });
        continue;
      }
      return holding(path, me);
    }
  } finally {
    rmSync(tmp, { force: true });
  }
  throw new BitscaleError(`could not take the lock ${path} (another process keeps taking it)`, { file: logPath });
}

/** Locks this process holds (a second writer inside one process is refused too). */
const heldHere = new Set<string>();

function holding(path: string, me: LockOwner): RunLock {
  heldHere.add(path);
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    heldHere.delete(path);
    const owner = readLockOwner(path);
    if (owner && owner.pid === me.pid && owner.host === me.host) rmSync(path, { force: true });
    process.off('exit', release);
  };
  process.on('exit', release);
  return { path, release };
}
