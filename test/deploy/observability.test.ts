import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { METRICS } from '../../src/metrics/metric-names.js';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;
const prometheusScript = join(root, 'scripts/services/prometheus.sh');
const alertsFile = join(root, 'deploy/prometheus/alerts.yml');
const alertsTestFile = join(root, 'deploy/prometheus/alerts.test.yml');
const dashboardFile = join(root, 'deploy/grafana/docstore.json');
const operationsDoc = join(root, 'docs/operations.md');
const composePrometheusConfig = join(root, 'deploy/prometheus/prometheus.yml');

/**
 * The MinIO metrics the dashboard and the alerts may select, with their types: names from MinIO's
 * docs/metrics/prometheus/list.md (v2, `/minio/v2/metrics/cluster`), types from its
 * cmd/metrics-v2.go, both at RELEASE.2025-04-22T22-12-26Z, the release deploy/docker-compose.yml
 * pins. Cluster-wide drive counts end in _total but are gauges.
 */
const MINIO_V2_METRICS: Record<string, 'gauge' | 'counter'> = {
  minio_cluster_capacity_raw_free_bytes: 'gauge',
  minio_cluster_capacity_raw_total_bytes: 'gauge',
  minio_cluster_capacity_usable_free_bytes: 'gauge',
  minio_cluster_capacity_usable_total_bytes: 'gauge',
  minio_cluster_usage_total_bytes: 'gauge',
  minio_cluster_usage_object_total: 'gauge',
  minio_cluster_drive_offline_total: 'gauge',
  minio_cluster_drive_online_total: 'gauge',
  minio_cluster_drive_total: 'gauge',
  minio_cluster_nodes_offline_total: 'gauge',
  minio_cluster_nodes_online_total: 'gauge',
  minio_cluster_health_status: 'gauge',
  minio_s3_requests_total: 'counter',
  minio_s3_requests_errors_total: 'counter',
  minio_s3_requests_4xx_errors_total: 'counter',
  minio_s3_requests_5xx_errors_total: 'counter',
  minio_s3_requests_inflight_total: 'gauge',
  minio_s3_traffic_received_bytes: 'counter',
  minio_s3_traffic_sent_bytes: 'counter',
};

// ------------------------------------------------------------------ the files, typed

interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

interface AlertRuleTest {
  eval_time: string;
  alertname: string;
  exp_alerts?: Array<{ exp_labels?: Record<string, string>; exp_annotations?: Record<string, string> }>;
}

interface Target {
  expr?: string;
  refId?: string;
}

interface Panel {
  id?: number;
  type: string;
  title?: string;
  datasource?: { type?: string; uid?: string };
  gridPos?: { x: number; y: number; w: number; h: number };
  targets?: Target[];
  panels?: Panel[];
}

interface RuleGroups {
  data: { groups: Array<{ name: string; lastEvaluation?: string; rules: Array<{ name: string; health: string; lastError?: string }> }> };
}

interface Dashboard {
  uid?: string;
  title?: string;
  schemaVersion?: number;
  panels?: Panel[];
  templating?: { list?: Array<{ name: string; type: string; query?: unknown; definition?: string }> };
}

async function alertRules(): Promise<AlertRule[]> {
  const file = parse(await readFile(alertsFile, 'utf8')) as { groups: Array<{ name: string; rules: AlertRule[] }> };
  return file.groups.flatMap((group) => group.rules);
}

async function dashboard(): Promise<Dashboard> {
  return JSON.parse(await readFile(dashboardFile, 'utf8')) as Dashboard;
}

/** Every panel, rows' nested panels included. */
function allPanels(panels: Panel[] = []): Panel[] {
  return panels.flatMap((panel) => [panel, ...allPanels(panel.panels)]);
}

