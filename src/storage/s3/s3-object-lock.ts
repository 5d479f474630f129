import {
  DeleteObjectCommand,
  GetBucketVersioningCommand,
  GetObjectLockConfigurationCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  PutObjectLegalHoldCommand,
  PutObjectRetentionCommand,
  type GetBucketVersioningCommandOutput,
  type GetObjectLockConfigurationCommandOutput,
  type HeadObjectCommandOutput,
  type ListObjectVersionsCommandOutput,
} from '@aws-sdk/client-s3';
import { LATEST_RETAIN_UNTIL, type ObjectLockMode, type ObjectLockState } from '../object-storage.js';
import { InvalidArgument, ObjectLockNotEnabled, ObjectLocked, ObjectNotFound, hasStorageCode, isStorageError } from '../storage-errors.js';
import { responseDateOf } from './s3-client.js';
import { objectLockOf } from './s3-metadata.js';
import type { S3RequestContext } from './s3-request-context.js';
import { readEncryptionParams } from './s3-server-side-encryption.js';

/** The lock a write asks for (`PutOptions`/`CopyOptions.retainUntil`, `legalHold`), validated. */
export interface RequestedLock {
  retainUntil?: Date;
  legalHold: boolean;
}

/** One stored version of a key (or a delete marker), as ListObjectVersions reports it. */
interface StoredVersion {
  versionId: string;
  deleteMarker: boolean;
  lastModified: Date;
}

/**
 * Validates the lock options of a write: a valid `Date` and a boolean. A date not after `now`
 * locks nothing (a document whose retention has ended is copied unlocked); a date after
 * `LATEST_RETAIN_UNTIL` asks for that date (RGW 16 would wrap it into the past); no date and no
 * hold: undefined.
 */
export function requestedLock(options: { retainUntil?: Date; legalHold?: boolean }, now: Date = new Date()): RequestedLock | undefined {
  const { retainUntil, legalHold } = options;
  if (retainUntil !== undefined && (!(retainUntil instanceof Date) || Number.isNaN(retainUntil.getTime()))) {
    throw InvalidArgument.because('retainUntil', 'must be a valid Date');
  }
  if (legalHold !== undefined && typeof legalHold !== 'boolean') throw InvalidArgument.because('legalHold', 'must be a boolean');
  const future = retainUntil !== undefined && retainUntil.getTime() > now.getTime() ? retainUntil : undefined;
  if (future === undefined && legalHold !== true) return undefined;
  const latest = future !== undefined && future.getTime() > LATEST_RETAIN_UNTIL.getTime() ? LATEST_RETAIN_UNTIL : future;
  return { legalHold: legalHold === true, ...(latest === undefined ? {} : { retainUntil: latest }) };
}

/** The later of two locks: the later date, a hold if either holds. */
export function strongerLock(a: RequestedLock | undefined, b: ObjectLockState | RequestedLock | undefined): RequestedLock | undefined {
  if (b === undefined) return a;
  const dates = [a?.retainUntil, b.retainUntil].filter((date): date is Date => date !== undefined);
  const retainUntil = dates.length === 0 ? undefined : new Date(Math.max(...dates.map((date) => date.getTime())));
  return requestedLock({ legalHold: a?.legalHold === true || b.legalHold, ...(retainUntil === undefined ? {} : { retainUntil }) });
}

const S3_MODE = { governance: 'GOVERNANCE', compliance: 'COMPLIANCE' } as const;

/**
 * Object Lock on an S3 bucket, for the S3 adapter under `S3_OBJECT_LOCK`: the request headers of a
 * locked write, the check that the server applied them (Ceph RGW 16 ignores them on
 * CreateMultipartUpload and CopyObject), retention and legal-hold changes on every version of a
 * key, the removal of every version of a key (a versioned bucket keeps a deleted key's versions
 * under a delete marker), and the start-up check of the bucket.
 *
 * docstore never sends `x-amz-bypass-governance-retention`: under governance as under compliance,
 * what it locked stays locked until its date, whatever its own database later says.
 */
