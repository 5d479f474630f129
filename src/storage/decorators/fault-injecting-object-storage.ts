import { Transform, pipeline, type Readable, type TransformCallback } from 'node:stream';
import type {
  AdoptOptions,
  CopyOptions,
  DeleteManyResult,
  GetOptions,
  GetResult,
  ListEntry,
  ListOptions,
  ObjectInfo,
  ObjectLockState,
  ObjectStorage,
  PresignGetOptions,
  PresignPutOptions,
  PutBody,
  PutOptions,
  PutResult,
  StorageCapabilities,
} from '../object-storage.js';
import { toReadable } from '../put-body.js';
import { StorageUnavailable } from '../storage-errors.js';

export type StorageOperation = 'put' | 'get' | 'stat' | 'exists' | 'delete' | 'deleteMany' | 'list' | 'copy' | 'adopt' | 'presignGet' | 'presignPut' | 'check' | 'extendRetention' | 'setLegalHold';

/** What to break. With an empty plan the decorator passes everything through unchanged. */
export interface FaultPlan {
  /** Fail the Nth counted call (1-based) with `StorageUnavailable`, before it reaches the inner storage. */
  failCall?: number;
  /** Which operations count towards `failCall`. @default every operation */
  operations?: readonly StorageOperation[];
  /** Make the body of every put fail after this many bytes, as a broken upload stream would. */
  breakPutBodyAfterBytes?: number;
  /** Make the body of every get fail after this many bytes, as a dropped connection would. */
  breakGetBodyAfterBytes?: number;
}

/** The error an injected stream failure raises (not a StorageError: it stands for a foreign failure). */
export class InjectedStreamFailure extends Error {
  constructor(afterBytes: number) {
    super(`injected stream failure after ${afterBytes} bytes`);
    this.name = 'InjectedStreamFailure';
  }
}

/**
 * A decorator that fails on purpose, for tests: the Nth call, or a stream after N bytes. Used to
 * prove that failures leave no partial object, no temporary file and no multipart upload behind,
 * and surface with the right error code.
 */
export class FaultInjectingObjectStorage implements ObjectStorage {
  private calls = 0;

  constructor(
    private readonly inner: ObjectStorage,
    private readonly plan: FaultPlan = {},
  ) {}

  get name(): string {
    return this.inner.name;
  }

  get capabilities(): StorageCapabilities {
    return this.inner.capabilities;
  }

  /** Calls counted so far. */
  get callCount(): number {
    return this.calls;
  }

  async put(key: string, body: PutBody, options?: PutOptions): Promise<PutResult> {
    this.count('put');
    const limit = this.plan.breakPutBodyAfterBytes;
    const source = limit === undefined ? body : breakStream(toReadable(body), limit);
    return this.inner.put(key, source, options);
  }

  async get(key: string, options?: GetOptions): Promise<GetResult> {
    this.count('get');
    const result = await this.inner.get(key, options);
    const limit = this.plan.breakGetBodyAfterBytes;
    if (limit === undefined) return result;
    return { ...result, body: breakStream(result.body, limit) };
  }

  async stat(key: string): Promise<ObjectInfo> {
    this.count('stat');
    return this.inner.stat(key);
  }

  async exists(key: string): Promise<boolean> {
    this.count('exists');
    return this.inner.exists(key);
  }

  async delete(key: string): Promise<void> {
    this.count('delete');
    return this.inner.delete(key);
  }

  async deleteMany(keys: Iterable<string>): Promise<DeleteManyResult> {
    this.count('deleteMany');
    return this.inner.deleteMany(keys);
  }

  async *list(options?: ListOptions): AsyncIterable<ListEntry> {
    this.count('list');
    yield* this.inner.list(options);
  }

  async copy(sourceKey: string, destinationKey: string, options?: CopyOptions): Promise<ObjectInfo> {
    this.count('copy');
    return this.inner.copy(sourceKey, destinationKey, options);
  }

  async adopt(sourceKey: string, key: string, options: AdoptOptions): Promise<PutResult> {
    this.count('adopt');
    return this.inner.adopt(sourceKey, key, options);
  }

  async presignGet(key: string, options: PresignGetOptions): Promise<string> {
    this.count('presignGet');
    return this.inner.presignGet(key, options);
  }

  async presignPut(key: string, options: PresignPutOptions): Promise<string> {
    this.count('presignPut');
    return this.inner.presignPut(key, options);
  }

  async check(): Promise<void> {
    this.count('check');
    return this.inner.check();
  }

  async extendRetention(key: string, retainUntil: Date): Promise<ObjectLockState> {
    this.count('extendRetention');
    return this.inner.extendRetention(key, retainUntil);
  }

  async setLegalHold(key: string, on: boolean): Promise<ObjectLockState> {
    this.count('setLegalHold');
    return this.inner.setLegalHold(key, on);
  }

  private count(operation: StorageOperation): void {
    if (this.plan.operations !== undefined && !this.plan.operations.includes(operation)) return;
    this.calls++;
    if (this.calls === this.plan.failCall) {
      throw StorageUnavailable.because(`injected fault on call ${this.calls} (${operation})`, { context: { injected: true } });
    }
  }
}

/**
 * `source` through a transform that fails after `limit` bytes. pipeline() owns the error handling
 * of both streams (and destroys both on failure); the consumer sees the failure on the result.
 */
function breakStream(source: Readable, limit: number): Readable {
  const broken = breakAfter(limit);
  pipeline(source, broken, () => undefined);
  return broken;
}

function breakAfter(limit: number): Transform {
  let passed = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      const room = limit - passed;
      if (chunk.length < room) {
        passed += chunk.length;
        callback(null, chunk);
        return;
      }
      if (room > 0) this.push(chunk.subarray(0, room));
      passed = limit;
      callback(new InjectedStreamFailure(limit));
    },
  });
}

