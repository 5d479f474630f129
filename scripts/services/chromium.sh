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
# shellcheck source=apt-install.sh
. "$(dirname "${BASH_SOURCE[0]}")/apt-install.sh"

present() { [[ -x $BINARY ]]; }

install() {
  apt_install_when_missing chromium present chromium
  echo "$BINARY"
}

case "${1:-}" in
  install) install ;;
  *) echo "usage: $0 install" >&2; exit 64 ;;
esac
