#!/usr/bin/env bash
# start-rgw.sh: a real single-node Ceph RGW (Debian 12's Ceph 16.2 Pacific) on this machine, for
# checking fake-s3's Ceph dialect and `s3keeper share --dialect ceph` against the real thing
# (issue 23).
#
#   scripts/start-rgw.sh start              # idempotent; waits until S3 answers; prints export lines
#   scripts/start-rgw.sh users CONFIG.json…  # RGW users mirroring fake-s3 Ceph configurations
#   scripts/start-rgw.sh status             # running or not (exit 0 / 1)
#   scripts/start-rgw.sh stop               # kills the daemons by their recorded PIDs, removes RGW_DIR
#
# One monitor, one OSD on the memstore backend (objects live in the OSD's memory), no manager, no
# authentication between the daemons (`auth … required = none`), pools of size 1, and radosgw with
# the beast frontend on 127.0.0.1:RGW_PORT, path-style only (no `rgw dns name`). Everything (the
# configuration, the monitor's store, logs, PIDs) is in RGW_DIR; the daemons run as the current
# user. The Debian packages ceph-mon, ceph-osd, radosgw and ceph-common are installed with apt-get
# when missing (as root, or through sudo).
#
# Settings (environment):
#   RGW_DIR       state, logs and PIDs (default /tmp/rgw); `stop` removes it (only if this script made
#                 it; RGW_KEEP_LOGS=1 keeps RGW_DIR/log)
#   RGW_PORT      the S3 port on 127.0.0.1 (default 7480)
#   RGW_MON_PORT  the monitor's msgr2 port on 127.0.0.1 (default 3300)
#   RGW_TIMEOUT   seconds to wait for S3 to answer (default 120)
#
# `users` reads fake-s3 configuration files (SPEC §3.1): every user becomes an RGW user whose uid is
# the user's `name`, with the key pairs given; an account whose id is not 12 digits (like "uab") is
# an RGW tenant (`--tenant uab`), as fake-s3's Ceph dialect has it. Existing users get the missing
# keys added. Root keys (`root_keys`) have no RGW counterpart and are skipped with a note.
#
# Exit status: 0 done; 1 failure (the message names the log in RGW_DIR/log to read); 2 bad usage.
set -euo pipefail

RGW_DIR=${RGW_DIR:-/tmp/rgw}
RGW_PORT=${RGW_PORT:-7480}
RGW_MON_PORT=${RGW_MON_PORT:-3300}
RGW_TIMEOUT=${RGW_TIMEOUT:-120}
MARKER=".start-rgw"
PACKAGES=(ceph-mon ceph-osd radosgw ceph-common)
PROGRAMS=(ceph-mon ceph-osd radosgw radosgw-admin ceph monmaptool ceph-authtool)

say() { echo "start-rgw: $*" >&2; }
die() { say "error: $*"; exit 1; }
usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d' | sed 's/^# \{0,1\}//' >&2; exit 2; }

