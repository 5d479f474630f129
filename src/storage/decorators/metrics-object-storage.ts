import { Transform, type TransformCallback } from 'node:stream';
import type { DocstoreMetrics } from '../../metrics/docstore-metrics.js';
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
import { isStorageError } from '../storage-errors.js';

/**
 * Measures every operation of the storage it wraps: counts by result, durations, bytes in and out.
 * A get is timed until its body is consumed, so its duration includes the transfer. Behaviour is
 * otherwise unchanged (the conformance suite runs through it).
 */
export class MetricsObjectStorage implements ObjectStorage {
  constructor(
    private readonly inner: ObjectStorage,
    private readonly metrics: DocstoreMetrics,
  ) {}

  get name(): string {
    return this.inner.name;
  }

  get capabilities(): StorageCapabilities {
    return this.inner.capabilities;
  }

  async put(key: string, body: PutBody, options?: PutOptions): Promise<PutResult> {
    const result = await this.measure('put', () => this.inner.put(key, body, options));
    this.metrics.storageBytes.inc({ backend: this.name, direction: 'in' }, result.size);
    return result;
  }

  async get(key: string, options?: GetOptions): Promise<GetResult> {
    const started = performance.now();
    let result: GetResult;
    try {
      result = await this.inner.get(key, options);
    } catch (error) {
      this.record('get', started, error);
      throw error;
    }
    const backend = this.name;
    const metrics = this.metrics;
    let finished = false;
    const finish = (error?: unknown) => {
      if (finished) return;
      finished = true;
      this.record('get', started, error);
    };
    const counted = new Transform({
      transform(chunk: Buffer, _encoding, callback: TransformCallback) {
        metrics.storageBytes.inc({ backend, direction: 'out' }, chunk.length);
        callback(null, chunk);
      },
      flush(callback: TransformCallback) {
        finish();
        callback();
      },
    });
    result.body.on('error', (error) => {
      finish(error);
      counted.destroy(error);
    });
    counted.on('close', () => {
      if (!finished) result.body.destroy();
    });
    result.body.pipe(counted);
    return { ...result, body: counted };
  }

  async stat(key: string): Promise<ObjectInfo> {
    return this.measure('stat', () => this.inner.stat(key));
  }

  async exists(key: string): Promise<boolean> {
    return this.measure('exists', () => this.inner.exists(key));
  }

  async delete(key: string): Promise<void> {
    return this.measure('delete', () => this.inner.delete(key));
  }

  async deleteMany(keys: Iterable<string>): Promise<DeleteManyResult> {
    return this.measure('deleteMany', () => this.inner.deleteMany(keys));
  }

  async *list(options?: ListOptions): AsyncIterable<ListEntry> {
    const started = performance.now();
    try {
      yield* this.inner.list(options);
    } catch (error) {
      this.record('list', started, error);
      throw error;
    }
    this.record('list', started);
  }

  async copy(sourceKey: string, destinationKey: string, options?: CopyOptions): Promise<ObjectInfo> {
    return this.measure('copy', () => this.inner.copy(sourceKey, destinationKey, options));
  }

  async adopt(sourceKey: string, key: string, options: AdoptOptions): Promise<PutResult> {
    return this.measure('adopt', () => this.inner.adopt(sourceKey, key, options));
  }

  async extendRetention(key: string, retainUntil: Date): Promise<ObjectLockState> {
    return this.measure('extendRetention', () => this.inner.extendRetention(key, retainUntil));
  }

  async setLegalHold(key: string, on: boolean): Promise<ObjectLockState> {
    return this.measure('setLegalHold', () => this.inner.setLegalHold(key, on));
  }

  async presignGet(key: string, options: PresignGetOptions): Promise<string> {
    return this.measure('presignGet', () => this.inner.presignGet(key, options));
  }

  async presignPut(key: string, options: PresignPutOptions): Promise<string> {
    return this.measure('presignPut', () => this.inner.presignPut(key, options));
  }

  async check(): Promise<void> {
    try {
      await this.measure('check', () => this.inner.check());
      this.metrics.storageUp.set({ backend: this.name }, 1);
    } catch (error) {
      this.metrics.storageUp.set({ backend: this.name }, 0);
      throw error;
    }
  }

  private async measure<T>(operation: string, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const result = await run();
      this.record(operation, started);
      return result;
    } catch (error) {
      this.record(operation, started, error);
      throw error;
    }
  }

  private record(operation: string, started: number, error?: unknown): void {
    this.metrics.storageOperations.inc({ backend: this.name, operation, result: resultOf(error) });
    this.metrics.storageOperationDuration.observe({ backend: this.name, operation }, (performance.now() - started) / 1000);
  }
}

/**
 * The `result` label: `ok`, the error code without `storage.`, or `body_failed` when the caller's
 * body stream failed (a client that went away, an upload refused while streaming): not the
 * storage's fault, so alerts on storage errors leave it out.
 */
function resultOf(error: unknown): string {
  if (error === undefined) return 'ok';
  if (!isStorageError(error)) return 'error';
  if (error.code === 'storage.operation_failed' && error.context.reason === 'body stream failed') return 'body_failed';
  return error.code.replace(/^storage\./, '');
}
