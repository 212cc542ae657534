#!/usr/bin/env bash
# Long test (issue 21): a one-node Slurm on this machine (Debian slurm-wlm with munge, every
# daemon in a private directory on its own ports), scripts/slurm/runners.sbatch submitted as a
# 2-task array, and the 384-job demo sweep completed through it over CurveZMQ; then the tasks
# reach their time limit, Slurm sends SIGTERM, and each runner drains and exits 0.
#   slurm_array_test.sh S1MPLE_BIN PROJECT_ROOT
#
# Setup step: slurm-wlm and munge are installed here, not by scripts/setup, because on a
# machine that runs systemd their packages enable and start munged, slurmd and slurmctld for
# the whole machine. Here they are installed with services kept from starting (policy-rc.d),
# left disabled, and only this test's own daemons run, as root, and are stopped at the end.
set -euo pipefail
bin=$1
root=$2
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
if [ -n "$SUDO" ] && ! sudo -n true 2>/dev/null; then
  echo "FAIL: the Slurm test needs root (or passwordless sudo) to install and run slurmd"; exit 1
fi

# ---- setup: packages --------------------------------------------------------------------
if ! command -v slurmctld >/dev/null || ! command -v slurmd >/dev/null || ! command -v munged >/dev/null; then
  echo "setup: installing slurm-wlm and munge (services kept from starting)"
  made_policy=""
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' | $SUDO tee /usr/sbin/policy-rc.d >/dev/null
    $SUDO chmod 0755 /usr/sbin/policy-rc.d
    made_policy=yes
  fi
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends slurm-wlm munge >/dev/null
  [ -n "$made_policy" ] && $SUDO rm -f /usr/sbin/policy-rc.d
  if [ -d /run/systemd/system ]; then
    $SUDO systemctl disable --now munge slurmd slurmctld >/dev/null 2>&1 || true
  fi
fi