/** The PromQL of the dashboard's variables (`label_values(<selector>, label)` keeps the selector). */
function variableQueries(board: Dashboard): string[] {
  return (board.templating?.list ?? [])
    .filter((variable) => variable.type === 'query')
    .map((variable) => {
      const query = typeof variable.query === 'string' ? variable.query : ((variable.query as { query?: string } | undefined)?.query ?? variable.definition ?? '');
      const labelValues = /^\s*label_values\(\s*(.+?)\s*,\s*[A-Za-z_][A-Za-z0-9_]*\s*\)\s*$/.exec(query);
      return labelValues?.[1] ?? query;
    });
}

// ------------------------------------------------------------------ metric names in PromQL

/** Words of PromQL that are not metric names: aggregations, keywords and modifiers (functions are recognised by their `(`). */
const PROMQL_WORDS = new Set([
  'sum', 'min', 'max', 'avg', 'group', 'stddev', 'stdvar', 'count', 'count_values', 'bottomk', 'topk', 'quantile', 'limitk', 'limit_ratio',
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'atan2', 'offset', 'inf', 'nan',
]);

/**
 * The metric names an expression selects: identifiers followed by `{` or `[`, or standing bare,
 * but not functions (followed by `(`), PromQL words, label names (inside `{…}`, `by (…)`, `on (…)`…),
 * strings, numbers, durations or Grafana variables (`$__rate_interval`, `${DS}`).
 */
function metricNamesIn(expr: string): Set<string> {
  const stripped = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\$\{[^}]*\}|\$\w+/g, ' ')
    .replace(/\{[^}]*\}/g, '{}')
    .replace(/\[[^\]]*\]/g, '[]')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' $1 ');
  const names = new Set<string>();
  for (const match of stripped.matchAll(/(\d[\w.]*)|([A-Za-z_:][A-Za-z0-9_:]*)/g)) {
    const word = match[2];
    if (word === undefined || PROMQL_WORDS.has(word.toLowerCase())) continue;
    const next = stripped.slice((match.index ?? 0) + word.length).trimStart()[0];
    if (next === '(') continue; // a function
    names.add(word);
  }
  return names;
}

const HISTOGRAM_SUFFIXES = ['_bucket', '_sum', '_count'];

/** The names docstore exports (METRICS, histogram series included), plus prom-client's defaults, MinIO's (MINIO_V2_METRICS) and Prometheus's `up`. */
function knownMetrics(): { known: Set<string>; counters: Set<string> } {
  const defaults = new Registry();
  collectDefaultMetrics({ register: defaults });
  const known = new Set<string>(['up']);
  const counters = new Set<string>();
  for (const name of Object.values(METRICS)) {
    known.add(name);
    if (name.endsWith('_total')) counters.add(name);
    // Histograms are exposed as <name>_bucket/_sum/_count series, counters of their own.
    else for (const suffix of HISTOGRAM_SUFFIXES) [known, counters].forEach((set) => set.add(name + suffix));
  }
  for (const metric of defaults.getMetricsAsArray()) {
    const { name, type } = metric as unknown as { name: string; type: string };
    known.add(name);
    if (type === 'counter') counters.add(name);
    if (type === 'histogram') for (const suffix of HISTOGRAM_SUFFIXES) [known, counters].forEach((set) => set.add(name + suffix));
  }
  for (const [name, type] of Object.entries(MINIO_V2_METRICS)) {
    known.add(name);
    if (type === 'counter') counters.add(name);
  }
  return { known, counters };
}

/** Selections of a counter that are not the direct argument of rate/irate/increase (they never go down, so alerts on them never resolve). */
function rawCounterUses(expr: string, counters: Set<string>): string[] {
  const raw: string[] = [];
  for (const name of metricNamesIn(expr)) {
    if (!counters.has(name)) continue;
    const all = expr.match(new RegExp(`(?<![\\w:])${name}(?![\\w:])`, 'g'))?.length ?? 0;
    const wrapped = expr.match(new RegExp(`\\b(?:rate|irate|increase)\\(\\s*${name}\\s*(?:\\{(?:[^}"]|"(?:[^"\\\\]|\\\\.)*")*\\})?\\s*\\[`, 'g'))?.length ?? 0;
    if (wrapped < all) raw.push(name);
  }
  return raw;
}

