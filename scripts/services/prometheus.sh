#!/usr/bin/env bash
# Prometheus for tests and local checks of docstore's alert rules and dashboard.
#
# Usage: scripts/services/prometheus.sh install
#        scripts/services/prometheus.sh start --target HOST:PORT [--bearer-token-file FILE] [--rules FILE]
#        scripts/services/prometheus.sh stop|env|status
#
#   install  make sure `promtool` and `prometheus` exist; prints their directory on stdout.
#            Takes a few milliseconds when they do. Otherwise root installs the Debian package
#            "prometheus" (Debian 12: 22.5 MB to download with its dependencies, 316 MiB on disk,
#            213 of them libjs-moment-timezone for the web UI; 20-30 s); anyone else gets exit
#            code 2.
#   start    a throwaway server scraping HOST:PORT (job "docstore", path /metrics) every second,
#            evaluating FILE's rules every second; prints PROMETHEUS_URL=http://127.0.0.1:PORT on
#            stdout once /-/ready answers. Reuses the running server when started with the same
#            arguments, restarts it otherwise.
#   stop     kill the recorded server (by pid) and remove the state dir
#   env      print the env line of the running server
#   status   exit 0 if the server is running and ready
#
# The server listens on 127.0.0.1 only, on a free port; its configuration, TSDB, log and pid file
# live under the state dir:
#   DOCSTORE_PROM_STATE_DIR  default ${TMPDIR:-/tmp}/docstore-prom
#   DOCSTORE_PROM_TIMEOUT    readiness timeout in seconds (default 30)
#   DOCSTORE_PROM_BIN_DIR    directory holding promtool and prometheus (e.g. an upstream release);
#                            default: found on PATH, else installed from Debian
#
# The Debian package's postinst starts its own daemon (port 9090, /var/lib/prometheus) through
# invoke-rc.d when it can. `install` keeps it from doing so: when the machine has no
# /usr/sbin/policy-rc.d, a temporary one that denies every start is in place for the duration of
# apt-get (and removed afterwards). Should a daemon appear all the same, it is stopped through the
# package's own init script, never by name.
#
# Progress and diagnostics go to stderr; stdout is only the bin dir (install) or the env line
# (start, env).
set -euo pipefail

