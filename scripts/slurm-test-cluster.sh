#!/usr/bin/env bash
# A throw-away single-node Slurm cluster for the integration tests (Tests/descentTests/SlurmTests.swift).
#
#   scripts/slurm-test-cluster.sh up DIR     install slurm-wlm and munge from Debian when missing (root
#                                            only), start munged, slurmctld and slurmd with every file
#                                            under DIR, wait until the node is idle
#   scripts/slurm-test-cluster.sh down DIR   cancel the cluster's jobs, stop the daemons whose process ids
#                                            `up` recorded in DIR/pids (nothing else is ever signalled)
#
# Clients (sbatch, scontrol, ...) find the cluster through SLURM_CONF=DIR/slurm.conf. Nothing outside
# DIR is touched except the Debian packages: munged gets its own key and socket in DIR/munge, the
# controller its own state folder (a fresh one each time, so no old jobs come back), and the ports are
# picked free at start-up, so a system Slurm or munge, if any, is left alone.
#
# Works without systemd: proctrack/linuxproc and task/none (no cgroups), no accounting database (poll
# with `scontrol show job`, not sacct), batch_sched_delay=0 so jobs start at once, the node called
# localhost at 127.0.0.1 so nothing depends on the host name. SlurmUser=root: for tests only.
#
# Exit status: 0 done; 77 this machine cannot run the cluster (not root, and the packages are missing
# or the daemons need root); 1 anything else (the log tails are printed).
set -euo pipefail

export PATH="$PATH:/usr/sbin:/sbin"
say() { printf 'slurm-test-cluster: %s\n' "$*" >&2; }
die() { say "ERROR: $*"; exit 1; }
cannot() { say "CANNOT RUN HERE: $*"; exit 77; }