work=$(mktemp -d /tmp/s1mple-slurm-XXXXXX)
chmod 0755 "$work"
pids=()
cleanup() {
  set +e
  [ -f "$work/slurm.conf" ] && SLURM_CONF=$work/slurm.conf scancel --full --signal=KILL --user=root 2>/dev/null
  for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
  sleep 1
  for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
  if [ -n "${KEEP_WORK:-}" ]; then echo "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
fail() {
  echo "FAIL: $*"
  for f in "$work"/log/*; do echo "---- $f"; tail -20 "$f"; done
  exit 1
}
mkdir -p "$work/munge" "$work/ctld" "$work/spool" "$work/log" "$work/out" "$work/keys"

# ---- munge --------------------------------------------------------------------------------
mungekey --create --keyfile="$work/munge/munge.key" 2>/dev/null ||
  dd if=/dev/urandom bs=1 count=1024 of="$work/munge/munge.key" 2>/dev/null
chmod 0600 "$work/munge/munge.key"
chmod 0700 "$work/munge"
socket=$work/munge/munge.socket
munged --force --key-file="$work/munge/munge.key" --socket="$socket" \
  --pid-file="$work/munge/munged.pid" --log-file="$work/log/munged.log" \
  --seed-file="$work/munge/munged.seed" || fail "munged did not start"
for _ in $(seq 50); do [ -f "$work/munge/munged.pid" ] && break; sleep 0.1; done
pids+=("$(cat "$work/munge/munged.pid")")
munge --socket="$socket" -n </dev/null | unmunge --socket="$socket" >/dev/null || fail "munge round trip"

# ---- slurm.conf: this node, ports away from a real Slurm's 6817/6818 ------------------------
host=$(hostname -s)
base=$((30000 + RANDOM % 20000))
node=$(slurmd -C | head -1)
cat > "$work/slurm.conf" <<CONF
ClusterName=s1mpletest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$base
SlurmdPort=$((base + 1))
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
StateSaveLocation=$work/ctld
SlurmdSpoolDir=$work/spool
SlurmctldPidFile=$work/ctld/slurmctld.pid
SlurmdPidFile=$work/spool/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
SchedulerType=sched/backfill
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=30
KillWait=10
$node State=UNKNOWN
PartitionName=s1mple Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$work/slurm.conf
slurmctld -D -i -f "$SLURM_CONF" >"$work/log/slurmctld.out" 2>&1 &
pids+=($!)
slurmd -D -f "$SLURM_CONF" >"$work/log/slurmd.out" 2>&1 &
pids+=($!)
for _ in $(seq 120); do
  state=$(sinfo -h -o %t 2>/dev/null || true)
  [ "$state" = idle ] && break
  sleep 0.5
done
[ "$state" = idle ] || fail "the node is not idle (sinfo: '$state')"
echo "slurm: node $host idle (slurmctld on $base)"

# ---- a CurveZMQ broker and the array ---------------------------------------------------
"$bin" keygen "$work/keys/broker" >/dev/null
"$bin" keygen "$work/keys/slurm" >/dev/null
"$bin" keygen "$work/keys/me" >/dev/null
cat "$work/keys/slurm.pub" "$work/keys/me.pub" > "$work/keys/authorized_keys"
"$bin" broker --bind tcp://127.0.0.1:* --store "$work/store" --sync none \
  --key "$work/keys/broker.key" --authorized-keys "$work/keys/authorized_keys" \
  --endpoint-file "$work/endpoint" >"$work/log/broker.log" 2>&1 &
pids+=($!)
for _ in $(seq 100); do [ -s "$work/endpoint" ] && break; sleep 0.1; done
endpoint=$(sed -n 's/^listening on //p' "$work/endpoint" | head -1)
[ -n "$endpoint" ] || fail "broker: no endpoint"

# Two tasks of one CPU, a 3-minute limit, SIGTERM 60 s before it: Slurm sends such signals up
# to 60 s early, so the drain comes 1 to 2 minutes after the start, long after the sweep.
job=$(S1MPLE_BROKER=$endpoint S1MPLE_KEY=$work/keys/slurm.key \
  S1MPLE_SERVER_KEY=$work/keys/broker.pub S1MPLE_BIN=$bin S1MPLE_GRACE_MS=20000 \
  S1MPLE_CACHE_DIR='' \
  sbatch --parsable --array=0-1 --cpus-per-task=1 --time=3 --signal=B:TERM@60 \
    --chdir="$work" --output="$work/out/%A_%a.out" "$root/scripts/slurm/runners.sbatch") ||
  fail "sbatch refused the array"
echo "slurm: submitted array job $job"
for _ in $(seq 120); do
  ready=$(grep -c "runner slurm-$job-[01] ready" "$work/log/broker.log" || true)
  [ "$ready" -ge 2 ] && break
  sleep 0.5
done
[ "$ready" -ge 2 ] || fail "the array's runners did not connect ($ready of 2); squeue: $(squeue 2>&1)"
echo "slurm: both array tasks connected to the broker"

"$bin" optimize "$root/config/optimizations/demo_ema_cross.yaml" --broker "$endpoint" \
  --server-key "$work/keys/broker.pub" --key "$work/keys/me.key" --out "$work/sweep" \
  --no-progress >"$work/log/optimize.log" 2>&1 || fail "optimize through the array"
grep -q "384 succeeded, 0 failed" "$work/log/optimize.log" || fail "optimize: $(cat "$work/log/optimize.log")"
[ -s "$work/sweep/report.html" ] || fail "no report.html"
echo "slurm: the 384-job sweep completed through the array"

# ---- the time limit: SIGTERM, drain, exit 0 -------------------------------------------------
for _ in $(seq 300); do
  [ -z "$(squeue -h -j "$job" 2>/dev/null)" ] && break
  sleep 1
done
[ -z "$(squeue -h -j "$job" 2>/dev/null)" ] || fail "the array still runs after its time limit"
for t in 0 1; do
  out=$work/out/${job}_$t.out
  [ -f "$out" ] || fail "no output of task $t"
  grep -q "SIGTERM (time limit or scancel): draining" "$out" || fail "task $t got no SIGTERM: $(cat "$out")"
  grep -q "shutting down: handing back" "$out" || fail "task $t did not drain: $(cat "$out")"
  grep -q "s1mple runner exited 0" "$out" || fail "task $t: $(cat "$out")"
done
for t in 0 1; do
  grep -q "runner slurm-$job-$t left: runner slurm-$job-$t shutting down" "$work/log/broker.log" ||
    fail "the broker did not see task $t leave cleanly"
done
echo "PASS: a one-node Slurm ran the sweep through a 2-task runners.sbatch array; at the time limit both drained and exited 0"