STATE_DIR="${DOCSTORE_PROM_STATE_DIR:-${TMPDIR:-/tmp}/docstore-prom}"
STATE_DIR="${STATE_DIR%/}"
[[ $STATE_DIR == /* ]] || STATE_DIR="$PWD/$STATE_DIR"
TIMEOUT="${DOCSTORE_PROM_TIMEOUT:-30}"
PACKAGE="prometheus"
POLICY_RC_D="/usr/sbin/policy-rc.d"

CONF="$STATE_DIR/prometheus.yml"
ARGS_FILE="$STATE_DIR/args"
PID_FILE="$STATE_DIR/prometheus.pid"
LOG_DIR="$STATE_DIR/log"
LOG_FILE="$LOG_DIR/prometheus.log"
ENV_FILE="$STATE_DIR/env"
DATA_DIR="$STATE_DIR/data"
MARKER="$STATE_DIR/.docstore-prom" # only directories carrying it are ever wiped

SERVICE="prometheus.sh"
# shellcheck source=scripts/services/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# ---------------------------------------------------------------- install

# The directory holding both binaries, or nothing.
bin_dir() {
  local dir
  if [[ -n ${DOCSTORE_PROM_BIN_DIR:-} ]]; then
    dir="${DOCSTORE_PROM_BIN_DIR%/}"
    [[ -x $dir/promtool && -x $dir/prometheus ]] || return 1
  else
    local promtool prometheus
    promtool="$(command -v promtool 2>/dev/null)" || return 1
    prometheus="$(command -v prometheus 2>/dev/null)" || return 1
    dir="$(dirname "$promtool")"
    [[ $(dirname "$prometheus") == "$dir" ]] || return 1
  fi
  printf '%s\n' "$dir"
}

# "pid pid …" of the processes named exactly prometheus (ours or anyone's); only compared, never killed.
prometheus_pids() {
  pgrep -x prometheus 2>/dev/null | sort -n | tr '\n' ' ' || true
}

TEMP_POLICY=0
remove_temp_policy() {
  if ((TEMP_POLICY)); then
    TEMP_POLICY=0
    rm -f "$POLICY_RC_D"
    log "removed the temporary $POLICY_RC_D"
  fi
}

installed_packages() {
  dpkg-query -W -f '${db:Status-Abbrev} ${Package} ${Installed-Size}\n' 2>/dev/null | awk '$1 == "ii" { print $2, $3 }' | sort
}

install_package() {
  [[ -n ${DOCSTORE_PROM_BIN_DIR:-} ]] && die 2 "DOCSTORE_PROM_BIN_DIR=$DOCSTORE_PROM_BIN_DIR holds no executable promtool and prometheus"
  if ((EUID != 0)); then
    die 2 "promtool and prometheus not found. Install them as root, e.g.:
  sudo DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $PACKAGE
or point DOCSTORE_PROM_BIN_DIR at a directory holding both (an upstream release)"
  fi
  command -v apt-get >/dev/null 2>&1 || die 2 "promtool and prometheus not found and no apt-get; install Prometheus manually or set DOCSTORE_PROM_BIN_DIR"
  export DEBIAN_FRONTEND=noninteractive
  local t0 before_pids after_pids before_pkgs after_pkgs new_pkgs
  t0=$(now_ms)
  local policy
  # (no `apt-cache | grep -q` pipe: grep's early exit would fail the pipe under pipefail)
  policy="$(apt-cache policy "$PACKAGE" 2>/dev/null || true)"
  if ! grep -q 'Candidate: [^(]' <<<"$policy"; then
    log "apt-get update"
    apt-get -o DPkg::Lock::Timeout=600 update </dev/null >&2
  fi
  before_pids="$(prometheus_pids)"
  before_pkgs="$(installed_packages)"
  if [[ ! -e $POLICY_RC_D ]]; then
    # Deny every service start during the install (the postinst would start a daemon on :9090).
    printf '#!/bin/sh\n# temporary, from docstore scripts/services/prometheus.sh install\nexit 101\n' >"$POLICY_RC_D"
    chmod 0755 "$POLICY_RC_D"
    TEMP_POLICY=1
    log "temporary $POLICY_RC_D denies service starts during the install"
  fi
  log "installing $PACKAGE"
  local rc=0
  apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "$PACKAGE" </dev/null >&2 || rc=$?
  remove_temp_policy
  ((rc == 0)) || die 1 "apt-get install $PACKAGE failed (exit $rc)"

  after_pkgs="$(installed_packages)"
  new_pkgs="$(comm -13 <(printf '%s\n' "$before_pkgs") <(printf '%s\n' "$after_pkgs"))"
  log "installed $(printf '%s\n' "$new_pkgs" | grep -c . || true) package(s), $(printf '%s\n' "$new_pkgs" |
    awk '{ kib += $2 } END { printf "%.1f", kib / 1024 }') MiB on disk, in $((($(now_ms) - t0) / 1000)) s"

  # The package's init script may have started its daemon nonetheless (an existing policy-rc.d
  # that allows starts). Stop what appeared through the package's own init script.
  after_pids="$(prometheus_pids)"
  if [[ $after_pids != "$before_pids" ]]; then
    log "WARNING: prometheus processes before the install: '${before_pids% }', after: '${after_pids% }'"
    if [[ -x /etc/init.d/prometheus ]]; then
      log "stopping the package's daemon: /etc/init.d/prometheus stop"
      /etc/init.d/prometheus stop </dev/null >&2 || log "WARNING: /etc/init.d/prometheus stop failed"
      after_pids="$(prometheus_pids)"
    fi
    [[ $after_pids == "$before_pids" ]] ||
      log "WARNING: a prometheus daemon started by the package may still run (pids '${after_pids% }'); stop it with: service prometheus stop"
  fi
}

BIN_DIR=""
ensure_installed() {
  if ! BIN_DIR="$(bin_dir)"; then
    install_package
    BIN_DIR="$(bin_dir)" || die 2 "promtool or prometheus still missing after installing $PACKAGE"
  fi
}

cmd_install() {
  ensure_installed
  printf '%s\n' "$BIN_DIR"
}

# ---------------------------------------------------------------- processes

# Our server's pid if it is alive and still ours (its command line names our config file).
live_pid() {
  local pid
  [[ -f $PID_FILE ]] || return 1
  pid="$(<"$PID_FILE")"
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  [[ -r /proc/$pid/cmdline ]] || return 1
  # zombie/defunct processes have an empty cmdline
  tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF -- "--config.file=$CONF" || return 1
  printf '%s\n' "$pid"
}

# SIGTERM, then SIGKILL after 5 s.
kill_recorded() {
  local pid
  pid="$(live_pid)" || return 0
  stop_pid prometheus "$pid"
}

# ---------------------------------------------------------------- helpers

STOPPING="killing the server"
on_any_exit() { remove_temp_policy; }
trap 'exit 130' INT
trap 'exit 143' TERM

ready() {
  curl -sf --max-time 2 -o /dev/null "http://127.0.0.1:$1/-/ready" 2>/dev/null
}

recorded_port() {
  [[ -f $ENV_FILE ]] || return 1
  sed -n 's|^PROMETHEUS_URL=http://127.0.0.1:\([0-9]*\)$|\1|p' "$ENV_FILE"
}

is_running() {
  local port
  live_pid >/dev/null || return 1
  port="$(recorded_port)" || return 1
  [[ -n $port ]] || return 1
  ready "$port"
}

# ---------------------------------------------------------------- server

write_conf() {
  local target="$1" token_file="$2" rules="$3"
  {
    printf '%s\n' "# generated by scripts/services/prometheus.sh -- throwaway server"
    printf '%s\n' "global:" "  scrape_interval: 1s" "  scrape_timeout: 1s" "  evaluation_interval: 1s"
    if [[ -n $rules ]]; then
      printf '%s\n' "rule_files:" "  - '$rules'"
    fi
    printf '%s\n' "scrape_configs:" "  - job_name: docstore" "    metrics_path: /metrics" \
      "    static_configs:" "      - targets: ['$target']"
    if [[ -n $token_file ]]; then
      printf '%s\n' "    authorization:" "      type: Bearer" "      credentials_file: '$token_file'"
    fi
  } >"$CONF"
}

start_server() {
  local target="$1" token_file="$2" rules="$3" prometheus="$4"
  local t0 port pid attempt deadline
  t0=$(now_ms)
  kill_recorded
  wipe_state_dir
  STARTING=1
  mkdir -p "$STATE_DIR" "$LOG_DIR" "$DATA_DIR"
  : >"$MARKER"
  write_conf "$target" "$token_file" "$rules"
  log "prometheus $("$prometheus" --version 2>&1 | sed -n '1s/^prometheus, version \([^ ]*\).*/\1/p'), state dir $STATE_DIR, target $target"

  deadline=$(($(now_ms) + TIMEOUT * 1000))
  for attempt in 1 2 3 4 5; do
    port="$(free_port)"
    log "listening on 127.0.0.1:$port (attempt $attempt)"
    # Own session, std streams redirected: it never holds the caller's pipes open.
    setsid "$prometheus" "--config.file=$CONF" "--storage.tsdb.path=$DATA_DIR" \
      --storage.tsdb.retention.time=1d "--web.listen-address=127.0.0.1:$port" \
      </dev/null >>"$LOG_FILE" 2>&1 &
    pid=$!
    printf '%s\n' "$pid" >"$PID_FILE"
    while :; do
      if exited "$pid"; then
        if grep -qsF "address already in use" "$LOG_FILE"; then
          log "port $port was taken meanwhile; retrying on another port"
          : >"$LOG_FILE"
          continue 2
        fi
        fail_start "prometheus exited during start-up"
      fi
      ready "$port" && break 2
      (($(now_ms) < deadline)) || fail_start "http://127.0.0.1:$port/-/ready not ready after ${TIMEOUT}s"
      sleep 0.05
    done
  done
  ready "$port" || fail_start "prometheus could not bind a port after $attempt attempts"
  live_pid >/dev/null || fail_start "prometheus (pid $pid) is not running our configuration"
  printf 'PROMETHEUS_URL=http://127.0.0.1:%s\n' "$port" >"$ENV_FILE"
  STARTING=0
  log "ready in $(($(now_ms) - t0)) ms (pid $pid)"
}

absolute() {
  local path="$1"
  [[ $path == /* ]] || path="$PWD/$path"
  printf '%s\n' "$path"
}

cmd_start() {
  local target="" token_file="" rules=""
  while (($#)); do
    case "$1" in
    --target) target="${2:-}"; shift 2 || die 64 "--target needs HOST:PORT" ;;
    --target=*) target="${1#*=}"; shift ;;
    --bearer-token-file) token_file="${2:-}"; shift 2 || die 64 "--bearer-token-file needs a file" ;;
    --bearer-token-file=*) token_file="${1#*=}"; shift ;;
    --rules) rules="${2:-}"; shift 2 || die 64 "--rules needs a file" ;;
    --rules=*) rules="${1#*=}"; shift ;;
    *) die 64 "unknown argument '$1' (usage: $0 start --target HOST:PORT [--bearer-token-file FILE] [--rules FILE])" ;;
    esac
  done
  [[ $target =~ ^[^/[:space:]\']+:[0-9]{1,5}$ ]] || die 64 "--target HOST:PORT is required (got '$target')"
  if [[ -n $token_file ]]; then
    [[ -r $token_file && -f $token_file ]] || die 64 "--bearer-token-file $token_file is not a readable file"
    token_file="$(absolute "$token_file")"
    [[ $token_file != *"'"* ]] || die 64 "--bearer-token-file path must not contain a quote"
  fi
  if [[ -n $rules ]]; then
    [[ -r $rules && -f $rules ]] || die 64 "--rules $rules is not a readable file"
    rules="$(absolute "$rules")"
    [[ $rules != *"'"* ]] || die 64 "--rules path must not contain a quote"
  fi
  local args="$target|$token_file|$rules"
  if is_running; then
    if [[ -f $ARGS_FILE && "$(<"$ARGS_FILE")" == "$args" ]]; then
      log "already running ($STATE_DIR)"
      cat "$ENV_FILE"
      return 0
    fi
    log "running with other arguments; restarting"
  fi
  ensure_installed
  for b in curl setsid awk; do
    command -v "$b" >/dev/null 2>&1 || die 2 "missing required tool: $b"
  done
  if [[ -n $rules ]]; then
    "$BIN_DIR/promtool" check rules "$rules" >&2 || die 1 "$rules: invalid rules (promtool check rules)"
  fi
  start_server "$target" "$token_file" "$rules" "$BIN_DIR/prometheus"
  printf '%s\n' "$args" >"$ARGS_FILE"
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
  is_running || die 1 "not running (state dir $STATE_DIR); run: $0 start --target HOST:PORT"
  cat "$ENV_FILE"
}

cmd_status() {
  if is_running; then
    log "running: $(sed -n 's/^PROMETHEUS_URL=//p' "$ENV_FILE") (pid $(live_pid), state dir $STATE_DIR)"
    return 0
  fi
  log "not running (state dir $STATE_DIR)"
  return 1
}

command="${1:-}"
(($#)) && shift
case "$command" in
install) cmd_install ;;
start) cmd_start "$@" ;;
stop) cmd_stop ;;
env) cmd_env ;;
status) cmd_status ;;
*)
  echo "usage: $0 install | start --target HOST:PORT [--bearer-token-file FILE] [--rules FILE] | stop | env | status" >&2
  exit 64
  ;;
esac
