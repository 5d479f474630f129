import { s3Fixture } from '../support/storage-fixtures.js';
import { describeObjectStorage } from './object-storage.conformance.js';

describeObjectStorage('s3 with a key prefix', () => s3Fixture({ keyPrefix: 'tenant/docstore/' }));
