#!/usr/bin/env bash
# Throwaway single-node Ceph RGW (S3 server) for tests.
#
# Usage: scripts/services/s3.sh start|stop|env|status
#
#   start   create (or reuse) a cluster in the state dir; prints env lines on stdout
#   stop    kill the recorded daemons (by pid) and remove the state dir
#   env     print the env lines of the running cluster
#   status  exit 0 if the cluster is running and the endpoint answers
#
# One mon + one memstore OSD (data lives in RAM) + radosgw (beast), all on
# 127.0.0.1, cephx disabled. Every file (conf, mon/osd data, logs, sockets,
# pid files) lives under the state dir:
#   DOCSTORE_S3_STATE_DIR   default ${TMPDIR:-/tmp}/docstore-rgw
#   DOCSTORE_S3_PORT        RGW port (default: 7480 if free, else a free port)
#   DOCSTORE_S3_TIMEOUT     readiness timeout in seconds (default 60)
#   DOCSTORE_S3_MEMSTORE_BYTES  capacity reported by the memstore OSD (default 8 GiB)
#
# Progress and diagnostics go to stderr; stdout of `start`/`env` is only the
# shell-evaluable env lines:
#   S3_TEST_ENDPOINT S3_TEST_REGION S3_TEST_ACCESS_KEY S3_TEST_SECRET_KEY
#   S3_TEST_BUCKET S3_TEST_PATH_STYLE S3_TEST_OTHER_ACCESS_KEY S3_TEST_OTHER_SECRET_KEY
# (plain NAME=value lines: use `set -a; eval "$(s3.sh env)"; set +a` to export)
#
# RGW quirks seen with Ceph 16.2 (Debian 12):
#   - no aws-chunked trailing checksums: with the AWS SDK v3 use
#     requestChecksumCalculation/responseChecksumValidation = 'WHEN_REQUIRED'
#     (streamed PutObject otherwise fails with 411 MissingContentLength)
#   - CompleteMultipartUpload returns an empty <ETag>; HeadObject has it
#   - CopyObject from an SSE-C source returns 501 NotImplemented; UploadPartCopy from it works
#   - SSE-KMS needs a KMS backend: the "testing" one holds docstore-test-kms (see write_conf)
#   - ListObjects MaxKeys is capped at 1000
#   Object Lock (buckets created with ObjectLockEnabledForBucket; versioning comes on with it):
#   - CreateMultipartUpload and CopyObject accept the x-amz-object-lock-* headers and ignore them:
#     the object is stored unlocked (PutObject honours them); apply PutObjectRetention /
#     PutObjectLegalHold to the version afterwards (docstore does, then checks with HeadObject)
#   - If-None-Match: * on PutObject is ignored in a versioned bucket: a second version is written
#   - s3:BypassGovernanceRetention is not checked: any user allowed to delete object versions
#     bypasses governance by sending x-amz-bypass-governance-retention (the header is needed)
#   - a refusal by the lock is 403 AccessDenied ("forbidden by object lock"), as a missing
#     permission is: tell them apart by the version's HeadObject (retain-until date, legal hold)
#   - no Content-MD5 is required on locked writes (AWS requires one), but one sent is checked
#   - a retain-until date in the past is refused (400 InvalidArgument)
set -euo pipefail

STATE_DIR="${DOCSTORE_S3_STATE_DIR:-${TMPDIR:-/tmp}/docstore-rgw}"
STATE_DIR="${STATE_DIR%/}"
TIMEOUT="${DOCSTORE_S3_TIMEOUT:-60}"
MEMSTORE_BYTES="${DOCSTORE_S3_MEMSTORE_BYTES:-8589934592}"
ACCESS_KEY="docstore-test-access"
SECRET_KEY="docstore-test-secret-key-0123456789"
TEST_UID="docstore-test"
# A second user with no rights on the first one's buckets (permission tests).
OTHER_ACCESS_KEY="docstore-other-access"
OTHER_SECRET_KEY="docstore-other-secret-key-0123456789"
OTHER_UID="docstore-other"
BUCKET="docstore-test"
REGION="us-east-1"
# Key of the test KMS key id docstore-test-kms (32 bytes, base64; a throwaway cluster's).
KMS_TEST_KEY="ZG9jc3RvcmUtdGVzdC1rbXMta2V5LTMyLWJ5dGVzISE="
RGW_NAME="client.rgw.docstore"