export class S3ObjectLock {
  constructor(
    private readonly context: S3RequestContext,
    readonly mode: ObjectLockMode,
  ) {}

  /** The headers that lock an object in the request that writes it (PutObject, CreateMultipartUpload, CopyObject). */
  writeParams(lock: RequestedLock | undefined): Record<string, unknown> {
    if (lock === undefined) return {};
    return {
      ...(lock.retainUntil === undefined ? {} : { ObjectLockMode: S3_MODE[this.mode], ObjectLockRetainUntilDate: lock.retainUntil }),
      ...(lock.legalHold ? { ObjectLockLegalHoldStatus: 'ON' } : {}),
    };
  }

  /**
   * Refuses to start unless the bucket has Object Lock enabled and versioning on, and no default
   * retention rule (which would lock docstore's temporary objects too, and every document without
   * a retention of its own).
   */
  async verifyBucket(): Promise<void> {
    const { bucket } = this.context;
    let configuration: GetObjectLockConfigurationCommandOutput;
    try {
      configuration = await this.context.send<GetObjectLockConfigurationCommandOutput>('check', undefined, new GetObjectLockConfigurationCommand({ Bucket: bucket }));
    } catch (error) {
      // AWS: 404 ObjectLockConfigurationNotFoundError; Ceph RGW: 404 ObjectLockConfigurationNotFoundError too.
      if (hasStorageCode(error, 'storage.not_found')) {
        throw ObjectLockNotEnabled.onBucket(bucket, this.mode, 'was created without Object Lock (create it with Object Lock enabled: it cannot be switched on later)', { cause: error });
      }
      throw error;
    }
    const lock = configuration.ObjectLockConfiguration;
    if (lock?.ObjectLockEnabled !== 'Enabled') {
      throw ObjectLockNotEnabled.onBucket(bucket, this.mode, 'does not have Object Lock enabled (create it with Object Lock enabled: it cannot be switched on later)');
    }
    if (lock.Rule?.DefaultRetention !== undefined) {
      const { Mode, Days, Years } = lock.Rule.DefaultRetention;
      throw ObjectLockNotEnabled.onBucket(
        bucket,
        this.mode,
        `has a default retention rule (${Mode ?? '?'}, ${Days ?? Years ?? '?'} ${Days === undefined ? 'years' : 'days'}): docstore sets each object's retention itself, and a default rule would also lock its temporary objects; remove the rule`,
      );
    }
    const versioning = await this.context.send<GetBucketVersioningCommandOutput>('check', undefined, new GetBucketVersioningCommand({ Bucket: bucket }));
    if (versioning.Status !== 'Enabled') {
      throw ObjectLockNotEnabled.onBucket(bucket, this.mode, `has versioning ${versioning.Status ?? 'never enabled'}, and Object Lock needs it on`);
    }
  }

  /**
   * After a locked write: reads the lock of the key's current version and applies what the server
   * left out (Ceph RGW 16 ignores the lock headers of CreateMultipartUpload and CopyObject). If that
   * fails, the version just written is removed (it is not locked yet) and the put fails.
   */
  async ensureApplied(key: string, lock: RequestedLock): Promise<void> {
    const head = await this.head(key);
    const versionId = head.VersionId;
    if (versionId === undefined) throw ObjectLockNotEnabled.onBucket(this.context.bucket, this.mode, 'stored an object without a version id (versioning is off)');
    const stored = objectLockOf(head);
    try {
      if (lock.retainUntil !== undefined && (stored?.retainUntil === undefined || stored.retainUntil.getTime() < lock.retainUntil.getTime())) {
        await this.putRetention(key, versionId, stored?.mode ?? this.mode, lock.retainUntil);
      }
      if (lock.legalHold && stored?.legalHold !== true) await this.putLegalHold(key, versionId, true);
    } catch (error) {
      await this.context.sendIgnoringFailure(new DeleteObjectCommand({ Bucket: this.context.bucket, Key: this.context.objectKey(key), VersionId: versionId }));
      throw error;
    }
  }

