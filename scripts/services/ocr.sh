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
# shellcheck source=apt-install.sh
. "$(dirname "${BASH_SOURCE[0]}")/apt-install.sh"

present() {
  command -v pdftotext >/dev/null && command -v pdftoppm >/dev/null && command -v tesseract >/dev/null || return 1
  local langs
  langs=$(tesseract --list-langs 2>/dev/null) || return 1
  grep -qx fra <<<"$langs" && grep -qx nld <<<"$langs" && grep -qx eng <<<"$langs"
}

install() {
  apt_install_when_missing ocr present "${PACKAGES[@]}"
  dirname "$(command -v tesseract)"
}

case "${1:-}" in
  install) install ;;
  *) echo "usage: $0 install" >&2; exit 64 ;;
esac
