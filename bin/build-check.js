// Is dist/ (the bundle `npm run build` writes) built from the sources as they are now?
// Plain JavaScript, so that bin/bitscale.js can ask before anything is transpiled.
//
// The build records every input (each source file under src/, plus tsconfig.json and the build script)
// with its size, mtime and SHA-256 in dist/manifest.json. The check lists the inputs again and
// stats each one (about 60 stat calls, a millisecond or two). A file whose size differs, or a file
// added or removed, makes the build stale. A file with the same size but another mtime (a git
// checkout, `touch`) is hashed and compared, so the answer rests on content, not on timestamps.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';

export const DIST_DIR = 'dist';
export const MANIFEST = 'manifest.json';
/** Inputs outside src/ that change what the build writes. */
const EXTRA_INPUTS = ['tsconfig.json', 'scripts/build.js'];
/** Files under src/ that the bundler can read; an editor's backup or swap file is not an input. */
const SOURCE_FILE = /\.(ts|mts|cts|tsx|js|mjs|cjs|json)$/;

function sha256(path) {
  // node:crypto takes ~10 ms to load, so only when a file has to be hashed.
  const { createHash } = createRequire(import.meta.url)('node:crypto');
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

/** Every input of the build, as paths relative to `root` with '/' separators, sorted. */
export function listInputs(root) {
  const src = join(root, 'src');
  const files = readdirSync(src, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile() && SOURCE_FILE.test(d.name))
    .map((d) => relative(root, join(d.parentPath ?? d.path, d.name)).split(sep).join('/'));
  return [...files, ...EXTRA_INPUTS].sort();
}

/** The manifest's record of the inputs: path → {size, mtime_ms, sha256}. */
export function describeInputs(root) {
  const inputs = {};
  for (const path of listInputs(root)) {
    const st = statSync(join(root, path));
    inputs[path] = { size: st.size, mtime_ms: st.mtimeMs, sha256: sha256(join(root, path)) };
  }
  return inputs;
}

/**
 * Why the build in `root`/dist cannot be used, as a short phrase ("src/cli/fit.ts changed since
 * the build"), or null when it matches the sources. With no src/ folder (a package shipped
 * without its sources) the build is all there is, and it is used.
 */
export function staleReason(root) {
  let manifest;
  try {
    manifest = JSON.parse(readFileSync(join(root, DIST_DIR, MANIFEST), 'utf8'));
  } catch {
    return `there is no build in ${DIST_DIR}/`;
  }
  let paths;
  try {
    paths = listInputs(root);
  } catch {
    return null;
  }
  const recorded = manifest.inputs ?? {};
  for (const path of paths) {
    const r = recorded[path];
    if (!r) return `${path} is new since the build`;
    let st;
    try {
      st = statSync(join(root, path));
    } catch {
      return `${path} is missing`;
    }
    if (st.size !== r.size) return `${path} changed since the build`;
    if (st.mtimeMs !== r.mtime_ms && sha256(join(root, path)) !== r.sha256) return `${path} changed since the build`;
  }
  const removed = Object.keys(recorded).find((p) => !paths.includes(p));
  if (removed) return `${removed} was removed since the build`;
  return null;
}
