import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The package's own folder (where templates/ and claims/ ship), whatever the working directory.
 * Right both here (src/version.ts) and in the bundle (dist/*.js, flat, also one level down): other
 * modules build paths from PACKAGE_ROOT, never from their own import.meta.url, whose depth the
 * bundle does not keep.
 */
export const PACKAGE_ROOT: string = fileURLToPath(new URL('..', import.meta.url));

/** The package version, read once from package.json (recorded in run logs and the report footer). */
export const VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