  /** `ObjectStorage.extendRetention`: every version of `key` locked until at least `retainUntil`. */
  async extendRetention(key: string, retainUntil: Date): Promise<ObjectLockState> {
    const requested = requestedLock({ retainUntil });
    const versions = await this.storedVersions(key);
    let current: ObjectLockState | undefined;
    for (const version of versions) {
      const head = await this.head(key, version.versionId);
      const stored = objectLockOf(head) ?? { legalHold: false };
      let state = stored;
      if (requested?.retainUntil !== undefined && (stored.retainUntil === undefined || stored.retainUntil.getTime() < requested.retainUntil.getTime())) {
        // A version keeps its mode while locked: S3 refuses to turn compliance into governance.
        const mode = stored.mode !== undefined && stored.retainUntil !== undefined && stored.retainUntil.getTime() > Date.now() ? stored.mode : this.mode;
        await this.putRetention(key, version.versionId, mode, requested.retainUntil);
        state = { ...stored, mode, retainUntil: requested.retainUntil };
      }
      current ??= state;
    }
    return current ?? { legalHold: false };
  }

  /** `ObjectStorage.setLegalHold`: places or releases a legal hold on every version of `key`. */
  async setLegalHold(key: string, on: boolean): Promise<ObjectLockState> {
    const versions = await this.storedVersions(key);
    for (const version of versions) await this.putLegalHold(key, version.versionId, on);
    const head = await this.head(key, versions[0]?.versionId);
    return objectLockOf(head) ?? { legalHold: false };
  }

  /**
   * `ObjectStorage.delete` under Object Lock: removes every version and delete marker of `key`,
   * oldest first, so that a locked version stops the removal before the current content changes.
   * A refusal is `ObjectLocked` when the version is locked or held, else what the server said.
   */
  async deleteAllVersions(key: string): Promise<void> {
    const versions = (await this.versionsOf(this.context.objectKey(key))).reverse();
    for (const version of versions) {
      try {
        await this.context.send('delete', key, new DeleteObjectCommand({ Bucket: this.context.bucket, Key: this.context.objectKey(key), VersionId: version.versionId }));
      } catch (error) {
        if (!version.deleteMarker && hasStorageCode(error, 'storage.permission_denied')) throw await this.lockedOrAsIs(key, version.versionId, error);
        throw error;
      }
    }
  }

  /** Removes every version of a temporary object (full object key); failures are left to `removeStaleUploads`. */
  async removeTemporary(objectKey: string): Promise<void> {
    const versions = await this.versionsOf(objectKey).catch(() => []);
    for (const version of versions) {
      await this.context.sendIgnoringFailure(new DeleteObjectCommand({ Bucket: this.context.bucket, Key: objectKey, VersionId: version.versionId }));
    }
  }

