/**
 * MLflow file store: `mlruns/<experiment>/<run>/meta.yaml` (run_name, status: 3 finished,
 * 4 failed, 1 running, 5 killed), `metrics/<key>` with lines `<unix ms> <value> <step>` (a `/` in
 * a key makes subdirectories), `params/<key>` (the value as text). A resumed run appends lines
 * again for steps it already logged: the later line wins. Python spellings nan/inf are read.
 */
import { existsSync, lstatSync, readdirSync, statSync } from 'node:fs';
import { basename, join, relative } from 'node:path';
import { readLines, readTextFile } from '../../util/files.js';
import { MetricSeries, putLogged, unterminatedLine, type ForeignRun } from './common.js';
import { factsFromConfig, parseDecimal, parseTrainerYaml } from './values.js';

/** Is this an MLflow run directory? */
export function isMlflowRunDir(dir: string): boolean {
  return existsSync(join(dir, 'meta.yaml')) && existsSync(join(dir, 'metrics')) && statSync(join(dir, 'metrics')).isDirectory();
}

function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const n of readdirSync(dir).sort()) {
    const p = join(dir, n);
    if (lstatSync(p).isDirectory()) out.push(...filesUnder(p));
    else out.push(p);
  }
  return out;
}

const STATUS: Record<number, ForeignRun['status']> = { 1: 'running', 3: 'completed', 4: 'stopped', 5: 'stopped' };

export function readMlflowRun(dir: string, onWarning?: (m: string) => void): ForeignRun {
  const metaFile = join(dir, 'meta.yaml');
  const parsed = parseTrainerYaml(readTextFile(metaFile), metaFile, onWarning);
  const meta = (parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) ? parsed : {}) as Record<string, unknown>;
  const series = new MetricSeries();
  const metricsDir = join(dir, 'metrics');
  for (const file of filesUnder(metricsDir)) {
    const key = relative(metricsDir, file).split(/[\\/]/).join('/');
    for (const { text, line, terminated } of readLines(file)) {
      if (text.trim() === '') continue;
      const where = `${file}:${line}`;
      if (!terminated) {
        onWarning?.(unterminatedLine(file, line, text));
        break;
      }
      // '<unix ms> <value> <step>'; a line without its step is skipped, never put at step 0.
      const parts = text.trim().split(/\s+/);
      if (parts.length !== 3 || !/^\d+$/.test(parts[2]) || parseDecimal(parts[0]) === null) {
        onWarning?.(`${where}: expected '<timestamp ms> <value> <step>', got '${text.trim().slice(0, 60)}'; the line is skipped`);
        continue;
      }
      putLogged(series, key, Number(parts[2]), parts[1], file, line, onWarning, Number(parts[0]) / 1000);
    }
  }
  const params: Record<string, unknown> = {};
  const paramsDir = join(dir, 'params');
  if (existsSync(paramsDir) && statSync(paramsDir).isDirectory()) {
    for (const file of filesUnder(paramsDir)) {
      const text = readTextFile(file, 1024 * 1024).trim();
      params[relative(paramsDir, file).split(/[\\/]/).join('.')] = parseDecimal(text) ?? text;
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
