import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  DeleteObjectsCommand,
  UploadPartCommand,
  type CompletedPart,
  type S3Client,
} from '@aws-sdk/client-s3';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { FloorStore } from './floor-store.js';

/** docstore's streamed multipart writer's settings (S3ObjectStorage's defaults): 5 MiB parts, 2 in flight. */
const PART_BYTES = 5 * 1024 * 1024;
const QUEUE_SIZE = 2;

interface Upload {
  key: string;
  uploadId: string;
  length: number;
  offset: number;
  parts: CompletedPart[];
}

/**
 * The floor on S3 (RGW), under `prefix` in `bucket`. `put`: the body cut into 5 MiB parts as it
 * arrives, two sent at once, then CompleteMultipartUpload. Uploads: `create` is
 * CreateMultipartUpload; each `append` is one UploadPart streamed from the request, answered once
 * stored; the one that makes the upload whole completes it and, with `copyOnCompletion` (what
 * docstore does with a finished tus upload), copies the object onto another key and deletes it.
 */
export class S3FloorStore implements FloorStore {
  private readonly uploads = new Map<string, Upload>();
  private readonly written: string[] = [];
  /** Part buffers of `put` given back once their part is stored, for the next parts (as docstore's pool keeps them). */
  private readonly idle: Buffer[] = [];

  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
    private readonly copyOnCompletion: boolean,
  ) {}

  async put(body: IncomingMessage): Promise<void> {
    const upload = await this.start(-1);
    const sending = new Set<Promise<void>>();
    let failure: unknown;
    let partNumber = 0;
    const send = (part: Buffer) => {
      const sent = this.sendPart(upload, ++partNumber, part, part.length).then(
        () => void this.idle.push(Buffer.from(part.buffer, part.byteOffset, PART_BYTES)),
        (error: unknown) => (failure ??= error),
      );
      const tracked = sent.then(() => void sending.delete(tracked));
      sending.add(tracked);
    };
    try {
      let part = this.take();
      let filled = 0;
      for await (const chunk of body as AsyncIterable<Buffer>) {
        for (let at = 0; at < chunk.length; ) {
          const copied = chunk.copy(part, filled, at);
          filled += copied;
          at += copied;
          if (filled < PART_BYTES) continue;
          while (sending.size >= QUEUE_SIZE) await Promise.race(sending);
          send(part);
          part = this.take();
          filled = 0;
        }
      }
      if (filled > 0) send(part.subarray(0, filled));
      else this.idle.push(part);
      await Promise.all(sending);
      if (failure !== undefined) throw failure;
      await this.complete(upload);
    } catch (error) {
      await Promise.all(sending);
      await this.abort(upload);
      throw error;
    }
  }

  async create(length: number): Promise<string> {
    const upload = await this.start(length);
    const id = upload.key.slice(this.prefix.length);
    this.uploads.set(id, upload);
    return id;
  }

  async append(id: string, offset: number, bytes: number, body: IncomingMessage): Promise<number> {
    const upload = this.uploads.get(id);
    if (upload === undefined || upload.offset !== offset) throw new Error(`upload ${id} is not at offset ${offset}`);
    try {
      await this.sendPart(upload, upload.parts.length + 1, body, bytes);
      upload.offset += bytes;
      if (upload.offset < upload.length) return upload.offset;
      this.uploads.delete(id);
      await this.complete(upload);
      if (this.copyOnCompletion) {
        const key = `${upload.key}.document`;
        await this.client.send(new CopyObjectCommand({ Bucket: this.bucket, Key: key, CopySource: `${this.bucket}/${upload.key}` }));
        this.written.push(key);
        await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: upload.key }));
      }
      return upload.offset;
    } catch (error) {
      this.uploads.delete(id);
      await this.abort(upload);
      throw error;
    }
  }

  async clean(): Promise<void> {
    for (const upload of this.uploads.values()) await this.abort(upload);
    this.uploads.clear();
    const keys = this.written.splice(0).map((Key) => ({ Key }));
    if (keys.length > 0) await this.client.send(new DeleteObjectsCommand({ Bucket: this.bucket, Delete: { Objects: keys } }));
  }

  private take(): Buffer {
    return this.idle.pop() ?? Buffer.allocUnsafeSlow(PART_BYTES);
  }

  private async start(length: number): Promise<Upload> {
    const key = `${this.prefix}${randomUUID()}`;
    const created = await this.client.send(new CreateMultipartUploadCommand({ Bucket: this.bucket, Key: key, ContentType: 'application/pdf' }));
    return { key, uploadId: created.UploadId as string, length, offset: 0, parts: [] };
  }

  private async sendPart(upload: Upload, partNumber: number, body: Buffer | IncomingMessage, bytes: number): Promise<void> {
    const output = await this.client.send(
      new UploadPartCommand({ Bucket: this.bucket, Key: upload.key, UploadId: upload.uploadId, PartNumber: partNumber, Body: body, ContentLength: bytes }),
    );
    upload.parts.push({ PartNumber: partNumber, ETag: output.ETag ?? '' });
  }

  private async complete(upload: Upload): Promise<void> {
    const parts = [...upload.parts].sort((a, b) => (a.PartNumber as number) - (b.PartNumber as number));
    await this.client.send(new CompleteMultipartUploadCommand({ Bucket: this.bucket, Key: upload.key, UploadId: upload.uploadId, MultipartUpload: { Parts: parts } }));
    this.written.push(upload.key);
  }

  private async abort(upload: Upload): Promise<void> {
    await this.client.send(new AbortMultipartUploadCommand({ Bucket: this.bucket, Key: upload.key, UploadId: upload.uploadId })).catch(() => undefined);
  }
}
