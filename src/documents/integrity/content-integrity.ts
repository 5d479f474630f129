import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import { findVersionByKey, setDocumentStatus, versionsOf, type StoredVersion } from './integrity-repository.js';
import type { AuditLog } from '../../audit/audit-log.js';
import { systemActor } from '../../audit/audit-entry.js';
import { findDocument } from '../document-repository.js';
import { auditedRow, documentEntry } from '../document-audit.js';

/** Where a damaged object was noticed. */
export type DamageSource = 'read' | 'scrub';

/** A version whose object is not the content recorded for it. */
export interface Damage {
  documentId: string;
  version: number;
  storageKey: string;
  /** `mismatch`: other bytes (or undecryptable ones); `missing`: no object under the key. */
  reason: 'mismatch' | 'missing';
  expectedSha256: string;
  /** The SHA-256 of what was read, when it was read to the end. */
  actualSha256?: string;
  /** Whether it is the document's current content. */
  current: boolean;
  source: DamageSource;
  detectedAt: Date;
}

/**
 * Told of every damage found (the HTTP service logs and counts it). The audit trail records it
 * before, with the document marked `broken` (`document.damaged`, outcome `failed`, a system actor).
 */
export type DamageListener = (damage: Damage) => void | Promise<void>;

/** What a full read of a version's object must hash to, and whom to tell when it does not. */
export interface ContentCheck {
  expectedSha256: string;
  /** Records a failed check (the document becomes `broken`); never throws. */
  onDamage(reason: Damage['reason'], actualSha256?: string): Promise<void>;
}

/**
 * The record of damaged content: a version whose object does not hash to its SHA-256 (or is
 * missing) makes its document `broken` — whichever version it is: the document's archive is then
 * not whole, even when its current content still serves. `docstore scrub --document ID` makes it
 * `active` again once every version reads whole (docs/operations.md, "Damaged objects").
 */
export class ContentIntegrity {
  private readonly listeners: DamageListener[] = [];

  private readonly now: () => Date;
  private readonly audit: AuditLog | undefined;
  /** Where a failure to record a damage goes (the response is aborted all the same). */
  logError: (details: object, message: string) => void = () => {};

  constructor(
    private readonly db: Kysely<Database>,
    options: { now?: () => Date; audit?: AuditLog } = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.audit = options.audit;
  }

  /** Adds a listener (logs, metrics, the audit trail). */
  onDamage(listener: DamageListener): void {
    this.listeners.push(listener);
  }

  /**
   * The check of a full read of the object under `storageKey`, expected to hash to
   * `expectedSha256` (known from the row being served: nothing is read from the database unless
   * the check fails).
   */
  checkFor(storageKey: string, expectedSha256: string): ContentCheck {
    return {
      expectedSha256,
      onDamage: async (reason, actualSha256) => {
        try {
          const version = await findVersionByKey(this.db, storageKey);
          if (version !== undefined) await this.recordDamage(version, reason, 'read', actualSha256);
        } catch (error) {
          this.logError({ err: error, storageKey }, 'could not record a damaged object');
        }
      },
    };
  }

  /** The check of a full read of the object under `storageKey`, or undefined when no version is stored under it (signed links). */
  async checkOfKey(storageKey: string): Promise<ContentCheck | undefined> {
    const version = await findVersionByKey(this.db, storageKey);
    return version === undefined ? undefined : this.checkFor(storageKey, version.sha256);
  }

  /** Marks the version's document `broken` and tells the listeners. */
  async recordDamage(version: StoredVersion, reason: Damage['reason'], source: DamageSource, actualSha256?: string): Promise<Damage> {
    const detectedAt = this.now();
    const audit = this.audit;
    await this.db.transaction().execute(async (trx) => {
      await setDocumentStatus(trx, version.documentId, 'broken', detectedAt.toISOString());
      const row = audit === undefined ? undefined : await findDocument(trx, version.documentId);
      if (audit === undefined || row === undefined) return;
      await audit.record(
        trx,
        documentEntry('document.damaged', systemActor(source === 'scrub' ? 'scrub' : 'read-check'), auditedRow(row), {
          version: version.version,
          outcome: 'failed',
          details: { reason, source, current: version.current, expectedSha256: version.sha256, ...(actualSha256 === undefined ? {} : { actualSha256 }) },
        }),
      );
    });
    const damage: Damage = {
      documentId: version.documentId,
      version: version.version,
      storageKey: version.storageKey,
      reason,
      expectedSha256: version.sha256,
      ...(actualSha256 === undefined ? {} : { actualSha256 }),
      current: version.current,
      source,
      detectedAt,
    };
    for (const listener of this.listeners) await listener(damage);
    return damage;
  }

  /** Makes a `broken` document `active` again (once every version has read whole). */
  async recordWhole(documentId: string): Promise<void> {
    await setDocumentStatus(this.db, documentId, 'active', this.now().toISOString());
  }

  /** The versions of a document, oldest first (for a scrub of one document). */
  versionsOf(documentId: string): Promise<StoredVersion[]> {
    return versionsOf(this.db, documentId);
  }
}
