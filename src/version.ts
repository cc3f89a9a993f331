import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The package's own folder (where templates/ and claims/ ship), whatever the working directory. */
export const PACKAGE_ROOT: string = fileURLToPath(new URL('..', import.meta.url));

/** The package version, read once from package.json (recorded in run logs and the report footer). */
export const VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
