import { readFileSync } from 'node:fs';

/** The package version, read once from package.json (recorded in run logs and the report footer). */
export const VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;
