import type { PostgresPool, PostgresPoolClient } from 'kysely';
import pg from 'pg';
import { DatabaseUnavailable, isUnavailability } from './database-errors.js';

/** How long docstore waits for PostgreSQL; every wait is bounded. */
export interface DatabaseTimeouts {
  /** Connecting (TCP and start-up), and waiting for a free connection of the pool, in seconds. @default 5 */
  connectSeconds: number;
  /**
   * One statement, in seconds: PostgreSQL's `statement_timeout`; the client gives up one second
   * later, since a frozen server cannot enforce its own timeout. A transaction may stay open longer
   * between statements (a backup's dump pages wait for their upload). @default 15
   */
  statementSeconds: number;
}

export const DEFAULT_DATABASE_TIMEOUTS: DatabaseTimeouts = { connectSeconds: 5, statementSeconds: 15 };

/**
 * A pg pool for Kysely whose every wait is bounded and whose failures to reach the server are
 * `DatabaseUnavailable`. A connection that timed out or broke is destroyed, never reused: the
 * server may still be busy with the abandoned statement, and closing the socket makes it roll back
 * the open transaction instead of committing it later.
 */
export class GuardedPostgresPool implements PostgresPool {
  private readonly pool: pg.Pool;
  private readonly guarded = new WeakMap<pg.PoolClient, GuardedClient>();

  constructor(url: string, options: { maxConnections?: number; timeouts?: DatabaseTimeouts } = {}) {
    const timeouts = options.timeouts ?? DEFAULT_DATABASE_TIMEOUTS;
    const statementMs = Math.round(timeouts.statementSeconds * 1000);
    this.pool = new pg.Pool({
      connectionString: url,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: Math.round(timeouts.connectSeconds * 1000),
      statement_timeout: statementMs,
      query_timeout: statementMs + 1000,
      keepAlive: true,
    });
    // An idle connection that breaks (server restart) is dropped by the pool; without a listener pg would crash the process.
    this.pool.on('error', () => undefined);
  }

  async connect(): Promise<PostgresPoolClient> {
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
    } catch (error) {
      throw isUnavailability(error) ? new DatabaseUnavailable(error) : error;
    }
    let guarded = this.guarded.get(client);
    if (guarded === undefined) {
      guarded = new GuardedClient(client);
      this.guarded.set(client, guarded);
    }
    guarded.broken = undefined;
    return guarded;
  }

  end(): Promise<void> {
    return this.pool.end();
  }
}

class GuardedClient implements PostgresPoolClient {
  /** The failure that made this connection unusable, until it is released (and destroyed). */
  broken: DatabaseUnavailable | undefined;

  constructor(private readonly client: pg.PoolClient) {}

  query<R>(sql: string, parameters: ReadonlyArray<unknown>): Promise<pg.QueryResult & { rows: R[] }>;
  query<R>(cursor: never): never;
  query(sqlOrCursor: unknown, parameters?: ReadonlyArray<unknown>): unknown {
    if (typeof sqlOrCursor !== 'string') return this.client.query(sqlOrCursor as never);
    // Not even a ROLLBACK goes to a connection that timed out: it would wait as long again.
    if (this.broken !== undefined) return Promise.reject(this.broken);
    return this.client.query(sqlOrCursor, parameters as unknown[]).catch((error: unknown) => {
      if (!isUnavailability(error)) throw error;
      this.broken = new DatabaseUnavailable(error);
      throw this.broken;
    });
  }

  release(destroy?: boolean): void {
    this.client.release(destroy === true || this.broken !== undefined ? true : undefined);
  }
}
