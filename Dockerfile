# syntax=docker/dockerfile:1
# docstore: the documents API. Build from the repository root:
#   docker build -t koprogo-docstore:0.1.0 .
# The image runs compiled JavaScript: the build stage compiles src/ with tsc into dist/ and builds the
# web console with Vite into dist/web (`npm run build`; TypeScript, tsx, Vite and Preact are dev
# dependencies); the runtime stage holds the production dependencies, bin/, package.json and dist/,
# no src/ and no tsx. All stages use the same base image, so the native module (better-sqlite3) is
# built against the glibc it runs on.
# Deployment with MinIO, PostgreSQL, Prometheus and Grafana: deploy/docker-compose.yml, docs/minio.md.

FROM node:20.19.5-bookworm-slim AS dependencies
# better-sqlite3 downloads a prebuilt binary when one matches, and compiles otherwise: these are
# what node-gyp needs for that.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only. --ignore-scripts skips the "prepare" script (it runs the build, which
# the build stage does); better-sqlite3's own install script runs through the rebuild.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3 \
 && npm cache clean --force

FROM node:20.19.5-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY scripts/build-console.ts ./scripts/
COPY web ./web
RUN npm run build

FROM node:20.19.5-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=8080 \
    DATA_DIR=/data
# The metrics listener stays on 127.0.0.1 unless METRICS_HOST says otherwise; with NODE_ENV=production
# docstore refuses a non-loopback METRICS_HOST without METRICS_TOKEN (the compose file sets both).
RUN groupadd --system --gid 10001 docstore \
 && useradd --system --uid 10001 --gid 10001 --home-dir /nonexistent --no-create-home --shell /usr/sbin/nologin docstore \
 && install -d -o 10001 -g 10001 -m 0700 /data
WORKDIR /app
# Code and dependencies belong to root: the service user can read them, not change them.
COPY --from=dependencies /app/node_modules ./node_modules
# package.json says the compiled modules are ES modules ("type": "module"), and gives the version.
COPY package.json ./
COPY bin ./bin
COPY --from=build /app/dist ./dist
USER 10001:10001
VOLUME ["/data"]
# 8080: the API. 9464: Prometheus metrics (GET /metrics), a listener of its own.
EXPOSE 8080 9464
# Ready = the database and the storage answer (503 otherwise). No curl in the slim image: Node's fetch.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/health/ready',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
CMD ["node", "bin/docstore.js", "serve"]