/** GitHub's anchor of a Markdown heading. */
function headingAnchor(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');
}

// ------------------------------------------------------------------ tests

let binDir: string;

beforeAll(async () => {
  // Installs Prometheus (Debian package) on a fresh machine: minutes at most.
  const { stdout } = await run('bash', [prometheusScript, 'install'], { timeout: 900_000, maxBuffer: 1 << 22 });
  binDir = stdout.trim();
}, 900_000);

describe('the metric-name extraction', () => {
  it('finds selectors and skips functions, keywords, labels, strings, numbers and Grafana variables', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.95, sum by (le, route) (rate(a_seconds_bucket{job=~"$job", le!="+Inf"}[$__rate_interval]))) > 0.1 ' +
          'and on (instance) b offset 5m unless c[1h:1m] or time() - max without (x) (d{e="f"} > 0) * 26 * 3600 + 1e9',
      ),
    ).toEqual(new Set(['a_seconds_bucket', 'b', 'c', 'd']));
    expect(metricNamesIn('predict_linear(free_bytes[6h], 24 * 3600) < 0 and free_bytes / size_bytes < 0.40')).toEqual(new Set(['free_bytes', 'size_bytes']));
  });

  it('tells counters inside rate() from raw ones', () => {
    const counters = new Set(['x_total']);
    expect(rawCounterUses('sum(rate(x_total{a="}"}[5m])) / sum(rate(x_total[5m]))', counters)).toEqual([]);
    expect(rawCounterUses('x_total{a="b"} > 10', counters)).toEqual(['x_total']);
    expect(rawCounterUses('rate(x_total[5m]) > 0 and x_total > 3', counters)).toEqual(['x_total']);
  });
});

