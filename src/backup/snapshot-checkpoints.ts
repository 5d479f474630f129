import type { ExternalCheckpoint } from '../audit/evidence/audit-verifier.js';
import type { BackupRepository } from './repository/backup-repository.js';
import { readManifest } from './backup-restore.js';
import type { PrivateKey } from './format/openpgp-codec.js';

/**
 * The audit checkpoints every snapshot of the repository carries (its manifest's, decrypted with
 * `keys`), oldest snapshot first, each named by its snapshot: what `docstore audit verify --backup`
 * checks the database against. Snapshots of before the audit trail carry none.
 */
export async function snapshotCheckpoints(repository: BackupRepository, keys: readonly PrivateKey[]): Promise<{ snapshots: number; checkpoints: ExternalCheckpoint[] }> {
  const snapshots = await repository.snapshots();
  const checkpoints: ExternalCheckpoint[] = [];
  for (const snapshot of snapshots) {
    const manifest = await readManifest(repository, snapshot, keys);
    for (const checkpoint of manifest.auditCheckpoints ?? []) checkpoints.push({ ...checkpoint, source: `snapshot ${snapshot.id}` });
  }
  return { snapshots: snapshots.length, checkpoints };
}
