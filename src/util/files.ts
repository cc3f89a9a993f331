/**
 * Reading a user's files with errors that name the file: a folder where a file was expected, a
 * missing file or one we may not read is one line ("runs/x.jsonl: is a folder, expected a file"),
 * never a raw Node error ("EISDIR: illegal operation on a directory, read", which names nothing).
 */
import { readFileSync, statSync } from 'node:fs';
import { BitscaleError } from './errors.js';

const FS_PROBLEMS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  EISDIR: 'is a folder, expected a file',
  ENOTDIR: 'a part of the path is not a folder',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ELOOP: 'too many levels of symlinks',
  ENAMETOOLONG: 'the name is too long',
  EMFILE: 'too many open files',
  ENOSPC: 'no space left on the device',
  EROFS: 'read-only filesystem',
  EEXIST: 'already exists',
  ENOTEMPTY: 'the folder is not empty',
};

/** A Node filesystem error as a BitscaleError naming `file` (or the error's own path). */
export function fsError(err: unknown, file?: string): Error {
  if (err instanceof BitscaleError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && e.code in FS_PROBLEMS) return new BitscaleError(FS_PROBLEMS[e.code], { file: file ?? e.path });
  return err instanceof Error ? err : new Error(String(err));
}

/** The text of a UTF-8 file, without a leading byte-order mark (as editors on Windows write). */
export function readTextFile(path: string): string {
  try {
    if (statSync(path).isDirectory()) throw new BitscaleError(FS_PROBLEMS.EISDIR, { file: path });
    return readFileSync(path, 'utf8').replace(/^\uFEFF/, '');
  } catch (err) {
    throw fsError(err, path);
  }
}
