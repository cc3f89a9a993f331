#!/usr/bin/env bash
# Stop a cluster started by scripts/slurm-up.sh DIR: cancel its jobs, then stop slurmd, slurmctld
# and munged by the pids in DIR's pid files (never by name, so nothing else on the machine is hit).
set -uo pipefail
dir=${1:?usage: slurm-down.sh DIR}
export SLURM_CONF=$dir/slurm.conf
[ -f "$SLURM_CONF" ] && scancel --quiet --user="$(id -un)" 2>/dev/null
stop() {
  local pidfile=$1 pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.1; done
  kill -9 "$pid" 2>/dev/null
}
stop "$dir/slurmd.pid"
stop "$dir/slurmctld.pid"
stop "$dir/munge/munged.pid"
exit 0
