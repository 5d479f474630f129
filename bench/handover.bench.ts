/**
 * `npm run bench:handover`: the change of syndic's export and import (issue 18) on local storage
 * and SQLite, against `zip -0` of the same files on disk, in the same run.
 *
 * A building of about 1 GB (40 × 20 MiB and 1000 × 10–300 KiB of random bytes, rows written
 * directly, objects through the storage port), then:
 * 1. baseline: `zip -0 -q` (store, no compression: PDFs do not compress) of the objects' files;
 * 2. `BuildingExporter` to a file (every version read through the port and checked against its
 *    SHA-256, manifests, signature), in this process so that its RSS can be sampled every 50 ms:
 *    the peak while the first half of the bytes went through against the peak during the second
 *    half (memory must not grow with the archive);
 * 3. `BuildingImporter` of that archive into an empty installation (signature and every SHA-256
 *    checked, then stored): throughput, and its RSS likewise.
 *
 * BENCH_HANDOVER_SCALE (default 1) scales the document counts, e.g. 0.05 for a quick run.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { randomBytes, randomInt } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { loadConfig } from '../src/config.js';
import { createDocstoreService, type DocstoreService } from '../src/service.js';
import { readVerificationKeys } from '../src/handover/archive/archive-signature.js';
import { LocalObjectPaths } from '../src/storage/local/local-object-paths.js';

const KiB = 1024;
const MiB = 1024 * KiB;
const SCALE = Number(process.env.BENCH_HANDOVER_SCALE ?? 1);
if (!(SCALE > 0)) throw new RangeError('BENCH_HANDOVER_SCALE must be a number above 0');
const scaled = (count: number) => Math.max(1, Math.round(count * SCALE));
const LARGE = { count: scaled(40), bytes: 20 * MiB };
const SMALL = { count: scaled(1000), minBytes: 10 * KiB, maxBytes: 300 * KiB };
const ORG = '0190a000-0000-7000-8000-00000000000a';
const SAMPLE_MS = 50;

interface Measured {
  seconds: number;
  peakFirstHalfMiB: number;
  peakSecondHalfMiB: number;
}

/** Runs `work`, sampling RSS; `progress` tells how many of `totalBytes` went through. */
async function measured(totalBytes: number, work: (progress: (bytes: number) => void) => Promise<void>): Promise<Measured> {
  let done = 0;
  let first = 0;
  let second = 0;
  const sample = () => {
    const rss = process.memoryUsage.rss();
    if (done < totalBytes / 2) first = Math.max(first, rss);
    else second = Math.max(second, rss);
  };
  (globalThis as { gc?: () => void }).gc?.();
  const timer = setInterval(sample, SAMPLE_MS);
  const started = performance.now();
  try {
    await work((bytes) => {
      done = bytes;
    });
  } finally {
    clearInterval(timer);
  }
  sample();
  return { seconds: (performance.now() - started) / 1000, peakFirstHalfMiB: first / MiB, peakSecondHalfMiB: second / MiB };
}

async function installation(dir: string): Promise<DocstoreService> {
  return createDocstoreService(loadConfig({ DATA_DIR: dir, DOCSTORE_JWT_SECRET: 'bench-secret-0123456789abcdef0123456789', LOG_LEVEL: 'silent' }));
}

async function populate(service: DocstoreService, buildingId: string): Promise<{ bytes: number; keys: string[] }> {
  const now = new Date().toISOString();
  await service.db
    .insertInto('buildings')
    .values({ id: buildingId, organization_id: ORG, name: 'Résidence Bench', name_key: 'residence bench', street: null, postal_code: null, city: null, country: 'BE', external_reference: null, financial_year_end_month: 12, financial_year_end_day: 31, created_at: now, updated_at: now })
    .execute();
  const sizes = [...Array.from({ length: LARGE.count }, () => LARGE.bytes), ...Array.from({ length: SMALL.count }, () => randomInt(SMALL.minBytes, SMALL.maxBytes))];
  let bytes = 0;
  const keys: string[] = [];
  for (const [index, size] of sizes.entries()) {
    const id = uuidv7();
    const key = `${ORG}/${buildingId}/${id}`;
    // Random bytes in 1 MiB pieces: nothing of the size is held at once.
    const body = Readable.from(
      (function* () {
        for (let left = size; left > 0; left -= MiB) yield randomBytes(Math.min(MiB, left));
      })(),
    );
    const put = await service.storage.put(key, body, { contentType: 'application/pdf' });
    const row = {
      id,
      organization_id: ORG,
      building_id: buildingId,
      type: index % 2 === 0 ? 'invoice' : 'other',
      title: `Document ${index}`,
      description: null,
      file_name: `document-${index}.pdf`,
      mime_type: 'application/pdf',
      size,
      sha256: put.sha256,
      uploaded_by: 'bench',
      related_meeting_id: null,
      related_expense_id: null,
      storage_key: key,
      document_date: '2026-01-15',
      contract_end_date: null,
      retain_until_override: null,
      created_at: now,
      updated_at: now,
      deleted_at: null,
    };
    await service.db.insertInto('documents').values(row).execute();
    await service.db.insertInto('document_versions').values({ document_id: id, version: 1, storage_key: key, size, sha256: put.sha256, mime_type: row.mime_type, file_name: row.file_name, uploaded_by: 'bench', created_at: now }).execute();
    bytes += size;
    keys.push(key);
  }
  return { bytes, keys };
}

