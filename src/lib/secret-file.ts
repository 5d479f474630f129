import { randomUUID } from 'node:crypto';
import { link, mkdir, open, readFile, unlink } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ConfigError } from '../config-error.js';

export interface SecretFileOptions {
  /** Makes a new secret, as the text to store (base64 or similar: it is read back trimmed). */
  generate: () => string;
  /** The variable that sets this secret instead of the file, named in errors. */
  variable: string;
  /** Says what is wrong with a stored secret (`undefined`: nothing); an empty file is always refused. */
  check?: (text: string) => string | undefined;
}

export interface SecretFile {
  /** The stored secret, trimmed. */
  text: string;
  /** Whether this call created the file (first start on this data directory). */
  created: boolean;
}

/**
 * Reads the secret kept in the file at `path`, or creates that file (mode 0600, its directory 0700)
 * with `generate()` the first time.
 *
 * Safe when several processes start at once on one data directory: the new secret is written and
 * flushed to a temporary file beside `path`, which is then hard-linked to `path`. `link` fails with
 * EEXIST when another process got there first, and that process's file is read instead; `path`
 * never holds a partly written secret, so every caller ends up with the same complete secret.
 *
 * @throws ConfigError naming `options.variable` when the file exists but is empty or fails `check`
 *   (left by a crash or edited by hand): a secret that tokens or links depend on is never replaced.
 */
export async function readOrCreateSecretFile(path: string, options: SecretFileOptions): Promise<SecretFile> {
  const existing = await readSecret(path, options);
  if (existing !== undefined) return { text: existing, created: false };
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  const text = options.generate();
  const temporary = `${path}.${randomUUID()}.tmp`;
  try {
    const handle = await open(temporary, 'wx', 0o600);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await link(temporary, path);
    return { text, created: true };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    // Another process linked its secret first: theirs is complete, use it.
    const winner = await readSecret(path, options);
    if (winner === undefined) throw error;
    return { text: winner, created: false };
  } finally {
    await unlink(temporary).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'ENOENT') throw error;
    });
  }
}

/** The trimmed secret at `path`; `undefined` when there is no file. */
async function readSecret(path: string, options: SecretFileOptions): Promise<string | undefined> {
  let text: string;
  try {
    text = (await readFile(path, 'utf8')).trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const problem = text === '' ? 'is empty' : options.check?.(text);
  if (problem !== undefined) {
    throw new ConfigError([
      { variable: options.variable, message: `not set, and the generated secret in ${path} ${problem}: set ${options.variable}, or delete the file to generate a new secret (what depended on the old one stops working)` },
    ]);
  }
  return text;
}
