import { randomBytes } from 'node:crypto';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { createS3Client } from '../../src/storage/s3/s3-client.js';

/** The S3 server the suite runs against: the project's RGW, or one given by S3_TEST_* variables. */
export interface S3TestTarget {
  endpoint: string;
  region: string;
  accessKeyId: string;
  secretAccessKey: string;
  bucket: string;
  forcePathStyle: boolean;
  /** True when the suite started the server itself and may create buckets freely. */
  ownServer: boolean;
  /** A second user without rights on the test buckets (for permission checks). */
  otherAccessKeyId?: string;
  otherSecretAccessKey?: string;
}

export const S3_TEST_VARIABLES = [
  'S3_TEST_ENDPOINT',
  'S3_TEST_REGION',
  'S3_TEST_ACCESS_KEY',
  'S3_TEST_SECRET_KEY',
  'S3_TEST_BUCKET',
  'S3_TEST_PATH_STYLE',
  'S3_TEST_OTHER_ACCESS_KEY',
  'S3_TEST_OTHER_SECRET_KEY',
] as const;

export function clientFor(target: S3TestTarget, endpoint = target.endpoint): S3Client {
  return createS3Client({
    endpoint,
    region: target.region,
    accessKeyId: target.accessKeyId,
    secretAccessKey: target.secretAccessKey,
    forcePathStyle: target.forcePathStyle,
  });
}

/**
 * A bucket for one test file: a fresh one on the project's own server, else the given bucket
 * (created if missing); callers isolate themselves further with a random key prefix.
 */
export async function testBucket(target: S3TestTarget, client: S3Client): Promise<string> {
  const bucket = target.ownServer ? `docstore-${randomBytes(6).toString('hex')}` : target.bucket;
  try {
    await client.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (error) {
    const name = (error as { name?: string }).name;
    if (name !== 'BucketAlreadyOwnedByYou' && name !== 'BucketAlreadyExists') throw error;
  }
  return bucket;
}

/** The docstore environment (`STORAGE_BACKEND=s3`, `S3_*`) of a bucket on the test server. */
export function s3EnvironmentOf(target: S3TestTarget, bucket: string, keyPrefix = ''): Record<string, string> {
  return {
    STORAGE_BACKEND: 's3',
    S3_ENDPOINT: target.endpoint,
    S3_BUCKET: bucket,
    S3_REGION: target.region,
    S3_ACCESS_KEY: target.accessKeyId,
    S3_SECRET_KEY: target.secretAccessKey,
    S3_USE_PATH_STYLE: String(target.forcePathStyle),
    S3_KEY_PREFIX: keyPrefix,
  };
}
