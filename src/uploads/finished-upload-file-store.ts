import { FileStore } from '@tus/file-store';
import { Upload } from '@tus/server';

/**
 * `@tus/file-store` for uploads whose finished file becomes a document's object
 * (`ObjectStorage.adopt` moves it away):
 * - `getUpload` of an upload marked adopted (`markAdopted`) answers it complete until `remove`:
 *   tus reads a creation back after its completion (for `Upload-Expires`), and the original would
 *   answer 410 for the missing file.
 * - `remove` also forgets an upload whose file is gone: the original fails on the missing file and
 *   keeps its `.json` for ever.
 */
export class FinishedUploadFileStore extends FileStore {
  private readonly adopted = new Set<string>();

  /** Upload `id` is complete and its file became a document's object (this process only). */
  markAdopted(id: string): void {
    this.adopted.add(id);
  }

  override async getUpload(id: string): Promise<Upload> {
    try {
      return await super.getUpload(id);
    } catch (error) {
      const file = this.adopted.has(id) ? await this.configstore.get(id) : undefined;
      if (file === undefined) throw error;
      return new Upload({ ...file, offset: file.size ?? file.offset });
    }
  }

  override async remove(id: string): Promise<void> {
    this.adopted.delete(id);
    try {
      await super.remove(id);
    } catch (error) {
      if (!isNotFound(error)) throw error;
      await this.configstore.delete(id);
    }
  }
}

function isNotFound(error: unknown): boolean {
  return typeof error === 'object' && error !== null && 'status_code' in error && error.status_code === 404;
}
