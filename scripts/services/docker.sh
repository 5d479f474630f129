#!/usr/bin/env bash
# A Docker engine of the project's own, for the image test (test/deploy/image.test.ts) and for
# building the image by hand on a machine without one.
#
# Usage: scripts/services/docker.sh start|stop|env|status|install [--holder PID]
#
#   start    start dockerd (or reuse the running one); prints env lines on stdout
#   stop     stop dockerd (by pid), unless another holder still uses it; keeps its images
#   env      print the env lines of the running engine
#   status   exit 0 if the engine is running and answers
#   install  install docker.io and debootstrap (apt, as root) when missing, and return
#   clean    stop dockerd and remove the state dir, images included
#
# --holder PID (start, stop): the process that uses the engine (default: the caller). start
# records it; stop forgets it and stops dockerd only when no recorded holder is still alive, so
# that two test runs sharing the engine do not stop it under each other.
#
# dockerd runs as root with everything under the state dir: data-root (images, the build cache:
# kept across runs so that a second build is fast), exec-root, pidfile, its own socket and log.
# It never reads /etc/docker/daemon.json and never touches the host's firewall (--iptables=false):
# published ports go through docker-proxy, so -p 127.0.0.1:PORT:8080 works without NAT rules.
#   DOCSTORE_DOCKER_STATE_DIR   default ${XDG_CACHE_HOME:-$HOME/.cache}/docstore/docker
#   DOCSTORE_DOCKER_TIMEOUT     readiness timeout in seconds (default 60)
#
# stdout of start/env: DOCKER_HOST=unix://<state dir>/run/docker.sock
set -euo pipefail

STATE_DIR="${DOCSTORE_DOCKER_STATE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/docstore/docker}"
STATE_DIR="${STATE_DIR%/}"
[[ $STATE_DIR == /* ]] || STATE_DIR="$PWD/$STATE_DIR"
TIMEOUT="${DOCSTORE_DOCKER_TIMEOUT:-60}"

RUN_DIR="$STATE_DIR/run"
SOCKET="$RUN_DIR/docker.sock"
PID_FILE="$RUN_DIR/dockerd.pid"
LOG_DIR="$STATE_DIR/log"
HOLDERS="$STATE_DIR/holders"
CONF="$STATE_DIR/daemon.json"
MARKER="$STATE_DIR/.docstore-docker" # only directories carrying it are ever wiped

SERVICE="docker.sh"
# shellcheck source=scripts/services/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# ---------------------------------------------------------------- processes

# pid of our dockerd if it is alive and really ours (its command line names our pidfile).
live_pid() {
  local pid
  [[ -f $PID_FILE ]] || return 1
  pid="$(<"$PID_FILE")"
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  exited "$pid" && return 1
  tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF -- "--pidfile=$PID_FILE" || return 1
  printf '%s\n' "$pid"
}

# dockerd stops its containers (10 s each at most) and its containerd on SIGTERM: give it time.
kill_recorded() {
  local pid
  pid="$(live_pid)" || return 0
  stop_pid dockerd "$pid" 30000
}

STOPPING="stopping dockerd if it started"

answers() {
  DOCKER_HOST="unix://$SOCKET" timeout 10 docker version --format '{{.Server.Version}}' </dev/null >/dev/null 2>&1
}

is_running() {
  live_pid >/dev/null && answers
}

env_lines() { printf 'DOCKER_HOST=unix://%s\n' "$SOCKET"; }

# ---------------------------------------------------------------- holders

holder_arg() {
  local holder="$PPID"
  while (($#)); do
    case "$1" in
    --holder)
      holder="${2:-}"
      shift 2 || die 64 "--holder needs a pid"
      ;;
    *) die 64 "unknown argument: $1" ;;
    esac
  done
  [[ $holder =~ ^[0-9]+$ ]] || die 64 "--holder: not a pid: $holder"
  printf '%s\n' "$holder"
}

# Recorded holders that are still alive (dead ones are forgotten).
live_holders() {
  local f pid
  [[ -d $HOLDERS ]] || return 0
  for f in "$HOLDERS"/*; do
    [[ -e $f ]] || continue
    pid="${f##*/}"
    if exited "$pid"; then rm -f "$f"; else printf '%s\n' "$pid"; fi
  done
}

# start and stop run one at a time (a lock file in the state dir's parent: the state dir itself
# may be wiped while the lock is held). dockerd must not inherit the lock's descriptor (9>&-).
take_lock() {
  mkdir -p "$(dirname "$STATE_DIR")"
  exec 9>"$STATE_DIR.lock"
  flock -w 300 9 || die 1 "another docker.sh start/stop has held $STATE_DIR.lock for 5 minutes"
}

# ---------------------------------------------------------------- packages

TEMP_POLICY=0
remove_temp_policy() {
  if ((TEMP_POLICY)); then
    TEMP_POLICY=0
    rm -f /usr/sbin/policy-rc.d
  fi
}
on_any_exit() { remove_temp_policy; }

