#!/usr/bin/env bash
# Debian's chromium, for the web console's browser tests (playwright-core drives it; no browser is
# downloaded from anywhere but Debian's apt).
#
# Usage: scripts/services/chromium.sh install
#
#   install  make sure a chromium binary exists; prints its path on stdout. Takes a few
#            milliseconds when it does (DOCSTORE_CHROMIUM, else /usr/bin/chromium). Otherwise root
#            installs the Debian package "chromium" without recommended packages (about 100 MB to
#            download, 30-90 s); anyone else gets exit code 2.
#
# Progress and diagnostics go to stderr; stdout is only the binary's path.
set -euo pipefail

BINARY="${DOCSTORE_CHROMIUM:-/usr/bin/chromium}"
LOCK="${TMPDIR:-/tmp}/docstore-chromium-install.lock"

install() {
  if [[ -x $BINARY ]]; then
    echo "$BINARY"
    return 0
  fi
  if [[ $(id -u) -ne 0 ]]; then
    echo "chromium.sh: $BINARY is missing; as root run: apt-get install -y --no-install-recommends chromium" >&2
    exit 2
  fi
  # Test files may ask at the same time: one apt-get at a time.
  exec 9>"$LOCK"
  flock 9
  if [[ ! -x $BINARY ]]; then
    echo "chromium.sh: installing Debian's chromium..." >&2
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y --no-install-recommends chromium >&2; then
      apt-get update >&2
      apt-get install -y --no-install-recommends chromium >&2
    fi
  fi
  [[ -x $BINARY ]] || { echo "chromium.sh: $BINARY still missing after apt-get" >&2; exit 1; }
  echo "$BINARY"
}

case "${1:-}" in
  install) install ;;
  *) echo "usage: $0 install" >&2; exit 64 ;;
esac
