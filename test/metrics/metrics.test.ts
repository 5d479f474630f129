import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Document } from '../../src/shared/document.js';
import { METRICS } from '../../src/metrics/metric-names.js';
import { startMetricsServer, type MetricsServer } from '../../src/metrics/metrics-server.js';
import { localSqliteService, type ServiceFixture } from '../support/service-fixture.js';
import { registerBuilding } from '../support/buildings.js';
import { documentUpload, pdfOfSize } from '../support/upload-request.js';

const TOKEN = 'metrics-token-0123456789';

describe('metrics', () => {
  let fixture: ServiceFixture;
  let server: MetricsServer;
  let exposition: string;

  beforeAll(async () => {
    fixture = await localSqliteService({ env: { MAX_UPLOAD_BYTES: '2000000' } });
    server = await startMetricsServer({ metrics: fixture.service.metrics, host: '127.0.0.1', port: 0, token: TOKEN });
    const auth = { authorization: `Bearer ${await fixture.token('syndic')}` };
    const building = await registerBuilding(fixture);
    const app = fixture.service.app;
    const upload = (content: Buffer, type = 'invoice') => {
      const { payload, headers } = documentUpload({ content, type });
      return app.inject({ method: 'POST', url: `/api/v1/buildings/${building}/documents`, payload, headers: { ...headers, ...auth } });
    };
    const document = (await upload(pdfOfSize(1024 * 1024))).json() as Document;
    await upload(pdfOfSize(10_000), 'contract');
    await upload(pdfOfSize(3_000_000));
    await upload(Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0, 0, 0, 0]));
    await app.inject({ method: 'POST', url: `/api/v1/buildings/${building}/documents`, payload: documentUpload().payload, headers: documentUpload().headers });
    await app.inject({ url: `/api/v1/documents/${document.id}/content`, headers: auth });
    await app.inject({ url: `/api/v1/buildings/${building}/documents`, headers: auth });
    await app.inject({ url: '/nowhere' });
    await fixture.service.storage.get('missing/key').catch(() => undefined);
    const response = await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(response.status).toBe(200);
    exposition = await response.text();
  });
  afterAll(async () => {
    await server?.close();
    await fixture?.close();
  });

  it('exports every metric the dashboard and alerts use', () => {
    for (const name of Object.values(METRICS)) expect(exposition, name).toMatch(new RegExp(`^# TYPE ${name} `, 'm'));
    expect(exposition).toMatch(/^process_cpu_seconds_total /m);
    expect(exposition).toMatch(/^nodejs_eventloop_lag_seconds /m);
  });

  it('counts storage operations, durations and bytes by backend', () => {
    expect(exposition).toMatch(/^docstore_storage_operations_total\{backend="local",operation="put",result="ok"\} 2$/m);
    expect(exposition).toMatch(/^docstore_storage_operations_total\{backend="local",operation="put",result="body_failed"\} 1$/m);
    expect(exposition).toMatch(/^docstore_storage_operations_total\{backend="local",operation="get",result="not_found"\} 1$/m);
    expect(exposition).toMatch(/^docstore_storage_operation_duration_seconds_bucket\{le="0\.001",backend="local",operation="put"\} \d+$/m);
    const bytesIn = Number(/^docstore_storage_bytes_total\{backend="local",direction="in"\} (\d+)$/m.exec(exposition)?.[1]);
    expect(bytesIn).toBe(1024 * 1024 + 10_000);
    expect(exposition).toMatch(/^docstore_storage_bytes_total\{backend="local",direction="out"\} 1048576$/m);
    expect(exposition).toMatch(/^docstore_storage_up\{backend="local"\} 1$/m);
    expect(Number(/^docstore_local_storage_free_bytes (\d+)/m.exec(exposition)?.[1])).toBeGreaterThan(0);
  });

  it('counts requests by route template, never by id', () => {
    expect(exposition).toMatch(/^docstore_http_requests_total\{route="\/api\/v1\/buildings\/:buildingId\/documents",method="POST",status_class="2xx"\} 2$/m);
    expect(exposition).toMatch(/^docstore_http_requests_total\{route="\/api\/v1\/documents\/:id\/content",method="GET",status_class="2xx"\} 1$/m);
    expect(exposition).toMatch(/^docstore_http_requests_total\{route="unmatched",method="GET",status_class="4xx"\} 1$/m);
    expect(exposition).not.toMatch(/[0-9a-f]{8}-[0-9a-f]{4}-/);
  });

  it('measures accepted uploads and counts rejections by reason', () => {
    expect(exposition).toMatch(/^docstore_upload_size_bytes_count 2$/m);
    expect(exposition).toMatch(/^docstore_upload_duration_seconds_count\{size_class="1m"\} 1$/m);
    expect(exposition).toMatch(/^docstore_upload_duration_seconds_count\{size_class="under_256k"\} 1$/m);
    expect(exposition).toMatch(/^docstore_uploads_rejected_total\{reason="size"\} 1$/m);
    expect(exposition).toMatch(/^docstore_uploads_rejected_total\{reason="type"\} 1$/m);
    expect(exposition).toMatch(/^docstore_uploads_rejected_total\{reason="auth"\} 1$/m);
  });

  it('reports documents and bytes by type from the database', () => {
    expect(exposition).toMatch(/^docstore_documents\{type="invoice"\} 1$/m);
    expect(exposition).toMatch(/^docstore_documents\{type="contract"\} 1$/m);
    expect(exposition).toMatch(/^docstore_document_bytes\{type="contract"\} 10000$/m);
  });

  it('refuses scrapes without the token and serves nothing else', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    expect((await fetch(`${server.url}/metrics`, { headers: { authorization: 'Bearer wrong-token-0000000000' } })).status).toBe(401);
    expect((await fetch(`${server.url}/`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(404);
  });
});
