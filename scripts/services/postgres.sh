#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for tests.
#
# Usage: scripts/services/postgres.sh start|stop|env|status
#
#   start   create a fresh cluster in the state dir (or reuse the running one);
#           prints env lines on stdout
#   stop    stop the postmaster (by the pid in postmaster.pid) and remove the
#           state dir
#   env     print the env lines of the running cluster
#   status  exit 0 if the cluster is running and accepts a password login
#
# initdb (locale C, UTF8) with superuser "docstore" (password auth over TCP,
# trust over the Unix socket), a database "docstore_test" owned by it,
# listening on 127.0.0.1 only. Durability is switched off (fsync,
# synchronous_commit, full_page_writes): data is disposable. Every file (data,
# socket, logs, dynamic shared memory) lives under the state dir:
#   DOCSTORE_PG_STATE_DIR   default ${TMPDIR:-/tmp}/docstore-pg
#   DOCSTORE_PG_PORT        TCP port (default: 54329 if free, else a free port)
#   DOCSTORE_PG_TIMEOUT     readiness timeout in seconds (default 30)
#   DOCSTORE_PG_BIN_DIR     server binaries (default: the highest
#                           /usr/lib/postgresql/*/bin)
#
# PostgreSQL refuses to run as root: when run as root, initdb and the server
# run as the "postgres" system user (created if missing) and the state dir is
# chowned to it, so its parent directories must be traversable by that user.
# A non-root caller runs everything as itself. If no binaries are found, root
# installs the Debian "postgresql" package; anyone else gets exit code 2.
# (Installing the package also creates Debian's default cluster "main" on port
# 5432, and starts it unless a policy-rc.d forbids it; this script neither
# uses nor stops that one.)
#
# Progress and diagnostics go to stderr; stdout of `start`/`env` is only the
# shell-evaluable env lines:
#   PG_TEST_URL        postgres://docstore:...@127.0.0.1:PORT/docstore_test
#   PG_TEST_ADMIN_URL  postgres://docstore:...@127.0.0.1:PORT/postgres
#                      (superuser; tests create their own databases through it)
# (plain NAME=value lines: use `set -a; eval "$(postgres.sh env)"; set +a` to export)
set -euo pipefail

