/**
 * Peak memory of `ingest` per format (issue 27, item 6): for each format a log of about --mb MB
 * (default 200) is generated here, then ingested by a fresh child process into an empty runs
 * folder; the child's peak resident set size (VmHWM of /proc/self/status) is printed with its
 * time and outcome.
 * Run: node --import tsx bench/ingest-memory.ts [--mb 200] [--format llmc,csv,…]
 * Generating and ingesting 200 MB per format takes minutes and several GB of disk: run it on a
 * quiet machine, and a small size (--mb 10) first.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { formatTable } from '../src/util/format.js';
import { serializeRunLog } from '../src/runs/log.js';
import { frameTFRecord } from '../src/runs/formats/tfrecord.js';
import { frameWandbRecords, wandbRecordType } from '../src/runs/formats/wandb.js';
import { encodeEvent } from '../test/runs/formats/writers.js';
import { sampleHeader } from '../test/helpers.js';

const MB = 1e6;
const arg = (name: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
};

// ---------------------------------------------------------------------------------------------
// The child: ingest one path and report peak RSS.
if (process.argv[2] === '--child') {
  const [, , , path, runs, setJson, mapJson] = process.argv;
  const { ingestFiles } = await import('../src/runs/ingest.js');
  const t0 = performance.now();
  let outcome = 'ok';
  try {
    const plan = ingestFiles([path], runs, { set: JSON.parse(setJson), map: JSON.parse(mapJson), onWarning: () => {} });
    outcome = `ok: ${plan.length} run, ${plan[0].log.steps.length + plan[0].log.evals.length} records`;
  } catch (err) {
    outcome = `error: ${(err as Error).message.slice(0, 100)}`;
  }
  // VmHWM, the peak resident set of this process's own memory map. (getrusage's maxRSS is not used:
  // on Linux it keeps the forking parent's high-water mark across exec.)
  const hwm = /^VmHWM:\s+(\d+) kB/m.exec(existsSync('/proc/self/status') ? readFileSync('/proc/self/status', 'utf8') : '');
  console.log(JSON.stringify({ maxRssKiB: hwm ? Number(hwm[1]) : process.resourceUsage().maxRSS, seconds: (performance.now() - t0) / 1000, outcome }));
  process.exit(0);
}

// ---------------------------------------------------------------------------------------------
// Generators: each writes lines (or records) until the file reaches `bytes`.

/** Append chunks to a file through a 1 MiB buffer until `bytes` are written. */
function writeUntil(file: string, bytes: number, next: (i: number) => string | Uint8Array): void {
  mkdirSync(dirname(file), { recursive: true });
  const fd = openSync(file, 'w');
  let written = 0;
  let pending: (string | Uint8Array)[] = [];
  let pendingBytes = 0;
  const flush = () => {
    const buf = Buffer.concat(pending.map((p) => (typeof p === 'string' ? Buffer.from(p) : p)));
    writeSync(fd, buf);
    pending = [];
    pendingBytes = 0;
  };
  for (let i = 0; written < bytes; i++) {
    const chunk = next(i);
    const n = typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.length;
    pending.push(chunk);
    pendingBytes += n;
    written += n;
    if (pendingBytes > 1 << 20) flush();
  }
  flush();
  closeSync(fd);
}

const loss = (step: number) => (3 + 1 / (1 + step / 1000)).toFixed(4);
const VAL_EVERY = 100;
const FOREIGN = { params: '124M', batch_size: '8', seq_len: '1024', lr: '6e-4', dataset: 'bench' };

interface Format {
  name: string;
  make: (dir: string, bytes: number) => string;
  set?: Record<string, string>;
  map?: Record<string, string>;
}

