import { s3Fixture } from '../support/storage-fixtures.js';
import { describeObjectStorage } from './object-storage.conformance.js';

describeObjectStorage('s3 (Ceph RGW unless S3_TEST_ENDPOINT is set)', () => s3Fixture());
