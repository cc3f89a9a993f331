/**
 * One writer per run log: `${log}.lock` names its writer by host, pid and the process's start
 * time (field 22 of /proc/<pid>/stat, in clock ticks since boot) with the machine's boot id, so
 * that a pid reused by an unrelated process is not taken for the writer. The lock is written to a
 * temporary file and hard-linked into place (O_EXCL semantics: two processes cannot both create
 * it, and it is never seen half-written).
 *
 * A lock is stale when its writer is gone: no such pid, a zombie (a SIGKILLed trainer whose
 * parent has not reaped it), a pid now owned by a process that started at another time, or a
 * boot id of an earlier boot. Taking over a stale lock happens under a short guard lock
 * (proper-lockfile, `${log}.lock.takeover`): the holder of the guard reads the lock again,
 * removes it only if it is still the stale one it judged, and links its own; two processes that
 * both found it stale cannot both end up holding it. A lock from another host cannot be checked
 * from here and is an error. Every message names the lock file and how to clear it.
 */
import { linkSync, readFileSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import lockfile from 'proper-lockfile';
import { BitscaleError } from '../util/errors.js';
import { currentOwner, readLockOwner, sleepSync, staleReason, type LockOwner } from '../util/owner.js';

export { procStat, processAlive, readLockOwner, staleReason, type LockOwner } from '../util/owner.js';

export interface RunLock {
  path: string;
  release(): void;
}

export function lockPathFor(logPath: string): string {
  return `${logPath}.lock`;
}

function readRaw(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/**
 * Remove the lock at `path` if it still holds exactly `staleText`, under the takeover guard.
 * Returns false when another process holds the guard (the caller tries again).
 */
function removeIfUnchanged(path: string, staleText: string): boolean {
  let release: () => void;
  try {
    release = lockfile.lockSync(path, { lockfilePath: `${path}.takeover`, realpath: false, stale: 5000 });
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOCKED') return false;
    throw err;
  }
  try {
    if (readRaw(path) === staleText) unlinkSync(path);
  } finally {
    release();
  }
  return true;
}

/** Take the lock of the run log at `logPath`, or throw naming the process that holds it and the lock file. */
export function acquireRunLock(logPath: string): RunLock {
  const path = lockPathFor(logPath);
  if (heldHere.has(path)) throw new BitscaleError(`this process already holds ${path}: the run log is already being written by this process`, { file: logPath });
  const owner = currentOwner();
  const tmp = `${path}.${owner.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(owner)}\n`);
  try {
    // Tries until the lock is taken or refused; a takeover guard left by a killed process goes stale after 5 s.
    for (const deadline = Date.now() + 10_000; Date.now() < deadline; ) {
      try {
        linkSync(tmp, path);
        return holding(path, owner);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      }
      const text = readRaw(path);
      if (text === null) continue; // removed meanwhile: try again
      const other = readLockOwner(path);
      if (other && other.host !== owner.host) {
        throw new BitscaleError(`the run log is being written by pid ${other.pid} on host ${other.host} (lock taken ${other.since}); this host cannot check that process: if it is gone, delete ${path}`, { file: logPath });
      }
      const why = other ? staleReason(other) : 'the lock file is not a lock bitscale wrote';
      if (other && why === null) {
        throw new BitscaleError(`the run log is being written by pid ${other.pid} on this host (lock taken ${other.since}, lock file ${path}); stop it first (kill ${other.pid}) or wait for it to finish`, { file: logPath });
      }
      if (!removeIfUnchanged(path, text)) sleepSync(10 + Math.floor(Math.random() * 20));
    }
  } finally {
    rmSync(tmp, { force: true });
  }
  throw new BitscaleError(`could not take the lock ${path} within 10 s: other processes keep taking it; stop them, or delete ${path} and ${path}.takeover if none is running`, { file: logPath });
}

/** Locks this process holds (a second writer inside one process is refused too). */
const heldHere = new Set<string>();

function holding(path: string, owner: LockOwner): RunLock {
  heldHere.add(path);
  let held = true;
  const release = () => {
    if (!held) return;
    held = false;
    heldHere.delete(path);
    const current = readLockOwner(path);
    if (current && current.pid === owner.pid && current.host === owner.host && current.start === owner.start) rmSync(path, { force: true });
    process.off('exit', release);
  };
  process.on('exit', release);
  return { path, release };
}
