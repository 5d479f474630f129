/**
 * `npm run bench:search`: search inside documents (issue 21).
 *
 * 1. Extraction throughput, pages per second, with the service's own extractor (pdftotext; pdftoppm
 *    + tesseract fra+nld; one tool at a time, tesseract on one thread, as a worker runs them): a
 *    60-page PDF with a text layer, and scanned pages (an image-only PDF per page, French text
 *    rendered at 200 dpi and read at 300 dpi).
 * 2. Search latency over BENCH_SEARCH_DOCUMENTS (default 100,000) documents of generated text
 *    (about 150 words each from a 6,000-word vocabulary, Zipf-distributed, plus titles), on a
 *    SQLite file and on PostgreSQL: 10 organisations of 20 buildings; queries of five kinds (one
 *    word, two words, a prefix, a phrase, a word with an exclusion) run through `SearchService.search`
 *    (parse, the permission-filtered query, the count, the snippets of a page of 20), as a syndic
 *    (the organisation's 10,000 documents), a board member (5 buildings) and an owner (2), each measured 100 times
 *    after 20 warm-up queries: p50 and p99 in ms. Target: p50 ≤ 30 ms, p99 ≤ 150 ms.
 * 3. The index's size per document (SQLite: the FTS5 tables and search_entries, by dbstat;
 *    PostgreSQL: search_entries with its GIN index), and the stored text's.
 *
 * PostgreSQL: PG_TEST_ADMIN_URL when set, else a throwaway cluster of scripts/services/postgres.sh.
 * Tools: scripts/services/ocr.sh install (as root) when missing.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql, type Kysely } from 'kysely';
import pg from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { openDatabase, type Database, type DatabaseConfig } from '../src/db/database.js';
import { migrateToLatest } from '../src/db/migrate.js';
import { DEFAULT_EXTRACTION_LIMITS } from '../src/search/extraction/extraction-limits.js';
import { detectExtractionTools } from '../src/search/extraction/extraction-tools.js';
import { TextExtractor } from '../src/search/extraction/text-extractor.js';
import { dialectOf, scopeToken } from '../src/search/search-index.js';
import { SearchService } from '../src/search/search-service.js';
import { indexText } from '../src/search/text-folding.js';
import type { Principal } from '../src/shared/principal.js';
import { imagePdf, installOcrTools, scanOf, textPdf } from '../test/support/search-samples.js';

const DOCUMENTS = Number(process.env.BENCH_SEARCH_DOCUMENTS ?? 100_000);
if (!(DOCUMENTS >= 1000)) throw new RangeError('BENCH_SEARCH_DOCUMENTS must be at least 1000');
const ORGANIZATIONS = 10;
const BUILDINGS_PER_ORGANIZATION = 20;
const WORDS_PER_DOCUMENT = 150;
const VOCABULARY = 6000;
const MEASURED = 100;
const WARM_UP = 20;
const BATCH = 500;

/** A deterministic pseudo-random sequence (the same corpus every run). */
function generator(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}
const random = generator(21);

const SYLLABLES = ['ba', 'ti', 'ment', 'toi', 'ture', 'as', 'sem', 'blee', 'gé', 'né', 'ral', 'syn', 'dic', 'fac', 'co', 'pro', 'prié', 'té', 'char', 'ge', 'dak', 'wer', 'ken', 'ver', 'ga', 'de', 'ring', 'lift', 'kel', 'der', 'é', 'lec', 'tri', 'ci', 'chauf', 'fa', 'lo', 'ca', 'tion', 'ré', 'pa', 'ra'];
const vocabulary: string[] = [];
for (let index = 0; vocabulary.length < VOCABULARY; index++) {
  const parts = 2 + (index % 3);
  let word = '';
  for (let part = 0; part < parts; part++) word += SYLLABLES[Math.floor(random() * SYLLABLES.length)];
  if (!vocabulary.includes(word)) vocabulary.push(word);
}
/** Zipf-like: word k drawn with weight 1/(k+1). */
const cumulative: number[] = [];
let running = 0;
for (let rank = 0; rank < VOCABULARY; rank++) cumulative.push((running += 1 / (rank + 1)));
function word(): string {
  const target = random() * running;
  let low = 0;
  let high = VOCABULARY - 1;
  while (low < high) {
    const middle = (low + high) >> 1;
    if ((cumulative[middle] as number) < target) low = middle + 1;
    else high = middle;
  }
  return vocabulary[low] as string;
}
function sentence(count: number): string {
  return Array.from({ length: count }, word).join(' ');
}

