import { s3Fixture } from '../support/storage-fixtures.js';
import { describeObjectStorage } from './object-storage.conformance.js';

// SSE-KMS on RGW with its "testing" KMS backend (scripts/services/s3.sh configures the key id
// docstore-test-kms); copies are made of UploadPartCopy parts.
describeObjectStorage('s3 with SSE-KMS (RGW testing KMS)', () => s3Fixture({ serverSideEncryption: { mode: 'aws:kms', kmsKeyId: 'docstore-test-kms' } }));