STATE_DIR="${DOCSTORE_PG_STATE_DIR:-${TMPDIR:-/tmp}/docstore-pg}"
STATE_DIR="${STATE_DIR%/}"
[[ $STATE_DIR == /* ]] || STATE_DIR="$PWD/$STATE_DIR" # the server needs absolute paths
TIMEOUT="${DOCSTORE_PG_TIMEOUT:-30}"
DEFAULT_PORT=54329
PG_USER="docstore"
PG_PASSWORD="docstore-test-password"
PG_DB="docstore_test"
RUN_AS="postgres" # system user owning the cluster when we are root

DATA_DIR="$STATE_DIR/data"
SOCK_DIR="$STATE_DIR/run"
LOG_DIR="$STATE_DIR/log"
ENV_FILE="$STATE_DIR/env"
MARKER="$STATE_DIR/.docstore-pg" # only directories carrying it are ever wiped

# Keep the caller's libpq/server environment (PGHOST, PGPORT, PGDATA,
# PGOPTIONS, ...) from leaking into ours, and use a locale that always exists.
while IFS= read -r v; do unset "$v"; done < <(compgen -e | grep '^PG' || true)
export LC_ALL=C

BIN_DIR=""
PSQL=""

SERVICE="postgres.sh"
# shellcheck source=scripts/services/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# ---------------------------------------------------------------- processes

# Run a command as the cluster owner: the postgres system user when we are
# root, ourselves otherwise. Runs from the state dir (root's cwd may not be
# readable by postgres).
as_owner() {
  if ((EUID == 0)); then
    if command -v runuser >/dev/null 2>&1; then
      (cd "$STATE_DIR" && runuser -u "$RUN_AS" -- "$@")
    else
      # shellcheck disable=SC2016
      (cd "$STATE_DIR" && su "$RUN_AS" -s /bin/sh -c 'exec "$0" "$@"' -- "$@")
    fi
  else
    (cd "$STATE_DIR" && "$@")
  fi
}

# pid of our postmaster (first line of postmaster.pid) if it is alive and
# really serves our data dir (the postmaster chdirs into it); empty otherwise.
live_pid() {
  local f="$DATA_DIR/postmaster.pid" pid cwd data
  [[ -f $f ]] || return 1
  pid="$(head -n 1 "$f" 2>/dev/null)" || return 1
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  exited "$pid" && return 1
  cwd="$(readlink "/proc/$pid/cwd" 2>/dev/null)" || return 1
  data="$(readlink -f "$DATA_DIR")" || return 1
  [[ $cwd == "$data" ]] || return 1
  printf '%s\n' "$pid"
}

# Stop the postmaster: SIGINT (fast shutdown: open sessions are disconnected),
# then SIGQUIT (immediate shutdown), then SIGKILL.
kill_recorded() {
  local pid sig wait_ms deadline
  pid="$(live_pid)" || return 0
  log "stopping postmaster (pid $pid)"
  for sig in INT:10000 QUIT:3000 KILL:2000; do
    wait_ms="${sig#*:}"
    sig="${sig%%:*}"
    [[ $sig == INT ]] || log "postmaster (pid $pid) still running; sending SIG$sig"
    kill "-$sig" "$pid" 2>/dev/null || true
    deadline=$(($(now_ms) + wait_ms))
    while ! exited "$pid" && (($(now_ms) < deadline)); do
      sleep 0.02
    done
    exited "$pid" && return 0
  done
  log "WARNING: postmaster (pid $pid) did not exit"
}

# ---------------------------------------------------------------- helpers

# A postmaster that died without cleaning up (SIGKILL) leaves its small SysV
# shared memory segment behind; postmaster.pid (line 7: key, id) names it.
# Remove it if nothing is attached any more.
release_stale_shm() {
  local f="$DATA_DIR/postmaster.pid" key id
  [[ -f $f ]] || return 0
  live_pid >/dev/null && return 0
  read -r key id < <(sed -n 7p "$f" 2>/dev/null) || return 0
  [[ $key =~ ^[0-9]+$ && $id =~ ^[0-9]+$ ]] || return 0
  # /proc/sysvipc/shm columns: key shmid perms size cpid lpid nattch ...
  awk -v k="$key" -v i="$id" '$1 == k && $2 == i && $7 == 0 { f = 1 } END { exit !f }' \
    /proc/sysvipc/shm 2>/dev/null || return 0
  ipcrm -m "$id" 2>/dev/null && log "removed the stale shared memory segment $id of a dead postmaster"
  return 0
}

before_wipe() { release_stale_shm; }

STOPPING="stopping the postmaster if it started"

write_env() {
  local port="$1"
  cat >"$ENV_FILE" <<EOF
PG_TEST_URL=postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:$port/$PG_DB
PG_TEST_ADMIN_URL=postgres://$PG_USER:$PG_PASSWORD@127.0.0.1:$port/postgres
EOF
}

recorded_port() {
  [[ -f $ENV_FILE ]] || return 1
  sed -n "s|^PG_TEST_URL=postgres://[^@]*@127\.0\.0\.1:\([0-9]*\)/.*$|\1|p" "$ENV_FILE"
}

# A real password login over TCP to database $2 on port $1.
login_ok() {
  PGPASSWORD="$PG_PASSWORD" PGCONNECT_TIMEOUT=5 timeout 10 "$PSQL" -X -q -At -v ON_ERROR_STOP=1 \
    -h 127.0.0.1 -p "$1" -U "$PG_USER" -d "${2:-$PG_DB}" -c 'select 1' </dev/null 2>/dev/null | grep -qx 1
}

is_running() {
  local port
  live_pid >/dev/null || return 1
  port="$(recorded_port)" || return 1
  [[ -n $port ]] || return 1
  login_ok "$port"
}

# ---------------------------------------------------------------- packages

# Highest /usr/lib/postgresql/*/bin with the binaries we need.
find_bin_dir() {
  local d best="" v
  if [[ -n ${DOCSTORE_PG_BIN_DIR:-} ]]; then
    printf '%s\n' "${DOCSTORE_PG_BIN_DIR%/}"
    return 0
  fi
  for v in $(ls /usr/lib/postgresql 2>/dev/null | grep -E '^[0-9]+(\.[0-9]+)?$' | sort -V); do
    d="/usr/lib/postgresql/$v/bin"
    [[ -x $d/initdb && -x $d/pg_ctl && -x $d/postgres && -x $d/pg_isready ]] && best="$d"
  done
  [[ -n $best ]] || return 1
  printf '%s\n' "$best"
}

ensure_packages() {
  if ! BIN_DIR="$(find_bin_dir)"; then
    if ((EUID != 0)); then
      die 2 "no PostgreSQL server binaries found (/usr/lib/postgresql/*/bin). Install them as root, e.g.:
  sudo apt-get install -y --no-install-recommends postgresql
or point DOCSTORE_PG_BIN_DIR at a directory holding initdb, pg_ctl, postgres and pg_isready"
    fi
    command -v apt-get >/dev/null 2>&1 || die 2 "no PostgreSQL server binaries found and no apt-get; install PostgreSQL manually"
    log "installing postgresql (no /usr/lib/postgresql/*/bin found)"
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-cache policy postgresql 2>/dev/null | grep -q 'Candidate: [^(]'; then
      log "apt-get update"
      apt-get -o DPkg::Lock::Timeout=600 update </dev/null >&2
    fi
    apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends postgresql </dev/null >&2
    BIN_DIR="$(find_bin_dir)" || die 2 "still no server binaries in /usr/lib/postgresql/*/bin after installing postgresql"
  fi
  local b
  for b in initdb pg_ctl postgres pg_isready; do
    [[ -x $BIN_DIR/$b ]] || die 2 "$BIN_DIR/$b not found or not executable"
  done
  if [[ -x $BIN_DIR/psql ]]; then
    PSQL="$BIN_DIR/psql" # the real client: /usr/bin/psql is a perl wrapper
  else
    PSQL="$(command -v psql)" || die 2 "psql not found (install postgresql-client)"
  fi
}

# Only for root: the system user that owns and runs the cluster.
ensure_run_user() {
  ((EUID == 0)) || return 0
  id -u "$RUN_AS" >/dev/null 2>&1 && return 0
  command -v useradd >/dev/null 2>&1 || die 2 "user $RUN_AS is missing and useradd is not available"
  log "creating system user $RUN_AS"
  getent group "$RUN_AS" >/dev/null 2>&1 || groupadd --system "$RUN_AS"
  useradd --system --gid "$RUN_AS" --no-create-home --home-dir /var/lib/postgresql \
    --shell /bin/sh --comment "PostgreSQL administrator" "$RUN_AS"
}

# Needs the packages (PSQL) for the status/env checks.
need_client() {
  BIN_DIR="$(find_bin_dir 2>/dev/null)" || BIN_DIR=""
  if [[ -n $BIN_DIR && -x $BIN_DIR/psql ]]; then
    PSQL="$BIN_DIR/psql"
  else
    PSQL="$(command -v psql 2>/dev/null)" || PSQL=psql
  fi
}

# ---------------------------------------------------------------- cluster

# postgresql.conf string literal
conf_quote() { printf "'%s'" "${1//\'/\'\'}"; }

start_cluster() {
  local t0 port attempt pid deadline version
  t0=$(now_ms)

  # Stale or partial cluster: stop what is recorded, then wipe.
  kill_recorded
  wipe_state_dir
  STARTING=1
  mkdir -p "$STATE_DIR"
  : >"$MARKER"
  mkdir -p "$LOG_DIR" "$SOCK_DIR"
  chmod 700 "$SOCK_DIR"

  # Unix socket path limit (sun_path, 108 bytes incl. NUL)
  local sock_path="$SOCK_DIR/.s.PGSQL.65535.lock"
  ((${#sock_path} <= 107)) ||
    fail_start "state dir path too long for a Unix socket ($sock_path); set DOCSTORE_PG_STATE_DIR to a shorter path"

  version="$("$BIN_DIR/postgres" --version 2>/dev/null || echo '?')"
  if [[ -r /etc/debian_version ]]; then
    log "debian $(cat /etc/debian_version), $version ($BIN_DIR)"
  else
    log "$version ($BIN_DIR)"
  fi

  if [[ -n ${DOCSTORE_PG_PORT:-} ]]; then
    [[ $DOCSTORE_PG_PORT =~ ^[0-9]+$ ]] && ((DOCSTORE_PG_PORT > 0 && DOCSTORE_PG_PORT < 65536)) ||
      fail_start "DOCSTORE_PG_PORT=$DOCSTORE_PG_PORT is not a TCP port"
    port_free "$DOCSTORE_PG_PORT" || fail_start "DOCSTORE_PG_PORT=$DOCSTORE_PG_PORT is already in use"
  fi

  local pwfile="$STATE_DIR/pwfile"
  (umask 077 && printf '%s\n' "$PG_PASSWORD" >"$pwfile")
  if ((EUID == 0)); then
    chown -R "$RUN_AS:" "$STATE_DIR"
    as_owner test -w "$STATE_DIR" ||
      fail_start "user $RUN_AS cannot write to $STATE_DIR (a parent directory is not traversable by it?); set DOCSTORE_PG_STATE_DIR, e.g. under /tmp"
  fi

  # --- initdb (-N: no fsync of the new files; the cluster is throwaway)
  log "initdb in $DATA_DIR"
  as_owner "$BIN_DIR/initdb" -D "$DATA_DIR" -U "$PG_USER" --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C -N \
    </dev/null >>"$LOG_DIR/initdb.log" 2>&1 || fail_start "initdb failed"
  rm -f "$pwfile"

  cat >>"$DATA_DIR/postgresql.conf" <<EOF

# ---- added by scripts/services/postgres.sh -- throwaway test cluster
listen_addresses = '127.0.0.1'
unix_socket_directories = $(conf_quote "$SOCK_DIR")
unix_socket_permissions = 0777
max_connections = 200
shared_buffers = 128MB
fsync = off
synchronous_commit = off
full_page_writes = off
# dynamic shared memory as files in the data dir instead of /dev/shm: wiped
# with the state dir even after a crash, and no trouble with a small /dev/shm
# (64 MB in Docker)
dynamic_shared_memory_type = mmap
logging_collector = off
log_line_prefix = '%m [%p] %q%u@%d '
# port: written by postgres.sh just before each start attempt
include = 'docstore-port.conf'
EOF

  # --- server. No lock between concurrent clusters: if another process grabs
  # the port first, the postmaster exits ("could not bind") and we retry on
  # another free port.
  for attempt in 1 2 3 4 5; do
    if [[ -n ${DOCSTORE_PG_PORT:-} ]]; then
      port="$DOCSTORE_PG_PORT"
      port_free "$port" || fail_start "DOCSTORE_PG_PORT=$port is already in use"
    elif ((attempt == 1)) && port_free "$DEFAULT_PORT"; then
      port="$DEFAULT_PORT"
    else
      port="$(free_port)"
    fi
    printf 'port = %s\n' "$port" >"$DATA_DIR/docstore-port.conf"
    ((EUID != 0)) || chown "$RUN_AS:" "$DATA_DIR/docstore-port.conf"
    log "starting postgres on 127.0.0.1:$port (attempt $attempt)"
    # pg_ctl detaches the postmaster (setsid, stdin /dev/null, output to the
    # log file) so it never holds the caller's pipes open, and waits until it
    # accepts connections.
    if as_owner "$BIN_DIR/pg_ctl" -D "$DATA_DIR" -l "$LOG_DIR/postgres.log" -w -t "$TIMEOUT" -s start \
      </dev/null >>"$LOG_DIR/pg_ctl.log" 2>&1; then
      break
    fi
    if live_pid >/dev/null; then
      fail_start "postgres did not become ready within ${TIMEOUT}s"
    fi
    if [[ -z ${DOCSTORE_PG_PORT:-} ]] &&
      tail -n 20 "$LOG_DIR/postgres.log" 2>/dev/null | grep -q 'could not bind IPv4 address "127.0.0.1"'; then
      log "port $port was taken meanwhile; retrying on another port"
      continue
    fi
    fail_start "postgres failed to start"
  done
  pid="$(live_pid)" || fail_start "postgres could not bind a port after $attempt attempts"
  log "postmaster pid $pid"

  # --- readiness (TCP)
  deadline=$(($(now_ms) + TIMEOUT * 1000))
  until "$BIN_DIR/pg_isready" -q -h 127.0.0.1 -p "$port" -t 1 </dev/null; do
    live_pid >/dev/null || fail_start "postgres exited during start-up"
    (($(now_ms) < deadline)) || fail_start "pg_isready: 127.0.0.1:$port not ready after ${TIMEOUT}s"
    sleep 0.02
  done

  # --- test database (over the Unix socket, trust auth)
  "$PSQL" -X -q -v ON_ERROR_STOP=1 -h "$SOCK_DIR" -p "$port" -U "$PG_USER" -d postgres \
    -c "CREATE DATABASE $PG_DB OWNER $PG_USER" </dev/null >>"$LOG_DIR/setup.log" 2>&1 ||
    fail_start "CREATE DATABASE $PG_DB failed (see $LOG_DIR/setup.log)"

  # --- a real password login over TCP
  login_ok "$port" "$PG_DB" || fail_start "password login to 127.0.0.1:$port/$PG_DB failed"
  login_ok "$port" postgres || fail_start "password login to 127.0.0.1:$port/postgres failed"

  write_env "$port"
  STARTING=0
  log "ready in $(($(now_ms) - t0)) ms"
}

cmd_start() {
  need_client
  if is_running; then
    log "already running ($STATE_DIR)"
    cat "$ENV_FILE"
    return 0
  fi
  ensure_packages
  ensure_run_user
  local b
  for b in awk timeout readlink; do
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
  if ! live_pid >/dev/null || [[ ! -f $ENV_FILE ]]; then
    die 1 "not running (state dir $STATE_DIR); run: $0 start"
  fi
  cat "$ENV_FILE"
}

cmd_status() {
  need_client
  if is_running; then
    log "running: 127.0.0.1:$(recorded_port), postmaster pid $(live_pid) (state dir $STATE_DIR)"
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
