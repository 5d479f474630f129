import { FaultInjectingObjectStorage } from '../../src/storage/fault-injecting-object-storage.js';
import { localFixture } from '../support/storage-fixtures.js';
import { describeObjectStorage } from './object-storage.conformance.js';

describeObjectStorage('local', localFixture);

describeObjectStorage('fault injection around local (passing through)', async () => {
  const fixture = await localFixture();
  const storage = new FaultInjectingObjectStorage(fixture.storage);
  fixture.serveThrough(storage);
  return { ...fixture, storage };
});
