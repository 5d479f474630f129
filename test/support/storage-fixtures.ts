import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  ListObjectVersionsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  UploadPartCommand,
  type ListObjectVersionsCommandOutput,
  type S3Client,
} from '@aws-sdk/client-s3';
import { inject } from 'vitest';
import { serveSignedLink } from '../../src/http/content/signed-link-handler.js';
import { LOCAL_SIGNED_LINK_PATH } from '../../src/storage/create-object-storage.js';
import { LocalObjectStorage } from '../../src/storage/local/local-object-storage.js';
import { ObjectLinkSigner } from '../../src/storage/object-link-signer.js';
import type { ObjectLockMode, ObjectStorage } from '../../src/storage/object-storage.js';
import { S3ObjectStorage } from '../../src/storage/s3/s3-object-storage.js';
import type { S3ServerSideEncryption } from '../../src/storage/s3/s3-server-side-encryption.js';
import type { StorageFixture } from '../storage/object-storage.conformance.js';
import { createTestBucket, lockingClientFor, removeTestBucket } from './object-lock-buckets.js';
import { clientFor, testBucket } from './s3-target.js';

export interface LocalFixture extends StorageFixture {
  storage: LocalObjectStorage;
  root: string;
  /** Serves presigned links through the given storage (a decorator around the local one). */
  serveThrough(storage: ObjectStorage): void;
}