const FORMATS: Format[] = [
  {
    name: 'llmc',
    make: (dir, bytes) => {
      const f = join(dir, 'run', 'main.log');
      writeUntil(f, bytes, (s) => `s:${s} trl:${loss(s)}\n${s % VAL_EVERY === 0 ? `s:${s} tel:${loss(s)}\n` : ''}`);
      return f;
    },
  },
  {
    name: 'nanogpt',
    make: (dir, bytes) => {
      const f = join(dir, 'nano.log');
      writeUntil(f, bytes, (s) => `${s % VAL_EVERY === 0 ? `step ${s}: train loss ${loss(s)}, val loss ${loss(s)}\n` : ''}iter ${s}: loss ${loss(s)}, time 34.17ms, mfu 10.90%\n`);
      return f;
    },
  },
  {
    name: 'megatron',
    make: (dir, bytes) => {
      const f = join(dir, 'megatron.log');
      writeUntil(f, bytes, (s) => ` [2024-01-01 00:00:00] iteration ${String(s + 1).padStart(8)}/ 99999999 | consumed samples: ${(s + 1) * 8} | learning rate: 6.000E-04 | global batch size: 8 | lm loss: ${loss(s + 1)} | loss scale: 1.0 |\n${(s + 1) % VAL_EVERY === 0 ? ` validation loss at iteration ${s + 1} | lm loss value: ${loss(s + 1)} | lm loss PPL: 1.2E+01 | \n` : ''}`);
      return f;
    },
  },
  {
    name: 'wandb-csv',
    make: (dir, bytes) => {
      const f = join(dir, 'history.csv');
      writeUntil(f, bytes, (s) => (s === 0 ? '_step,train/loss,val/loss\n' : `${s},${loss(s)},${s % VAL_EVERY === 0 ? loss(s) : ''}\n`));
      return f;
    },
  },
  {
    name: 'lightning',
    make: (dir, bytes) => {
      const f = join(dir, 'pl', 'version_0', 'metrics.csv');
      writeUntil(f, bytes, (s) => (s === 0 ? 'epoch,step,train_loss,val_loss\n' : `0,${s},${loss(s)},\n${s % VAL_EVERY === 0 ? `0,${s},,${loss(s)}\n` : ''}`));
      return dirname(dirname(f));
    },
  },
  {
    name: 'mlflow',
    make: (dir, bytes) => {
      const run = join(dir, 'mlruns', '0', 'r1');
      writeUntil(join(run, 'meta.yaml'), 1, () => 'run_name: bench\nstatus: 3\n');
      writeUntil(join(run, 'metrics', 'val_loss'), bytes / VAL_EVERY, (i) => `${1700000000000 + i} ${loss(i * VAL_EVERY)} ${i * VAL_EVERY}\n`);
      writeUntil(join(run, 'metrics', 'train_loss'), bytes, (s) => `${1700000000000 + s} ${loss(s)} ${s}\n`);
      return join(dir, 'mlruns');
    },
  },
  {
    name: 'tensorboard',
    make: (dir, bytes) => {
      const f = join(dir, 'tb', 'events.out.tfevents.1700000000.bench.1.0');
      writeUntil(f, bytes, (s) => frameTFRecord(encodeEvent({ step: s, scalars: s % VAL_EVERY === 0 ? { 'train/loss': Number(loss(s)), 'val/loss': Number(loss(s)) } : { 'train/loss': Number(loss(s)) } })));
      return dirname(f);
    },
  },
  {
    name: 'wandb',
    make: (dir, bytes) => {
      const type = wandbRecordType();
      const run = join(dir, 'wandb', 'run-20240101_000000-bench');
      const record = (s: number) => type.encode(type.fromObject({ history: { item: [{ key: '_step', value_json: String(s) }, { key: 'train/loss', value_json: loss(s) }, ...(s % VAL_EVERY === 0 ? [{ key: 'val/loss', value_json: loss(s) }] : [])] } })).finish();
      // The .wandb framing needs block positions, so records are framed in one go (the generator's memory, not ingest's).
      const one = record(1).length + 7;
      const n = Math.ceil(bytes / one);
      writeUntil(join(run, 'run-bench.wandb'), 1, () => frameWandbRecords(Array.from({ length: n }, (_, s) => record(s))));
      return join(dir, 'wandb');
    },
  },
  {
    name: 'huggingface',
    make: (dir, bytes) => {
      const out = join(dir, 'hf', 'run');
      writeUntil(join(out, 'config.json'), 1, () => JSON.stringify({ model_type: 'gpt2', n_embd: 768, n_layer: 12, n_head: 12, n_positions: 1024, vocab_size: 50257 }));
      writeUntil(join(out, 'trainer_state.json'), bytes, (s) =>
        s === 0
          ? '{"global_step": 0, "log_history": [\n'
          : `    {"epoch": 0.1, "learning_rate": 6e-4, "loss": ${loss(s)}, "step": ${s}},\n${s % VAL_EVERY === 0 ? `    {"epoch": 0.1, "eval_loss": ${loss(s)}, "step": ${s}},\n` : ''}`,
      );
      // Close the list: the last entry repeated without its comma, then the brackets.
      writeUntil(join(out, 'trainer_state.json.end'), 1, () => '    {"step": 1, "loss": 3.0}\n]}\n');
      const f = join(out, 'trainer_state.json');
      spawnSync('sh', ['-c', `cat '${f}.end' >> '${f}' && rm '${f}.end'`]);
      return join(dir, 'hf');
    },
    set: { ...FOREIGN, batch_size: '8' },
  },
  {
    name: 'csv',
    make: (dir, bytes) => {
      const f = join(dir, 'results.csv');
      writeUntil(f, bytes, (s) => (s === 0 ? 'run_id,params,steps,bs,lr,val_bpc,seq_len,dataset\n' : `r1,5.52M,${s},256,6e-4,${loss(s)},256,bench\n`));
      return f;
    },
    set: {},
  },
  {
    name: 'jsonl',
    make: (dir, bytes) => {
      const f = join(dir, 'r.jsonl');
      const h = serializeRunLog({ header: sampleHeader({ run_id: 'big', planned_steps: 1e8 }), steps: [], evals: [], summary: null });
      writeUntil(f, bytes, (s) => (s === 0 ? h : `{"type":"step","step":${s},"tokens":${s * 256},"train_loss":${loss(s)}}\n${s % VAL_EVERY === 0 ? `{"type":"eval","step":${s},"tokens":${s * 256},"val_bpc":${loss(s)}}\n` : ''}`));
      return f;
    },
    set: {},
  },
];

