#!/usr/bin/env bash
# Build docstore's image on this machine: the local base (scripts/docker/base-image.sh, equivalent
# to the official node:<version>-bookworm-slim, which Docker Hub would give elsewhere), the
# machine's extra CA certificates as EXTRA_CA_CERTS, and `docker build --network host` (RUN steps
# reach the npm registry and Debian's mirror as the machine does). Prints the image id.
#
# Usage: scripts/docker/build-image.sh [TAG]     (default koprogo-docstore:dev)
#   DOCKER_HOST   the engine (scripts/services/docker.sh start prints it)
#
# EXTRA_CA_CERTS gets the certificates of $SSL_CERT_FILE (default /etc/ssl/certs/ca-certificates.crt)
# that neither Node nor Debian's copy of Mozilla's list holds: a TLS-intercepting proxy's CA, for
# instance. Only those: the whole bundle would not fit in one command-line argument (128 KiB).
set -euo pipefail

ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
TAG="${1:-koprogo-docstore:dev}"

log() { printf '[build-image.sh] %s\n' "$*" >&2; }

base="$(bash "$ROOT_DIR/scripts/docker/base-image.sh")"
node="$(bash "$ROOT_DIR/scripts/node/fetch.sh")/bin/node"
bundle="${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}"
extra=""
if [[ -r $bundle ]]; then
  # Same certificate = same DER bytes; compare without PEM line breaks and headers. Debian's copy of
  # Mozilla's list (/usr/share/ca-certificates/mozilla) counts as known too: what is left are the
  # machine's own additions.
  extra="$("$node" -e '
    const { readdirSync, readFileSync } = require("node:fs");
    const { rootCertificates } = require("node:tls");
    const body = (pem) => pem.replace(/-----[^-]+-----|\s/g, "");
    const pemsIn = (text) => text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    const mozilla = "/usr/share/ca-certificates/mozilla";
    let debian = [];
    try { debian = readdirSync(mozilla).flatMap((name) => pemsIn(readFileSync(`${mozilla}/${name}`, "utf8"))); } catch {}
    const known = new Set([...rootCertificates, ...debian].map(body));
    const extra = pemsIn(readFileSync(process.argv[1], "utf8")).filter((pem) => !known.has(body(pem)));
    process.stdout.write(extra.join("\n"));
  ' "$bundle")"
fi
log "base $base; $(grep -c 'BEGIN CERTIFICATE' <<<"$extra" || true) extra CA certificate(s) from $bundle"

t0=$(date +%s)
build_log="$(mktemp "${TMPDIR:-/tmp}/docstore-build-XXXXXX.log")"
trap 'rm -f "$build_log"' EXIT
# The legacy builder: BuildKit would fetch its Dockerfile frontend from Docker Hub. --force-rm: no
# container left behind by a failed step.
DOCKER_BUILDKIT=0 docker build --network host --force-rm \
  --build-arg "BASE_IMAGE=$base" \
  --build-arg "EXTRA_CA_CERTS=$extra" \
  --tag "$TAG" "$ROOT_DIR" >"$build_log" 2>&1 || {
  tail -n 60 "$build_log" >&2
  log "docker build failed"
  exit 1
}
log "built $TAG in $(($(date +%s) - t0)) s, $(docker image inspect --format '{{.Size}}' "$TAG" | awk '{ printf "%.0f MB", $1 / 1e6 }')"
docker image inspect --format '{{.Id}}' "$TAG"