/** A real HTTP server for docstore-served signed links, serving through whichever storage it is given. */
export async function signedLinkServer(): Promise<{ signer: ObjectLinkSigner; serveThrough(storage: ObjectStorage): void; close(): Promise<void> }> {
  let served: ObjectStorage | undefined;
  let signer: ObjectLinkSigner | undefined;
  const server: Server = createServer((request, response) => {
    const path = new URL(request.url ?? '/', 'http://localhost').pathname;
    const token = path.startsWith(`${LOCAL_SIGNED_LINK_PATH}/`) ? path.slice(LOCAL_SIGNED_LINK_PATH.length + 1) : '';
    void serveSignedLink({ signer: signer as ObjectLinkSigner, storage: served as ObjectStorage }, token, request, response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  signer = new ObjectLinkSigner(randomBytes(32), `http://127.0.0.1:${port}${LOCAL_SIGNED_LINK_PATH}`);
  return {
    signer,
    serveThrough(storage) {
      served = storage;
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A local storage in a fresh temporary directory, with a real HTTP server for its presigned links. */
export async function localFixture(): Promise<LocalFixture> {
  const root = await mkdtemp(join(tmpdir(), 'docstore-local-'));
  const links = await signedLinkServer();
  const storage = await LocalObjectStorage.open({ root: join(root, 'objects'), signer: links.signer });
  links.serveThrough(storage);
  return {
    storage,
    root: join(root, 'objects'),
    serveThrough: (decorated) => links.serveThrough(decorated),
    leftovers: async () => readdir(join(root, 'objects', '\\tmp')),
    // Foreign content on local disk: a plain file at the key's path (docstore's own end in `\obj`).
    writeForeign: async (key, bytes) => {
      const path = join(root, 'objects', ...key.split('/'));
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, bytes);
    },
    foreignExists: async (key) => (await stat(join(root, 'objects', ...key.split('/'))).catch(() => undefined)) !== undefined,
    close: async () => {
      await links.close();
      await rm(root, { recursive: true, force: true });
    },
  };
}

export interface S3Fixture extends StorageFixture {
  storage: S3ObjectStorage;
  bucket: string;
}

/**
 * An S3 storage on the test server (RGW unless S3_TEST_ENDPOINT says otherwise), in a bucket of its
 * own, signing presigned URLs for `localhost` while talking to `127.0.0.1`: a public endpoint that
 * differs from the internal one, as in production.
 */
export async function s3Fixture(
  options: {
    keyPrefix?: string;
    singlePutMaxBytes?: number;
    serverSideEncryption?: S3ServerSideEncryption;
    /** In a bucket of its own created with Object Lock (removed, versions and all, by `close`). */
    objectLock?: ObjectLockMode;
  } = {},
): Promise<S3Fixture> {
  const target = inject('s3');
  const { objectLock } = options;
  const client = objectLock === undefined ? clientFor(target) : lockingClientFor(target);
  const publicEndpoint = target.endpoint.replace('127.0.0.1', 'localhost');
  const presignClient = clientFor(target, publicEndpoint);
  const bucket = objectLock === undefined ? await testBucket(target, client) : await createTestBucket(client);
  const keyPrefix = options.keyPrefix ?? (target.ownServer ? '' : `docstore-test-${randomBytes(4).toString('hex')}/`);
  // Under SSE-C (and for uploads under any server-side encryption) links are served by docstore.
  const links = options.serverSideEncryption === undefined ? undefined : await signedLinkServer();
  const storage = new S3ObjectStorage({
    client,
    presignClient,
    bucket,
    keyPrefix,
    endpointLabel: target.endpoint,
    ...(options.singlePutMaxBytes === undefined ? {} : { singlePutMaxBytes: options.singlePutMaxBytes }),
    ...(options.serverSideEncryption === undefined ? {} : { serverSideEncryption: options.serverSideEncryption }),
    ...(links === undefined ? {} : { signer: links.signer }),
    ...(objectLock === undefined ? {} : { objectLock }),
  });
  links?.serveThrough(storage);
  return {
    storage,
    bucket,
    leftovers: async () => {
      const uploads = await storage.incompleteUploads(keyPrefix);
      const temporary = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${keyPrefix}\\` }));
      // A versioned bucket keeps a removed object as a version under a delete marker.
      const versions: ListObjectVersionsCommandOutput = objectLock === undefined ? { $metadata: {} } : await client.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: `${keyPrefix}\\` }));
      return [
        ...uploads.map((upload) => `upload:${upload.key}`),
        ...(temporary.Contents ?? []).map((object) => `object:${object.Key}`),
        ...[...(versions.Versions ?? []), ...(versions.DeleteMarkers ?? [])].map((version) => `version:${version.Key}@${version.VersionId}`),
      ];
    },
    writeForeign: (key, bytes) => putForeign(client, bucket, `${keyPrefix}${key}`, bytes),
    foreignExists: async (key) => {
      try {
        await client.send(new HeadObjectCommand({ Bucket: bucket, Key: `${keyPrefix}${key}` }));
        return true;
      } catch (error) {
        if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode === 404) return false;
        throw error;
      }
    },
    close: async () => {
      await links?.close();
      if (objectLock !== undefined) await removeTestBucket(client, bucket);
      client.destroy();
      presignClient.destroy();
    },
  };
}

/** Foreign content on S3, as `@tus/s3-store` leaves a finished upload: one PutObject, or a multipart upload of 5 MiB parts above 5 MiB. */
async function putForeign(client: S3Client, bucket: string, objectKey: string, bytes: Buffer): Promise<void> {
  const partBytes = 5 * 1024 * 1024;
  if (bytes.length <= partBytes) {
    await client.send(new PutObjectCommand({ Bucket: bucket, Key: objectKey, Body: bytes, ContentLength: bytes.length }));
    return;
  }
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: objectKey }));
  const parts: Array<{ ETag: string; PartNumber: number }> = [];
  for (let offset = 0, number = 1; offset < bytes.length; offset += partBytes, number++) {
    const part = bytes.subarray(offset, offset + partBytes);
    const { ETag } = await client.send(new UploadPartCommand({ Bucket: bucket, Key: objectKey, UploadId, PartNumber: number, Body: part, ContentLength: part.length }));
    parts.push({ ETag: ETag as string, PartNumber: number });
  }
  await client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: objectKey, UploadId, MultipartUpload: { Parts: parts } }));
}
