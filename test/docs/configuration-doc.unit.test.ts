import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CONFIG_VARIABLES, loadConfig, type DocstoreConfig } from '../../src/config.js';
import { DEFAULT_ALLOWED_MIME_TYPES } from '../../src/documents/allowed-mime-types.js';

/**
 * docs/configuration.md must not drift from src/config.ts: it documents exactly the variables of
 * the schema, and the defaults it shows are the ones loadConfig applies.
 */

const markdown = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');

interface DocumentedVariable {
  variable: string;
  default: string;
  constraint: string;
  meaning: string;
}

/** Rows of every table whose first column is `variable`. Group rows (`**Server**`) are skipped. */
function documentedVariables(text: string): DocumentedVariable[] {
  const rows: DocumentedVariable[] = [];
  let header: string[] | undefined;
  for (const line of text.split('\n')) {
    if (!line.trimStart().startsWith('|')) {
      header = undefined;
      continue;
    }
    const cells = splitRow(line);
    if (header === undefined) {
      header = cells.map((cell) => cell.toLowerCase());
      continue;
    }
    if (header[0] !== 'variable' || cells.every((cell) => /^:?-+:?$/.test(cell))) continue;
    const first = cells[0] ?? '';
    if (/^\*\*[^*]+\*\*$/.test(first) && cells.slice(1).every((cell) => cell === '')) continue;
    const name = /^`([A-Z][A-Z0-9_]*)`$/.exec(first);
    if (name === null) throw new Error(`docs/configuration.md: a row must name one variable in backticks, got: ${line}`);
    const cell = (column: string) => cells[header?.indexOf(column) ?? -1] ?? '';
    rows.push({ variable: name[1] as string, default: cell('default'), constraint: cell('constraint'), meaning: cell('meaning') });
  }
  return rows;
}

/** Cells of a Markdown table row; `\|` stays inside a cell. */
function splitRow(line: string): string[] {
  const cells = line.trim().replace(/^\|/, '').replace(/\|$/, '').split(/(?<!\\)\|/);
  return cells.map((cell) => cell.trim().replace(/\\\|/g, '|'));
}

const documented = documentedVariables(markdown);
const byName = new Map(documented.map((row) => [row.variable, row]));

/**
 * The literal a default cell starts with (`` `8080` (…) `` → `8080`; `empty` → ''), with `$NAME`
 * replaced by NAME's documented literal default; undefined when the default is not a literal.
 */