describe('the alert rules (deploy/prometheus/alerts.yml)', () => {
  it('pass promtool check rules', async () => {
    const { stdout } = await run(join(binDir, 'promtool'), ['check', 'rules', alertsFile]);
    expect(stdout).toContain('SUCCESS');
  });

  it('pass their unit tests (promtool test rules deploy/prometheus/alerts.test.yml)', async () => {
    const result = await run(join(binDir, 'promtool'), ['test', 'rules', alertsTestFile], { timeout: 120_000 }).catch(
      (error: { stdout?: string; stderr?: string }) => ({ stdout: `${error.stdout ?? ''}\n${error.stderr ?? ''}`, failed: true }),
    );
    expect(result.stdout).toContain('SUCCESS');
    expect('failed' in result).toBe(false);
  });

  it('each have a duration, a severity, a summary, a description and a runbook section in docs/operations.md', async () => {
    const rules = await alertRules();
    expect(rules.length).toBeGreaterThanOrEqual(9);
    const anchors = new Set(
      (await readFile(operationsDoc, 'utf8'))
        .split('\n')
        .filter((line) => /^#{1,6}\s/.test(line))
        .map((line) => headingAnchor(line.replace(/^#+\s*/, ''))),
    );
    for (const rule of rules) {
      expect(rule.for, rule.alert).toMatch(/^\d+[smhd]$/);
      expect(['critical', 'warning'], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      expect(rule.annotations?.description, rule.alert).toBeTruthy();
      const anchor = /^docs\/operations\.md#([a-z0-9_-]+)$/.exec(rule.annotations?.runbook ?? '')?.[1];
      expect(anchor, `${rule.alert} runbook`).toBeDefined();
      expect([...anchors], `${rule.alert}: no heading in docs/operations.md for #${anchor}`).toContain(anchor);
    }
    expect(new Set(rules.map((rule) => rule.alert)).size).toBe(rules.length);
  });

  it('each have a unit test where they fire (labels and annotations checked) and one where they do not', async () => {
    const tests = (parse(await readFile(alertsTestFile, 'utf8')) as { tests: Array<{ alert_rule_test?: AlertRuleTest[] }> }).tests.flatMap(
      (test) => test.alert_rule_test ?? [],
    );
    for (const rule of await alertRules()) {
      const cases = tests.filter((test) => test.alertname === rule.alert);
      const firing = cases.filter((test) => (test.exp_alerts ?? []).length > 0);
      expect(firing.length, `${rule.alert} never fires in alerts.test.yml`).toBeGreaterThan(0);
      expect(cases.length - firing.length, `${rule.alert} has no case where it does not fire`).toBeGreaterThan(0);
      for (const alert of firing.flatMap((test) => test.exp_alerts ?? [])) {
        expect(alert.exp_labels?.severity, rule.alert).toBe(rule.labels?.severity);
        expect(Object.keys(alert.exp_annotations ?? {}).sort(), rule.alert).toEqual(Object.keys(rule.annotations ?? {}).sort());
      }
    }
  });

  it('select only exported metrics, and counters only through rate() or increase()', async () => {
    const { known, counters } = knownMetrics();
    for (const rule of await alertRules()) {
      const names = metricNamesIn(rule.expr);
      expect(names.size, rule.alert).toBeGreaterThan(0);
      for (const name of names) expect([...known], `${rule.alert} selects ${name}`).toContain(name);
      expect(rawCounterUses(rule.expr, counters), `${rule.alert} compares a raw counter`).toEqual([]);
    }
  });
});

describe('the Grafana dashboard (deploy/grafana/docstore.json)', () => {
  it('is a dashboard with uid docstore, schema 39 or later and a Prometheus data source variable', async () => {
    const board = await dashboard();
    expect(board.uid).toBe('docstore');
    expect(board.schemaVersion).toBeGreaterThanOrEqual(39);
    const datasource = board.templating?.list?.find((variable) => variable.name === 'DS_PROMETHEUS');
    expect(datasource).toMatchObject({ type: 'datasource', query: 'prometheus' });
  });

  it('has unique panel ids, panels within the grid that do not overlap, and a query in every panel', async () => {
    const panels = allPanels((await dashboard()).panels);
    expect(panels.length).toBeGreaterThanOrEqual(12);
    const ids = panels.map((panel) => panel.id);
    expect(ids.every((id) => Number.isInteger(id))).toBe(true);
    expect(new Set(ids).size).toBe(ids.length);
    const boxes = panels.filter((panel) => panel.type !== 'row').map((panel) => ({ title: panel.title, ...panel.gridPos }) as { title: string; x: number; y: number; w: number; h: number });
    for (const [index, a] of boxes.entries()) {
      expect(a.x + a.w, a.title).toBeLessThanOrEqual(24);
      for (const b of boxes.slice(index + 1)) {
        const overlap = a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;
        expect(overlap, `${a.title} overlaps ${b.title}`).toBe(false);
      }
    }
    for (const panel of panels.filter((panel) => panel.type !== 'row')) {
      expect(panel.datasource?.uid, panel.title).toBe('${DS_PROMETHEUS}');
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) expect(target.expr?.trim(), panel.title).toBeTruthy();
      expect(new Set(panel.targets?.map((target) => target.refId)).size, panel.title).toBe(panel.targets?.length);
    }
  });

  it('selects only exported metrics, counters through rate(), and shows every metric docstore exports', async () => {
    const board = await dashboard();
    const { known, counters } = knownMetrics();
    const exprs = [...allPanels(board.panels).flatMap((panel) => (panel.targets ?? []).map((target) => ({ where: panel.title, expr: target.expr ?? '' }))), ...variableQueries(board).map((expr) => ({ where: 'variable', expr }))];
    const used = new Set<string>();
    for (const { where, expr } of exprs) {
      const names = metricNamesIn(expr);
      expect(names.size, `${where}: ${expr}`).toBeGreaterThan(0);
      for (const name of names) {
        expect([...known], `${where} selects ${name}`).toContain(name);
        used.add(name.replace(/_(bucket|sum|count)$/, ''));
      }
      expect(rawCounterUses(expr, counters), `${where}: ${expr}`).toEqual([]);
    }
    for (const name of Object.values(METRICS)) expect([...used], `no panel shows ${name}`).toContain(name);
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes']) expect([...used]).toContain(name);
  });

  it('has a MinIO row: capacity, requests, errors and drive health, from the job minio only, with MinIO’s own metric names', async () => {
    const panels = allPanels((await dashboard()).panels);
    const row = panels.find((panel) => panel.type === 'row' && /minio/i.test(panel.title ?? '')) as Panel;
    expect(row).toBeDefined();
    const below = panels.filter((panel) => panel.type !== 'row' && (panel.gridPos?.y ?? 0) > (row.gridPos?.y ?? 0));
    const prometheus = parse(await readFile(composePrometheusConfig, 'utf8')) as { scrape_configs: Array<{ job_name: string }> };
    expect(prometheus.scrape_configs.map((job) => job.job_name)).toContain('minio');
    const used = new Set<string>();
    for (const panel of below) {
      for (const target of panel.targets ?? []) {
        const expr = target.expr ?? '';
        for (const name of metricNamesIn(expr)) {
          expect([...Object.keys(MINIO_V2_METRICS), 'up'], `${panel.title} selects ${name}`).toContain(name);
          used.add(name);
        }
        // Every selector names the job (docstore's $job variable must not filter MinIO's series).
        const selectors = [...expr.matchAll(/\b(?:minio_\w+|up)\s*(\{[^}]*\})?/g)];
        for (const selector of selectors) expect(selector[1], `${panel.title}: ${expr}`).toMatch(/job="minio"/);
      }
    }
    for (const name of [
      'minio_cluster_capacity_usable_free_bytes', 'minio_cluster_capacity_usable_total_bytes', // capacity
      'minio_s3_requests_total', // requests
      'minio_s3_requests_errors_total', 'minio_s3_requests_4xx_errors_total', 'minio_s3_requests_5xx_errors_total', // errors
      'minio_cluster_drive_offline_total', 'minio_cluster_drive_online_total', // drive health
    ]) {
      expect([...used], `no MinIO panel shows ${name}`).toContain(name);
    }
  });
});

describe('the compose stack’s Prometheus configuration (deploy/prometheus/prometheus.yml)', () => {
  it('passes promtool check config, with its container paths pointing at the deploy files', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'docstore-prometheus-config-'));
    try {
      // The paths the compose file mounts, and the token files Compose and minio-init write.
      const paths: Record<string, string> = {
        '/etc/prometheus/alerts.yml': alertsFile,
        '/run/secrets/metrics_token': join(dir, 'metrics_token'),
        '/run/minio-metrics/minio': join(dir, 'minio'),
      };
      await writeFile(paths['/run/secrets/metrics_token'] as string, 'a-docstore-metrics-token-0123456789\n');
      await writeFile(paths['/run/minio-metrics/minio'] as string, 'eyJhbGciOiJIUzUxMiJ9.eyJpc3MiOiJwcm9tZXRoZXVzIn0.c2lnbmF0dXJl\n');
      let config = await readFile(composePrometheusConfig, 'utf8');
      for (const [inContainer, here] of Object.entries(paths)) {
        expect(config, inContainer).toContain(inContainer);
        config = config.replaceAll(inContainer, here);
      }
      await writeFile(join(dir, 'prometheus.yml'), config);
      const result = await run(join(binDir, 'promtool'), ['check', 'config', join(dir, 'prometheus.yml')]).catch(
        (error: { stdout?: string; stderr?: string }) => ({ stdout: `${error.stdout ?? ''}\n${error.stderr ?? ''}`, failed: true }),
      );
      expect(result.stdout).toMatch(/SUCCESS: .*prometheus\.yml is valid prometheus config file syntax/);
      expect(result.stdout).toContain('SUCCESS: 16 rules found');
      expect('failed' in result, result.stdout).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('a Prometheus started by scripts/services/prometheus.sh', () => {
  const token = 'observability-test-token-0123456789';
  let stateDir: string;
  let target: Server;
  let prometheusUrl: string;
  let scrapes = 0;
  let refused = 0;
  const env = () => ({ ...process.env, DOCSTORE_PROM_STATE_DIR: join(stateDir, 'prometheus') });

  async function query(promql: string): Promise<{ status: number; body: { status: string; error?: string; data?: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } } }> {
    const response = await fetch(`${prometheusUrl}/api/v1/query?${new URLSearchParams({ query: promql })}`);
    return { status: response.status, body: (await response.json()) as never };
  }

  async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 30_000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = await probe();
      if (value !== undefined) return value;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
  }

  beforeAll(async () => {
    stateDir = await mkdtemp(join(tmpdir(), 'docstore-observability-'));
    // A docstore as right after installation: gauges only, no traffic, never backed up, and
    // prom-client's default metrics; the metrics listener wants a bearer token.
    const registry = new Registry();
    collectDefaultMetrics({ register: registry });
    new Gauge({ name: METRICS.storageUp, help: 'storage check', labelNames: ['backend'], registers: [registry] }).set({ backend: 'local' }, 1);
    new Gauge({ name: METRICS.localStorageFreeBytes, help: 'free', registers: [registry] }).set(50e9);
    new Gauge({ name: METRICS.localStorageSizeBytes, help: 'size', registers: [registry] }).set(100e9);
    new Gauge({ name: METRICS.backupLastSuccess, help: 'backup', registers: [registry] }).set(0);
    new Gauge({ name: METRICS.mirrorLastSuccess, help: 'mirror', registers: [registry] }).set(0);
    new Gauge({ name: METRICS.documents, help: 'documents', labelNames: ['type'], registers: [registry] }).set({ type: 'application/pdf' }, 0);
    target = createServer((request, response) => {
      if (request.headers.authorization !== `Bearer ${token}`) {
        refused++;
        response.writeHead(401).end();
        return;
      }
      scrapes++;
      registry.metrics().then(
        (text) => response.writeHead(200, { 'content-type': registry.contentType }).end(text),
        () => response.writeHead(500).end(),
      );
    });
    await new Promise<void>((resolve) => target.listen(0, '127.0.0.1', resolve));
    const tokenFile = join(stateDir, 'token');
    await writeFile(tokenFile, `${token}\n`, { mode: 0o600 });
    const { port } = target.address() as AddressInfo;
    const { stdout } = await run('bash', [prometheusScript, 'start', '--target', `127.0.0.1:${port}`, '--bearer-token-file', tokenFile, '--rules', alertsFile], {
      env: env(),
      timeout: 120_000,
    });
    prometheusUrl = /^PROMETHEUS_URL=(\S+)$/m.exec(stdout)?.[1] ?? '';
    expect(prometheusUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  }, 180_000);

  afterAll(async () => {
    if (stateDir === undefined) return;
    await run('bash', [prometheusScript, 'stop'], { env: env(), timeout: 60_000 });
    await new Promise((resolve) => target?.close(resolve));
    await rm(stateDir, { recursive: true, force: true });
  });

  it('scrapes the target with the bearer token, as job docstore', async () => {
    const value = await until('a successful scrape', async () => {
      const { body } = await query('up{job="docstore"}');
      return body.data?.result[0]?.value[1] === '1' ? '1' : undefined;
    });
    expect(value).toBe('1');
    expect(scrapes).toBeGreaterThan(0);
    expect(refused).toBe(0);
  });

  it('loads the alert rules and evaluates them without error', async () => {
    const rules = await until('evaluated rules', async () => {
      const response = (await (await fetch(`${prometheusUrl}/api/v1/rules`)).json()) as RuleGroups;
      const all = response.data.groups.flatMap((group) => group.rules);
      return all.length > 0 && all.every((rule) => rule.health !== 'unknown') ? all : undefined;
    });
    expect(rules.map((rule) => rule.name).sort()).toEqual((await alertRules()).map((rule) => rule.alert).sort());
    for (const rule of rules) expect({ name: rule.name, health: rule.health, error: rule.lastError ?? '' }).toEqual({ name: rule.name, health: 'ok', error: '' });
  });

  it('on a fresh install with no traffic, only DocstoreBackupNeverSucceeded is active (pending for a day)', async () => {
    await until('the backup gauge', async () => ((await query(METRICS.backupLastSuccess)).body.data?.result.length ? true : undefined));
    type Alerts = { data: { alerts: Array<{ labels: Record<string, string>; state: string }> } };
    const active = async () => ((await (await fetch(`${prometheusUrl}/api/v1/alerts`)).json()) as Alerts).data.alerts.map((alert) => [alert.labels.alertname, alert.state]);
    const first = await until('the never-backed-up alert', async () => {
      const alerts = await active();
      return alerts.length > 0 ? alerts : undefined;
    });
    // Two more evaluations of the group, however long they take on a loaded machine.
    const lastEvaluation = async () =>
      ((await (await fetch(`${prometheusUrl}/api/v1/rules`)).json()) as RuleGroups).data.groups.find((group) => group.name === 'docstore')?.lastEvaluation;
    let seen = await lastEvaluation();
    for (let evaluation = 0; evaluation < 2; evaluation++) {
      const previous = seen;
      seen = await until('another evaluation of the rules', async () => {
        const current = await lastEvaluation();
        return current !== undefined && current !== previous ? current : undefined;
      });
    }
    for (const alerts of [first, await active()]) expect(alerts).toEqual([['DocstoreBackupNeverSucceeded', 'pending']]);
  });

  it('accepts every dashboard query (variables substituted)', async () => {
    const board = await dashboard();
    const exprs = [...allPanels(board.panels).flatMap((panel) => (panel.targets ?? []).map((target) => target.expr ?? '')), ...variableQueries(board)];
    for (const expr of exprs) {
      const promql = expr.replaceAll('$__rate_interval', '1m').replaceAll('$job', 'docstore').replaceAll('$instance', '.*');
      const { status, body } = await query(promql);
      expect({ promql, status, error: body.error }).toEqual({ promql, status: 200, error: undefined });
    }
    const free = await until('a scraped disk gauge', async () => {
      const { body } = await query('min(docstore_local_storage_free_bytes{job=~"docstore", instance=~".*"} / docstore_local_storage_size_bytes{job=~"docstore", instance=~".*"})');
      return body.data?.result[0]?.value[1];
    });
    expect(free).toBe('0.5');
  });

  it('reports its status, and reuses the running server when started again alike', async () => {
    await run('bash', [prometheusScript, 'status'], { env: env() });
    const { port } = target.address() as AddressInfo;
    const again = await run('bash', [prometheusScript, 'start', '--target', `127.0.0.1:${port}`, '--bearer-token-file', join(stateDir, 'token'), '--rules', alertsFile], { env: env() });
    expect(again.stdout.trim()).toBe(`PROMETHEUS_URL=${prometheusUrl}`);
  });
});

describe('scripts/services/prometheus.sh install', () => {
  it('returns at once when Prometheus is installed: no package manager is asked anything', async () => {
    // apt-get, apt-cache and dpkg-query stand-ins first on PATH record any call.
    const dir = await mkdtemp(join(tmpdir(), 'docstore-prom-install-'));
    try {
      const calls = join(dir, 'calls');
      for (const tool of ['apt-get', 'apt-cache', 'dpkg-query']) {
        await writeFile(join(dir, tool), `#!/bin/sh\necho "${tool} $*" >> "${calls}"\nexit 1\n`, { mode: 0o755 });
      }
      const { stdout } = await run('bash', [prometheusScript, 'install'], { env: { ...process.env, PATH: `${dir}:${process.env.PATH ?? ''}` } });
      expect(stdout.trim()).toBe(binDir);
      expect(await readFile(calls, 'utf8').catch(() => '')).toBe('');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
