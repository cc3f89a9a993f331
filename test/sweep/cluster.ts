/**
 * A real Slurm for the tests: the one SLURM_CONF names if it answers, else a private cluster
 * started by scripts/slurm-up.sh in a temp folder (root and Debian's packages needed) and stopped
 * after the tests. Where neither works the Slurm tests skip with one line saying why, unless
 * BITSCALE_REQUIRE_SLURM=1 (CI), where that is a failure.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('../..', import.meta.url).pathname;

export interface Cluster {
  conf: string;
  stop(): void;
}

function answers(conf: string): boolean {
  const r = spawnSync('sinfo', ['-h', '-o', '%T'], { encoding: 'utf8', env: { ...process.env, SLURM_CONF: conf } });
  return r.status === 0 && /idle|mix|alloc/.test(r.stdout);
}

/** A running cluster, or the reason there is none. */
export function startCluster(): Cluster | { skip: string } {
  const existing = process.env.SLURM_CONF;
  if (existing && answers(existing)) return { conf: existing, stop: () => {} };
  if (process.getuid?.() !== 0) return { skip: 'not root: slurmd must run as root to start jobs' };
  const missing = ['munged', 'slurmctld', 'slurmd', 'sbatch'].filter((b) => spawnSync('sh', ['-c', `command -v ${b}`]).status !== 0);
  if (missing.length) return { skip: `Slurm is not installed (no ${missing.join(', ')}): apt-get install -y --no-install-recommends slurmctld slurmd slurm-client munge` };
  const dir = mkdtempSync(join(tmpdir(), 'bitscale-slurm-'));
  const up = spawnSync('bash', [join(root, 'scripts/slurm-up.sh'), dir], { encoding: 'utf8' });
  let stopped = false;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    spawnSync('bash', [join(root, 'scripts/slurm-down.sh'), dir]);
    rmSync(dir, { recursive: true, force: true });
  };
  // An interrupted test run still stops its cluster (its daemons would outlive it).
  for (const sig of ['SIGINT', 'SIGTERM'] as const)
    process.once(sig, () => {
      stop();
      process.exit(130);
    });
  if (up.status !== 0) {
    stop();
    return { skip: `scripts/slurm-up.sh failed: ${up.stderr.trim().split('\n').pop()}` };
  }
  return { conf: join(dir, 'slurm.conf'), stop };
}

export function requireSlurm(): boolean {
  return process.env.BITSCALE_REQUIRE_SLURM === '1';
}
