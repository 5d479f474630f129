import { randomBytes } from 'node:crypto';
import { s3Fixture } from '../support/storage-fixtures.js';
import { describeObjectStorage } from './object-storage.conformance.js';

// SSE-C on RGW: every request carries the customer key; copies (and streamed puts, published by a
// copy) are made of UploadPartCopy parts; links are served by docstore.
describeObjectStorage('s3 with SSE-C (customer key)', () => s3Fixture({ serverSideEncryption: { mode: 'SSE-C', customerKey: randomBytes(32) } }));
