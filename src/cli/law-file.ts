/** Reading and writing a saved law file (src/fit/saved.ts) for `fit --save`, `predict --law` and `plan --law`. */
import { createHash } from 'node:crypto';
import { readTextFile } from '../util/files.js';
import { writeFileAtomic } from '../util/atomic.js';
import { stableStringify } from '../util/json.js';
import { BitscaleError } from '../util/errors.js';
import { parseAnySavedLaw, parseSavedLaw, savedLawFromFit, type AnySavedLaw, type SavedLaw } from '../fit/saved.js';
import type { ColumnFit } from '../fit/columns.js';

function readJson(path: string): unknown {
  const text = readTextFile(path);
  try {
    return JSON.parse(text);
  } catch {
    throw new BitscaleError('not a saved fit (not valid JSON)', { file: path });
  }
}

/** The chinchilla law in `path` (what plan --law takes), checked; one BitscaleError naming the file when it is not one. */
export function readSavedLawFile(path: string): SavedLaw {
  return parseSavedLaw(readJson(path), path);
}

/** The law of either form in `path` (what predict --law takes), checked. */
export function readAnySavedLawFile(path: string): AnySavedLaw {
  return parseAnySavedLaw(readJson(path), path);
}

/** Write the fit of `csvText` as a law file (atomically; sorted keys, so the same fit gives the same bytes). */
export function writeSavedLawFile(path: string, result: ColumnFit, csvText: string): AnySavedLaw {
  const law = savedLawFromFit(result, createHash('sha256').update(csvText).digest('hex'));
  writeFileAtomic(path, `${stableStringify(law)}\n`);
  return law;
}
