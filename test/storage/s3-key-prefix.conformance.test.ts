import { s3Fixture } from '../support/storage-fixtures.js';
import { describeObjectStorage } from './object-storage.conformance.js';

// Also sends bodies in memory above 5 MiB as multipart uploads (the default is one PutObject up to
// 64 MiB), so that path runs the whole suite too.
describeObjectStorage('s3 with a key prefix, multipart above 5 MiB', () =>
  s3Fixture({ keyPrefix: 'tenant/docstore/', singlePutMaxBytes: 5 * 1024 * 1024 }),
);
