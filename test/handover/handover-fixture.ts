import { execFile } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { expect } from 'vitest';
import type { Document } from '../../src/shared/document.js';
import type { ExportRequest } from '../../src/handover/building-exporter.js';
import { registerBuilding } from '../support/buildings.js';
import { ORG_A, type ServiceFixture } from '../support/service-fixture.js';
import { sha256 } from '../support/streams.js';
import { documentUpload, multipartBody, pdfOfSize } from '../support/upload-request.js';

/** What a populated building holds, for comparing an archive or an import with. */
export interface PopulatedBuilding {
  buildingId: string;
  /** Every document (the trashed one included), as uploaded. */
  documents: Document[];
  /** SHA-256 of every version's bytes, by `documentId/version`. */
  versions: Map<string, string>;
  trashedId: string;
  heldId: string;
  bigId: string;
}

const TYPES = ['invoice', 'meeting_minutes', 'contract', 'financial_statement', 'other', 'works_quote', 'regulation'] as const;

/**
 * A building of 50 documents: Unicode titles (two alike, one with a slash), a second and third
 * version of some, one in the trash, one under legal hold, one of 20 MiB.
 */
export async function populateBuilding(fixture: ServiceFixture, options: { count?: number; bigBytes?: number } = {}): Promise<PopulatedBuilding> {
  const count = options.count ?? 50;
  const bigIndex = Math.min(7, count - 1);
  const buildingId = await registerBuilding(fixture, { name: 'Résidence Les Tilleuls — Ξ 東京', financialYearEnd: { month: 6, day: 30 } });
  const auth = { authorization: `Bearer ${await fixture.token('syndic')}` };
  const documents: Document[] = [];
  const versions = new Map<string, string>();
  for (let index = 0; index < count; index++) {
    const big = index === bigIndex;
    const content = pdfOfSize(big ? (options.bigBytes ?? 20 * 1024 * 1024) : 2000 + index * 37);
    const title = index === 3 ? 'Procès-verbal AG 2025/2026: « ouvrages »' : index === 4 || index === 5 ? 'Facture chauffage' : `Document ${index} — ÉÀÇ ß 東京 ${'x'.repeat(index % 3)}`;
    const { payload, headers } = documentUpload({
      type: TYPES[index % TYPES.length],
      title,
      fileName: index === 6 ? '../../etc/pass?wd*.pdf' : `fichier-${index}-é.pdf`,
      content,
      extra: [{ name: 'documentDate', value: `2025-0${(index % 9) + 1}-1${index % 10}` }],
    });
    const response = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${buildingId}/documents`, payload, headers: { ...headers, ...auth } });
    expect(response.statusCode, response.body).toBe(201);
    const document = response.json() as Document;
    documents.push(document);
    versions.set(`${document.id}/1`, sha256(content));
    if (index % 10 === 1) {
      for (const version of [2, 3]) {
        const next = pdfOfSize(3000 + version);
        const form = multipartBody([{ name: 'file', fileName: `révision-${version}.pdf`, content: next }]);
        const added = await fixture.service.app.inject({ method: 'POST', url: `/api/v1/documents/${document.id}/versions`, payload: form.payload, headers: { ...form.headers, ...auth } });
        expect(added.statusCode, added.body).toBe(201);
        versions.set(`${document.id}/${version}`, sha256(next));
      }
    }
  }
  const trashed = documents.find((document) => document.type === 'other');
  const held = documents[2];
  const big = documents[bigIndex];
  if (trashed === undefined || held === undefined || big === undefined) throw new Error('fixture documents missing');
  const removed = await fixture.service.app.inject({ method: 'DELETE', url: `/api/v1/documents/${trashed.id}`, headers: auth });
  expect(removed.statusCode, removed.body).toBe(204);
  const hold = await fixture.service.app.inject({ method: 'PUT', url: `/api/v1/documents/${held.id}/legal-hold`, payload: { held: true, reason: 'Litige entrepreneur façade' }, headers: auth });
  expect(hold.statusCode, hold.body).toBe(200);
  return { buildingId, documents, versions, trashedId: trashed.id, heldId: held.id, bigId: big.id };
}

/** Exports through the service into a file of a fresh temporary folder; returns its path. */
export async function exportToFile(fixture: ServiceFixture, request: Omit<ExportRequest, 'signingKey' | 'requestedBy'> & Partial<Pick<ExportRequest, 'signingKey'>>): Promise<{ file: string; dir: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'docstore-handover-'));
  const signingKey = request.signingKey ?? (await fixture.service.handover.keys.signingKeyOf(ORG_A));
  const opened = await fixture.service.handover.exporter.open({ ...request, signingKey, requestedBy: 'test' });
  const file = join(dir, 'archive.zip');
  await pipeline(opened.output, createWriteStream(file));
  return { file, dir };
}

/** Runs a command to its exit code and output (never rejects on a non-zero exit). */
export function run(command: string, args: readonly string[], options: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd: options.cwd, env: options.env ?? process.env, maxBuffer: 16 << 20 }, (error, stdout, stderr) => {
      if (error === null) resolve({ code: 0, stdout, stderr });
      else if (typeof error.code === 'number') resolve({ code: error.code, stdout, stderr });
      else reject(error);
    });
  });
}

/** `gpg --verify` with only `publicKey` in a fresh keyring: the receiver's check. */
export async function gpgVerify(root: string, publicKey: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const home = await mkdtemp(join(tmpdir(), 'docstore-gnupg-'));
  const env = { ...process.env, GNUPGHOME: home };
  await writeFile(join(home, 'key.asc'), publicKey);
  const imported = await run('gpg', ['--batch', '--import', join(home, 'key.asc')], { env });
  expect(imported.code, imported.stderr).toBe(0);
  return run('gpg', ['--batch', '--status-fd', '1', '--verify', 'SHA256SUMS.asc', 'SHA256SUMS'], { cwd: root, env });
}