function percentile(sorted: number[], share: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(share * sorted.length))] as number;
}

async function extractionThroughput(): Promise<Array<[string, string]>> {
  await installOcrTools();
  const tools = await detectExtractionTools('fra+nld');
  const extractor = new TextExtractor(async () => tools, DEFAULT_EXTRACTION_LIMITS, 'fra+nld');
  const dir = await mkdtemp(join(tmpdir(), 'docstore-bench-search-'));
  try {
    const textPages = Array.from({ length: 60 }, (_, page) => Array.from({ length: 28 }, () => `${sentence(9)}.`).concat(`Page ${page + 1}`));
    await writeFile(join(dir, 'text.pdf'), textPdf(textPages));
    let started = performance.now();
    let pages = 0;
    for (let run = 0; run < 3; run++) pages += (await extractor.extract(join(dir, 'text.pdf'), 'application/pdf', dir)).pages ?? 0;
    const textRate = pages / ((performance.now() - started) / 1000);
    const scans: string[] = [];
    for (let index = 0; index < 4; index++) {
      const scan = await scanOf(['Procès-verbal de l’assemblée générale', `Point ${index + 1} : travaux de toiture`, 'Le syndic présente le budget de l’exercice.', 'Vote : adopté à la majorité des voix.'], 'jpeg');
      const path = join(dir, `scan-${index}.pdf`);
      await writeFile(path, imagePdf(scan.image, scan.width, scan.height));
      scans.push(path);
    }
    started = performance.now();
    pages = 0;
    for (const path of scans) {
      const extraction = await extractor.extract(path, 'application/pdf', dir);
      if (extraction.method !== 'ocr') throw new Error(`expected OCR, got ${extraction.method}`);
      pages += extraction.pages ?? 0;
    }
    const ocrRate = pages / ((performance.now() - started) / 1000);
    return [
      ['text layer (pdftotext), 3 × 60 pages', `${textRate.toFixed(1)} pages/s`],
      ['OCR (pdftoppm 300 dpi + tesseract fra+nld, 1 thread), 4 pages', `${ocrRate.toFixed(2)} pages/s (${(1 / ocrRate).toFixed(1)} s a page)`],
    ];
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

interface Corpus {
  organizations: string[];
  buildings: string[][];
}

async function fill(db: Kysely<Database>): Promise<Corpus> {
  const organizations = Array.from({ length: ORGANIZATIONS }, () => uuidv7());
  const buildings = organizations.map(() => Array.from({ length: BUILDINGS_PER_ORGANIZATION }, () => uuidv7()));
  const now = new Date().toISOString();
  for (const [index, organization] of organizations.entries()) {
    await db
      .insertInto('buildings')
      .values((buildings[index] as string[]).map((id) => ({ id, organization_id: organization, name: `Résidence ${id.slice(-4)}`, name_key: `residence ${id.slice(-4)}`, created_at: now, updated_at: now })))
      .execute();
  }
  const postgres = dialectOf(db) === 'postgres';
  const types = ['meeting_minutes', 'invoice', 'contract', 'regulation', 'other'] as const;
  for (let start = 0; start < DOCUMENTS; start += BATCH) {
    const rows = Array.from({ length: Math.min(BATCH, DOCUMENTS - start) }, (_, offset) => {
      const index = start + offset;
      const organization = index % ORGANIZATIONS;
      const id = uuidv7();
      const year = 2010 + (index % 16);
      return {
        id,
        organization_id: organizations[organization] as string,
        building_id: (buildings[organization] as string[])[Math.floor(index / ORGANIZATIONS) % BUILDINGS_PER_ORGANIZATION] as string,
        type: types[index % types.length] as string,
        title: sentence(4),
        description: null,
        file_name: `document-${index}.pdf`,
        mime_type: 'application/pdf',
        size: 1000,
        sha256: randomBytes(32).toString('hex'),
        uploaded_by: 'bench',
        related_meeting_id: null,
        related_expense_id: null,
        storage_key: `${id}`,
        document_date: `${year}-0${1 + (index % 9)}-15`,
        contract_end_date: null,
        retain_until_override: null,
        created_at: now,
        updated_at: now,
        deleted_at: null,
        text: `${sentence(WORDS_PER_DOCUMENT / 2)}. ${sentence(WORDS_PER_DOCUMENT / 2)}.`,
      };
    });
    await db.transaction().execute(async (trx) => {
      await trx.insertInto('documents').values(rows.map(({ text: _text, ...row }) => row)).execute();
      await trx.insertInto('document_texts').values(rows.map((row) => ({ document_id: row.id, version: 1, text: row.text, method: 'text', extracted_at: now }))).execute();
      if (postgres) {
        const values = rows.map(
          (row) =>
            sql`(${row.id}, setweight(to_tsvector('simple', ${indexText(`${row.title} ${row.file_name}`)}), 'A') || setweight(to_tsvector('simple', ${indexText(row.text)}), 'D') || setweight(to_tsvector('simple', ${scopeToken(row.building_id)}), 'B'))`,
        );
        await sql`insert into search_entries (document_id, tsv) values ${sql.join(values)}`.execute(trx);
      } else {
        const entries = await trx.insertInto('search_entries').values(rows.map((row) => ({ document_id: row.id }))).returning(['id', 'document_id']).execute();
        const byId = new Map(rows.map((row) => [row.id, row]));
        const values = entries.map((entry) => {
          const row = byId.get(entry.document_id)!;
          return sql`(${entry.id}, ${indexText(`${row.title} ${row.file_name}`)}, ${indexText(row.text)}, ${scopeToken(row.building_id)})`;
        });
        await sql`insert into search_fts (rowid, title, body, scope) values ${sql.join(values)}`.execute(trx);
      }
    });
    if ((start / BATCH) % 20 === 0) process.stderr.write(`\r  ${start + BATCH} / ${DOCUMENTS} documents`);
  }
  process.stderr.write('\n');
  if (postgres) await sql`analyze`.execute(db);
  else await sql`insert into search_fts (search_fts) values ('optimize')`.execute(db);
  return { organizations, buildings };
}

async function latencies(db: Kysely<Database>, corpus: Corpus): Promise<Array<[string, string, string, string]>> {
  const service = new SearchService(db, { enabled: true, tools: async () => ({ pdf: true, ocr: true, languages: [] }), ocrLanguages: 'fra+nld', excludedTypes: [] });
  const organization = corpus.organizations[0] as string;
  const syndic: Principal = { userId: 'bench-syndic', organizationId: organization, role: 'syndic', buildingIds: [] };
  const owner: Principal = { userId: 'bench-owner', organizationId: organization, role: 'owner', buildingIds: (corpus.buildings[0] as string[]).slice(0, 2) };
  const boardMember: Principal = { userId: 'bench-board', organizationId: organization, role: 'board_member', buildingIds: (corpus.buildings[0] as string[]).slice(0, 5) };
  // Words of frequent, middle and rare rank, so that results range from thousands to a few.
  const at = (rank: number) => vocabulary[rank] as string;
  const kinds: Array<[string, (index: number) => string]> = [
    ['one word', (index) => at([3, 40, 400, 2000][index % 4] as number)],
    ['two words', (index) => `${at(5 + (index % 20))} ${at(100 + (index % 50))}`],
    ['prefix', (index) => `${at(10 + (index % 30)).slice(0, 4)}*`],
    ['phrase', (index) => `"${at(index % 10)} ${at(1 + (index % 7))}"`],
    ['exclusion', (index) => `${at(2 + (index % 10))} -${at(20 + (index % 10))}`],
  ];
  const rows: Array<[string, string, string, string]> = [];
  for (const [who, principal] of [
    ['syndic', syndic],
    ['board member (5 buildings)', boardMember],
    ['owner (2 buildings)', owner],
  ] as const) {
    for (const [kind, queryOf] of kinds) {
      const times: number[] = [];
      let totals = 0;
      for (let index = 0; index < WARM_UP + MEASURED; index++) {
        const started = performance.now();
        const page = await service.search(principal, { q: queryOf(index), limit: 20 });
        const elapsed = performance.now() - started;
        if (index >= WARM_UP) (times.push(elapsed), (totals += page.total));
      }
      times.sort((a, b) => a - b);
      rows.push([`${who}, ${kind}`, `${Math.round(totals / MEASURED)}`, percentile(times, 0.5).toFixed(1), percentile(times, 0.99).toFixed(1)]);
    }
  }
  return rows;
}

async function indexSize(db: Kysely<Database>, config: DatabaseConfig): Promise<[string, string]> {
  if (config.dialect === 'postgres') {
    const result = await sql<{ index: string; text: string }>`select pg_total_relation_size('search_entries')::text as index, pg_total_relation_size('document_texts')::text as text`.execute(db);
    const row = result.rows[0]!;
    return [`${Math.round(Number(row.index) / DOCUMENTS)} B`, `${Math.round(Number(row.text) / DOCUMENTS)} B`];
  }
  const result = await sql<{ name: string; bytes: number }>`select name, sum(pgsize) as bytes from dbstat where name like 'search_%' or name like 'sqlite_autoindex_search%' or name = 'document_texts' or name like 'sqlite_autoindex_document_texts%' group by name`.execute(db);
  let index = 0;
  let text = 0;
  for (const row of result.rows) (row.name.includes('document_texts') ? (text += Number(row.bytes)) : (index += Number(row.bytes)));
  return [`${Math.round(index / DOCUMENTS)} B`, `${Math.round(text / DOCUMENTS)} B`];
}

async function postgresAdminUrl(): Promise<{ url: string; stop: () => void }> {
  if (process.env.PG_TEST_ADMIN_URL) return { url: process.env.PG_TEST_ADMIN_URL, stop: () => undefined };
  const script = new URL('../scripts/services/postgres.sh', import.meta.url).pathname;
  const env = { ...process.env, DOCSTORE_PG_STATE_DIR: join(tmpdir(), `docstore-bench-search-pg-${process.pid}`) };
  const output = execFileSync('bash', [script, 'start'], { env, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  const url = /^PG_TEST_ADMIN_URL=(.*)$/m.exec(output)?.[1];
  if (url === undefined) throw new Error('postgres.sh printed no PG_TEST_ADMIN_URL');
  return { url, stop: () => execFileSync('bash', [script, 'stop'], { env, stdio: 'inherit' }) };
}

async function main(): Promise<void> {
  console.log(`search benchmark: ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), Node ${process.version}, ${DOCUMENTS} documents\n`);
  console.log('Extraction throughput');
  for (const [what, rate] of await extractionThroughput()) console.log(`  ${what.padEnd(70)} ${rate}`);
  const postgres = await postgresAdminUrl();
  const dir = await mkdtemp(join(tmpdir(), 'docstore-bench-search-'));
  const databaseName = `docstore_bench_search_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: postgres.url });
  await admin.connect();
  await admin.query(`create database ${databaseName}`);
  const pgUrl = new URL(postgres.url);
  pgUrl.pathname = `/${databaseName}`;
  const configs: Array<[string, DatabaseConfig]> = [
    ['SQLite (FTS5)', { dialect: 'sqlite', path: join(dir, 'docstore.sqlite') }],
    ['PostgreSQL (tsvector, GIN)', { dialect: 'postgres', url: pgUrl.toString() }],
  ];
  try {
    for (const [name, config] of configs) {
      console.log(`\n${name}: filling ${DOCUMENTS} documents`);
      const { db } = openDatabase(config);
      try {
        await migrateToLatest(db);
        const started = performance.now();
        const corpus = await fill(db);
        console.log(`  filled in ${((performance.now() - started) / 1000).toFixed(0)} s`);
        const [perDocument, textPerDocument] = await indexSize(db, config);
        if (config.dialect === 'sqlite') console.log(`  database file ${((await stat(config.path)).size / 1e6).toFixed(0)} MB`);
        console.log(`  index per document ${perDocument}, stored text per document ${textPerDocument}`);
        console.log(`  ${'searcher, query'.padEnd(42)} ${'matches'.padStart(8)} ${'p50 ms'.padStart(8)} ${'p99 ms'.padStart(8)}`);
        for (const [what, total, p50, p99] of await latencies(db, corpus)) console.log(`  ${what.padEnd(42)} ${total.padStart(8)} ${p50.padStart(8)} ${p99.padStart(8)}`);
      } finally {
        await db.destroy();
      }
    }
  } finally {
    await admin.query(`drop database if exists ${databaseName}`);
    await admin.end();
    await rm(dir, { recursive: true, force: true });
    postgres.stop();
  }
}

await main();