  /**
   * Versions and delete markers under the temporary prefix older than `cutoff` (what interrupted
   * puts, and removals that only added a delete marker, left behind); removed, counted.
   */
  async removeStaleTemporaryVersions(cutoff: number): Promise<number> {
    let removed = 0;
    let markers: { KeyMarker?: string; VersionIdMarker?: string } = {};
    for (;;) {
      const page = await this.context.send<ListObjectVersionsCommandOutput>(
        'cleanup',
        undefined,
        new ListObjectVersionsCommand({ Bucket: this.context.bucket, Prefix: this.context.temporaryPrefix, ...markers }),
      );
      for (const entry of [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])]) {
        if (entry.Key === undefined || entry.VersionId === undefined || (entry.LastModified?.getTime() ?? 0) > cutoff) continue;
        await this.context.send('cleanup', undefined, new DeleteObjectCommand({ Bucket: this.context.bucket, Key: entry.Key, VersionId: entry.VersionId }));
        removed++;
      }
      if (page.IsTruncated !== true) return removed;
      markers = { ...(page.NextKeyMarker === undefined ? {} : { KeyMarker: page.NextKeyMarker }), ...(page.NextVersionIdMarker === undefined ? {} : { VersionIdMarker: page.NextVersionIdMarker }) };
    }
  }

  /** The versions of `key` that hold content, newest first; none (or only delete markers) → `ObjectNotFound`. */
  private async storedVersions(key: string): Promise<StoredVersion[]> {
    const all = await this.versionsOf(this.context.objectKey(key));
    const latest = all[0];
    if (latest === undefined || latest.deleteMarker) throw ObjectNotFound.atKey(key);
    return all.filter((version) => !version.deleteMarker);
  }

  /** Every version and delete marker of exactly `objectKey`, newest first. */
  private async versionsOf(objectKey: string): Promise<StoredVersion[]> {
    const versions: StoredVersion[] = [];
    let markers: { KeyMarker?: string; VersionIdMarker?: string } = {};
    for (;;) {
      const page = await this.context.send<ListObjectVersionsCommandOutput>('list', undefined, new ListObjectVersionsCommand({ Bucket: this.context.bucket, Prefix: objectKey, ...markers }));
      // Keys that merely start with `objectKey` sort after it: the first one ends the listing.
      let beyond = false;
      for (const [entries, deleteMarker] of [
        [page.Versions ?? [], false],
        [page.DeleteMarkers ?? [], true],
      ] as const) {
        for (const entry of entries) {
          if (entry.Key !== objectKey) {
            beyond = true;
            continue;
          }
          if (entry.VersionId === undefined) continue;
          versions.push({ versionId: entry.VersionId, deleteMarker, lastModified: entry.LastModified ?? new Date(0) });
        }
      }
      if (beyond || page.IsTruncated !== true) break;
      markers = { ...(page.NextKeyMarker === undefined ? {} : { KeyMarker: page.NextKeyMarker }), ...(page.NextVersionIdMarker === undefined ? {} : { VersionIdMarker: page.NextVersionIdMarker }) };
    }
    // Newest first: the server lists a key's versions (and, apart, its delete markers) newest first;
    // the sort is stable, so versions written within one millisecond keep the server's order.
    return versions.sort((a, b) => b.lastModified.getTime() - a.lastModified.getTime());
  }

  /** A refused removal of a version: `ObjectLocked` when the version is locked or held now, else the refusal as it was. */
  private async lockedOrAsIs(key: string, versionId: string, refusal: unknown): Promise<unknown> {
    let head: HeadObjectCommandOutput;
    try {
      head = await this.head(key, versionId);
    } catch (error) {
      if (isStorageError(error)) return refusal;
      throw error;
    }
    const lock = objectLockOf(head);
    const now = responseDateOf(head) ?? new Date();
    const retained = lock?.retainUntil !== undefined && lock.retainUntil.getTime() > now.getTime();
    if (!retained && lock?.legalHold !== true) return refusal;
    return ObjectLocked.version(key, { ...(retained ? { retainUntil: lock?.retainUntil as Date } : {}), legalHold: lock?.legalHold === true, versionId }, { cause: refusal });
  }

  private async head(key: string, versionId?: string): Promise<HeadObjectCommandOutput> {
    return this.context.send<HeadObjectCommandOutput>(
      'stat',
      key,
      new HeadObjectCommand({ Bucket: this.context.bucket, Key: this.context.objectKey(key), ...(versionId === undefined ? {} : { VersionId: versionId }), ...readEncryptionParams(this.context.sse) }),
    );
  }

  private async putRetention(key: string, versionId: string, mode: ObjectLockMode, retainUntil: Date): Promise<void> {
    try {
      await this.context.send(
        'retention',
        key,
        new PutObjectRetentionCommand({ Bucket: this.context.bucket, Key: this.context.objectKey(key), VersionId: versionId, Retention: { Mode: S3_MODE[mode], RetainUntilDate: retainUntil } }),
      );
    } catch (error) {
      if (hasStorageCode(error, 'storage.permission_denied')) throw await this.lockedOrAsIs(key, versionId, error);
      throw error;
    }
  }

  private async putLegalHold(key: string, versionId: string, on: boolean): Promise<void> {
    await this.context.send(
      'legalHold',
      key,
      new PutObjectLegalHoldCommand({ Bucket: this.context.bucket, Key: this.context.objectKey(key), VersionId: versionId, LegalHold: { Status: on ? 'ON' : 'OFF' } }),
    );
  }
}
