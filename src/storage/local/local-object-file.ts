import type { FileHandle } from 'node:fs/promises';
import { IntegrityError } from '../storage-errors.js';

/**
 * The local adapter keeps each object in one file: the content, then a trailer holding its
 * description, so that one rename publishes content and description together and one open reads
 * a consistent pair. Layout: `[content][JSON description][u32 BE JSON length][8-byte magic]`.
 * The content starts at offset 0: `head -c SIZE FILE` recovers it without docstore.
 */
export interface LocalObjectDescription {
  size: number;
  sha256: string;
  contentType: string;
  contentDisposition?: string;
  metadata: Record<string, string>;
}

const MAGIC = Buffer.from('DSOBJv1\n', 'ascii');
const FOOTER_BYTES = 4 + MAGIC.length;
/** Upper bound of a description (2 KiB metadata, headers, hash), against corrupted length fields. */
const MAX_DESCRIPTION_BYTES = 64 * 1024;
/** Bytes read at the end of a file for its trailer at once: a description with no metadata takes about 300. */
const TAIL_READ_BYTES = 4096;

export function encodeTrailer(description: LocalObjectDescription): Buffer {
  const json = Buffer.from(JSON.stringify({ v: 1, ...description }), 'utf8');
  const footer = Buffer.alloc(FOOTER_BYTES);
  footer.writeUInt32BE(json.length, 0);
  MAGIC.copy(footer, 4);
  return Buffer.concat([json, footer]);
}

/** Reads the description from an open object file; a damaged trailer raises `IntegrityError`. */
export async function readTrailer(handle: FileHandle, key: string): Promise<{ description: LocalObjectDescription; mtime: Date }> {
  return readObjectFile(handle, key, 0);
}

/**
 * Reads the description from an open object file, and its whole content too when the file is at
 * most `wholeFileUpToBytes` long: one read then serves both (a small object costs one read instead
 * of a trailer read and a stream's). A damaged trailer raises `IntegrityError`.
 */
export async function readObjectFile(
  handle: FileHandle,
  key: string,
  wholeFileUpToBytes: number,
): Promise<{ description: LocalObjectDescription; mtime: Date; content?: Buffer }> {
  const stats = await handle.stat();
  if (stats.size < FOOTER_BYTES) throw IntegrityError.corrupted(key, 'file too short for a trailer');
  // One read of the file's tail holds the whole trailer but for a description of unusual length.
  const whole = stats.size <= wholeFileUpToBytes;
  const tailBytes = whole ? stats.size : Math.min(stats.size, TAIL_READ_BYTES);
  const tail = Buffer.allocUnsafe(tailBytes);
  const { bytesRead } = await handle.read(tail, 0, tailBytes, stats.size - tailBytes);
  if (bytesRead !== tailBytes) throw IntegrityError.corrupted(key, 'file shorter than its size');
  const footer = tail.subarray(tailBytes - FOOTER_BYTES);
  if (!footer.subarray(4).equals(MAGIC)) throw IntegrityError.corrupted(key, 'trailer magic missing');
  const jsonBytes = footer.readUInt32BE(0);
  if (jsonBytes > MAX_DESCRIPTION_BYTES || jsonBytes + FOOTER_BYTES > stats.size) {
    throw IntegrityError.corrupted(key, 'trailer length out of bounds');
  }
  let json: Buffer;
  if (jsonBytes + FOOTER_BYTES <= tailBytes) json = tail.subarray(tailBytes - FOOTER_BYTES - jsonBytes, tailBytes - FOOTER_BYTES);
  else {
    json = Buffer.alloc(jsonBytes);
    await handle.read(json, 0, jsonBytes, stats.size - FOOTER_BYTES - jsonBytes);
  }
  let parsed: LocalObjectDescription & { v?: number };
  try {
    parsed = JSON.parse(json.toString('utf8')) as LocalObjectDescription & { v?: number };
  } catch (error) {
    throw IntegrityError.corrupted(key, 'trailer is not JSON', { cause: error });
  }
  if (parsed.v !== 1 || parsed.size !== stats.size - FOOTER_BYTES - jsonBytes) {
    throw IntegrityError.corrupted(key, 'trailer does not match the file');
  }
  const { v: _version, ...description } = parsed;
  return { description, mtime: stats.mtime, ...(whole ? { content: tail.subarray(0, description.size) } : {}) };
}

/** A local entity tag: the first 128 bits of the SHA-256, in hex. */
export function localEtag(sha256: string): string {
  return sha256.slice(0, 32);
}
