import { DocstoreMetrics } from '../../src/metrics/docstore-metrics.js';
import { FaultInjectingObjectStorage } from '../../src/storage/decorators/fault-injecting-object-storage.js';
import { MetricsObjectStorage } from '../../src/storage/decorators/metrics-object-storage.js';
import { localFixture } from '../support/storage-fixtures.js';
import { describeObjectStorage } from './object-storage.conformance.js';

describeObjectStorage('local', localFixture);

describeObjectStorage('fault injection around local (passing through)', async () => {
  const fixture = await localFixture();
  const storage = new FaultInjectingObjectStorage(fixture.storage);
  fixture.serveThrough(storage);
  return { ...fixture, storage };
});

describeObjectStorage('metrics around local', async () => {
  const fixture = await localFixture();
  const storage = new MetricsObjectStorage(fixture.storage, new DocstoreMetrics());
  fixture.serveThrough(storage);
  return { ...fixture, storage };
});
