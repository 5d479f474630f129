import type { Kysely } from 'kysely';
import type { Database } from '../../db/database.js';
import type { DocumentProtection } from './document-protection.js';

/**
 * The SHA-256 of every version of every document under retention or legal hold today, with why
 * (a hold wins): what a backup must keep a copy of. Reads the documents page by page; the result
 * holds one entry per protected content.
 */
export async function protectedSha256s(db: Kysely<Database>, protection: DocumentProtection, pageSize = 500): Promise<Map<string, 'retention' | 'legal_hold'>> {
  const result = new Map<string, 'retention' | 'legal_hold'>();
  let after = '';
  for (;;) {
    const ids = (await db.selectFrom('documents').select('id').where('id', '>', after).orderBy('id').limit(pageSize).execute()).map((row) => row.id);
    if (ids.length === 0) return result;
    const protectedIds = await protection.protectedAmong(ids);
    if (protectedIds.size > 0) {
      const versions = await db.selectFrom('document_versions').select(['document_id', 'sha256']).where('document_id', 'in', [...protectedIds.keys()]).execute();
      const documents = await db.selectFrom('documents').select(['id', 'sha256']).where('id', 'in', [...protectedIds.keys()]).execute();
      for (const { id, sha256 } of [...versions.map((row) => ({ id: row.document_id, sha256: row.sha256 })), ...documents]) {
        const why = protectedIds.get(id)?.legalHold !== null ? 'legal_hold' : 'retention';
        if (result.get(sha256) !== 'legal_hold') result.set(sha256, why);
      }
    }
    if (ids.length < pageSize) return result;
    after = ids[ids.length - 1] ?? after;
  }
}
