import { encryptedFixture } from '../support/encryption-fixtures.js';
import { describeObjectStorage } from './object-storage.conformance.js';

describeObjectStorage('encryption around local', () => encryptedFixture('local'));
describeObjectStorage('encryption around s3 (Ceph RGW unless S3_TEST_ENDPOINT is set)', () => encryptedFixture('s3'));
