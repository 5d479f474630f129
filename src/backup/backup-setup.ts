import { randomBytes } from 'node:crypto';
import type { ObjectStorage } from '../storage/object-storage.js';
import { BackupError } from './backup-errors.js';
import { BackupRepository, REPOSITORY_FORMAT } from './repository/backup-repository.js';
import { loadAttachment, saveAttachment, type RepositoryAttachment } from './repository/backup-state.js';
import { armor, decryptBytes, encryptBytes, fingerprintOf, readPublicKeys, type PrivateKey, type PublicKey } from './format/openpgp-codec.js';

/**
 * Creates a repository encrypted to `recipients` and attaches this server to it: a random naming key,
 * kept encrypted in the repository (for `attach` on a rebuilt server) and in clear in the server's state.
 */
export async function initRepository(storage: ObjectStorage, recipients: readonly PublicKey[], dataDir: string): Promise<{ repository: BackupRepository; statePath: string }> {
  if (recipients.length === 0) throw BackupError.usage('give at least one --recipient public key');
  const namingKey = randomBytes(32);
  const repository = await BackupRepository.create(storage, {
    format: REPOSITORY_FORMAT,
    version: 1,
    id: BackupRepository.newId(),
    createdAt: new Date().toISOString(),
    recipients: recipients.map(fingerprintOf),
    encryptedNamingKey: Buffer.from(await encryptBytes(namingKey, recipients)).toString('base64'),
  });
  const statePath = await saveAttachment(dataDir, { repositoryId: repository.config.id, namingKey: namingKey.toString('base64'), recipients: recipients.map(armor) });
  return { repository, statePath };
}

/**
 * Attaches this server to an existing repository (a rebuilt or second server): recovers the naming
 * key with a private key and pins the recipients, which must be exactly the repository's.
 */
export async function attachRepository(storage: ObjectStorage, identity: readonly PrivateKey[], recipients: readonly PublicKey[], dataDir: string): Promise<{ repository: BackupRepository; statePath: string }> {
  const repository = await BackupRepository.open(storage);
  assertSameRecipients(repository.config.recipients, recipients.map(fingerprintOf), 'the --recipient keys');
  const namingKey = await decryptBytes(Buffer.from(repository.config.encryptedNamingKey, 'base64'), identity, "the repository's naming key");
  const statePath = await saveAttachment(dataDir, { repositoryId: repository.config.id, namingKey: Buffer.from(namingKey).toString('base64'), recipients: recipients.map(armor) });
  return { repository, statePath };
}

/** This server's attachment to the repository, after checking that the repository's recipients are still the pinned ones. */
export async function attachmentFor(repository: BackupRepository, dataDir: string): Promise<RepositoryAttachment> {
  const attachment = await loadAttachment(dataDir, repository.config.id);
  const pinned = (await readPublicKeys(attachment.recipients.join('\n'), 'the pinned recipients')).map(fingerprintOf);
  assertSameRecipients(repository.config.recipients, pinned, 'the keys this server pinned');
  return attachment;
}

function assertSameRecipients(repository: readonly string[], given: readonly string[], what: string): void {
  const a = [...repository].sort().join(',');
  const b = [...given].sort().join(',');
  if (a !== b) {
    throw new BackupError(
      'backup.repository_invalid',
      `the repository's recipients (${repository.join(', ')}) differ from ${what} (${given.join(', ')}): its configuration was altered, or this is another repository`,
    );
  }
}
