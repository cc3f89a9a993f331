/**
 * The Slurm engine: a grid's pending runs become one job array, written as a readable sbatch
 * script (templates/slurm/sweep.sbatch.hbs) into the sweep's folder and submitted with `sbatch`;
 * its state comes from `squeue` (and `sacct` where the cluster keeps accounting), cancelling is
 * `scancel`. Array task i always trains grid run i, so a resubmission names only the gaps.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Handlebars from 'handlebars';
import { countParams } from '../arch/bitlm.js';
import { BitscaleError } from '../util/errors.js';
import { formatCount } from '../util/format.js';
import { PACKAGE_ROOT } from '../version.js';
import { taskOutputPath, type JobOptions, type Scheduler, type ScriptInput, type TaskView } from './scheduler.js';

/** The Slurm name of the job options. */
export type SlurmOptions = JobOptions;

const TIME = /^(\d+|\d+:\d{2}|\d+:\d{2}:\d{2}|\d+-\d+|\d+-\d+:\d{2}|\d+-\d+:\d{2}:\d{2})$/;
const MEM = /^\d+[KMGT]?$/i;

/** The `#SBATCH` lines of the options, in a fixed order (after the fixed lines of the template). */
export function sbatchLines(o: SlurmOptions): string[] {
  if (o.time !== undefined && !TIME.test(o.time)) throw new BitscaleError(`--time expects minutes, HH:MM:SS or D-HH:MM:SS, got '${o.time}'`);
  if (o.mem !== undefined && !MEM.test(o.mem)) throw new BitscaleError(`--mem expects a size like 16G or 4000M, got '${o.mem}'`);
  const lines: string[] = [];
  if (o.partition) lines.push(`--partition=${o.partition}`);
  if (o.account) lines.push(`--account=${o.account}`);
  if (o.qos) lines.push(`--qos=${o.qos}`);
  if (o.time) lines.push(`--time=${o.time}`);
  if (o.gpusPerTask !== undefined) lines.push(`--gpus-per-task=${o.gpusPerTask}`);
  if (o.gres) lines.push(`--gres=${o.gres}`);
  lines.push(`--ntasks=1`);
  if (o.cpusPerTask !== undefined) lines.push(`--cpus-per-task=${o.cpusPerTask}`);
  if (o.mem) lines.push(`--mem=${o.mem}`);
  for (const e of o.extra) {
    if (!e.startsWith('-') || /[\n\r]/.test(e)) throw new BitscaleError(`--sbatch expects one sbatch option such as --constraint=a100, got '${e}'`);
    lines.push(e);
  }
  return lines;
}

/** "0-3,5,7-8" from sorted indices, with "%P" when at most P run at once. */
export function arraySpec(indices: number[], maxParallel?: number): string {
  const parts: string[] = [];
  for (let i = 0; i < indices.length; ) {
    let j = i;
    while (j + 1 < indices.length && indices[j + 1] === indices[j] + 1) j++;
    parts.push(i === j ? `${indices[i]}` : `${indices[i]}-${indices[j]}`);
    i = j + 1;
  }
  return parts.join(',') + (maxParallel ? `%${maxParallel}` : '');
}

/** The backend every task will ask for, and a line saying what it means on the node. */
export function taskBackend(choice: string, o: SlurmOptions): { backend: string; note: string } {
  const gpus = (o.gpusPerTask ?? 0) > 0 || /gpu/i.test(o.gres ?? '');
  if (choice === 'auto' && gpus) return { backend: 'gpu', note: 'GPU nodes: @tensorflow/tfjs-node-gpu (CUDA); a task fails if it cannot load' };
  if (choice === 'auto') return { backend: 'auto', note: 'the first that starts on the node: gpu (tfjs-node-gpu), node (tfjs-node), wasm, cpu' };
  return { backend: choice, note: `every task uses the ${choice} backend; a task fails if it cannot load` };
}

