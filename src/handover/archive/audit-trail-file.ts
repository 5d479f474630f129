import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { once } from 'node:events';

/** A building's audit trail written out as JSON lines, ready to go into an archive. */
export interface AuditTrailFile {
  entries: number;
  size: number;
  sha256: string;
  open(): Readable;
  /** Removes the temporary file. */
  dispose(): Promise<void>;
}

/**
 * Writes `lines` (JSON lines, each ending in a line break) into a temporary file, hashing as it
 * goes: the archive lists the trail's SHA-256 in `SHA256SUMS` before its bytes are streamed, and
 * memory holds one entry at a time whatever the trail's length.
 */
export async function writeAuditTrailFile(lines: AsyncIterable<string>): Promise<AuditTrailFile> {
  const dir = await mkdtemp(join(tmpdir(), 'docstore-audit-trail-'));
  const path = join(dir, 'audit-trail.jsonl');
  const hash = createHash('sha256');
  let count = 0;
  let size = 0;
  const out = createWriteStream(path, { mode: 0o600 });
  try {
    for await (const text of lines) {
      const line = Buffer.from(text, 'utf8');
      hash.update(line);
      size += line.length;
      count++;
      if (!out.write(line)) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
  } catch (error) {
    out.destroy();
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    entries: count,
    size,
    sha256: hash.digest('hex'),
    open: () => createReadStream(path),
    dispose: () => rm(dir, { recursive: true, force: true }),
  };
}
