import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { inject } from 'vitest';
import { OBJECT_SUFFIX } from '../../src/storage/local/local-object-paths.js';
import type { ServiceFixture } from './service-fixture.js';
import { clientFor } from './s3-target.js';

/**
 * Damages an object in place, behind docstore's back, as rot or a careless hand would: one byte of
 * its stored bytes flipped at `offset`, same size, same metadata (the stored SHA-256 included).
 * Local: the object's file edited. S3: the object read and written again with the AWS SDK directly.
 */
export async function damageInPlace(fixture: ServiceFixture, storageKey: string, offset: number): Promise<void> {
  const storage = fixture.config.storage;
  if (storage.backend === 'local') {
    const segments = storageKey.split('/');
    const last = segments.pop() ?? '';
    const handle = await open(join(storage.path, ...segments, last + OBJECT_SUFFIX), 'r+');
    try {
      const byte = Buffer.alloc(1);
      await handle.read(byte, 0, 1, offset);
      byte[0] = (byte[0] ?? 0) ^ 0xff;
      await handle.write(byte, 0, 1, offset);
    } finally {
      await handle.close();
    }
    return;
  }
  const client = clientFor(inject('s3'));
  try {
    const key = storage.keyPrefix + storageKey;
    const object = await client.send(new GetObjectCommand({ Bucket: storage.bucket, Key: key }));
    const bytes = Buffer.from(await object.Body!.transformToByteArray());
    bytes[offset] = (bytes[offset] ?? 0) ^ 0xff;
    await client.send(
      new PutObjectCommand({
        Bucket: storage.bucket,
        Key: key,
        Body: bytes,
        ContentType: object.ContentType,
        ...(object.ContentDisposition === undefined ? {} : { ContentDisposition: object.ContentDisposition }),
        Metadata: object.Metadata,
      }),
    );
  } finally {
    client.destroy();
  }
}