function shellQuote(text: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(text) ? text : `'${text.replace(/'/g, `'\\''`)}'`;
}

let compiled: HandlebarsTemplateDelegate | null = null;
function template(): HandlebarsTemplateDelegate {
  if (!compiled) {
    const hb = Handlebars.create();
    hb.registerHelper('sh', (v: unknown) => shellQuote(String(v)));
    const path = join(PACKAGE_ROOT, 'templates', 'slurm', 'sweep.sbatch.hbs');
    compiled = hb.compile(readFileSync(path, 'utf8'), { noEscape: true, strict: true });
  }
  return compiled;
}

/** The sbatch script's text (absolute paths: the tasks run on other machines, from a shared filesystem). */
export function renderSbatchScript(s: ScriptInput): string {
  const { backend, note } = taskBackend(s.backend, s.options);
  const dir = resolve(s.sweepDir);
  return template()({
    name: s.grid.name,
    taskCount: s.indices.length,
    runCount: s.runs.length,
    gridPath: s.gridPath,
    number: s.number,
    jobName: `bitscale-${s.grid.name}`,
    array: arraySpec(s.indices, s.options.maxParallel),
    logDir: join(dir, 'logs'),
    workDir: process.cwd(),
    signalSeconds: s.options.signalSeconds,
    sbatch: sbatchLines(s.options),
    node: process.execPath,
    bin: join(PACKAGE_ROOT, 'bin', 'bitscale.js'),
    runsDir: resolve(s.grid.out),
    configDir: join(dir, 'configs'),
    checkpointDir: join(dir, 'checkpoints'),
    backend,
    backendNote: note,
    data: s.grid.data ? resolve(s.grid.data) : '',
    runs: s.runs.map((r, index) => ({ index, runId: r.runId, params: formatCount(countParams(r.config.model)), steps: r.config.steps, batchSize: r.config.batchSize })),
  });
}

/** Run a Slurm client; a missing command or a failure is one line with its stderr. */
function slurmCommand(cmd: string, args: string[], allowFail = false): { ok: boolean; stdout: string; stderr: string } {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) {
    const code = (r.error as NodeJS.ErrnoException).code;
    throw new BitscaleError(code === 'ENOENT' ? `${cmd} not found: run this on a Slurm login node (or install slurm-client)` : `${cmd} could not run: ${r.error.message}`);
  }
  const stderr = (r.stderr ?? '').trim();
  if (r.status !== 0 && !allowFail) throw new BitscaleError(`${cmd} failed (exit ${r.status}): ${stderr.split('\n').join(' ') || 'no message'}`);
  return { ok: r.status === 0, stdout: r.stdout ?? '', stderr };
}

/** Slurm's raw wait status (squeue's exit_code) as "exit:signal". */
export function exitCodeText(raw: string): string {
  if (raw.includes(':')) return raw;
  const n = Number(raw);
  if (!Number.isInteger(n)) return raw;
  // A task killed by a signal has no exit status of its own: Slurm writes it as 0:<signal>.
  return n & 0x7f ? `0:${n & 0x7f}` : `${(n >> 8) & 0xff}:0`;
}

/** Parse `squeue -h -r -t all -O JobArrayID:|,State:|,Reason:|,exit_code:|`. */
export function parseSqueue(text: string): Map<string, TaskView> {
  const out = new Map<string, TaskView>();
  for (const line of text.split('\n')) {
    const [id, state, reason, exit] = line.split('|').map((s) => s.trim());
    if (!id || !state || !/^\d+_\d+$/.test(id)) continue;
    out.set(id, { state, reason: reason && reason !== 'None' ? reason : undefined, exitCode: exit ? exitCodeText(exit) : undefined });
  }
  return out;
}

/** Parse `sacct -n -P -X -o JobID,State,ExitCode` (array tasks only: "123_4|COMPLETED|0:0"). */
export function parseSacct(text: string): Map<string, TaskView> {
  const out = new Map<string, TaskView>();
  for (const line of text.split('\n')) {
    const [id, state, exit] = line.split('|').map((s) => s.trim());
    if (!id || !state || !/^\d+_\d+$/.test(id)) continue;
    // "CANCELLED by 0" → CANCELLED
    out.set(id, { state: state.split(' ')[0], exitCode: exit || undefined });
  }
  return out;
}

export const slurm: Scheduler = {
  name: 'slurm',
  submit(script: string): string {
    const r = slurmCommand('sbatch', ['--parsable', script]);
    const id = r.stdout.trim().split(';')[0];
    if (!/^\d+$/.test(id)) throw new BitscaleError(`sbatch printed no job id: '${r.stdout.trim()}' ${r.stderr}`);
    return id;
  },
  status(jobIds: string[]): Map<string, TaskView> {
    if (jobIds.length === 0) return new Map();
    // Finished tasks drop out of squeue after MinJobAge; where the cluster keeps accounting, sacct has them.
    const acct = slurmCommandOptional('sacct', ['-n', '-P', '-X', '-j', jobIds.join(','), '-o', 'JobID,State,ExitCode']);
    const views = acct ? parseSacct(acct) : new Map<string, TaskView>();
    const q = slurmCommand('squeue', ['-h', '-r', '-t', 'all', '-j', jobIds.join(','), '-O', 'JobArrayID:|,State:|,Reason:|,exit_code:|'], true);
    if (!q.ok && !/Invalid job id/i.test(q.stderr)) throw new BitscaleError(`squeue failed: ${q.stderr.split('\n').join(' ')}`);
    for (const [id, v] of parseSqueue(q.stdout)) views.set(id, v);
    return views;
  },
  cancel(ids: string[]): void {
    if (ids.length > 0) slurmCommand('scancel', ids);
  },
  taskOutput: taskOutputPath,
  scriptExtension: 'sbatch',
  renderScript: renderSbatchScript,
};

/** stdout of a command that may be absent or refuse (sacct without accounting storage), else null. */
function slurmCommandOptional(cmd: string, args: string[]): string | null {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.error || r.status !== 0 ? null : r.stdout;
}
