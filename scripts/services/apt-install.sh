# Installs Debian packages a test needs when they are missing (chromium.sh, ocr.sh): as root only,
# one install of a kind at a time (test files ask at the same moment), and one apt-get at a time on
# the machine whoever asks. Sourced; diagnostics go to stderr, nothing to stdout.
# shellcheck shell=bash

# apt_install_when_missing NAME PRESENT PACKAGE...: returns at once when the command PRESENT
# succeeds; otherwise root installs the packages without recommended ones (an `apt-get update`
# first when the package lists are stale), anyone else gets exit code 2. Exit 1 when PRESENT still
# fails after the install.
apt_install_when_missing() {
  local name="$1" present="$2"
  shift 2
  "$present" && return 0
  if [[ $(id -u) -ne 0 ]]; then
    echo "$name: missing; as root run: apt-get install -y --no-install-recommends $*" >&2
    exit 2
  fi
  exec 9>"${TMPDIR:-/tmp}/docstore-$name-install.lock"
  flock 9
  if ! "$present"; then
    echo "$name: installing $* from Debian..." >&2
    exec 8>"${TMPDIR:-/tmp}/docstore-apt.lock"
    flock 8
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=600 "$@" >&2; then
      apt-get -o DPkg::Lock::Timeout=600 update >&2
      apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=600 "$@" >&2
    fi
    exec 8>&-
  fi
  exec 9>&-
  "$present" || { echo "$name: still missing after apt-get install $*" >&2; exit 1; }
}