cmd_install() {
  local missing=() pkgs=()
  command -v dockerd >/dev/null 2>&1 || pkgs+=(docker.io)
  command -v docker >/dev/null 2>&1 || pkgs+=(docker.io)
  command -v debootstrap >/dev/null 2>&1 || pkgs+=(debootstrap)
  ((${#pkgs[@]})) || return 0
  mapfile -t pkgs < <(printf '%s\n' "${pkgs[@]}" | sort -u)
  if ((EUID != 0)); then
    die 2 "missing: ${pkgs[*]}. Install as root, e.g.:
  sudo apt-get install -y --no-install-recommends ${pkgs[*]}"
  fi
  command -v apt-get >/dev/null 2>&1 || die 2 "missing ${pkgs[*]} and no apt-get; install Docker and debootstrap manually"
  log "installing ${pkgs[*]}"
  export DEBIAN_FRONTEND=noninteractive
  local p
  for p in "${pkgs[@]}"; do
    if ! apt-cache policy "$p" 2>/dev/null | grep -q 'Candidate: [^(]'; then
      log "apt-get update"
      apt-get -o DPkg::Lock::Timeout=600 update </dev/null >&2
      break
    fi
  done
  # The package's maintainer scripts may not start a system-wide dockerd (its docker0 bridge would
  # be ours too): a temporary policy-rc.d denies service starts unless the machine has one.
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\n# temporary, from docstore scripts/services/docker.sh install\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 0755 /usr/sbin/policy-rc.d
    TEMP_POLICY=1
  fi
  apt-get -o DPkg::Lock::Timeout=600 install -y --no-install-recommends "${pkgs[@]}" </dev/null >&2
  remove_temp_policy
  for missing in dockerd docker debootstrap; do
    command -v "$missing" >/dev/null 2>&1 || die 2 "$missing still missing after installing ${pkgs[*]}"
  done
}

# ---------------------------------------------------------------- engine

start_engine() {
  local t0 pid deadline
  t0=$(now_ms)
  # A dockerd that died without cleaning up leaves its pidfile; a fresh start reuses the images.
  kill_recorded
  STARTING=1
  mkdir -p "$STATE_DIR" "$RUN_DIR" "$LOG_DIR" "$HOLDERS" "$STATE_DIR/data"
  : >"$MARKER"
  rm -f "$SOCKET" "$PID_FILE"
  ((${#SOCKET} <= 100)) || fail_start "state dir path too long for a Unix socket ($SOCKET); set DOCSTORE_DOCKER_STATE_DIR to a shorter path"
  # Our own (empty) configuration file: /etc/docker/daemon.json is the machine's, not ours.
  printf '{}\n' >"$CONF"
  log "$(dockerd --version 2>/dev/null || echo 'dockerd ?')"
  setsid dockerd \
    "--pidfile=$PID_FILE" \
    "--config-file=$CONF" \
    "--data-root=$STATE_DIR/data" \
    "--exec-root=$RUN_DIR/exec" \
    "--host=unix://$SOCKET" \
    --iptables=false --ip6tables=false --ip-masq=false \
    </dev/null >>"$LOG_DIR/dockerd.log" 2>&1 9>&- &
  pid=$!
  deadline=$(($(now_ms) + TIMEOUT * 1000))
  until answers; do
    exited "$pid" && fail_start "dockerd exited during start-up (see $LOG_DIR/dockerd.log)"
    (($(now_ms) < deadline)) || fail_start "dockerd did not answer on $SOCKET within ${TIMEOUT}s"
    sleep 0.1
  done
  live_pid >/dev/null || fail_start "dockerd answers but $PID_FILE does not name it"
  STARTING=0
  log "dockerd pid $pid ready in $(($(now_ms) - t0)) ms (state dir $STATE_DIR)"
}

cmd_start() {
  local holder
  holder="$(holder_arg "$@")"
  take_lock
  if is_running; then
    log "already running ($STATE_DIR)"
  else
    cmd_install
    command -v flock >/dev/null 2>&1 || die 2 "missing required tool: flock (util-linux)"
    start_engine
  fi
  mkdir -p "$HOLDERS"
  : >"$HOLDERS/$holder"
  env_lines
}

cmd_stop() {
  local holder others
  if (($#)); then
    holder="$(holder_arg "$@")"
    take_lock
    rm -f "$HOLDERS/$holder"
    others="$(live_holders | tr '\n' ' ')"
    if [[ -n $others ]] && live_pid >/dev/null; then
      log "still used by pid(s) ${others% }: dockerd keeps running"
      return 0
    fi
  else
    take_lock
  fi
  kill_recorded
  # The exec-root stays: dockerd leaves its default network namespace mounted there.
  rm -rf "$HOLDERS"
  rm -f "$SOCKET" "$PID_FILE"
}

cmd_clean() {
  take_lock
  kill_recorded
  # Containers' mounts (overlay, shm) left by a killed dockerd would make rm fail.
  if [[ -d $STATE_DIR/data ]]; then
    awk -v d="$STATE_DIR/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r | while read -r m; do umount -l "$m" 2>/dev/null || true; done
  fi
  wipe_state_dir
  log "removed $STATE_DIR"
}

cmd_env() {
  live_pid >/dev/null || die 1 "not running (state dir $STATE_DIR); run: $0 start"
  env_lines
}

cmd_status() {
  if is_running; then
    log "running: dockerd pid $(live_pid), $SOCKET"
    return 0
  fi
  log "not running (state dir $STATE_DIR)"
  return 1
}

command="${1:-}"
shift || true
case "$command" in
start) cmd_start "$@" ;;
stop) cmd_stop "$@" ;;
env) cmd_env ;;
status) cmd_status ;;
install) cmd_install ;;
clean) cmd_clean ;;
*)
  echo "usage: $0 start|stop|env|status|install|clean [--holder PID]" >&2
  exit 64
  ;;
esac
