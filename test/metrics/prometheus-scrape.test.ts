import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMetricsServer, type MetricsServer } from '../../src/metrics/metrics-server.js';
import { localSqliteService, type ServiceFixture } from '../support/service-fixture.js';
import { documentUpload } from '../support/upload-request.js';
import { registerBuilding } from '../support/buildings.js';

const run = promisify(execFile);
const script = new URL('../../scripts/services/prometheus.sh', import.meta.url).pathname;
const TOKEN = 'scrape-token-0123456789abcdef';

interface QueryResult {
  status: string;
  data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> };
}

describe('a real Prometheus scrapes a running docstore', () => {
  let fixture: ServiceFixture;
  let metricsServer: MetricsServer;
  let stateDir: string;
  let prometheusUrl: string;
  const env = () => ({ ...process.env, DOCSTORE_PROM_STATE_DIR: join(stateDir, 'prometheus') });

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'docstore-scrape-'));
    fixture = await localSqliteService();
    metricsServer = await startMetricsServer({ metrics: fixture.service.metrics, host: '127.0.0.1', port: 0, token: TOKEN });
    const tokenFile = join(stateDir, 'token');
    await writeFile(tokenFile, TOKEN, { mode: 0o600 });
    await run('bash', [script, 'install'], { timeout: 600_000 });
    const target = new URL(metricsServer.url).host;
    const started = await run('bash', [script, 'start', '--target', target, '--bearer-token-file', tokenFile], { env: env(), timeout: 120_000 });
    prometheusUrl = /PROMETHEUS_URL=(\S+)/.exec(started.stdout)?.[1] ?? '';
    expect(prometheusUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const auth = { authorization: `Bearer ${await fixture.token('syndic')}` };
    const { payload, headers } = documentUpload();
    await fixture.service.app.inject({ method: 'POST', url: `/api/v1/buildings/${await registerBuilding(fixture)}/documents`, payload, headers: { ...headers, ...auth } });
  }, 660_000);

  afterAll(async () => {
    if (stateDir !== undefined) await run('bash', [script, 'stop'], { env: env(), timeout: 60_000 }).catch(() => undefined);
    await metricsServer?.close();
    await fixture?.close();
    if (stateDir !== undefined) await rm(stateDir, { recursive: true, force: true });
  });

  async function query(promql: string): Promise<QueryResult['data']['result']> {
    const response = await fetch(`${prometheusUrl}/api/v1/query?query=${encodeURIComponent(promql)}`);
    const body = (await response.json()) as QueryResult;
    expect(body.status).toBe('success');
    return body.data.result;
  }

  async function eventually(promql: string): Promise<QueryResult['data']['result']> {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const result = await query(promql);
      if (result.length > 0 || Date.now() > deadline) return result;
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
  }

  it('returns the storage counters through its query API, with the bearer token', async () => {
    const up = await eventually('up{job="docstore"} == 1');
    expect(up).toHaveLength(1);
    const puts = await eventually('docstore_storage_operations_total{backend="local",operation="put",result="ok"}');
    expect(Number(puts[0]?.value[1])).toBeGreaterThanOrEqual(1);
    const bytes = await eventually('docstore_storage_bytes_total{direction="in"}');
    expect(Number(bytes[0]?.value[1])).toBeGreaterThan(0);
    expect(await eventually('docstore_http_requests_total{status_class="2xx"}')).not.toHaveLength(0);
  }, 60_000);
});