async function main(): Promise<void> {
  if (spawnSync('zip', ['-v']).status !== 0) throw new Error('zip is needed for the baseline (apt-get install zip)');
  const work = await mkdtemp(join(tmpdir(), 'docstore-handover-bench-'));
  const source = await installation(join(work, 'source'));
  const target = await installation(join(work, 'target'));
  try {
    const buildingId = uuidv7();
    const { bytes, keys } = await populate(source, buildingId);
    const { publicKeyPath } = await source.handover.keys.create(ORG, 'Bench');
    const signingKey = await source.handover.keys.signingKeyOf(ORG);
    const storagePath = source.config.storage.backend === 'local' ? source.config.storage.path : '';
    const paths = new LocalObjectPaths(storagePath);

    const baselineFile = join(work, 'baseline.zip');
    const baselineStart = performance.now();
    execFileSync('zip', ['-0', '-q', baselineFile, '-@'], { input: keys.map((key) => paths.lexicalPath(key)).join('\n'), maxBuffer: 1 << 20 });
    const baselineSeconds = (performance.now() - baselineStart) / 1000;

    const archive = join(work, 'export.zip');
    const exported = await measured(bytes, async (progress) => {
      const opened = await source.handover.exporter.open({ buildingId, signingKey, requestedBy: 'bench', onProgress: (step) => progress(step.bytes) });
      await pipeline(opened.output, createWriteStream(archive));
    });
    const archiveBytes = (await stat(archive)).size;
    const keysOfSource = await readVerificationKeys(await (await import('node:fs/promises')).readFile(publicKeyPath, 'utf8'), publicKeyPath);
    const imported = await measured(bytes * 2, async (progress) => {
      let verified = 0;
      await target.handover.importer.import({
        file: archive,
        organizationId: ORG,
        keys: keysOfSource,
        importedBy: 'bench',
        onProgress: (phase, step) => {
          if (phase === 'verify') verified = step.bytes;
          progress(phase === 'verify' ? step.bytes : verified + step.bytes);
        },
      });
    });

    const mib = bytes / MiB;
    const line = (cells: string[]) => console.log(`| ${cells.join(' | ')} |`);
    console.log(`\nhandover bench: ${LARGE.count + SMALL.count} documents, ${(bytes / 1024 ** 3).toFixed(2)} GiB; node ${process.version}, ${cpus().length} CPUs\n`);
    line(['step', 'seconds', 'MiB/s', 'ratio to zip -0', 'RSS peak 1st half (MiB)', 'RSS peak 2nd half (MiB)']);
    line(['---', '---:', '---:', '---:', '---:', '---:']);
    line(['zip -0 of the files (baseline)', baselineSeconds.toFixed(1), (mib / baselineSeconds).toFixed(0), '1.00', '', '']);
    line(['docstore export', exported.seconds.toFixed(1), (mib / exported.seconds).toFixed(0), (exported.seconds / baselineSeconds).toFixed(2), exported.peakFirstHalfMiB.toFixed(0), exported.peakSecondHalfMiB.toFixed(0)]);
    line(['docstore import (verify + store)', imported.seconds.toFixed(1), (mib / imported.seconds).toFixed(0), '', imported.peakFirstHalfMiB.toFixed(0), imported.peakSecondHalfMiB.toFixed(0)]);
    console.log(`\narchive ${(archiveBytes / MiB).toFixed(0)} MiB for ${mib.toFixed(0)} MiB of documents`);
  } finally {
    await Promise.all([source.close(), target.close()]);
    await rm(work, { recursive: true, force: true });
  }
}

await main();
