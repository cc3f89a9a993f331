/**
 * MLflow file store: `mlruns/<experiment>/<run>/meta.yaml` (run_name, status: 3 finished,
 * 4 failed, 1 running, 5 killed), `metrics/<key>` with lines `<unix ms> <value> <step>` (a `/` in
 * a key makes subdirectories), `params/<key>` (the value as text). A resumed run appends lines
 * again for steps it already logged: the later line wins. Python spellings nan/inf are read.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { BitscaleError } from '../../util/errors.js';
import { MetricSeries, type ForeignRun } from './common.js';
import { factsFromConfig, parseLoggedNumber, parseTrainerYaml } from './values.js';

/** Is this an MLflow run directory? */
export function isMlflowRunDir(dir: string): boolean {
  return existsSync(join(dir, 'meta.yaml')) && existsSync(join(dir, 'metrics')) && statSync(join(dir, 'metrics')).isDirectory();
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const n of readdirSync(dir).sort()) {
    const p = join(dir, n);
    if (statSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

const STATUS: Record<number, ForeignRun['status']> = { 1: 'running', 3: 'completed', 4: 'stopped', 5: 'stopped' };

export function readMlflowRun(dir: string, onWarning?: (m: string) => void): ForeignRun {
  const metaFile = join(dir, 'meta.yaml');
  const meta = (parseTrainerYaml(readFileSync(metaFile, 'utf8'), metaFile, onWarning) ?? {}) as Record<string, unknown>;
  const series = new MetricSeries();
  const metricsDir = join(dir, 'metrics');
  for (const file of filesUnder(metricsDir)) {
    const key = relative(metricsDir, file).split(/[\\/]/).join('/');
    readFileSync(file, 'utf8').split('\n').forEach((raw, i) => {
      if (raw.trim() === '') return;
      const parts = raw.trim().split(/\s+/);
      const step = Number(parts[2] ?? 0);
      if (parts.length < 2 || parts.length > 3 || !Number.isInteger(step) || step < 0) {
        throw new BitscaleError(`expected '<timestamp ms> <value> <step>', got '${raw}'`, { file, line: i + 1 });
      }
      series.put(key, { step, value: parseLoggedNumber(parts[1]), wallTime: Number(parts[0]) / 1000, where: `${file}:${i + 1}` });
    });
  }
  const params: Record<string, unknown> = {};
  const paramsDir = join(dir, 'params');
  if (existsSync(paramsDir)) {
    for (const file of filesUnder(paramsDir)) {
      const text = readFileSync(file, 'utf8').trim();
      params[relative(paramsDir, file).split(/[\\/]/).join('.')] = text !== '' && Number.isFinite(Number(text)) ? Number(text) : text;
    }
  }
  const runName = typeof meta.run_name === 'string' && meta.run_name ? meta.run_name : basename(dir);
  return {
    format: 'mlflow',
    name: runName,
    source: dir,
    series,
    facts: factsFromConfig(params, `${paramsDir}/`, 'mlflow'),
    status: STATUS[Number(meta.status)],
  };
}
