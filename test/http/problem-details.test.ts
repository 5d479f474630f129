import { describe, expect, it } from 'vitest';
import { AuthError } from '../../src/auth/auth-errors.js';
import { DocumentError } from '../../src/documents/document-errors.js';
import { ERROR_CODES, ERROR_CODES_BY_MODULE } from '../../src/errors/error-codes.js';
import { ALL_ERROR_CODES, STATUS_BY_CODE, toProblem } from '../../src/http/problem-details.js';
import { ObjectNotFound, StorageUnavailable } from '../../src/storage/storage-errors.js';

describe('HTTP error mapping', () => {
  it('maps every stable error code to an HTTP status', () => {
    const unmapped = ALL_ERROR_CODES.filter((code) => (STATUS_BY_CODE as Record<string, number>)[code] === undefined);
    expect(unmapped).toEqual([]);
    for (const code of ALL_ERROR_CODES) expect(STATUS_BY_CODE[code]).toBeGreaterThanOrEqual(400);
  });

  it('has a status for registry codes only', () => {
    const registry = new Set<string>(ERROR_CODES);
    expect(Object.keys(STATUS_BY_CODE).filter((code) => !registry.has(code))).toEqual([]);
  });

  it('keeps typed 4xx messages', () => {
    expect(toProblem(DocumentError.invalid('title', 'too long'), '/x')).toMatchObject({ status: 400, code: 'documents.invalid_input', detail: 'title: too long' });
    expect(toProblem(AuthError.forbidden('deleting documents'), '/x')).toMatchObject({ status: 403, code: 'auth.forbidden', type: 'urn:docstore:auth.forbidden' });
    expect(toProblem(ObjectNotFound.atKey('a/b'), '/x')).toMatchObject({ status: 404, code: 'storage.not_found' });
  });

  it('never shows internals of a 5xx', () => {
    const problem = toProblem(new Error('password=hunter2 at db.internal:5432'), '/api/v1/x');
    expect(problem).toMatchObject({ status: 500, code: 'internal', instance: '/api/v1/x' });
    expect(JSON.stringify(problem)).not.toContain('hunter2');
    const unavailable = toProblem(StorageUnavailable.because('endpoint http://10.0.0.5:9000 is unreachable'), '/x');
    expect(unavailable).toMatchObject({ status: 503, code: 'storage.unavailable' });
    expect(JSON.stringify(unavailable)).not.toContain('10.0.0.5');
  });
});

describe('error code registry', () => {
  it('holds each code once, across modules', () => {
    const seen = new Map<string, string>();
    const repeated: string[] = [];
    for (const [module, codes] of Object.entries(ERROR_CODES_BY_MODULE)) {
      for (const code of codes) {
        if (seen.has(code)) repeated.push(`${code} (${seen.get(code)} and ${module})`);
        seen.set(code, module);
      }
    }
    expect(repeated).toEqual([]);
    expect(ERROR_CODES).toHaveLength(seen.size);
  });

  it('codes are namespaced lower-case identifiers', () => {
    for (const code of ERROR_CODES) expect(code).toMatch(/^([a-z]+\.[a-z_]+|internal)$/);
  });
});
