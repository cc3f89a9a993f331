/**
 * Reading a user's files with errors that name the file: a folder where a file was expected, a
 * missing file or one we may not read is one line ("runs/x.jsonl: is a folder, expected a file"),
 * never a raw Node error ("EISDIR: illegal operation on a directory, read", which names nothing).
 * Only regular files are read: a FIFO, a socket or a device (a symlink to /dev/zero, say) would
 * block or never end, so it is refused before a byte is read.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';
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
  ENXIO: 'no such device',
};

/** A Node filesystem error as a BitscaleError naming `file` (or the error's own path). */
export function fsError(err: unknown, file?: string): Error {
  if (err instanceof BitscaleError) return err;
  const e = err as NodeJS.ErrnoException;
  if (e && typeof e.code === 'string' && e.code in FS_PROBLEMS) return new BitscaleError(FS_PROBLEMS[e.code], { file: file ?? e.path });
  return err instanceof Error ? err : new Error(String(err));
}

/**
 * Open a regular file for reading. O_NONBLOCK makes opening a FIFO return at once (instead of
 * waiting for a writer), so that fstat can refuse it; a regular file reads as usual.
 */
export function openRegularFile(path: string): number {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (err) {
    throw fsError(err, path);
  }
  try {
    const st = fstatSync(fd);
    if (st.isDirectory()) throw new BitscaleError(FS_PROBLEMS.EISDIR, { file: path });
    if (!st.isFile()) throw new BitscaleError(`is not a regular file (a ${st.isFIFO() ? 'pipe' : st.isSocket() ? 'socket' : 'device'}); copy its contents to a file first`, { file: path });
    return fd;
  } catch (err) {
    closeSync(fd);
    throw fsError(err, path);
  }
}

/** The largest file read whole into memory; larger ones go through `readLines`. */
export const WHOLE_FILE_LIMIT = 256 * 1024 * 1024;

/** A regular file's bytes (refusing other kinds of file, and files over `limit` bytes). */
export function readRegularFile(path: string, limit = WHOLE_FILE_LIMIT): Buffer {
  const fd = openRegularFile(path);
  try {
    const size = fstatSync(fd).size;
    if (size > limit) throw new BitscaleError(`is ${size} bytes, more than the ${limit} bytes this format is read into memory for`, { file: path });
    const buf = Buffer.alloc(size);
    let got = 0;
    while (got < size) {
      const n = readSync(fd, buf, got, size - got, got);
      if (n === 0) break;
      got += n;
    }
    return got === size ? buf : buf.subarray(0, got);
  } catch (err) {
    throw fsError(err, path);
  } finally {
    closeSync(fd);
  }
}

/** The text of a UTF-8 file, without a leading byte-order mark (as editors on Windows write). */
export function readTextFile(path: string, limit = WHOLE_FILE_LIMIT): string {
  return readRegularFile(path, limit).toString('utf8').replace(/^\uFEFF/, '');
}

/** The first `bytes` of a regular file as text (to recognise a format, or read a header line). */
export function readHead(path: string, bytes = 256 * 1024): string {
  const fd = openRegularFile(path);
  try {
    const buf = Buffer.alloc(bytes);
    return buf.subarray(0, readSync(fd, buf, 0, bytes, 0)).toString('utf8').replace(/^\uFEFF/, '');
  } catch (err) {
    throw fsError(err, path);
  } finally {
    closeSync(fd);
  }
}

export interface TextLine {
  /** The line without its '\n' (and without a '\r' before it). */
  text: string;
  /** 1-based line number. */
  line: number;
  /** False for a last line with no '\n' after it: a writer that was killed or is still writing. */
  terminated: boolean;
}

/** Lines longer than this are refused: no trainer prints 16 MiB on one line. */
export const MAX_LINE_BYTES = 16 * 1024 * 1024;

/**
 * The lines of a UTF-8 text file, read 1 MiB at a time, so memory stays bounded whatever the
 * file's size. A leading byte-order mark is dropped.
 */
export function* readLines(path: string, chunkBytes = 1024 * 1024): Generator<TextLine> {
  const fd = openRegularFile(path);
  const decoder = new StringDecoder('utf8');
  const buf = Buffer.alloc(chunkBytes);
  let carry = '';
  let line = 0;
  let first = true;
  try {
    for (;;) {
      let n: number;
      try {
        n = readSync(fd, buf, 0, chunkBytes, null);
      } catch (err) {
        throw fsError(err, path);
      }
      let text = n === 0 ? decoder.end() : decoder.write(buf.subarray(0, n));
      if (first && text.length > 0) {
        text = text.replace(/^\uFEFF/, '');
        first = false;
      }
      let start = 0;
      for (let nl = text.indexOf('\n'); nl !== -1; nl = text.indexOf('\n', start)) {
        const whole = carry + text.slice(start, nl);
        carry = '';
        start = nl + 1;
        yield { text: whole.endsWith('\r') ? whole.slice(0, -1) : whole, line: ++line, terminated: true };
      }
      carry += text.slice(start);
      if (carry.length > MAX_LINE_BYTES) throw new BitscaleError(`line ${line + 1} is longer than ${MAX_LINE_BYTES} bytes; not a log this reads`, { file: path, line: line + 1 });
      if (n === 0) break;
    }
    if (carry !== '') yield { text: carry, line: ++line, terminated: false };
  } finally {
    closeSync(fd);
  }
}

/**
 * A regular file read a piece at a time through a 1 MiB window, for record formats (TFRecord):
 * `read(pos, n)` returns a view valid until the next call. `close()` when done.
 */
export function openFileWindow(path: string, window = 1 << 20): { size: number; read(pos: number, n: number): Uint8Array; close(): void } {
  const fd = openRegularFile(path);
  const size = fstatSync(fd).size;
  let buf = Buffer.alloc(window);
  let start = 0;
  let length = 0;
  const read = (pos: number, n: number): Uint8Array => {
    n = Math.max(0, Math.min(n, size - pos));
    if (pos >= start && pos + n <= start + length) return buf.subarray(pos - start, pos - start + n);
    if (n > buf.length) buf = Buffer.alloc(n);
    try {
      length = readSync(fd, buf, 0, Math.min(buf.length, size - pos), pos);
    } catch (err) {
      throw fsError(err, path);
    }
    start = pos;
    return buf.subarray(0, Math.min(n, length));
  };
  return { size, read, close: () => closeSync(fd) };
}