CONF="$STATE_DIR/ceph.conf"
PID_DIR="$STATE_DIR/pids"
LOG_DIR="$STATE_DIR/log"
ENV_FILE="$STATE_DIR/env"
MARKER="$STATE_DIR/.docstore-rgw" # only directories carrying it are ever wiped
DAEMONS=(rgw osd mon) # stop order

# Keep the caller's ceph environment from leaking into ours.
unset CEPH_ARGS
export CEPH_CONF="$CONF"

SERVICE="s3.sh"
# shellcheck source=scripts/services/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# ---------------------------------------------------------------- processes

# pid recorded for daemon $1 if it is alive and still one of ours
# (its command line references our conf file); empty otherwise.
live_pid() {
  local f="$PID_DIR/$1.pid" pid
  [[ -f $f ]] || return 1
  pid="$(<"$f")"
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ -r /proc/$pid/cmdline ]] || return 1
  # zombie/defunct processes have an empty cmdline
  tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF -- "$CONF" || return 1
  printf '%s\n' "$pid"
}

all_alive() {
  local d
  for d in "${DAEMONS[@]}"; do
    live_pid "$d" >/dev/null || return 1
  done
}

# Stop the recorded daemons one at a time (rgw, then osd, then mon: rgw
# blocks on shutdown if the OSD disappears first): SIGTERM, then SIGKILL
# after a few seconds.
kill_recorded() {
  local d pid
  for d in "${DAEMONS[@]}"; do
    pid="$(live_pid "$d")" || continue
    stop_pid "$d" "$pid"
  done
}

# Start a daemon in the foreground (-f), detached into its own session, with
# all std streams redirected so it never holds the caller's pipes open.
spawn() {
  local name="$1"
  shift
  setsid "$@" </dev/null >>"$LOG_DIR/$name.out" 2>&1 &
  local pid=$!
  printf '%s\n' "$pid" >"$PID_DIR/$name.pid"
  # $! is the forked shell until it has exec'd the daemon; wait for the exec
  # so that live_pid (which checks the command line) recognises it.
  local deadline=$(($(now_ms) + 5000))
  until live_pid "$name" >/dev/null; do
    exited "$pid" && break # died straight away; callers report it
    (($(now_ms) < deadline)) || break
    sleep 0.01
  done
  log "started $name (pid $pid)"
}

# ---------------------------------------------------------------- helpers

STOPPING="killing the daemons started so far"

# Does pid $1 own the socket listening on 127.0.0.1:$2?
owns_listener() {
  local pid="$1" port="$2" hex inode
  hex="$(printf '%04X' "$port")"
  # local_address 0100007F:PORT (127.0.0.1) or 00000000:PORT, state 0A = LISTEN
  inode="$(awk -v p=":$hex" '$4 == "0A" && ($2 == "0100007F" p || $2 == "00000000" p) { print $10; exit }' /proc/net/tcp)"
  [[ -n $inode ]] || return 1
  find "/proc/$pid/fd" -maxdepth 1 -lname "socket:\[$inode\]" 2>/dev/null | grep -q .
}

# Wait until daemon $1 listens on 127.0.0.1:$2 (fails fast if it dies).
wait_listening() {
  local name="$1" port="$2" pid deadline
  deadline=$(($(now_ms) + TIMEOUT * 1000))
  while :; do
    pid="$(live_pid "$name")" || fail_start "$name exited during start-up (port $port taken?)"
    owns_listener "$pid" "$port" && return 0
    (($(now_ms) < deadline)) || fail_start "$name not listening on 127.0.0.1:$port after ${TIMEOUT}s"
    sleep 0.02
  done
}

http_get() {
  curl -s --max-time 2 "$1" 2>/dev/null
}

endpoint_ok() {
  local body
  body="$(http_get "http://127.0.0.1:$1/")" || return 1
  [[ $body == *ListAllMyBucketsResult* ]]
}

ceph_cli() {
  timeout 60 ceph -c "$CONF" --connect-timeout 30 "$@" </dev/null 2>>"$LOG_DIR/cli.err"
}

write_env() {
  local port="$1"
  cat >"$ENV_FILE" <<EOF
S3_TEST_ENDPOINT=http://127.0.0.1:$port
S3_TEST_REGION=$REGION
S3_TEST_ACCESS_KEY=$ACCESS_KEY
S3_TEST_SECRET_KEY=$SECRET_KEY
S3_TEST_BUCKET=$BUCKET
S3_TEST_PATH_STYLE=true
S3_TEST_OTHER_ACCESS_KEY=$OTHER_ACCESS_KEY
S3_TEST_OTHER_SECRET_KEY=$OTHER_SECRET_KEY
EOF
}

