import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateSigningKey, readSigningKey, type SigningKey } from './archive/archive-signature.js';
import { HandoverError } from './handover-errors.js';

/** Organisation ids are file names here: UUIDs or the like, nothing that climbs out of the folder. */
function assertFileSafe(organizationId: string): void {
  if (!/^[A-Za-z0-9._-]{1,100}$/.test(organizationId) || organizationId.startsWith('.')) throw HandoverError.usage(`${JSON.stringify(organizationId)} is not an organisation id`);
}

/**
 * The organisations' signing keys on the server, one pair per organisation in one folder
 * (`DATA_DIR/handover-keys` by default): `<org>.key.asc` (mode 0600, unprotected: the server signs
 * exports unattended) and `<org>.pub.asc`, which the organisation gives to whoever receives its
 * archives. `docstore handover-key` creates them.
 */
export class SigningKeyStore {
  constructor(readonly dir: string) {}

  /** Creates an organisation's key pair; an existing one is never replaced (`handover.conflict`). */
  async create(organizationId: string, name: string): Promise<{ fingerprint: string; publicKeyPath: string; privateKeyPath: string }> {
    assertFileSafe(organizationId);
    await mkdir(this.dir, { recursive: true, mode: 0o700 });
    const key = await generateSigningKey({ name });
    const privateKeyPath = join(this.dir, `${organizationId}.key.asc`);
    const publicKeyPath = join(this.dir, `${organizationId}.pub.asc`);
    try {
      await writeFile(privateKeyPath, key.privateKey, { mode: 0o600, flag: 'wx' });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw HandoverError.conflict(`organisation ${organizationId} has a signing key already (${privateKeyPath})`);
      throw error;
    }
    await writeFile(publicKeyPath, key.publicKey, { mode: 0o644 });
    return { fingerprint: key.fingerprint, publicKeyPath, privateKeyPath };
  }

  /** The organisation's key; none yet is `handover.key_invalid`, saying how to create one. */
  async signingKeyOf(organizationId: string): Promise<SigningKey> {
    assertFileSafe(organizationId);
    const path = join(this.dir, `${organizationId}.key.asc`);
    let armored: string;
    try {
      armored = await readFile(path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        throw HandoverError.keyInvalid(path, `organisation ${organizationId} has no signing key: create one with \`docstore handover-key --organization ${organizationId}\``, error);
      }
      throw error;
    }
    return readSigningKey(armored, undefined, path);
  }

  /** The organisation's public key, armored (what a receiver verifies with). */
  async publicKeyOf(organizationId: string): Promise<string> {
    return (await this.signingKeyOf(organizationId)).toPublic().armor();
  }
}
