#!/usr/bin/env bash
# Debian's text extraction tools, for search (src/search/): poppler's pdftotext and pdftoppm, and
# tesseract with its French, Dutch and English data. The service runs without them (OCR is off,
# said in its log and in GET /api/v1/search/status); tests and the Docker image install them.
#
# Usage: scripts/services/ocr.sh install
#
#   install  make sure pdftotext, pdftoppm and tesseract (with fra, nld, eng) exist; prints the
#            directory holding the binaries on stdout. Takes a few milliseconds when they do.
#            Otherwise root installs the Debian packages below without recommended packages
#            (about 15 MB to download); anyone else gets exit code 2.
#
# Progress and diagnostics go to stderr; stdout is only the binaries' directory.
set -euo pipefail

PACKAGES=(poppler-utils tesseract-ocr tesseract-ocr-fra tesseract-ocr-nld tesseract-ocr-eng)
LOCK="${TMPDIR:-/tmp}/docstore-ocr-install.lock"
# One apt-get at a time on this machine, whoever asks (chromium.sh may run at the same moment).
APT_LOCK="${TMPDIR:-/tmp}/docstore-apt.lock"

present() {
  command -v pdftotext >/dev/null && command -v pdftoppm >/dev/null && command -v tesseract >/dev/null || return 1
  local langs
  langs=$(tesseract --list-langs 2>/dev/null) || return 1
  grep -qx fra <<<"$langs" && grep -qx nld <<<"$langs" && grep -qx eng <<<"$langs"
}

install() {
  if present; then
    dirname "$(command -v tesseract)"
    return 0
  fi
  if [[ $(id -u) -ne 0 ]]; then
    echo "ocr.sh: tools missing; as root run: apt-get install -y --no-install-recommends ${PACKAGES[*]}" >&2
    exit 2
  fi
  # Test files may ask at the same time: one install at a time.
  exec 9>"$LOCK"
  flock 9
  if ! present; then
    echo "ocr.sh: installing ${PACKAGES[*]} from Debian..." >&2
    exec 8>"$APT_LOCK"
    flock 8
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=600 "${PACKAGES[@]}" >&2; then
      apt-get update >&2
      apt-get install -y --no-install-recommends -o DPkg::Lock::Timeout=600 "${PACKAGES[@]}" >&2
    fi
  fi
  present || { echo "ocr.sh: tools still missing after apt-get" >&2; exit 1; }
  dirname "$(command -v tesseract)"
}

case "${1:-}" in
  install) install ;;
  *) echo "usage: $0 install" >&2; exit 64 ;;
esac
