#!/bin/sh
# One-shot MinIO set-up for docstore, run by the minio-init service of deploy/docker-compose.yml at
# every `docker compose up`; every step is idempotent. With MinIO's root credentials it:
#   1. creates docstore's bucket, and fails when the bucket allows any anonymous access;
#   2. creates (or updates) the policy docstore-readwrite from docstore-policy.json, limited to
#      that bucket, and fails when the policy names another bucket;
#   3. creates the docstore user (or updates its secret key) and attaches the policy;
#   4. creates the metrics user, whose policy allows nothing but reading MinIO's Prometheus
#      metrics, and writes the bearer token `mc admin prometheus generate` signs with its key to
#      $MINIO_METRICS_TOKEN_DIR/minio, a volume Prometheus reads (credentials_file).
# docstore itself only ever holds that user's keys. Incomplete multipart uploads: MinIO refuses the
# S3 lifecycle action AbortIncompleteMultipartUpload and removes them itself after
# MINIO_API_STALE_UPLOADS_EXPIRY (24h, on the minio service). See docs/minio.md.
set -eu

: "${MINIO_ROOT_USER:?}" "${MINIO_ROOT_PASSWORD:?}" "${DOCSTORE_BUCKET:?}"
: "${DOCSTORE_S3_ACCESS_KEY:?}" "${DOCSTORE_S3_SECRET_KEY:?}"
: "${MINIO_METRICS_USER:?}" "${MINIO_METRICS_SECRET_KEY:?}"

alias=docstore-minio
policy=docstore-readwrite
policy_file=${DOCSTORE_POLICY_FILE:-/init/docstore-policy.json}
metrics_alias=docstore-minio-metrics
metrics_policy=docstore-prometheus
metrics_policy_file=${MINIO_METRICS_POLICY_FILE:-/init/prometheus-policy.json}
token_dir=${MINIO_METRICS_TOKEN_DIR:-/metrics-token}

fail() {
  echo "minio-init: $*" >&2
  exit 1
}

if [ "$DOCSTORE_S3_ACCESS_KEY" = "$MINIO_ROOT_USER" ]; then
  fail "DOCSTORE_S3_ACCESS_KEY must name a user of its own, not MinIO's root user"
fi
if [ "$MINIO_METRICS_USER" = "$MINIO_ROOT_USER" ] || [ "$MINIO_METRICS_USER" = "$DOCSTORE_S3_ACCESS_KEY" ]; then
  fail "MINIO_METRICS_USER must name a user of its own, neither MinIO's root user nor docstore's"
fi
case "$(cat "$policy_file")" in
  *"\"arn:aws:s3:::$DOCSTORE_BUCKET\""*"\"arn:aws:s3:::$DOCSTORE_BUCKET/*\""*) ;;
  *) fail "$policy_file does not grant on the bucket $DOCSTORE_BUCKET (arn:aws:s3:::$DOCSTORE_BUCKET)" ;;
esac

mc alias set "$alias" http://minio:9000 "$MINIO_ROOT_USER" "$MINIO_ROOT_PASSWORD" >/dev/null

# 1. The bucket: private. New buckets have no anonymous policy; one that has gained any is refused.
mc mb --ignore-existing "$alias/$DOCSTORE_BUCKET"
access=$(mc anonymous get "$alias/$DOCSTORE_BUCKET")
permission=${access##* }
case "$permission" in
  *private* | *none*) echo "minio-init: bucket $DOCSTORE_BUCKET is private" ;;
  *) fail "bucket $DOCSTORE_BUCKET allows anonymous access ($access): docstore's documents must never be public; remove that access (docs/minio.md)" ;;
esac

# 2. The policy, replaced by the file's content at every run.
mc admin policy create "$alias" "$policy" "$policy_file"

# 3. The user; adding an existing user sets its secret key (rotation: change .env, then `up`).
mc admin user add "$alias" "$DOCSTORE_S3_ACCESS_KEY" "$DOCSTORE_S3_SECRET_KEY" >/dev/null
case "$(mc admin user info "$alias" "$DOCSTORE_S3_ACCESS_KEY")" in
  *"$policy"*) ;;
  *) mc admin policy attach "$alias" "$policy" --user "$DOCSTORE_S3_ACCESS_KEY" ;;
esac
echo "minio-init: user $DOCSTORE_S3_ACCESS_KEY has policy $policy on bucket $DOCSTORE_BUCKET"

# 4. The metrics user: its policy allows admin:Prometheus only, so its key opens nothing else. The
#    token is a JWT signed with that key (issuer "prometheus"); MinIO checks the signature and the
#    policy at every scrape. A new secret key in .env gives a new token at the next `up`.
mc admin policy create "$alias" "$metrics_policy" "$metrics_policy_file"
mc admin user add "$alias" "$MINIO_METRICS_USER" "$MINIO_METRICS_SECRET_KEY" >/dev/null
case "$(mc admin user info "$alias" "$MINIO_METRICS_USER")" in
  *"$metrics_policy"*) ;;
  *) mc admin policy attach "$alias" "$metrics_policy" --user "$MINIO_METRICS_USER" ;;
esac
mc alias set "$metrics_alias" http://minio:9000 "$MINIO_METRICS_USER" "$MINIO_METRICS_SECRET_KEY" >/dev/null
generated=$(mc admin prometheus generate --json "$metrics_alias" cluster)
token=${generated#*\"bearerToken\":}
token=${token#*\"}
token=${token%%\"*}
case "$token" in
  eyJ*.*.*) ;;
  *) fail "mc admin prometheus generate gave no bearer token" ;;
esac
# Readable by Prometheus (it runs as nobody); replaced in one rename, never seen half-written.
umask 022
printf '%s\n' "$token" >"$token_dir/minio.new"
mv -f "$token_dir/minio.new" "$token_dir/minio"
echo "minio-init: user $MINIO_METRICS_USER has policy $metrics_policy; Prometheus's token is in $token_dir/minio"
