#!/usr/bin/env bash
# Start a private, single-machine Slurm cluster (munged + slurmctld + slurmd) in DIR, for tests and
# CI. Everything it writes (key, sockets, state, spool, logs, pid files) stays inside DIR; it needs
# root and Debian's slurmctld, slurmd, slurm-client and munge packages. Ports are free ones picked
# at start (or SLURM_CTLD_PORT / SLURMD_PORT), so it runs beside a system Slurm or a second copy.
#
#   scripts/slurm-up.sh DIR      # prints: export SLURM_CONF=DIR/slurm.conf
#   scripts/slurm-down.sh DIR    # stops it by the pids in DIR
#
# Node and partition: one node "bitscale-node" with this machine's CPUs and memory (from
# `slurmd -C`), in partition "debug" (the default). No accounting database: final task states go to
# DIR/jobcomp.txt, and finished jobs stay visible to scontrol/squeue for an hour (MinJobAge).
set -euo pipefail
dir=${1:?usage: slurm-up.sh DIR}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
chmod 711 "$dir"   # munged checks that every directory above its socket lets others through

for bin in munged slurmctld slurmd sinfo sbatch; do
  command -v "$bin" >/dev/null || { echo "slurm-up: '$bin' not found: apt-get install -y --no-install-recommends slurmctld slurmd slurm-client munge" >&2; exit 3; }
done
[ "$(id -u)" = 0 ] || { echo "slurm-up: needs root (slurmd starts jobs as their user)" >&2; exit 3; }

# A free TCP port at or above $1 (checked against what is listening now).
free_port() {
  local p=$1
  while ss -Htln "sport = :$p" 2>/dev/null | grep -q .; do p=$((p + 1)); done
  echo "$p"
}
ctld_port=${SLURM_CTLD_PORT:-$(free_port $((20000 + RANDOM % 20000)))}
slurmd_port=${SLURMD_PORT:-$(free_port $((ctld_port + 1)))}

mkdir -p "$dir/munge" "$dir/state" "$dir/spool" "$dir/log"
chmod 711 "$dir/munge"   # munged refuses a socket directory that others can write or list
[ -f "$dir/munge/munge.key" ] || { dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none; chmod 400 "$dir/munge/munge.key"; }
munged --socket="$dir/munge/munge.sock" --key-file="$dir/munge/munge.key" \
  --pid-file="$dir/munge/munged.pid" --log-file="$dir/log/munged.log" --seed-file="$dir/munge/munged.seed"

node=bitscale-node
# The node line must match what slurmd detects, or the node is marked invalid.
hw=$(slurmd -C | head -1 | sed -e 's/^NodeName=[^ ]* //')
cat > "$dir/slurm.conf" <<CONF
ClusterName=bitscale
SlurmctldHost=$(hostname -s)(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.sock,cred_expire=10
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/filetxt
JobCompLoc=$dir/jobcomp.txt
SchedulerParameters=sched_interval=2,bf_interval=2
MinJobAge=3600
ReturnToService=2
KillWait=10
MpiDefault=none
NodeName=$node NodeAddr=127.0.0.1 $hw State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
CONF

export SLURM_CONF=$dir/slurm.conf
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF" -N "$node"
for _ in $(seq 1 100); do
  state=$(sinfo -h -n "$node" -o %T 2>/dev/null || true)
  [ "$state" = idle ] && { echo "export SLURM_CONF=$SLURM_CONF"; exit 0; }
  sleep 0.2
done
echo "slurm-up: node $node is '${state:-unknown}' after 20 s; see $dir/log/" >&2
exit 1
