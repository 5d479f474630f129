/**
 * Prefixes of the objects docstore keeps beside the documents in their storage (after
 * `S3_KEY_PREFIX`). None of them is a document: `reconcile` never takes one for an orphan.
 */
export const INTERNAL_PREFIXES = {
  /** The probe object of the start-up self-check (written, read back, deleted). */
  selfCheck: '.docstore-self-check/',
  /** A mirror's manifest at its destination, which `mirror` and `verify` leave out of their listings too. */
  mirrorState: '.docstore-mirror/',
  /** The archives of handover export jobs (a ready job's archive has no document row). */
  exports: '.docstore-exports/',
  /** Unfinished resumable uploads on S3 (they expire on their own). */
  resumableUploads: 'tus-uploads/',
} as const;

/** Whether `key` is one of docstore's own objects rather than a document's. */
export function isInternalKey(key: string): boolean {
  return Object.values(INTERNAL_PREFIXES).some((prefix) => key.startsWith(prefix));
}

/**
 * Whether `key` is one of docstore's own objects that lives only where it was written and is copied
 * nowhere: the self-check's probe and unfinished resumable uploads (which are no documents and
 * expire on their own). `backup` and `mirror` (with `verify`) leave such keys out of their listings.
 */
export function isTransientKey(key: string): boolean {
  return key.startsWith(INTERNAL_PREFIXES.resumableUploads) || key.startsWith(INTERNAL_PREFIXES.selfCheck);
}
