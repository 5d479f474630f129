import { randomBytes } from 'node:crypto';
import {
  CreateBucketCommand,
  DeleteBucketCommand,
  DeleteObjectCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectLegalHoldCommand,
  type S3Client,
} from '@aws-sdk/client-s3';
import { createS3Client } from '../../src/storage/s3/s3-client.js';
import type { S3TestTarget } from './s3-target.js';

/**
 * A client of the test server that sends Content-MD5 on uploads, as docstore's does under
 * `S3_OBJECT_LOCK` (Ceph RGW checks the digest when given; AWS requires one on a locked write).
 */
export function lockingClientFor(target: S3TestTarget): S3Client {
  return createS3Client({
    endpoint: target.endpoint,
    region: target.region,
    accessKeyId: target.accessKeyId,
    secretAccessKey: target.secretAccessKey,
    forcePathStyle: target.forcePathStyle,
    contentMd5OnUploads: true,
  });
}

/**
 * A new bucket of a unique name, created with Object Lock (and so versioning) unless
 * `objectLock: false`. Even on a shared server: Object Lock cannot be switched on later.
 */
export async function createTestBucket(client: S3Client, options: { objectLock?: boolean } = {}): Promise<string> {
  const bucket = `docstore-lock-${randomBytes(6).toString('hex')}`;
  await client.send(new CreateBucketCommand({ Bucket: bucket, ...(options.objectLock === false ? {} : { ObjectLockEnabledForBucket: true }) }));
  return bucket;
}

/**
 * Removes every version and delete marker, then the bucket: legal holds released, governance
 * retentions bypassed (the test user owns the bucket, so RGW grants it s3:BypassGovernanceRetention).
 * A compliance retention cannot be bypassed by anyone: tests keep theirs a few seconds long, and
 * this waits until the last one has passed (at most `maxWaitMs`).
 */
export async function removeTestBucket(client: S3Client, bucket: string, maxWaitMs = 60_000): Promise<void> {
  const deadline = Date.now() + maxWaitMs;
  for (;;) {
    const page = await client.send(new ListObjectVersionsCommand({ Bucket: bucket }));
    const entries = [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])];
    let lockedUntil = 0;
    for (const entry of entries) {
      const target = { Bucket: bucket, Key: entry.Key as string, VersionId: entry.VersionId as string };
      const head = await client.send(new HeadObjectCommand(target)).catch(() => undefined);
      if (head?.ObjectLockLegalHoldStatus === 'ON') await client.send(new PutObjectLegalHoldCommand({ ...target, LegalHold: { Status: 'OFF' } }));
      const until = head?.ObjectLockMode === 'COMPLIANCE' ? (head.ObjectLockRetainUntilDate?.getTime() ?? 0) : 0;
      if (until > Date.now()) {
        lockedUntil = Math.max(lockedUntil, until);
        continue;
      }
      await client.send(new DeleteObjectCommand({ ...target, BypassGovernanceRetention: true }));
    }
    if (entries.length === 0) break;
    if (lockedUntil > 0) {
      if (lockedUntil > deadline) throw new Error(`bucket ${bucket} holds a compliance lock until ${new Date(lockedUntil).toISOString()}: remove it later`);
      await new Promise((resolve) => setTimeout(resolve, lockedUntil - Date.now() + 200));
    }
  }
  await client.send(new DeleteBucketCommand({ Bucket: bucket }));
}

/** Every version and delete marker of `key` (full object key), newest first, as the server lists them. */
export async function versionsOf(client: S3Client, bucket: string, key: string): Promise<Array<{ versionId: string; deleteMarker: boolean }>> {
  const page = await client.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: key }));
  return [
    ...(page.Versions ?? []).filter((v) => v.Key === key).map((v) => ({ versionId: v.VersionId as string, deleteMarker: false })),
    ...(page.DeleteMarkers ?? []).filter((v) => v.Key === key).map((v) => ({ versionId: v.VersionId as string, deleteMarker: true })),
  ];
}
