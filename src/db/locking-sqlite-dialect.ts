import { SqliteAdapter, SqliteDialect, sql, type DialectAdapter, type Kysely } from 'kysely';

/**
 * Kysely's SQLite adapter, except that a migration run holds the database's write lock from start
 * to end (`BEGIN IMMEDIATE` … `COMMIT`). Kysely's own adapter takes no lock, as it assumes a single
 * process; with it, two processes migrating one fresh file at once (two instances started together
 * on one `DATA_DIR`) both create the tables and one fails ("table already exists"). With the lock,
 * the second waits (the connection's `busy_timeout`) and then finds nothing left to apply.
 */
class LockingSqliteAdapter extends SqliteAdapter {
  #locked = false;

  override async acquireMigrationLock(db: Kysely<unknown>): Promise<void> {
    await sql`begin immediate`.execute(db);
    this.#locked = true;
  }

  override async releaseMigrationLock(db: Kysely<unknown>): Promise<void> {
    // Kysely releases even when acquiring failed: there is then no transaction to end.
    if (!this.#locked) return;
    this.#locked = false;
    await sql`commit`.execute(db);
  }
}

/** `SqliteDialect` whose migrations are serialised across processes (see `LockingSqliteAdapter`). */
export class LockingSqliteDialect extends SqliteDialect {
  override createAdapter(): DialectAdapter {
    return new LockingSqliteAdapter();
  }
}
