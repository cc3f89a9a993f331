/**
 * Paths a command builds from a name it was given (a run id, an `--into` folder, a grid name) must
 * stay inside the folder they are meant for, also after following symlinks. The folder itself (the
 * --runs folder, an --out folder) is the user's choice and is taken as given.
 */
import { existsSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { BitscaleError } from './errors.js';

/** The real path of `path`: its deepest existing ancestor's real path, plus the parts not yet made. */
export function realPathSoFar(path: string): string {
  let head = resolve(path);
  const tail: string[] = [];
  while (!existsSync(head)) {
    const up = dirname(head);
    if (up === head) break;
    tail.unshift(head.slice(up.length).replace(/^[\\/]+/, ''));
    head = up;
  }
  return join(realpathSync(head), ...tail);
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/**
 * `join(root, relativePath)`, after checking that it lies strictly inside `root` both as written
 * and once every symlink on the way (and the file itself, if it exists) is resolved. Otherwise a
 * BitscaleError naming `what` (e.g. "--into") and where the path leads. The root need not exist.
 */
export function resolveInside(root: string, relativePath: string, what: string): string {
  const path = join(root, relativePath);
  if (isAbsolute(relativePath) || !isInside(resolve(root), resolve(path))) {
    throw new BitscaleError(`${what}: '${relativePath}' leads outside ${root}`, { file: path });
  }
  const realRoot = realPathSoFar(root);
  const real = realPathSoFar(path);
  if (!isInside(realRoot, real)) throw new BitscaleError(`${what}: '${relativePath}' leads outside ${root} (through a symlink, to ${real})`, { file: path });
  return path;
}
