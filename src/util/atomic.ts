import { randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, linkSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync, unlinkSync, writeFileSync, writeSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { BitscaleError } from './errors.js';
import { fsError } from './files.js';

/**
 * Write a file so that readers see either the old content or the new, never half: write a
 * temporary sibling, fsync it, rename it over the target.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  mkdirSync(dirname(path), { recursive: true });
  // The temporary name is kept short (a long target name plus a suffix would pass NAME_MAX).
  const tmp = join(dirname(path), `.${basename(path).slice(0, 80)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`);
  try {
    writeFileSync(tmp, data);
    fsyncFile(tmp);
    renameSync(tmp, path);
  } catch (err) {
    rmSync(tmp, { force: true });
    throw err;
  }
}

function fsyncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

// ---------------------------------------------------------------------------------------------
// Several new files as one

/** Prefix of the staging folders `writeNewFilesTogether` makes in its root (hidden from readers of the run table). */
export const STAGING_PREFIX = '.staging-';
const MANIFEST = 'manifest.json';

export interface NewFile {
  /** Where it goes, relative to the root ('/'-separated). */
  target: string;
  /** The bytes, or pieces of text written one after another (a large file never one string). */
  data: string | Uint8Array | Iterable<string>;
}

/** Write `data` to a new file and fsync it. */
function writeAndSync(path: string, data: NewFile['data']): void {
  if (typeof data === 'string' || data instanceof Uint8Array) {
    writeFileSync(path, data);
    fsyncFile(path);
    return;
  }
  const fd = openSync(path, 'wx');
  try {
    for (const piece of data) writeSync(fd, piece);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Write several new files as one: afterwards all exist or none does. The caller holds a lock on
 * `root` for the whole call. Each file is written and fsynced into a staging folder inside
 * `root` (same filesystem); then a manifest is written (the commit point), and each file is
 * hard-linked to its target — link, unlike rename, never replaces a file that is already there —
 * and its staged name removed. A failure before the commit point removes the staging folder; a
 * failure during the links (a target that appeared, a full disk) removes the links already made.
 * A process killed after the commit point leaves the manifest behind, and `recoverStagedFiles`
 * (run by the next writer, under the same lock) finishes the links; one killed before it leaves
 * a staging folder with no manifest, which is removed.
 */
export function writeNewFilesTogether(root: string, files: NewFile[]): void {
  const staging = join(root, `${STAGING_PREFIX}${process.pid}-${randomBytes(6).toString('hex')}`);
  mkdirSync(staging, { recursive: true });
  const linked: string[] = [];
  try {
    files.forEach((f, i) => writeAndSync(join(staging, `${i}.part`), f.data));
    writeFileAtomic(join(staging, MANIFEST), JSON.stringify(files.map((f, i) => ({ part: `${i}.part`, target: f.target }))));
    files.forEach((f, i) => {
      const target = join(root, f.target);
      mkdirSync(dirname(target), { recursive: true });
      try {
        linkSync(join(staging, `${i}.part`), target);
      } catch (err) {
        throw fsError(err, target);
      }
      linked.push(target);
    });
  } catch (err) {
    for (const t of linked) rmSync(t, { force: true });
    rmSync(staging, { recursive: true, force: true });
    throw fsError(err);
  }
  rmSync(staging, { recursive: true, force: true });
}

/**
 * Finish or undo what a killed `writeNewFilesTogether` left in `root`: a staging folder with a
 * manifest is past its commit point, so its remaining links are made (never over an existing
 * file); one without is removed. Returns one line per folder handled, for the user. The caller
 * holds the lock the writer held.
 */
export function recoverStagedFiles(root: string): string[] {
  if (!existsSync(root)) return [];
  const notes: string[] = [];
  for (const name of readdirSync(root).filter((n) => n.startsWith(STAGING_PREFIX)).sort()) {
    const staging = join(root, name);
    if (!lstatSync(staging).isDirectory()) continue;
    const manifest = join(staging, MANIFEST);
    if (existsSync(manifest)) {
      let entries: { part: string; target: string }[] = [];
      try {
        entries = JSON.parse(readFileSync(manifest, 'utf8')) as { part: string; target: string }[];
      } catch {
        entries = [];
      }
      const done: string[] = [];
      const clashes: string[] = [];
      for (const e of Array.isArray(entries) ? entries : []) {
        if (typeof e?.part !== 'string' || typeof e?.target !== 'string' || e.target.split('/').includes('..')) continue;
        const part = join(staging, basename(e.part));
        const target = join(root, e.target);
        if (!existsSync(part)) continue;
        mkdirSync(dirname(target), { recursive: true });
        try {
          linkSync(part, target);
          done.push(e.target);
        } catch (err) {
          if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw fsError(err, target);
          if (statSync(target).ino !== statSync(part).ino) clashes.push(e.target);
        }
        unlinkSync(part);
      }
      notes.push(`${staging}: finished an interrupted write (${done.length} file${done.length === 1 ? '' : 's'} put in place${clashes.length ? `; ${clashes.join(', ')} already existed and were left as they were` : ''})`);
    } else notes.push(`${staging}: removed what an interrupted write had staged (it never reached its commit point, so none of its files were put in place)`);
    rmSync(staging, { recursive: true, force: true });
  }
  return notes;
}

// ---------------------------------------------------------------------------------------------
// Whole directories

/** Names of a folder's staging and retired copies, beside it in its parent (same filesystem). */
function siblings(parent: string, base: string) {
  const prefix = `.${base}.`;
  return {
    staging: (tag: string) => join(parent, `${prefix}staging-${tag}`),
    old: (tag: string) => join(parent, `${prefix}old-${tag}`),
    list: (kind: 'staging' | 'old') =>
      existsSync(parent)
        ? readdirSync(parent)
            .filter((n) => n.startsWith(`${prefix}${kind}-`))
            .map((n) => ({ path: join(parent, n), pid: Number(n.slice(`${prefix}${kind}-`.length).split('-')[0]) }))
        : [],
  };
}

function alive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The real path of `path`'s folder, following symlinks, so the staging copy is its true sibling. */
function realTarget(path: string): string {
  const abs = resolve(path);
  if (existsSync(abs)) return realpathSync(abs);
  mkdirSync(dirname(abs), { recursive: true });
  return join(realpathSync(dirname(abs)), basename(abs));
}

/**
 * Clean up after a run of writeDirectoryAtomic that was killed: staging folders of dead processes
 * are removed; a retired copy is removed when the folder is in place, and put back when the kill
 * fell between the swap's two renames (the folder is missing), so the old set is what is seen.
 */
export function recoverDirectory(path: string): void {
  const target = realTarget(path);
  const s = siblings(dirname(target), basename(target));
  for (const o of s.list('old')) {
    if (alive(o.pid)) continue;
    if (existsSync(target)) rmSync(o.path, { recursive: true, force: true });
    else renameSync(o.path, target);
  }
  for (const st of s.list('staging')) if (!alive(st.pid)) rmSync(st.path, { recursive: true, force: true });
}

/**
 * Replace a whole folder in one step, so that readers see all of the old set or all of the new,
 * never a mix. `fill` writes the new set into a staging folder beside the target (same parent,
 * hence the same filesystem); then the old folder is renamed aside, the staging folder renamed into
 * its place, and the old one removed. SIGINT, SIGTERM and SIGHUP arriving during the swap are held
 * until it is done, then acted on; only a SIGKILL or a crash can fall between the two renames,
 * which leaves the folder missing and the old set beside it, put back by the next call
 * (`recoverDirectory`). `allowed(relPath, isDir)` says which entries of the current folder are
 * this writer's own: any other entry is a user's file and the call refuses (writing nothing)
 * rather than delete it.
 */
export interface DirectoryOwnership {
  /** Whether an entry (path relative to the folder, '/'-separated) is this writer's own output. */
  allowed: (rel: string, isDir: boolean) => boolean;
  /** What the folder may hold, for the error, e.g. "SCALING_REPORT.md and charts/*.svg". */
  describe: string;
}

/**
 * Refuse (BitscaleError naming the entries) when the folder holds anything that is not this
 * writer's own output: replacing the folder as a whole would delete a user's file.
 */
export function assertDirectoryOwned(path: string, owner: DirectoryOwnership): void {
  if (!existsSync(path)) return;
  if (!statSync(path).isDirectory()) throw new BitscaleError('is not a folder', { file: path });
  const foreign = foreignEntries(path, '', owner.allowed);
  if (foreign.length > 0) {
    const named = foreign.slice(0, 3).join(', ') + (foreign.length > 3 ? ` and ${foreign.length - 3} more` : '');
    throw new BitscaleError(`holds ${named}, which bitscale did not write; the folder is replaced as a whole, so it may hold only ${owner.describe}: move them, or choose another output folder`, { file: path });
  }
}

/**
 * Replace a whole folder in one step, so that readers see all of the old set or all of the new,
 * never a mix. `fill` writes the new set into a staging folder beside the target (same parent,
 * hence the same filesystem); then the old folder is renamed aside, the staging folder renamed into
 * its place, and the old one removed. SIGINT, SIGTERM and SIGHUP arriving during the swap are held
 * until it is done, then acted on; only a SIGKILL or a crash can fall between the two renames,
 * which leaves the folder missing and the old set beside it, put back by the next call
 * (`recoverDirectory`). A folder holding anything but the writer's own output is refused
 * (`assertDirectoryOwned`), writing nothing. A symlinked folder is replaced at its real path.
 */
export async function writeDirectoryAtomic(path: string, fill: (staging: string) => void | Promise<void>, owner: DirectoryOwnership): Promise<void> {
  const target = realTarget(path);
  recoverDirectory(target);
  assertDirectoryOwned(path, owner);
  const s = siblings(dirname(target), basename(target));
  // mkdir (not mkdtemp, which makes it 0700): the folder keeps the mode a plain mkdir gives.
  const staging = `${s.staging(String(process.pid))}-${randomBytes(6).toString('hex')}`;
  try {
    mkdirSync(staging);
  } catch (err) {
    throw new BitscaleError(`cannot make the staging folder beside it (${fsError(err, staging).message})`, { file: path });
  }
  try {
    await fill(staging);
  } catch (err) {
    rmSync(staging, { recursive: true, force: true });
    throw err;
  }
  await withSignalsHeld(() => {
    const old = s.old(String(process.pid));
    const hadOld = existsSync(target);
    if (hadOld) renameSync(target, old);
    renameSync(staging, target);
    if (hadOld) rmSync(old, { recursive: true, force: true });
  });
}

function foreignEntries(dir: string, rel: string, allowed: (rel: string, isDir: boolean) => boolean): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    const isDir = statSync(join(dir, name)).isDirectory();
    if (!allowed(r, isDir)) out.push(r);
    else if (isDir) out.push(...foreignEntries(join(dir, name), r, allowed));
  }
  return out;
}

const HELD_SIGNALS: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Run a synchronous critical section with SIGINT/SIGTERM/SIGHUP caught, then re-raise the first
 * one that arrived (after one turn of the event loop, so a signal that came during the section has
 * been delivered to the handler rather than lost when the handler is removed).
 */
async function withSignalsHeld(section: () => void): Promise<void> {
  let caught: NodeJS.Signals | null = null;
  const handler = (sig: NodeJS.Signals) => {
    caught ??= sig;
  };
  for (const sig of HELD_SIGNALS) process.on(sig, handler);
  try {
    section();
    await new Promise((r) => setTimeout(r, 0));
    await new Promise((r) => setImmediate(r));
  } finally {
    for (const sig of HELD_SIGNALS) process.off(sig, handler);
  }
  if (caught && process.listenerCount(caught) === 0) process.kill(process.pid, caught);
}
