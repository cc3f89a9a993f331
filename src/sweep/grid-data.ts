/**
 * A grid must say what it trains on. The trainer trains on the Brown corpus unless given --data,
 * so a grid that names a dataset other than Brown ("dataset": "GLM-Reasoning") but no "data" would
 * quietly train on Brown and log the result as if it were that dataset's. Such a grid is refused
 * before anything runs or is submitted, in one line naming the grid file and the entry.
 */
import { BitscaleError } from '../util/errors.js';
import { readTextFile } from '../util/files.js';

/** The dataset the trainer uses without --data (src/data/corpus.ts). */
export const DEFAULT_CORPUS_DATASET = 'brown';

const names = (v: unknown): v is string => typeof v === 'string' && v.trim() !== '';
const isDefault = (dataset: string) => dataset.trim().toLowerCase() === DEFAULT_CORPUS_DATASET;

/**
 * Throws when the grid (raw JSON object) or one of its model entries names a dataset other than
 * Brown and no data: the top level's "data" serves every entry, an entry's own "data" itself.
 */
export function checkGridData(raw: Record<string, unknown>, file: string): void {
  const gridData = names(raw.data) ? raw.data : null;
  const refuse = (field: string, dataset: string) =>
    new BitscaleError(`the grid names dataset '${dataset}' but no data to train it on: set "data" to its text file or folder (without it every run would train on the ${DEFAULT_CORPUS_DATASET} corpus)`, { file, field });
  if (names(raw.dataset) && !isDefault(raw.dataset) && !gridData) throw refuse('data', raw.dataset);
  const models = Array.isArray(raw.models) ? raw.models : [];
  models.forEach((m, i) => {
    if (!m || typeof m !== 'object') return;
    const entry = m as Record<string, unknown>;
    if (names(entry.dataset) && !isDefault(entry.dataset) && !gridData && !names(entry.data)) throw refuse(`models[${i}].data`, entry.dataset);
  });
}

/** checkGridData on the grid file at `path` (already read and checked by readGrid). */
export function checkGridFileData(path: string): void {
  checkGridData(JSON.parse(readTextFile(path)) as Record<string, unknown>, path);
}
