import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import SqliteDatabase from 'better-sqlite3';
import { LocalObjectStorage } from '../../src/storage/local/local-object-storage.js';

/**
 * The durable floor: a plain `node:http` server that, for each POST, streams the request body into
 * the bare `LocalObjectStorage`'s put (SHA-256 computed while writing, the file and its directory
 * fsynced, create-only under a fresh key), then records one row in a SQLite transaction (WAL,
 * `synchronous = FULL`, as docstore opens its database: one WAL fsync per commit), and answers 201
 * with a small JSON body. What any durable, hashed, recorded upload pays here, and nothing more: no
 * authentication, no multipart parsing (the whole body is stored, form framing included, a few
 * hundred bytes), no audit entry, no version row. GET is not served.
 */
export async function listenFloor(directory: string): Promise<{ server: Server; close(): Promise<void> }> {
  mkdirSync(directory, { recursive: true });
  const storage = await LocalObjectStorage.open({ root: join(directory, 'objects') });
  const sqlite = new SqliteDatabase(join(directory, 'floor.sqlite'));
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = FULL');
  sqlite.exec('CREATE TABLE IF NOT EXISTS uploads (id TEXT PRIMARY KEY, storage_key TEXT NOT NULL, size INTEGER NOT NULL, sha256 TEXT NOT NULL, created_at TEXT NOT NULL)');
  const insert = sqlite.prepare('INSERT INTO uploads (id, storage_key, size, sha256, created_at) VALUES (?, ?, ?, ?, ?)');
  const record = sqlite.transaction((id: string, key: string, size: number, sha256: string) => insert.run(id, key, size, sha256, new Date().toISOString()));
  const server = createServer((request, response) => {
    void (async () => {
      if (request.method !== 'POST') {
        response.writeHead(405).end();
        return;
      }
      const id = randomUUID();
      const key = `floor/${id}`;
      const stored = await storage.put(key, request, { contentType: 'application/pdf', ifNoneMatch: '*' });
      record(id, key, stored.size, stored.sha256);
      response.writeHead(201, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ id, size: stored.size, sha256: stored.sha256 }));
    })().catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    server,
    close: async () => {
      await new Promise((resolve) => server.close(resolve));
      sqlite.close();
    },
  };
}
