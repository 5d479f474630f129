# docstore: the documents API. Build from the repository root:
#   docker build -t koprogo-docstore:0.1.0 .
# Behind a TLS-intercepting proxy, give npm the proxy's CA (PEM text, not a path):
#   docker build --build-arg EXTRA_CA_CERTS="$(cat corporate-ca.pem)" -t koprogo-docstore:0.1.0 .
# On a machine that cannot pull from Docker Hub, scripts/docker/build-image.sh builds a local base
# equivalent to the official one (scripts/docker/base-image.sh) and passes it as BASE_IMAGE.
#
# The image runs compiled JavaScript: the build stage compiles src/ with tsc into dist/ and the web
# console with Vite into dist/web (`npm run build`), then drops the dev dependencies; the runtime
# stage holds the production dependencies, bin/, package.json and dist/: no src/, no tsx, no npm,
# no C headers. All stages start from the same base image, so the native module (better-sqlite3,
# whose binary comes in its npm package) is checked to load on the glibc and the Node it runs on.
# Deployment with MinIO, PostgreSQL, Prometheus and Grafana: deploy/docker-compose.yml, docs/minio.md.

# The official image, pinned by version (.node-version holds the same Node version).
ARG BASE_IMAGE=node:24.22.3-bookworm-slim

FROM ${BASE_IMAGE} AS build
# Extra CA certificates (PEM) that npm must trust, e.g. a corporate proxy's. Empty: Node's own.
ARG EXTRA_CA_CERTS=""
ENV NODE_EXTRA_CA_CERTS=${EXTRA_CA_CERTS:+/usr/local/share/docstore/extra-ca-certs.pem}
RUN mkdir -p /usr/local/share/docstore \
 && if [ -n "$EXTRA_CA_CERTS" ]; then printf '%s\n' "$EXTRA_CA_CERTS" > "$NODE_EXTRA_CA_CERTS"; fi
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: `prepare` runs the build, which needs the sources copied below; skipping it keeps
# this layer (the slow one: the downloads) cached until package-lock.json changes. No compiler:
# better-sqlite3 (13, Node-API) carries its binaries in its npm package, for glibc and musl, x64 and
# arm64, so nothing is compiled and nothing is downloaded from elsewhere.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts/build-console.ts ./scripts/
COPY web ./web
# Then production dependencies only (npm prune --omit=dev), without what Node never loads: type
# declarations, source maps, TypeScript sources, docs, and better-sqlite3's C sources and the
# binaries of other platforms (the one this image runs stays in prebuilds/).
# The console build lands in a directory made by mkdtemp (mode 0700, src/http/console/console-build.ts):
# a+rX lets the service user read what root built.
RUN npm run build \
 && rm -f dist/.tsbuildinfo \
 && chmod -R a+rX,go-w dist \
 && npm prune --omit=dev --no-audit --no-fund \
 && find node_modules -type f \( -name '*.d.ts' -o -name '*.d.mts' -o -name '*.d.cts' -o -name '*.map' \
      -o -name '*.ts' -o -name '*.mts' -o -name '*.cts' -o -iname '*.md' -o -iname 'CHANGELOG*' \) -delete \
 && cd node_modules/better-sqlite3 \
 && rm -rf deps src build \
 && find prebuilds -type f ! -name "linux-$(node -p process.arch).node" -delete \
 && node -e 'require("/app/node_modules/better-sqlite3")(":memory:").close()'

# The runtime file system: the base image without npm, yarn, corepack and the C headers, which
# only builds need; the next stage takes it as one layer (files deleted here would otherwise stay
# in the base's layers and in the image size).
FROM ${BASE_IMAGE} AS runtime-root
# Search inside documents (docs/search.md): poppler's pdftotext/pdftoppm and tesseract with its
# French, Dutch and English data, from Debian (what scripts/services/ocr.sh installs for the tests;
# about 110 MB with their libraries). DOCSTORE_OCR=off leaves them out: docstore then runs with OCR
# and PDF text extraction off, and says so in its log and in GET /api/v1/search/status.
ARG DOCSTORE_OCR=on
RUN if [ "$DOCSTORE_OCR" = on ]; then \
      apt-get update \
      && apt-get install -y --no-install-recommends poppler-utils tesseract-ocr tesseract-ocr-fra tesseract-ocr-nld tesseract-ocr-eng \
      && rm -rf /var/lib/apt/lists/* /var/cache/apt/*.bin /var/log/apt /var/log/dpkg.log; \
    fi
RUN rm -rf /usr/local/include /usr/local/lib/node_modules /usr/local/share/doc /usr/local/share/man \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg /opt/yarn-* \
 && groupadd --system --gid 10001 docstore \
 && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin docstore \
 && install -d -o 10001 -g 10001 -m 0700 /data

FROM scratch AS runtime
COPY --from=runtime-root / /
# Code and dependencies belong to root: the service user can read them, not change them.
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
# package.json says the compiled modules are ES modules ("type": "module"), and gives the version.
COPY package.json ./
COPY bin ./bin
COPY --from=build /app/dist ./dist
# (EXTRA_CA_CERTS served the build only. A CA that docstore must trust at run time, e.g. an S3
# endpoint's: mount it and set NODE_EXTRA_CA_CERTS to its path.)
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    DATA_DIR=/data
# The metrics listener stays on 127.0.0.1 unless METRICS_HOST says otherwise; with NODE_ENV=production
# docstore refuses a non-loopback METRICS_HOST without METRICS_TOKEN (the compose file sets both).
USER 10001:10001
# The only place docstore writes (the root file system may be read-only: `docker run --read-only`).
VOLUME ["/data"]
# 8080: the API. 9464: Prometheus metrics (GET /metrics), a listener of its own.
EXPOSE 8080 9464
# Ready = the database and the storage answer (503 otherwise). No curl in the slim image: Node's fetch.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health/ready',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "bin/docstore.js", "serve"]
