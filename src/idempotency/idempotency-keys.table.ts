import type { Insertable, Selectable } from 'kysely';

/**
 * One row per `Idempotency-Key` a principal sent, kept 24 h. While its request runs the row holds a
 * lock (`lock_token`, `locked_until`); once it succeeded, its response. Timestamps are ISO-8601
 * strings (UTC) on SQLite, timestamptz on PostgreSQL.
 */
export interface IdempotencyKeysTable {
  organization_id: string;
  /** The token's subject. */
  subject: string;
  idempotency_key: string;
  /** SHA-256 of the request's method and target: the same key for another request is refused. */
  fingerprint: string;
  /** Who runs the request now; null once it has completed. */
  lock_token: string | null;
  locked_until: string | Date | null;
  response_status: number | null;
  /** The response body (JSON) to replay. */
  response_body: string | null;
  created_at: string | Date;
  expires_at: string | Date;
}

export type IdempotencyKeyRow = Selectable<IdempotencyKeysTable>;
export type NewIdempotencyKeyRow = Insertable<IdempotencyKeysTable>;