const mb = Number(arg('--mb') ?? 200);
const only = arg('--format')?.split(',');
const rows: (string | number)[][] = [];
const work = mkdtempSync(join(tmpdir(), 'bitscale-bench-memory-'));
try {
  for (const format of FORMATS.filter((f) => !only || only.includes(f.name))) {
    const dir = join(work, format.name);
    const path = format.make(dir, mb * MB);
    const size = (p: string): number => (statSync(p).isDirectory() ? 0 : statSync(p).size);
    const bytes = [path, ...(statSync(path).isDirectory() ? spawnSync('find', [path, '-type', 'f'], { encoding: 'utf8' }).stdout.trim().split('\n') : [])].reduce((n, p) => n + size(p), 0);
    const runs = join(work, `runs-${format.name}`);
    const child = spawnSync(process.execPath, ['--import', 'tsx', new URL(import.meta.url).pathname, '--child', path, runs, JSON.stringify(format.set ?? FOREIGN), JSON.stringify(format.map ?? {})], { encoding: 'utf8', maxBuffer: 1 << 24 });
    const line = child.stdout.trim().split('\n').pop() ?? '';
    let r: { maxRssKiB: number; seconds: number; outcome: string } | null = null;
    try {
      r = JSON.parse(line);
    } catch {
      r = null;
    }
    rows.push([format.name, `${(bytes / MB).toFixed(0)} MB`, r ? `${(r.maxRssKiB / 1024).toFixed(0)} MiB` : '-', r ? `${r.seconds.toFixed(1)} s` : '-', r ? r.outcome : `child failed (exit ${child.status}, ${child.signal ?? ''}): ${child.stderr.trim().split('\n').pop()?.slice(0, 100)}`]);
    rmSync(dir, { recursive: true, force: true });
    rmSync(runs, { recursive: true, force: true });
    console.log(rows.at(-1)!.join('  '));
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
console.log(`\n${formatTable(['format', 'input', 'peak RSS', 'time', 'outcome'], rows)}`);
