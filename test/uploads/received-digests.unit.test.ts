import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { ReceivedDigests } from '../../src/uploads/received-digests.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const bytes = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));

/** One request's body handed to the store whole, answered with the store's offset afterwards. */
function write(digests: ReceivedDigests, id: string | undefined, offset: number, piece: Buffer, answered: number | null = offset + piece.length) {
  const body = digests.receive(id, offset);
  body.update(piece.subarray(0, 100));
  body.update(piece.subarray(100));
  return { body, settle: () => digests.settle(body, answered ?? undefined) };
}

describe('ReceivedDigests', () => {
  it('hashes an upload received in chunks in this process: the digest and first bytes of the whole', () => {
    const digests = new ReceivedDigests(300);
    const created = digests.receive(undefined, 0);
    created.id = 'u1';
    created.update(bytes.subarray(0, 250));
    digests.settle(created, 250);
    write(digests, 'u1', 250, bytes.subarray(250, 600)).settle();
    const last = write(digests, 'u1', 600, bytes.subarray(600));
    expect(digests.finish(last.body, 1000)).toEqual({ sha256: sha256(bytes), sample: bytes.subarray(0, 300) });
    // Finished: forgotten, and its answer settles nothing.
    last.settle();
    expect(digests.finish(digests.receive('u1', 1000), 1000)).toBeUndefined();
  });

  it('gives no digest when the store kept another length than was hashed, or a chunk went through another instance', () => {
    const digests = new ReceivedDigests(64);
    write(digests, 'cut', 0, bytes.subarray(0, 500), 420).settle();
    const resumed = write(digests, 'cut', 420, bytes.subarray(420));
    expect(digests.finish(resumed.body, 1000)).toBeUndefined();

    write(digests, 'elsewhere', 0, bytes.subarray(0, 300)).settle();
    // Bytes 300–700 went to another instance; this one sees the chunk from 700.
    const after = write(digests, 'elsewhere', 700, bytes.subarray(700));
    expect(digests.finish(after.body, 1000)).toBeUndefined();

    write(digests, 'failed', 0, bytes.subarray(0, 300), null).settle();
    expect(digests.finish(write(digests, 'failed', 300, bytes.subarray(300)).body, 1000)).toBeUndefined();
  });

  it('a stale request at the same offset does not spoil the digest of the one the store kept', () => {
    const digests = new ReceivedDigests(64);
    write(digests, 'race', 0, bytes.subarray(0, 400)).settle();
    const winner = write(digests, 'race', 400, bytes.subarray(400, 800));
    const loser = digests.receive('race', 400);
    winner.settle();
    digests.settle(loser, undefined);
    // The loser's refusal only forgets the digest: the finished upload is read instead.
    expect(digests.finish(write(digests, 'race', 800, bytes.subarray(800)).body, 1000)).toBeUndefined();
  });

  it('keeps at most `capacity` uploads, the oldest going first', () => {
    const digests = new ReceivedDigests(16, 2);
    for (const id of ['a', 'b', 'c']) write(digests, id, 0, bytes.subarray(0, 500)).settle();
    expect(digests.finish(write(digests, 'a', 500, bytes.subarray(500)).body, 1000)).toBeUndefined();
    expect(digests.finish(write(digests, 'c', 500, bytes.subarray(500)).body, 1000)?.sha256).toBe(sha256(bytes));
  });
});
