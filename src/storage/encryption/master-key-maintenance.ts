import { TaskPool } from '../../lib/task-pool.js';
import { ENCRYPTION_FORMAT } from './encrypted-envelope.js';
import type { EncryptingObjectStorage } from './encrypting-object-storage.js';
import { isStorageError, isNotFound } from '../storage-errors.js';

/** Options of the key maintenance walks over the storage. */
export interface KeyWalkOptions {
  /** Only keys starting with this. @default '' */
  prefix?: string;
  /** Objects handled at once. @default 8 */
  concurrency?: number;
  /** Called once per object with what was done to it. */
  onObject?: (event: KeyWalkEvent) => void;
}

export interface KeyWalkEvent {
  key: string;
  action: string;
  /** Set when the object failed: its error code and message. */
  error?: { code: string; message: string };
}

export interface KeyStatus {
  objects: number;
  /** Objects per master key id. */
  byKeyId: Record<string, number>;
  /** Objects stored in plaintext (written before encryption was switched on). */
  plaintext: number;
  /**
   * Encrypted objects of an earlier format (format 1: content type, file name and SHA-256 in clear
   * at the backend); `docstore keys rotate` converts them.
   */
  earlierFormat: number;
  /** Configured keys, other than the active one, that no object uses: they can be retired. */
  retirable: string[];
  /** Key ids objects use that are not configured: those objects cannot be read. */
  missing: string[];
  failed: number;
}

export interface WalkSummary {
  objects: number;
  /** Count per action (`rewrapped`, `upgraded`, `current`, `plaintext`, `encrypted`, `encrypted-already`, `gone`). */
  actions: Record<string, number>;
  failed: Array<{ key: string; code: string; message: string }>;
}

/**
 * Counts objects per master key id, those in plaintext and those of an earlier format
 * (`docstore keys status`); one backend `stat` per object, no master key needed.
 */
export async function keyStatus(storage: EncryptingObjectStorage, configuredIds: readonly string[], activeId: string, options: KeyWalkOptions = {}): Promise<KeyStatus> {
  const byKeyId: Record<string, number> = {};
  let plaintext = 0;
  let earlierFormat = 0;
  const summary = await walk(storage, options, async (key) => {
    const state = await storage.encryptionStateOf(key);
    if (state === undefined) {
      plaintext++;
      return 'plaintext';
    }
    byKeyId[state.keyId] = (byKeyId[state.keyId] ?? 0) + 1;
    if (state.format !== ENCRYPTION_FORMAT) earlierFormat++;
    return state.keyId;
  });
  return {
    objects: summary.objects,
    byKeyId,
    plaintext,
    earlierFormat,
    retirable: configuredIds.filter((id) => id !== activeId && byKeyId[id] === undefined),
    missing: Object.keys(byKeyId).filter((id) => !configuredIds.includes(id)),
    failed: summary.failed.length,
  };
}

/**
 * Re-wraps every data key under the active master key, and converts objects of an earlier format to
 * the current one (`docstore keys rotate`; see `EncryptingObjectStorage.rewrap`). Objects already
 * under the active key in the current format are skipped, so an interrupted rotation resumes where
 * it stopped when run again; readers keep working throughout, as long as the old key stays
 * configured until `keys status` shows no object under it.
 */
export async function rotateMasterKey(storage: EncryptingObjectStorage, options: KeyWalkOptions = {}): Promise<WalkSummary> {
  return walk(storage, options, (key) => storage.rewrap(key));
}

/** Encrypts every object still stored in plaintext (`docstore keys encrypt-existing`). */
export async function encryptExisting(storage: EncryptingObjectStorage, options: KeyWalkOptions = {}): Promise<WalkSummary> {
  return walk(storage, options, async (key) => ((await storage.encryptExisting(key)) ? 'encrypted' : 'encrypted-already'));
}

/**
 * Lists objects and handles each one, `concurrency` at a time. A failure is recorded per object
 * and the walk goes on; an object deleted meanwhile is counted as `gone`. A failing listing throws.
 */
async function walk(storage: EncryptingObjectStorage, options: KeyWalkOptions, handle: (key: string) => Promise<string>): Promise<WalkSummary> {
  const pool = new TaskPool(options.concurrency ?? 8);
  const summary: WalkSummary = { objects: 0, actions: {}, failed: [] };
  for await (const entry of storage.list({ prefix: options.prefix ?? '' })) {
    if (entry.kind !== 'object') continue;
    summary.objects++;
    await pool.run(async () => {
      let action: string;
      try {
        action = await handle(entry.key);
      } catch (error) {
        if (isNotFound(error)) {
          action = 'gone';
        } else {
          const failure = { code: isStorageError(error) ? error.code : 'internal', message: error instanceof Error ? error.message : String(error) };
          summary.failed.push({ key: entry.key, ...failure });
          options.onObject?.({ key: entry.key, action: 'failed', error: failure });
          return;
        }
      }
      summary.actions[action] = (summary.actions[action] ?? 0) + 1;
      options.onObject?.({ key: entry.key, action });
    });
  }
  await pool.drain();
  return summary;
}
