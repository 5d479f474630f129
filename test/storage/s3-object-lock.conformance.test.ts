import { s3Fixture } from '../support/storage-fixtures.js';
import { describeObjectStorage } from './object-storage.conformance.js';

// The port's whole contract on a versioned bucket with Object Lock (nothing locked): removals must
// remove every version, temporary objects must leave none behind.
describeObjectStorage('s3 with Object Lock (governance; Ceph RGW unless S3_TEST_ENDPOINT is set)', () => s3Fixture({ objectLock: 'governance' }));
