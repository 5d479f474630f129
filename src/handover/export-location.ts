import { INTERNAL_PREFIXES } from '../storage/internal-keys.js';

/**
 * Where the archives of export jobs are stored, under the storage's own prefix: `reconcile` does
 * not take them for orphans (a ready job's archive has no document row).
 */
export const EXPORTS_PREFIX = INTERNAL_PREFIXES.exports;

/** The key of an export job's archive. */
export function exportKey(organizationId: string, exportId: string): string {
  return `${EXPORTS_PREFIX}${organizationId}/${exportId}.zip`;
}
