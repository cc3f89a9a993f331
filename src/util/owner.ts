/**
 * Which process holds a lock: host, pid, the process's start time (field 22 of /proc/<pid>/stat,
 * clock ticks since boot) and the machine's boot id, so that a pid reused by an unrelated process
 * is not taken for the holder. A holder is gone when there is no such pid, when it is a zombie (a
 * SIGKILLed process its parent has not reaped), when the pid now belongs to a process started at
 * another time, or when the machine has rebooted since. Used by the trainer's run-log lock and by
 * ingest's run-table lock.
 */
import { existsSync, readFileSync } from 'node:fs';
import { hostname } from 'node:os';

export interface LockOwner {
  host: string;
  pid: number;
  /** ISO time the lock was taken. */
  since: string;
  /** The process's start time in clock ticks since boot (/proc/<pid>/stat field 22); absent where /proc is not available. */
  start?: number;
  /** /proc/sys/kernel/random/boot_id of the machine when the lock was taken. */
  boot?: string;
}

/** A process as /proc/<pid>/stat describes it: its state letter and start time; null when there is no such process (or no /proc). */
export function procStat(pid: number): { state: string; start: number } | null {
  if (!Number.isInteger(pid) || pid <= 0) return null;
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // "pid (comm) state ppid …": comm may hold spaces and parentheses, so split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  const start = Number(fields[19]);
  return fields[0] && Number.isFinite(start) ? { state: fields[0], start } : null;
}

function bootId(): string | undefined {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

const hasProc = () => existsSync('/proc/self/stat');

/** Is `pid` a live process on this machine? (signal 0 checks without sending anything; a zombie counts as gone) */
export function processAlive(pid: number): boolean {
  if (hasProc()) {
    const st = procStat(pid);
    return st !== null && st.state !== 'Z' && st.state !== 'X';
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** This process as a lock owner. */
export function currentOwner(): LockOwner {
  const own = procStat(process.pid);
  const boot = bootId();
  return { host: hostname(), pid: process.pid, since: new Date().toISOString(), ...(own ? { start: own.start } : {}), ...(boot ? { boot } : {}) };
}

/** Why a lock on this host is stale, or null when its writer is alive. */
export function staleReason(owner: LockOwner): string | null {
  const boot = bootId();
  if (owner.boot && boot && owner.boot !== boot) return 'the machine has restarted since it was taken';
  if (!hasProc()) return processAlive(owner.pid) ? null : `pid ${owner.pid} is not running`;
  const st = procStat(owner.pid);
  if (!st) return `pid ${owner.pid} is not running`;
  if (st.state === 'Z' || st.state === 'X') return `pid ${owner.pid} has exited (a zombie not yet reaped by its parent)`;
  if (owner.start !== undefined && st.start !== owner.start) return `pid ${owner.pid} now belongs to another process (started at tick ${st.start}, the writer at ${owner.start})`;
  return null;
}

export function readLockOwner(path: string): LockOwner | null {
  try {
    const o = JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
    return o !== null && typeof o === 'object' && typeof o.host === 'string' && Number.isInteger(o.pid) ? o : null;
  } catch {
    return null;
  }
}


/** Wait `ms` milliseconds without returning to the event loop (between tries for a lock). */
export function sleepSync(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