case "$RGW_PORT" in ''|*[!0-9]*) say "RGW_PORT must be a number, got '$RGW_PORT'"; exit 2 ;; esac
case "$RGW_MON_PORT" in ''|*[!0-9]*) say "RGW_MON_PORT must be a number, got '$RGW_MON_PORT'"; exit 2 ;; esac
case "$RGW_DIR" in /*) ;; *) RGW_DIR="$PWD/$RGW_DIR" ;; esac
RGW_DIR=${RGW_DIR%/}
[ "$RGW_DIR" != "" ] && [ "$RGW_DIR" != / ] || { say "RGW_DIR cannot be /"; exit 2; }

CONF="$RGW_DIR/ceph.conf"
ENDPOINT="http://127.0.0.1:$RGW_PORT"

# --- packages -----------------------------------------------------------------------------------------
as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then sudo -n "$@"
    else die "the Ceph packages (${PACKAGES[*]}) are missing and installing them needs root or password-less sudo; install them and run again"
    fi
}
missing_programs() {
    local p out=""
    for p in "${PROGRAMS[@]}"; do
        command -v "$p" >/dev/null 2>&1 || [ -x "/usr/bin/$p" ] || [ -x "/usr/sbin/$p" ] || out="$out $p"
    done
    echo "${out# }"
}
ensure_packages() {
    local missing
    missing=$(missing_programs)
    [ -z "$missing" ] && return 0
    say "missing $missing: installing ${PACKAGES[*]} with apt-get (about 200 MiB; log in $RGW_DIR/log/apt.log)"
    command -v apt-get >/dev/null 2>&1 || die "no apt-get: install Ceph 16.2's ${PACKAGES[*]} (or equivalent) by hand"
    mkdir -p "$RGW_DIR/log"
    export DEBIAN_FRONTEND=noninteractive
    # The lists may be absent on a fresh machine: update once, and again when the install fails.
    if ! as_root apt-get install -y -q --no-install-recommends "${PACKAGES[@]}" >>"$RGW_DIR/log/apt.log" 2>&1; then
        as_root apt-get update -q >>"$RGW_DIR/log/apt.log" 2>&1 || { tail -5 "$RGW_DIR/log/apt.log" >&2; die "apt-get update failed (see $RGW_DIR/log/apt.log)"; }
        as_root apt-get install -y -q --no-install-recommends "${PACKAGES[@]}" >>"$RGW_DIR/log/apt.log" 2>&1 \
            || { tail -15 "$RGW_DIR/log/apt.log" >&2; die "apt-get install ${PACKAGES[*]} failed (see $RGW_DIR/log/apt.log)"; }
    fi
    missing=$(missing_programs)
    [ -z "$missing" ] || die "still missing after the install: $missing"
}
PATH="$PATH:/usr/sbin:/sbin"

# --- state ---------------------------------------------------------------------------------------------
pid_alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
daemon_pid() { cat "$RGW_DIR/pids/$1.pid" 2>/dev/null || true; }
s3_answers() { # anonymous ListBuckets: RGW answers 200 with an empty ListAllMyBucketsResult
    local code
    code=$(curl -s -o /dev/null -m 3 -w '%{http_code}' "$ENDPOINT/" 2>/dev/null) || true
    [ "$code" = 200 ]
}
running() {
    [ -f "$RGW_DIR/$MARKER" ] || return 1
    local d
    for d in mon osd rgw; do pid_alive "$(daemon_pid "$d")" || return 1; done
    s3_answers
}
print_exports() {
    echo "export RGW_ENDPOINT=$ENDPOINT"
    echo "export RGW_DIR=$RGW_DIR"
    echo "export CEPH_CONF=$CONF"
}
port_busy() { # port_busy PORT: something listens on 127.0.0.1:PORT
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

stop_daemons() { # SIGTERM to all three at once (radosgw alone takes ~7 s), SIGKILL what is left after 10 s
    local d pid i left
    [ -d "$RGW_DIR/pids" ] || return 0
    for d in rgw osd mon; do
        pid=$(daemon_pid "$d")
        pid_alive "$pid" && kill "$pid" 2>/dev/null
    done
    for i in $(seq 1 100); do
        left=""
        for d in rgw osd mon; do pid_alive "$(daemon_pid "$d")" && left="$left $d"; done
        [ -z "$left" ] && break
        sleep 0.1
    done
    for d in rgw osd mon; do
        pid=$(daemon_pid "$d")
        if pid_alive "$pid"; then say "$d (pid $pid) did not stop in 10 s: SIGKILL"; kill -9 "$pid" 2>/dev/null || true; fi
        rm -f "$RGW_DIR/pids/$d.pid"
    done
}
remove_state() {
    if [ -d "$RGW_DIR" ]; then
        if [ -f "$RGW_DIR/$MARKER" ] && [ "${RGW_KEEP_LOGS:-0}" = 1 ]; then
            find "$RGW_DIR" -mindepth 1 -maxdepth 1 ! -name log -exec rm -rf {} +
            say "logs kept in $RGW_DIR/log (RGW_KEEP_LOGS=1)"
        elif [ -f "$RGW_DIR/$MARKER" ]; then
            rm -rf "$RGW_DIR"
        else
            say "leaving $RGW_DIR in place: it was not made by this script (no $MARKER)"
        fi
    fi
}

# spawn NAME LOGFILE CMD...: runs CMD in the foreground mode of the daemon, detached, recording its PID.
spawn() {
    local name=$1 log=$2
    shift 2
    nohup "$@" </dev/null >>"$log" 2>&1 &
    echo $! >"$RGW_DIR/pids/$name.pid"
}
ceph_cli() { timeout 30 ceph -c "$CONF" --connect-timeout 10 "$@"; }
show_log() { # show_log FILE: its last lines on stderr
    [ -f "$1" ] && { say "last lines of $1:"; tail -n 25 "$1" | sed 's/^/    /' >&2; }
    return 0
}
fail_start() { # fail_start MESSAGE LOGFILE
    show_log "$2"
    say "error: $1 (logs in $RGW_DIR/log; the daemons are stopped, the state kept for reading: '$0 stop' removes it)"
    stop_daemons
    exit 1
}

write_conf() {
    local fsid=$1
    cat >"$CONF" <<EOF
# written by scripts/start-rgw.sh: a one-node test cluster, never for real data
[global]
fsid = $fsid
mon host = v2:127.0.0.1:$RGW_MON_PORT
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
public network = 127.0.0.0/8
ms bind ipv6 = false
ms bind msgr1 = false
auth cluster required = none
auth service required = none
auth client required = none
auth supported = none
auth allow insecure global id reclaim = false
keyring = $RGW_DIR/keyring
run dir = $RGW_DIR/run
crash dir = $RGW_DIR/crash
admin socket = $RGW_DIR/run/\$name.asok
log file = $RGW_DIR/log/\$name.log
pid file =
log to stderr = false
err to stderr = true
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
mon data avail warn = 1
mon data avail crit = 1
mon osd full ratio = .99
mon osd nearfull ratio = .97
mon osd backfillfull ratio = .98

[mon]
mon data = $RGW_DIR/mon.\$id
mon cluster log file = $RGW_DIR/log/cluster.log

[osd]
osd data = $RGW_DIR/osd.\$id
osd objectstore = memstore
memstore device bytes = 2147483648
osd journal size = 100
osd max object name len = 460
osd max object namespace len = 64

[client]
log file = $RGW_DIR/log/\$name.log
admin socket = $RGW_DIR/run/\$name.\$pid.asok

[client.rgw]
# with auth none, radosgw loops on "get_initial_auth_request returned -13" without this
ms mon client mode = crc secure
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw data = $RGW_DIR/rgw
rgw thread pool size = 64
rgw enable usage log = false
rgw lc debug interval = 10
rgw gc obj min wait = 10
EOF
}

cmd_start() {
    local t0=$SECONDS fsid uuid osd_id i
    if running; then
        say "already running (pids: mon $(daemon_pid mon), osd $(daemon_pid osd), rgw $(daemon_pid rgw)) on $ENDPOINT"
        print_exports
        return 0
    fi
    if [ -d "$RGW_DIR" ]; then
        if [ -f "$RGW_DIR/$MARKER" ]; then
            say "a previous cluster in $RGW_DIR is not (fully) running: stopping it and starting afresh"
            stop_daemons
            rm -rf "$RGW_DIR"
        elif [ -n "$(ls -A "$RGW_DIR" 2>/dev/null | grep -v '^log$')" ]; then
            die "$RGW_DIR exists and was not made by this script: choose another RGW_DIR"
        fi
    fi
    for p in "$RGW_PORT" "$RGW_MON_PORT"; do
        port_busy "$p" && die "127.0.0.1:$p is already in use (set RGW_PORT / RGW_MON_PORT, or stop what listens there)"
    done
    mkdir -p "$RGW_DIR/log" || die "cannot create $RGW_DIR"
    ensure_packages
    command -v curl >/dev/null 2>&1 || die "curl is needed on PATH"
    mkdir -p "$RGW_DIR"/{run,crash,pids,rgw,mon.a,osd.0}
    : >"$RGW_DIR/$MARKER"
    fsid=$(cat /proc/sys/kernel/random/uuid)
    write_conf "$fsid"
    ceph-authtool --create-keyring "$RGW_DIR/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null 2>>"$RGW_DIR/log/setup.log" \
        || fail_start "ceph-authtool failed" "$RGW_DIR/log/setup.log"

    # monitor
    monmaptool --create --fsid "$fsid" --addv a "[v2:127.0.0.1:$RGW_MON_PORT]" "$RGW_DIR/monmap" >>"$RGW_DIR/log/setup.log" 2>&1 \
        || fail_start "monmaptool failed" "$RGW_DIR/log/setup.log"
    ceph-mon -c "$CONF" --mkfs -i a --monmap "$RGW_DIR/monmap" --keyring "$RGW_DIR/keyring" >>"$RGW_DIR/log/setup.log" 2>&1 \
        || fail_start "ceph-mon --mkfs failed" "$RGW_DIR/log/setup.log"
    spawn mon "$RGW_DIR/log/mon.out" ceph-mon -c "$CONF" -i a -f
    for i in $(seq 1 60); do
        ceph_cli mon stat >/dev/null 2>&1 && break
        pid_alive "$(daemon_pid mon)" || fail_start "ceph-mon exited" "$RGW_DIR/log/mon.a.log"
        sleep 0.5
    done
    ceph_cli mon stat >/dev/null 2>&1 || fail_start "the monitor did not answer in 30 s" "$RGW_DIR/log/mon.a.log"

    # OSD on memstore
    uuid=$(cat /proc/sys/kernel/random/uuid)
    osd_id=$(ceph_cli osd new "$uuid" 2>>"$RGW_DIR/log/setup.log") || fail_start "ceph osd new failed" "$RGW_DIR/log/setup.log"
    [ "$osd_id" = 0 ] || fail_start "expected OSD id 0, got '$osd_id'" "$RGW_DIR/log/setup.log"
    ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$uuid" >>"$RGW_DIR/log/setup.log" 2>&1 \
        || fail_start "ceph-osd --mkfs failed" "$RGW_DIR/log/osd.0.log"
    spawn osd "$RGW_DIR/log/osd.out" ceph-osd -c "$CONF" -i 0 -f
    for i in $(seq 1 120); do
        ceph_cli osd dump 2>/dev/null | grep -q '^osd\.0 up' && break
        pid_alive "$(daemon_pid osd)" || fail_start "ceph-osd exited" "$RGW_DIR/log/osd.0.log"
        sleep 0.5
    done
    ceph_cli osd dump 2>/dev/null | grep -q '^osd\.0 up' || fail_start "the OSD did not come up in 60 s" "$RGW_DIR/log/osd.0.log"

    # radosgw
    spawn rgw "$RGW_DIR/log/rgw.out" radosgw -c "$CONF" -n client.rgw -f
    for i in $(seq 1 $((RGW_TIMEOUT * 2))); do
        s3_answers && break
        pid_alive "$(daemon_pid rgw)" || fail_start "radosgw exited" "$RGW_DIR/log/client.rgw.log"
        sleep 0.5
    done
    s3_answers || fail_start "S3 did not answer on $ENDPOINT in ${RGW_TIMEOUT} s" "$RGW_DIR/log/client.rgw.log"
    local rss=0 d pid kb
    for d in mon osd rgw; do
        pid=$(daemon_pid "$d")
        kb=$(awk '/^VmRSS:/ {print $2}' "/proc/$pid/status" 2>/dev/null || echo 0)
        rss=$((rss + ${kb:-0}))
    done
    say "RGW $(radosgw --version 2>/dev/null | awk '{print $3}') answers on $ENDPOINT after $((SECONDS - t0)) s ($((rss / 1024)) MiB resident; state and logs in $RGW_DIR)"
    print_exports
}

cmd_stop() {
    if [ ! -d "$RGW_DIR" ]; then say "nothing in $RGW_DIR"; return 0; fi
    [ -f "$RGW_DIR/$MARKER" ] || die "$RGW_DIR was not made by this script (no $MARKER): not touching it"
    stop_daemons
    remove_state
    say "stopped (state in $RGW_DIR removed)"
}

cmd_status() {
    if running; then
        say "running on $ENDPOINT (pids: mon $(daemon_pid mon), osd $(daemon_pid osd), rgw $(daemon_pid rgw))"
        print_exports
    else
        say "not running (RGW_DIR $RGW_DIR)"
        return 1
    fi
}

cmd_users() {
    [ $# -ge 1 ] || { say "users needs one or more fake-s3 configuration files"; exit 2; }
    running || die "RGW is not running in $RGW_DIR: '$0 start' first"
    command -v python3 >/dev/null 2>&1 || die "python3 is needed to read the configuration files"
    local f
    for f in "$@"; do [ -f "$f" ] || { say "no such file: $f"; exit 2; }; done
    # One line per key: TENANT US UID US ACCESS US SECRET, US the unit separator \x1f (not a blank:
    # `read` would merge an empty TENANT into the next field); TENANT empty for 12-digit accounts.
    local lines
    lines=$(python3 - "$@" <<'PY'
import json, re, sys
for path in sys.argv[1:]:
    try:
        cfg = json.load(open(path))
    except (OSError, ValueError) as e:
        sys.exit(f"{path}: {e}")
    for a in cfg.get("accounts", []):
        aid = str(a.get("id", ""))
        tenant = "" if re.fullmatch(r"[0-9]{12}", aid) else aid
        if a.get("root_keys"):
            print(f"start-rgw: note: {path}: account {aid}'s root keys have no RGW counterpart; skipped", file=sys.stderr)
        for u in a.get("users", []):
            name = u["name"]
            for field in (tenant, name):
                if "\x1f" in field or "\n" in field:
                    sys.exit(f"{path}: a control character in {field!r}")
            keys = u.get("keys") or []
            if not keys:
                print(f"{tenant}\x1f{name}\x1f\x1f")
            for k in keys:
                print(f"{tenant}\x1f{name}\x1f{k['access_key_id']}\x1f{k['secret_access_key']}")
PY
) || die "cannot read the configuration files"
    local tenant uid ak sk targs made=0 keyed=0 log="$RGW_DIR/log/users.log"
    while IFS=$'\x1f' read -r tenant uid ak sk; do
        [ -n "$uid" ] || continue
        targs=()
        [ -z "$tenant" ] || targs=(--tenant "$tenant")
        if ! radosgw-admin -c "$CONF" -n client.admin user info --uid "$uid" "${targs[@]}" >/dev/null 2>>"$log"; then
            if [ -n "$ak" ]; then
                radosgw-admin -c "$CONF" -n client.admin user create --uid "$uid" --display-name "$uid" "${targs[@]}" \
                    --access-key "$ak" --secret "$sk" >>"$log" 2>&1 || { show_log "$log"; die "radosgw-admin user create ${tenant:+$tenant\$}$uid failed"; }
            else
                radosgw-admin -c "$CONF" -n client.admin user create --uid "$uid" --display-name "$uid" "${targs[@]}" \
                    >>"$log" 2>&1 || { show_log "$log"; die "radosgw-admin user create ${tenant:+$tenant\$}$uid failed"; }
            fi
            made=$((made + 1))
        elif [ -n "$ak" ]; then
            if ! radosgw-admin -c "$CONF" -n client.admin user info --uid "$uid" "${targs[@]}" 2>/dev/null | grep -q "\"access_key\": \"$ak\""; then
                radosgw-admin -c "$CONF" -n client.admin key create --uid "$uid" "${targs[@]}" --key-type s3 \
                    --access-key "$ak" --secret "$sk" >>"$log" 2>&1 || { show_log "$log"; die "radosgw-admin key create for ${tenant:+$tenant\$}$uid failed"; }
                keyed=$((keyed + 1))
            fi
        fi
    done <<<"$lines"
    say "users: $made created, $keyed keys added to existing users ($*)"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    users) cmd_users "$@" ;;
    -h|--help|help) usage ;;
    *) say "unknown command '${cmd}'"; usage ;;
esac
