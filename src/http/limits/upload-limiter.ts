import type { IncomingMessage } from 'node:http';
import { DocumentError } from '../../documents/document-errors.js';
import type { DocstoreMetrics } from '../../metrics/docstore-metrics.js';
import { UploadIdleWatchdog } from './upload-idle-watchdog.js';

/** How many uploads one instance receives at once, and how long one may stay silent. */
export interface UploadLimits {
  /** `UPLOAD_IDLE_TIMEOUT_SECONDS`: an upload that receives no byte for this long is aborted. @default 60 */
  idleTimeoutSeconds: number;
  /** `MAX_UPLOADS_IN_FLIGHT`: uploads this instance receives at once; beyond, 429. @default 32 */
  maxInFlight: number;
  /** `MAX_UPLOADS_IN_FLIGHT_PER_SUBJECT`: uploads one token subject (`sub`) sends at once; beyond, 429. @default 8 */
  maxInFlightPerSubject: number;
}

/**
 * 60 s of silence; 32 uploads per instance (on S3 each holds up to 15 MiB of part buffers: under
 * 500 MiB in all); 8 per subject (a browser sends at most 6 requests at once to a host).
 */
export const DEFAULT_UPLOAD_LIMITS: UploadLimits = { idleTimeoutSeconds: 60, maxInFlight: 32, maxInFlightPerSubject: 8 };

/** What a client refused for too many uploads in flight is told to wait (`Retry-After`), in seconds. */
export const UPLOAD_RETRY_AFTER_SECONDS = 10;

/** An admitted upload's slot: give it back once the upload is over, whatever its outcome. */
export interface UploadSlot {
  /** Frees the slot and stops watching the connection. Safe to call more than once. */
  release(): void;
}

/**
 * Admits uploads into a bounded number of slots, per instance and per token subject, so that no
 * client (nor a crowd of stalled ones) holds every temporary file, part buffer and connection; and
 * aborts an admitted upload whose client goes silent, as if it had disconnected (the storage then
 * removes what it had started). Counts `docstore_uploads_aborted_total` by reason: `idle` (aborted
 * here) and `disconnect` (the connection closed before the body was received).
 */
export class UploadLimiter {
  private inFlight = 0;
  private readonly inFlightBySubject = new Map<string, number>();

  constructor(
    private readonly limits: UploadLimits,
    private readonly metrics?: DocstoreMetrics,
  ) {}

  /** Uploads in flight now (all subjects). */
  get uploadsInFlight(): number {
    return this.inFlight;
  }

  /**
   * Takes a slot for `subject`'s upload arriving on `request`, before its body is read, or throws
   * `upload.too_many_in_flight` (429, `Retry-After`) when the subject or the instance has none left.
   */
  admit(request: IncomingMessage, subject: string): UploadSlot {
    const ofSubject = this.inFlightBySubject.get(subject) ?? 0;
    if (ofSubject >= this.limits.maxInFlightPerSubject) throw tooManyInFlight('subject', this.limits.maxInFlightPerSubject);
    if (this.inFlight >= this.limits.maxInFlight) throw tooManyInFlight('instance', this.limits.maxInFlight);
    this.inFlight++;
    this.inFlightBySubject.set(subject, ofSubject + 1);
    let idle = false;
    const watchdog = UploadIdleWatchdog.watch(request, this.limits.idleTimeoutSeconds * 1000, () => {
      idle = true;
      this.metrics?.uploadsAborted.inc({ reason: 'idle' });
      request.destroy();
    });
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        watchdog.stop();
        if (!idle && !request.complete && request.socket?.destroyed === true) this.metrics?.uploadsAborted.inc({ reason: 'disconnect' });
        this.inFlight--;
        const left = (this.inFlightBySubject.get(subject) ?? 1) - 1;
        if (left === 0) this.inFlightBySubject.delete(subject);
        else this.inFlightBySubject.set(subject, left);
      },
    };
  }
}

function tooManyInFlight(scope: 'subject' | 'instance', limit: number): DocumentError {
  const whose = scope === 'subject' ? 'You have' : 'The server has';
  return new DocumentError('upload.too_many_in_flight', `${whose} ${limit} uploads in progress already; retry in ${UPLOAD_RETRY_AFTER_SECONDS} s`, {
    scope,
    limit,
    retryAfterSeconds: UPLOAD_RETRY_AFTER_SECONDS,
  });
}
