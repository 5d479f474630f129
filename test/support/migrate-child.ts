// Migrates SQLite files for a test that races several processes: prints `ready`, then for each line
// read on stdin (a file's path) migrates that file and prints the migrations it applied as JSON, or
// `failed: <cause>`.
import { createInterface } from 'node:readline';
import { openDatabase } from '../../src/db/database.js';
import { migrateToLatest } from '../../src/db/migrate.js';

process.stdout.write('ready\n');
for await (const path of createInterface({ input: process.stdin })) {
  const { db } = openDatabase({ dialect: 'sqlite', path });
  try {
    process.stdout.write(`${JSON.stringify(await migrateToLatest(db))}\n`);
  } catch (error) {
    process.stdout.write(`failed: ${String((error as Error).cause ?? error)}\n`);
  } finally {
    await db.destroy();
  }
}