function documentedDefault(variable: string, seen: ReadonlySet<string> = new Set()): string | undefined {
  const cell = byName.get(variable)?.default;
  if (cell === undefined || seen.has(variable)) return undefined;
  if (/^empty\b/i.test(cell)) return '';
  const literal = /^`([^`]*)`/.exec(cell)?.[1];
  if (literal === undefined) return undefined;
  let unresolved = false;
  const expanded = literal.replace(/\$([A-Z][A-Z0-9_]*)/g, (_match, name: string) => {
    const value = documentedDefault(name, new Set([...seen, variable]));
    if (value === undefined) unresolved = true;
    return value ?? '';
  });
  return unresolved ? undefined : expanded;
}

const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const PUBLIC_KEY_PEM = publicKey.export({ type: 'spki', format: 'pem' }).toString();

/** Environments in which each group of defaults takes effect. */
const LOCAL_ENV: Record<string, string> = {};
const S3_ENV: Record<string, string> = {
  STORAGE_BACKEND: 's3',
  S3_BUCKET: 'docstore-docs-test',
  S3_ACCESS_KEY: 'docstore-access-key',
  S3_SECRET_KEY: 'docstore-secret-key-of-some-length',
};
const PUBLIC_KEY_ENV: Record<string, string> = { DOCSTORE_JWT_PUBLIC_KEY: PUBLIC_KEY_PEM };
const POSTGRES_ENV: Record<string, string> = { DATABASE_URL: 'postgres://docstore@db.invalid:5432/docstore' };

function s3Of(config: DocstoreConfig) {
  if (config.storage.backend !== 's3') throw new Error('expected the S3 backend');
  return config.storage;
}

/** Variables with a simple default: where loadConfig puts it, and in which environment. */
const SIMPLE_DEFAULTS: Record<string, { env: Record<string, string>; value: (config: DocstoreConfig) => unknown }> = {
  HOST: { env: LOCAL_ENV, value: (config) => config.http.host },
  PORT: { env: LOCAL_ENV, value: (config) => config.http.port },
  PUBLIC_BASE_URL: { env: LOCAL_ENV, value: (config) => config.http.publicBaseUrl },
  DATA_DIR: { env: LOCAL_ENV, value: (config) => config.dataDir },
  LOG_LEVEL: { env: LOCAL_ENV, value: (config) => config.logLevel },
  STORAGE_BACKEND: { env: LOCAL_ENV, value: (config) => config.storage.backend },
  LOCAL_STORAGE_PATH: { env: LOCAL_ENV, value: (config) => (config.storage.backend === 'local' ? config.storage.path : undefined) },
  S3_REGION: { env: S3_ENV, value: (config) => s3Of(config).region },
  S3_USE_PATH_STYLE: { env: S3_ENV, value: (config) => s3Of(config).forcePathStyle },
  S3_KEY_PREFIX: { env: S3_ENV, value: (config) => s3Of(config).keyPrefix },
  S3_CREATE_BUCKET: { env: S3_ENV, value: (config) => s3Of(config).createBucket },
  S3_CONNECT_TIMEOUT_SECONDS: { env: S3_ENV, value: (config) => s3Of(config).connectTimeoutSeconds },
  S3_IDLE_TIMEOUT_SECONDS: { env: S3_ENV, value: (config) => s3Of(config).idleTimeoutSeconds },
  DATABASE_CONNECT_TIMEOUT_SECONDS: { env: POSTGRES_ENV, value: (config) => (config.database.dialect === 'postgres' ? config.database.timeouts?.connectSeconds : undefined) },
  DATABASE_STATEMENT_TIMEOUT_SECONDS: { env: POSTGRES_ENV, value: (config) => (config.database.dialect === 'postgres' ? config.database.timeouts?.statementSeconds : undefined) },
  HEALTH_CHECK_TIMEOUT_SECONDS: { env: LOCAL_ENV, value: (config) => config.healthCheckTimeoutSeconds },
  DOCSTORE_JWT_ALGORITHM: { env: PUBLIC_KEY_ENV, value: (config) => (config.jwt.kind === 'public-key' ? config.jwt.algorithm : undefined) },
  MAX_UPLOAD_BYTES: { env: LOCAL_ENV, value: (config) => config.maxUploadBytes },
  DOCSTORE_TRASH_DAYS: { env: LOCAL_ENV, value: (config) => config.trashDays },
  METRICS_HOST: { env: LOCAL_ENV, value: (config) => config.metrics.host },
  METRICS_PORT: { env: LOCAL_ENV, value: (config) => config.metrics.port },
  NODE_ENV: { env: LOCAL_ENV, value: (config) => config.environment },
};

describe('docs/configuration.md', () => {
  it('documents every variable of CONFIG_VARIABLES once, and no other', () => {
    const names = documented.map((row) => row.variable);
    const duplicates = names.filter((name, index) => names.indexOf(name) !== index);
    const missing = CONFIG_VARIABLES.filter((name) => !names.includes(name));
    const extra = names.filter((name) => !CONFIG_VARIABLES.includes(name));
    expect({ duplicates, missing, extra }).toEqual({ duplicates: [], missing: [], extra: [] });
  });

  it('gives every variable a default, a constraint and a meaning', () => {
    const incomplete = documented.filter((row) => row.default === '' || row.constraint === '' || row.meaning === '').map((row) => row.variable);
    expect(incomplete).toEqual([]);
  });

  it.each(Object.entries(SIMPLE_DEFAULTS))('documents the default of %s as loadConfig applies it', (variable, { env, value }) => {
    const written = documentedDefault(variable);
    expect(written, `${variable}: the default cell must start with a literal in backticks`).toBeDefined();
    expect(written).toBe(String(value(loadConfig(env))));
  });

  it('changes nothing when a variable is set to its documented literal default', () => {
    const checked: string[] = [];
    for (const { variable } of documented) {
      const value = documentedDefault(variable);
      if (value === undefined) continue;
      for (const env of [LOCAL_ENV, S3_ENV, PUBLIC_KEY_ENV, POSTGRES_ENV]) {
        if (env[variable] !== undefined) continue;
        expect(loadConfig({ ...env, [variable]: value }), `${variable}=${value}`).toEqual(loadConfig(env));
      }
      checked.push(variable);
    }
    expect(checked).toEqual(expect.arrayContaining(Object.keys(SIMPLE_DEFAULTS)));
  });

  it('lists the default allowed types of DOCSTORE_ALLOWED_TYPES', () => {
    const section = /^### Default allowed types\n([\s\S]*?)(?=^#)/m.exec(markdown)?.[1] ?? '';
    const listed = [...section.matchAll(/^- `([^`]+)`$/gm)].map((match) => match[1]);
    expect(listed).toEqual([...DEFAULT_ALLOWED_MIME_TYPES]);
    expect(loadConfig({}).allowedMimeTypes).toEqual(listed);
  });
});
