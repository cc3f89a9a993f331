/**
 * PyTorch Lightning CSVLogger: `<save_dir>/<name>/version_N/metrics.csv` (sparse rows, one per
 * log call; `step` is the 0-based optimizer step) and `hparams.yaml` (PyYAML, may hold
 * `!!python/tuple`). A resumed run writes a new `version_N` that repeats the boundary step: the
 * later version's point wins. Rule for which versions form one run: versions are taken in
 * numeric order, and a version continues the run before it when its first logged step is later
 * than that run's first step (a fresh run starts again from the beginning).
 */
import { existsSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { BitscaleError } from '../../util/errors.js';
import { readTextFile } from '../../util/files.js';
import { readCsvStream } from './csv-stream.js';
import { MetricSeries, putLogged, type ForeignRun } from './common.js';
import { factsFromConfig, flattenConfig, parseTrainerYaml } from './values.js';

/** Is this a CSVLogger version directory? */
export function isLightningVersionDir(dir: string): boolean {
  return existsSync(join(dir, 'metrics.csv')) && (existsSync(join(dir, 'hparams.yaml')) || /^version_\d+$/.test(basename(dir)));
}

/** N of `version_N`; custom version names sort after, by name. */
const versionNumber = (name: string) => (/^version_\d+$/.test(name) ? Number(name.slice(8)) : Infinity);

interface Version {
  dir: string;
  series: MetricSeries;
  firstStep: number;
  config: Record<string, unknown>;
}

function readVersion(dir: string, onWarning?: (m: string) => void): Version {
  const file = join(dir, 'metrics.csv');
  const { columns, rows } = readCsvStream(file, onWarning);
  if (!columns.includes('step')) throw new BitscaleError(`no 'step' column (columns: ${columns.join(', ')})`, { file, line: 1, field: 'step' });
  const series = new MetricSeries();
  let firstStep = Infinity;
  for (const { record, line } of rows) {
    // A row without its step is skipped, never given another step.
    if (!/^\d+$/.test(record.step)) {
      onWarning?.(`${file}:${line}: field 'step': expected a step number, got '${record.step.slice(0, 40)}'; the row is skipped`);
      continue;
    }
    const step = Number(record.step);
    firstStep = Math.min(firstStep, step);
    for (const c of columns) {
      if (c === 'step' || c === 'epoch' || record[c] === '' || record[c] === undefined) continue;
      putLogged(series, c, step, record[c], file, line, onWarning);
    }
  }
  const hp = join(dir, 'hparams.yaml');
  const config = existsSync(hp) ? flattenConfig(parseTrainerYaml(readTextFile(hp), hp, onWarning) ?? {}) : {};
  return { dir, series, firstStep, config };
}

/**
 * The runs under a Lightning logger directory (`<name>/` holding `version_N/`), or the one run
 * of a single `version_N/` directory.
 */
export function readLightningRuns(dir: string, onWarning?: (m: string) => void): ForeignRun[] {
  const versionDirs = isLightningVersionDir(dir)
    ? [dir]
    : readdirSync(dir)
        .filter((n) => isLightningVersionDir(join(dir, n)))
        .sort((a, b) => versionNumber(a) - versionNumber(b) || (a < b ? -1 : a > b ? 1 : 0))
        .map((n) => join(dir, n));
  if (versionDirs.length === 0) throw new BitscaleError('no Lightning CSVLogger output (version_N/metrics.csv) here', { file: dir });
  const groups: Version[][] = [];
  for (const v of versionDirs.map((d) => readVersion(d, onWarning))) {
    const current = groups[groups.length - 1];
    if (current && v.firstStep > current[0].firstStep) current.push(v);
    else groups.push([v]);
  }
  const single = groups.length === 1 && !isLightningVersionDir(dir);
  return groups.map((versions) => {
    const series = versions.length === 1 ? versions[0].series : new MetricSeries();
    for (const v of versions.length === 1 ? [] : versions) {
      for (const m of v.series.names()) {
        const points = v.series.view(m);
        for (let k = 0; k < points.length; k++) series.put(m, points.point(k));
      }
    }
    const config = Object.assign({}, ...versions.map((v) => v.config)) as Record<string, unknown>;
    const first = versions[0].dir;
    const hp = join(first, 'hparams.yaml');
    return {
      format: 'lightning' as const,
      name: single ? basename(dir) : `${basename(join(first, '..'))}-${basename(first)}`,
      source: versions.length === 1 ? first : `${first} (+ ${versions.slice(1).map((v) => basename(v.dir)).join(', ')})`,
      series,
      facts: factsFromConfig(config, hp, 'pytorch-lightning'),
      conventions: { train_loss: ['train_loss_step', 'train_loss'], val_loss: ['val_loss_epoch', 'val_loss'] },
    };
  });
}