[ $# -eq 2 ] || { echo "usage: $0 up|down DIR" >&2; exit 64; }
action=$1
mkdir -p "$2"
dir=$(cd "$2" && pwd)
conf=$dir/slurm.conf
export SLURM_CONF=$conf

# --- packages -------------------------------------------------------------------------------------

have_packages() {
    local tool
    for tool in sbatch scontrol squeue sinfo scancel slurmctld slurmd munged munge unmunge; do
        command -v "$tool" >/dev/null || return 1
    done
}

install_packages() {
    have_packages && return 0
    command -v apt-get >/dev/null || cannot "slurm-wlm and munge are missing and there is no apt-get to install them"
    say "installing slurm-wlm and munge with apt-get (log: $dir/apt.log)"
    # Debian starts daemons from postinst where it can; keep it from starting a system munged/slurmd:
    # a policy-rc.d that says no, ours only if there is none, removed afterwards.
    local policy=/usr/sbin/policy-rc.d ours=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\n# temporary, from descent scripts/slurm-test-cluster.sh\nexit 101\n' >"$policy"
        chmod 0755 "$policy"; ours=1
    fi
    local apt=(env DEBIAN_FRONTEND=noninteractive apt-get -q -y -o DPkg::Lock::Timeout=300)
    local ok=0
    if "${apt[@]}" install --no-install-recommends slurm-wlm munge >"$dir/apt.log" 2>&1; then
        ok=1
    else
        say "install failed; updating the package lists and trying again"
        "${apt[@]}" update >>"$dir/apt.log" 2>&1 &&
            "${apt[@]}" install --no-install-recommends slurm-wlm munge >>"$dir/apt.log" 2>&1 && ok=1
    fi
    if [ $ours -eq 1 ] && grep -q 'descent scripts/slurm-test-cluster.sh' "$policy"; then rm -f "$policy"; fi
    [ $ok -eq 1 ] || { tail -n 20 "$dir/apt.log" >&2; die "apt-get install slurm-wlm munge failed (log: $dir/apt.log)"; }
    have_packages || die "slurm-wlm and munge are installed but some of their programs are not on PATH"
}

# --- process ids ----------------------------------------------------------------------------------

# The recorded id of a daemon, only while that process is alive and still runs the program named.
recorded_pid() { # name
    local file=$dir/pids/$1 pid comm
    [ -s "$file" ] || return 1
    pid=$(<"$file")
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    comm=$(cat "/proc/$pid/comm" 2>/dev/null) || return 1
    [ "$comm" = "$1" ] || return 1
    echo "$pid"
}

# Copies a daemon's own pid file into DIR/pids once it shows up.
record_pid() { # name pidfile
    local i pid
    for ((i = 0; i < 100; i++)); do
        if [ -s "$2" ]; then
            pid=$(<"$2")
            if [[ $pid =~ ^[0-9]+$ ]] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$1" ]; then
                echo "$pid" >"$dir/pids/$1"
                return 0
            fi
        fi
        sleep 0.1
    done
    return 1
}

stop_daemons() {
    local name pid pids=() i
    for name in slurmd slurmctld munged; do
        if pid=$(recorded_pid "$name"); then
            say "stopping $name (pid $pid)"
            kill -TERM "$pid" 2>/dev/null || true
            pids+=("$pid")
        fi
    done
    for pid in "${pids[@]}"; do
        i=0
        while kill -0 "$pid" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
        if kill -0 "$pid" 2>/dev/null; then
            say "pid $pid still alive after 10 s; SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
        fi
    done
    rm -f "$dir"/pids/*
}

# Starts a daemon with nothing but /dev/null and the start log as its descriptors. A daemon keeps what
# it inherits, and a caller that waits for this script's end on a pipe or a socket (Foundation's
# Process does) would otherwise wait for the daemon's end instead.
launch() { # command...
    (
        for fd in $(ls /proc/$BASHPID/fd); do
            if [ "$fd" -gt 2 ] && [ "$fd" -ne 255 ]; then eval "exec $fd>&-"; fi
        done
        exec "$@" </dev/null >>"$dir/log/start.log" 2>&1
    )
}

# --- free ports -----------------------------------------------------------------------------------

listening_ports() {
    local f line fields port
    for f in /proc/net/tcp /proc/net/tcp6; do
        [ -r "$f" ] || continue
        while read -r -a fields; do
            [ "${fields[3]:-}" = 0A ] || continue          # 0A = LISTEN
            port=${fields[1]##*:}
            echo $((16#$port))
        done < <(tail -n +2 "$f")
    done
}

free_port_pair() { # prints two consecutive free ports
    local busy base i
    busy=" $(listening_ports | tr '\n' ' ') "
    for ((i = 0; i < 50; i++)); do
        base=$((20000 + (RANDOM * 32768 + RANDOM) % 40000))
        if [[ $busy != *" $base "* && $busy != *" $((base + 1)) "* ]]; then echo "$base $((base + 1))"; return 0; fi
    done
    return 1
}

# --- up -------------------------------------------------------------------------------------------

start_munge() {
    local m=$dir/munge
    id munge >/dev/null 2>&1 || die "the munge user does not exist (is the munge package installed?)"
    install -d -m 0755 -o munge -g munge "$m"   # clients need to reach the socket in it
    # munged refuses keys that others can read; it runs as the key's owner.
    if command -v mungekey >/dev/null; then
        setpriv --reuid=munge --regid=munge --init-groups mungekey --create --keyfile="$m/munge.key" --force >/dev/null
    else
        head -c 1024 /dev/urandom >"$m/munge.key"
    fi
    chown munge:munge "$m/munge.key"; chmod 0600 "$m/munge.key"
    launch setpriv --reuid=munge --regid=munge --init-groups munged \
        --socket="$m/munge.socket" --key-file="$m/munge.key" --pid-file="$m/munged.pid" \
        --log-file="$m/munged.log" --seed-file="$m/munged.seed" ||
        { cat "$m/munged.log" >&2 2>/dev/null || true; die "munged did not start"; }
    record_pid munged "$m/munged.pid" || die "munged wrote no pid file"
    local i
    for ((i = 0; i < 50; i++)); do
        munge -S "$m/munge.socket" -n 2>/dev/null | unmunge -S "$m/munge.socket" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    die "munged (pid $(<"$dir/pids/munged")) does not answer on $m/munge.socket"
}

write_conf() {
    local ports cpus mem
    ports=$(free_port_pair) || die "no free TCP port pair found"
    cpus=$(nproc)
    mem=$(slurmd -C 2>/dev/null | sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' | head -n 1)
    mem=$(( ${mem:-2048} * 9 / 10 ))   # less than found, or the node drains with "Low RealMemory"
    cat >"$conf" <<EOF
# A single-node test cluster written by descent's scripts/slurm-test-cluster.sh; everything lives in $dir.
ClusterName=descenttest
SlurmctldHost=localhost
SlurmctldPort=${ports% *}
SlurmdPort=${ports#* }
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$dir/munge/munge.socket
# no cgroups, no systemd: track job processes by parent id, no task binding
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
# no accounting database
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
MailProg=/bin/true
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
# start jobs as soon as they are submitted (the default waits 3 s between scheduling passes)
SchedulerParameters=batch_sched_delay=0
# keep finished jobs visible to scontrol for an hour
MinJobAge=3600
KillWait=5
ReturnToService=2
StateSaveLocation=$dir/ctld
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
NodeName=localhost NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=test Nodes=localhost Default=YES MaxTime=INFINITE State=UP
EOF
}

wait_idle() { # seconds
    local end=$((SECONDS + $1)) state=""
    while ((SECONDS < end)); do
        state=$(sinfo -h -n localhost -o '%t' 2>/dev/null | head -n 1 || true)
        case $state in
            idle|mix|alloc) return 0 ;;
            down*|drain*|drng*|fail*) scontrol update NodeName=localhost State=RESUME >/dev/null 2>&1 || true ;;
        esac
        sleep 0.2
    done
    say "the node is not idle after $1 s (state '${state:-unknown}')"
    return 1
}

show_logs() {
    local f
    for f in "$dir/log/start.log" "$dir/log/slurmctld.log" "$dir/log/slurmd.log" "$dir/munge/munged.log"; do
        [ -s "$f" ] && { say "--- tail of $f"; tail -n 15 "$f" >&2; }
    done
    return 0
}

up() {
    if [ "$(id -u)" -ne 0 ]; then
        have_packages || cannot "slurm-wlm and munge are not installed and this is not root. Install them with: sudo apt-get install slurm-wlm munge, and run the tests as root (or set DESCENT_SKIP_SLURM=1 to skip the Slurm test)"
        cannot "the test cluster runs its daemons as root (munged as the munge user); run the tests as root (or set DESCENT_SKIP_SLURM=1 to skip the Slurm test)"
    fi
    install_packages
    local name
    for name in munged slurmctld slurmd; do
        recorded_pid "$name" >/dev/null && die "$name of a cluster in $dir is still running; run '$0 down $dir' first"
    done
    # A fresh state folder: the controller would otherwise recover the jobs of an earlier cluster.
    rm -rf "$dir/ctld" "$dir/spool" "$dir/run" "$dir/log" "$dir/munge" "$dir/pids"
    mkdir -p "$dir/ctld" "$dir/spool" "$dir/run" "$dir/log" "$dir/pids"
    chmod 0755 "$dir"   # munged, running as munge, must reach DIR/munge
    # From here on, a failure stops whatever did start.
    trap 'status=$?; if [ $status -ne 0 ]; then show_logs; stop_daemons; fi; exit $status' EXIT
    start_munge
    write_conf
    launch slurmctld -f "$conf" || die "slurmctld did not start (see $dir/log/start.log)"
    record_pid slurmctld "$dir/run/slurmctld.pid" || die "slurmctld wrote no pid file"
    launch slurmd -f "$conf" -N localhost || die "slurmd did not start (see $dir/log/start.log)"
    record_pid slurmd "$dir/run/slurmd.pid" || die "slurmd wrote no pid file"
    wait_idle 30 || die "the cluster did not come up"
    say "up: munged $(<"$dir/pids/munged"), slurmctld $(<"$dir/pids/slurmctld"), slurmd $(<"$dir/pids/slurmd"); export SLURM_CONF=$conf"
    trap - EXIT
}

# --- down -----------------------------------------------------------------------------------------

down() {
    mkdir -p "$dir/pids"
    if recorded_pid slurmctld >/dev/null; then
        local jobs i
        jobs=$(timeout 10 squeue -h -o '%A' 2>/dev/null | sort -u | tr '\n' ' ' || true)
        if [ -n "${jobs// /}" ]; then
            say "cancelling jobs: $jobs"
            # shellcheck disable=SC2086
            timeout 10 scancel $jobs 2>/dev/null || true
            for ((i = 0; i < 100; i++)); do
                [ -z "$(timeout 5 squeue -h -t R,CG,S 2>/dev/null || true)" ] && break
                sleep 0.1
            done
        fi
    fi
    stop_daemons
}

case $action in
    up) up ;;
    down) down ;;
    *) echo "usage: $0 up|down DIR" >&2; exit 64 ;;
esac