recorded_port() {
  [[ -f $ENV_FILE ]] || return 1
  sed -n 's|^S3_TEST_ENDPOINT=http://127.0.0.1:\([0-9]*\)$|\1|p' "$ENV_FILE"
}

is_running() {
  local port
  all_alive || return 1
  port="$(recorded_port)" || return 1
  [[ -n $port ]] || return 1
  endpoint_ok "$port"
}

# ---------------------------------------------------------------- packages

ensure_packages() {
  local missing=() b
  for b in ceph-mon ceph-osd radosgw ceph radosgw-admin rados monmaptool curl; do
    command -v "$b" >/dev/null 2>&1 || missing+=("$b")
  done
  ((${#missing[@]})) || return 0
  local pkgs="ceph-mon ceph-osd radosgw curl"
  if ((EUID != 0)); then
    die 2 "missing binaries: ${missing[*]}. Install them as root, e.g.:
  sudo apt-get install -y --no-install-recommends $pkgs
(ceph-common, pulled in as a dependency, provides ceph and radosgw-admin)"
  fi
  command -v apt-get >/dev/null 2>&1 || die 2 "missing binaries (${missing[*]}) and no apt-get; install Ceph ($pkgs) manually"
  log "installing $pkgs (missing: ${missing[*]})"
  export DEBIAN_FRONTEND=noninteractive
  local p need_update=0
  for p in $pkgs; do
    if ! apt-cache policy "$p" 2>/dev/null | grep -q 'Candidate: [^(]'; then
      need_update=1
    fi
  done
  if ((need_update)); then
    log "apt-get update"
    apt-get -o DPkg::Lock::Timeout=600 update </dev/null >&2
  fi
  # shellcheck disable=SC2086
  apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends $pkgs </dev/null >&2
  for b in "${missing[@]}"; do
    command -v "$b" >/dev/null 2>&1 || die 2 "$b still missing after installing $pkgs"
  done
}

# ---------------------------------------------------------------- cluster

write_conf() {
  local fsid="$1" mon_port="$2"
  cat >"$CONF" <<EOF
# generated by scripts/services/s3.sh -- throwaway test cluster
[global]
fsid = $fsid
mon_initial_members = a
mon_host = [v2:127.0.0.1:$mon_port]
public_addr = 127.0.0.1
cluster_addr = 127.0.0.1
ms_bind_ipv6 = false
ms_bind_msgr1 = false

auth_cluster_required = none
auth_service_required = none
auth_client_required = none
ms_mon_client_mode = crc

run_dir = $STATE_DIR/run
crash_dir = $STATE_DIR/crash
log_file = $LOG_DIR/\$name.log
mon_cluster_log_file = $LOG_DIR/cluster.log
keyring = $STATE_DIR/keyring
admin_socket = $STATE_DIR/run/\$name.asok
pid_file =

mon_allow_pool_size_one = true
mon_warn_on_pool_no_redundancy = false
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
mon_max_pg_per_osd = 1000
osd_crush_chooseleaf_type = 0
paxos_propose_interval = 0.01
mon_data_avail_warn = 2
mon_data_avail_crit = 1

[mon]
mon_data = $STATE_DIR/mon/\$name

[osd]
osd_data = $STATE_DIR/osd/\$name
osd_objectstore = memstore
memstore_device_bytes = $MEMSTORE_BYTES
osd_crush_initial_weight = 1

[client]
ms_mon_client_mode = crc
# CLI tools (ceph, radosgw-admin) run concurrently: no admin socket for them
admin_socket =

[$RGW_NAME]
admin_socket = $STATE_DIR/run/\$name.asok
rgw_data = $STATE_DIR/rgw
# port filled in by start_cluster just before radosgw starts
rgw_frontends = beast endpoint=127.0.0.1:0 tcp_nodelay=1
rgw_crypt_require_ssl = false
# SSE-KMS against RGW's built-in test key store (S3_SSE=aws:kms tests); never use in production.
rgw_crypt_s3_kms_backend = testing
rgw_crypt_s3_kms_encryption_keys = docstore-test-kms=$KMS_TEST_KEY
rgw_enable_usage_log = false
# Without a DNS name RGW takes the Host "localhost" for a virtual-hosted bucket named "localhost";
# tests sign presigned URLs for localhost while talking to 127.0.0.1.
rgw_dns_name = localhost
# Free deleted objects' RAM (memstore) within a minute instead of two hours.
rgw_gc_obj_min_wait = 60
rgw_gc_processor_period = 60
EOF
}

# A radosgw that died (e.g. failed to bind) leaves its watches on the
# control objects for osd_client_watch_timeout (30 s); until they expire every
# metadata write (user create, bucket create) stalls 10 s per notify. No other
# rgw client is alive at this point, so blocklist every watcher left behind:
# the OSD then drops the watches at once.
blocklist_dead_rgw() {
  local addr
  for addr in $(timeout 30 rados -c "$CONF" -p default.rgw.control listwatchers notify.0 </dev/null 2>>"$LOG_DIR/cli.err" |
    sed -n 's/^watcher=\([^ ]*\) .*/\1/p' | sort -u); do
    log "blocklisting watcher $addr left by the dead radosgw"
    ceph_cli osd blocklist add "$addr" >>"$LOG_DIR/setup.log" 2>&1 || true
  done
}

start_cluster() {
  local t0 fsid osd_uuid mon_port rgw_port rgw_pid deadline
  t0=$(now_ms)

  # Stale or partial cluster: kill what we recorded, then wipe.
  kill_recorded
  wipe_state_dir
  STARTING=1
  mkdir -p "$STATE_DIR"
  : >"$MARKER"
  mkdir -p "$PID_DIR" "$LOG_DIR" "$STATE_DIR/run" "$STATE_DIR/crash" \
    "$STATE_DIR/mon/mon.a" "$STATE_DIR/osd/osd.0" "$STATE_DIR/rgw"
  : >"$STATE_DIR/keyring"

  if [[ -r /etc/debian_version ]]; then
    log "debian $(cat /etc/debian_version), ceph $(dpkg-query -W -f='${Version}' radosgw 2>/dev/null || echo '?')"
  fi

  fsid="$(cat /proc/sys/kernel/random/uuid)"
  osd_uuid="$(cat /proc/sys/kernel/random/uuid)"

  if [[ -n ${DOCSTORE_S3_PORT:-} ]] && ! port_free "$DOCSTORE_S3_PORT"; then
    fail_start "DOCSTORE_S3_PORT=$DOCSTORE_S3_PORT is already in use"
  fi

  # Mon port: a random free port (msgr v2 only).
  mon_port="$(free_port)"
  write_conf "$fsid" "$mon_port"
  log "state dir $STATE_DIR, mon 127.0.0.1:$mon_port"

  # --- mon
  monmaptool --create --clobber --fsid "$fsid" --addv a "[v2:127.0.0.1:$mon_port]" \
    "$STATE_DIR/monmap" >>"$LOG_DIR/setup.log" 2>&1 ||
    fail_start "monmaptool failed"
  ceph-mon -c "$CONF" --mkfs -i a --monmap "$STATE_DIR/monmap" </dev/null >>"$LOG_DIR/setup.log" 2>&1 ||
    fail_start "ceph-mon --mkfs failed"
  spawn mon ceph-mon -c "$CONF" -f -i a
  wait_listening mon "$mon_port"

  # --- osd (memstore: data in RAM)
  local osd_id
  osd_id="$(ceph_cli osd new "$osd_uuid")" || fail_start "ceph osd new failed (mon not reachable?)"
  [[ $osd_id == 0 ]] || fail_start "unexpected osd id '$osd_id'"
  ceph-osd -c "$CONF" -i 0 --mkfs --osd-uuid "$osd_uuid" </dev/null >>"$LOG_DIR/setup.log" 2>&1 ||
    fail_start "ceph-osd --mkfs failed"
  spawn osd ceph-osd -c "$CONF" -f -i 0

  # --- rgw (waits by itself for the OSD to come up, creates its pools, then
  # binds). No lock between concurrent clusters: if another process grabs the
  # port first, radosgw exits with "failed to bind" and we retry on another
  # free port.
  local attempt d
  deadline=$(($(now_ms) + TIMEOUT * 1000))
  for attempt in 1 2 3 4 5; do
    if [[ -n ${DOCSTORE_S3_PORT:-} ]]; then
      rgw_port="$DOCSTORE_S3_PORT"
      port_free "$rgw_port" || fail_start "DOCSTORE_S3_PORT=$rgw_port is already in use"
    elif ((attempt == 1)) && port_free 7480; then
      rgw_port=7480
    else
      rgw_port="$(free_port)"
    fi
    sed -i "s|^rgw_frontends = .*|rgw_frontends = beast endpoint=127.0.0.1:$rgw_port tcp_nodelay=1|" "$CONF"
    log "rgw 127.0.0.1:$rgw_port (attempt $attempt)"
    spawn rgw radosgw -c "$CONF" -f -n "$RGW_NAME"
    rgw_pid="$(<"$PID_DIR/rgw.pid")"

    while :; do
      if ! live_pid rgw >/dev/null; then
        # Lost the port race? (the log line is not always flushed: radosgw
        # segfaults right after a failed bind, so also look at the port)
        if [[ -z ${DOCSTORE_S3_PORT:-} ]] && { ! port_free "$rgw_port" ||
          grep -qsF "failed to bind address 127.0.0.1:$rgw_port" "$LOG_DIR/$RGW_NAME.log" "$LOG_DIR/rgw.out"; }; then
          log "port $rgw_port was taken meanwhile; retrying on another port"
          blocklist_dead_rgw
          continue 2
        fi
        fail_start "radosgw exited during start-up"
      fi
      for d in mon osd; do
        live_pid "$d" >/dev/null || fail_start "$d exited during start-up"
      done
      if owns_listener "$rgw_pid" "$rgw_port" && endpoint_ok "$rgw_port"; then
        break 2
      fi
      (($(now_ms) < deadline)) || fail_start "endpoint http://127.0.0.1:$rgw_port/ not ready after ${TIMEOUT}s"
      sleep 0.05
    done
  done
  owns_listener "$rgw_pid" "$rgw_port" || fail_start "radosgw could not bind a port after $attempt attempts"

  # --- test user
  local out
  if ! out="$(timeout 60 radosgw-admin -c "$CONF" user create --uid "$TEST_UID" \
    --display-name "docstore test user" --access-key "$ACCESS_KEY" \
    --secret-key "$SECRET_KEY" </dev/null 2>>"$LOG_DIR/cli.err")"; then
    # already exists (e.g. reused data)? then it is fine as long as it is there
    timeout 60 radosgw-admin -c "$CONF" user info --uid "$TEST_UID" </dev/null \
      >/dev/null 2>>"$LOG_DIR/cli.err" || fail_start "radosgw-admin user create failed"
  fi
  printf '%s\n' "$out" >>"$LOG_DIR/setup.log"
  timeout 60 radosgw-admin -c "$CONF" user create --uid "$OTHER_UID" \
    --display-name "docstore other user" --access-key "$OTHER_ACCESS_KEY" \
    --secret-key "$OTHER_SECRET_KEY" </dev/null >>"$LOG_DIR/setup.log" 2>>"$LOG_DIR/cli.err" ||
    timeout 60 radosgw-admin -c "$CONF" user info --uid "$OTHER_UID" </dev/null \
      >/dev/null 2>>"$LOG_DIR/cli.err" || fail_start "radosgw-admin user create ($OTHER_UID) failed"

  write_env "$rgw_port"
  STARTING=0
  log "ready in $(($(now_ms) - t0)) ms"
}

cmd_start() {
  if is_running; then
    log "already running ($STATE_DIR)"
    cat "$ENV_FILE"
    return 0
  fi
  ensure_packages
  for b in curl setsid timeout awk; do
    command -v "$b" >/dev/null 2>&1 || die 2 "missing required tool: $b"
  done
  start_cluster
  cat "$ENV_FILE"
}

cmd_stop() {
  kill_recorded
  if [[ -d $STATE_DIR ]]; then
    wipe_state_dir
    log "removed $STATE_DIR"
  fi
}

cmd_env() {
  if ! all_alive || [[ ! -f $ENV_FILE ]]; then
    die 1 "not running (state dir $STATE_DIR); run: $0 start"
  fi
  cat "$ENV_FILE"
}

cmd_status() {
  if is_running; then
    log "running: $(sed -n 's/^S3_TEST_ENDPOINT=//p' "$ENV_FILE") (state dir $STATE_DIR)"
    return 0
  fi
  log "not running (state dir $STATE_DIR)"
  return 1
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
env) cmd_env ;;
status) cmd_status ;;
*)
  echo "usage: $0 start|stop|env|status" >&2
  exit 64
  ;;
esac
