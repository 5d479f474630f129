import { describe, expect, it } from 'vitest';
import { DocumentError } from '../../src/documents/document-errors.js';
import { ALL_ERROR_CODES, STATUS_BY_CODE, toProblem } from '../../src/http/problem-details.js';
import { StorageUnavailable } from '../../src/storage/storage-errors.js';

describe('HTTP error mapping', () => {
  it('maps every stable error code to an HTTP status', () => {
    const unmapped = ALL_ERROR_CODES.filter((code) => STATUS_BY_CODE[code] === undefined);
    expect(unmapped).toEqual([]);
    for (const code of ALL_ERROR_CODES) expect(STATUS_BY_CODE[code]).toBeGreaterThanOrEqual(400);
  });

  it('never shows internals of a 5xx', () => {
    const problem = toProblem(new Error('password=hunter2 at db.internal:5432'), '/api/v1/x');
    expect(problem).toMatchObject({ status: 500, code: 'internal', instance: '/api/v1/x' });
    expect(JSON.stringify(problem)).not.toContain('hunter2');
    const unavailable = toProblem(StorageUnavailable.because('endpoint http://10.0.0.5:9000 is unreachable'), '/x');
    expect(unavailable).toMatchObject({ status: 503, code: 'storage.unavailable' });
    expect(JSON.stringify(unavailable)).not.toContain('10.0.0.5');
  });

  it('keeps typed 4xx messages', () => {
    expect(toProblem(DocumentError.invalid('title', 'too long'), '/x')).toMatchObject({ status: 400, code: 'documents.invalid_input', detail: 'title: too long' });
  });
});
