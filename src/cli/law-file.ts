/** Reading and writing a saved law file (src/fit/saved.ts) for `fit --save`, `predict --law` and `plan --law`. */
import { createHash } from 'node:crypto';
import { readTextFile } from '../util/files.js';
import { writeFileAtomic } from '../util/atomic.js';
import { stableStringify } from '../util/json.js';
import { BitscaleError } from '../util/errors.js';
import { parseSavedLaw, savedLawFromFit, type SavedLaw } from '../fit/saved.js';
import type { ColumnFit } from '../fit/columns.js';

/** The law in `path`, checked; one BitscaleError naming the file when it is not a saved fit. */
export function readSavedLawFile(path: string): SavedLaw {
  const text = readTextFile(path);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new BitscaleError('not a saved fit (not valid JSON)', { file: path });
  }
  return parseSavedLaw(raw, path);
}

/** Write the fit of `csvText` as a law file (atomically; sorted keys, so the same fit gives the same bytes). */
export function writeSavedLawFile(path: string, result: ColumnFit, csvText: string): SavedLaw {
  const law = savedLawFromFit(result, createHash('sha256').update(csvText).digest('hex'));
  writeFileAtomic(path, `${stableStringify(law)}\n`);
  return law;
}
