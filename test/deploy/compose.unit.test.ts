import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { promisify } from 'node:util';
import { Ajv } from 'ajv';
import addFormats from 'ajv-formats';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CONFIG_VARIABLES, loadConfig } from '../../src/config.js';

const run = promisify(execFile);
const root = new URL('../../', import.meta.url).pathname;
const deployDir = join(root, 'deploy');
const text = (path: string) => readFileSync(join(root, path), 'utf8');

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Dict = Record<string, Json>;
type Service = Dict;

const composeText = text('deploy/docker-compose.yml');
const compose = parse(composeText) as Dict;
const services = compose.services as Record<string, Service>;
const envExample = parseDotenv(text('deploy/.env.example'));
/** .env.example with every secret it leaves empty filled in, as an operator would. */
const filledEnv = Object.fromEntries(Object.entries(envExample).map(([name, value]) => [name, value === '' ? randomBytes(24).toString('hex') : value]));
/** Keys whose compose values must be `${VAR:?…}` substitutions. */
const SECRET_NAME = /PASSWORD|SECRET|TOKEN|KEY/i;
/** Variables whose values are secrets (an S3 access key is a user name, not a secret). */
const isSecretValueName = (name: string) => /PASSWORD|SECRET|TOKEN/i.test(name) || (/KEY/i.test(name) && !/ACCESS_KEY/i.test(name));

describe('deploy/docker-compose.yml', () => {
  it('follows the Compose Specification, as written and once interpolated', () => {
    // Vendored from compose-spec/compose-spec (schema/compose-spec.json). That revision declares
    // draft 2019-09 and labels definitions with the draft-04 keyword `id`, which Ajv refuses; both
    // are dropped here. They carry no constraint: every `$ref` is a JSON pointer.
    const schema = withoutIdLabels(JSON.parse(text('test/deploy/compose-spec.schema.json')) as Json) as Dict;
    delete schema.$schema;
    const ajv = new Ajv({ strict: false, allErrors: true });
    addFormats.default(ajv);
    ajv.addFormat('expose', /^\d+(-\d+)?(\/(tcp|udp|sctp))?$/);
    const validate = ajv.compile(schema);
    for (const document of [compose, interpolateAll(compose, filledEnv) as Dict]) {
      expect(validate(document), ajv.errorsText(validate.errors, { separator: '\n' })).toBe(true);
    }
    for (const [name, service] of Object.entries(services)) {
      expect(service.image !== undefined || service.build !== undefined, name).toBe(true);
    }
  });

  it('takes every secret from .env, required, and holds no secret literal', () => {
    for (const [name, service] of Object.entries(services)) {
      const environment = service.environment ?? {};
      expect(Array.isArray(environment), `${name}: environment as a map`).toBe(false);
      for (const [key, value] of Object.entries(environment as Dict)) {
        if (SECRET_NAME.test(key)) expect(String(value), `${name}.${key}`).toMatch(/^\$\{[A-Z0-9_]+:\?[^}]+\}$/);
      }
    }
    const databaseUrl = String((services.docstore?.environment as Dict).DATABASE_URL);
    expect(databaseUrl).toMatch(/^postgres:\/\/[a-z]+:\$\{POSTGRES_PASSWORD:\?[^}]+\}@postgres:5432\/[a-z]+$/);
    for (const substitution of substitutionsIn(compose)) {
      if (SECRET_NAME.test(substitution.name) && !/ACCESS_KEY/.test(substitution.name)) {
        expect(substitution.operator, `\${${substitution.name}} must be required, with no default`).toBe(':?');
      }
    }
    expect(composeText).not.toMatch(/minioadmin/i);
  });

  it('.env.example defines every variable the compose file uses, with no secret in it', () => {
    const used = new Set(substitutionsIn(compose).map((substitution) => substitution.name));
    for (const secret of Object.values((compose.secrets ?? {}) as Record<string, Dict>)) {
      if (typeof secret.environment === 'string') used.add(secret.environment);
    }
    expect([...used].filter((name) => !(name in envExample))).toEqual([]);
    expect(Object.keys(envExample).filter((name) => !used.has(name))).toEqual([]);
    const lines = text('deploy/.env.example').split('\n');
    for (const [name, value] of Object.entries(envExample)) {
      if (!isSecretValueName(name)) continue;
      expect(value, `${name} is left empty in .env.example`).toBe('');
      const comment = lines[lines.findIndex((line) => line.startsWith(`${name}=`)) - 1] ?? '';
      expect(comment, `${name}: the line above says how to generate it`).toMatch(/^#.*openssl rand/);
    }
  });

  it('publishes ports on 127.0.0.1 only, and uses no host network', () => {
    const required = new Set(substitutionsIn(compose).filter((substitution) => substitution.operator === ':?').map((substitution) => substitution.name));
    const defaultsOnly = Object.fromEntries(Object.entries(filledEnv).filter(([name]) => required.has(name)));
    for (const env of [filledEnv, defaultsOnly]) {
      for (const [name, service] of Object.entries(interpolateAll(services, env) as Record<string, Service>)) {
        expect(service.network_mode, name).toBeUndefined();
        for (const port of (service.ports ?? []) as Json[]) {
          if (typeof port === 'string') expect(port, name).toMatch(/^127\.0\.0\.1:\d+:\d+$/);
          else expect((port as Dict).host_ip, name).toBe('127.0.0.1');
        }
      }
    }
  });

  it('gives every long-running service a healthcheck and restart: unless-stopped; one-shots run once', () => {
    const oneShots = Object.keys(services).filter((name) => services[name]?.restart === 'no');
    expect(oneShots).toEqual(['minio-init']);
    for (const [name, service] of Object.entries(services)) {
      if (oneShots.includes(name)) continue;
      expect(service.restart, name).toBe('unless-stopped');
      const healthcheck = service.healthcheck as Dict | undefined;
      expect(healthcheck?.disable, name).toBeUndefined();
      expect(healthcheck?.test, name).toEqual(expect.arrayContaining([expect.stringMatching(/^CMD(-SHELL)?$/)]));
    }
    expect(services.docstore?.depends_on).toEqual({
      'minio-init': { condition: 'service_completed_successfully' },
      postgres: { condition: 'service_healthy' },
    });
  });

  it('pins every image', () => {
    for (const [name, service] of Object.entries(services)) {
      if (service.image === undefined) expect(service.build, name).toBeDefined();
      else expect(isPinned(String(service.image)), `${name}: ${String(service.image)}`).toBe(true);
    }
  });

  it('names every data volume; binds only read-only files from deploy/', () => {
    const named = new Set(Object.keys((compose.volumes ?? {}) as Dict));
    const usedVolumes = new Set<string>();
    for (const [name, service] of Object.entries(services)) {
      for (const volume of (service.volumes ?? []) as Json[]) {
        expect(typeof volume, `${name}: short volume syntax`).toBe('string');
        const [source = '', , mode] = String(volume).split(':');
        if (source.startsWith('./')) {
          expect(mode, `${name}: ${String(volume)} is read-only`).toBe('ro');
          expect(normalize(join(deployDir, source)).startsWith(`${deployDir}/`), `${name}: ${source} stays in deploy/`).toBe(true);
          // A missing source would be mounted as an empty directory.
          expect(existsSync(join(deployDir, source)), `deploy/${source} exists`).toBe(true);
        } else {
          expect(named.has(source), `${name}: ${source} is a named volume`).toBe(true);
          usedVolumes.add(source);
        }
      }
    }
    expect([...named].sort()).toEqual([...usedVolumes].sort());
  });

  it('gives docstore the dedicated MinIO user, never the root credentials', () => {
    const docstore = services.docstore as Service;
    const init = services['minio-init'] as Service;
    const env = docstore.environment as Dict;
    expect(substitutionsIn(env.S3_ACCESS_KEY ?? '').map((s) => s.name)).toEqual(['DOCSTORE_S3_ACCESS_KEY']);
    expect(substitutionsIn(env.S3_SECRET_KEY ?? '').map((s) => s.name)).toEqual(['DOCSTORE_S3_SECRET_KEY']);
    expect(JSON.stringify(docstore)).not.toMatch(/MINIO_ROOT/);
    const initEnv = init.environment as Dict;
    expect(initEnv.DOCSTORE_S3_ACCESS_KEY).toBe(env.S3_ACCESS_KEY);
    expect(initEnv.DOCSTORE_S3_SECRET_KEY).toBe(env.S3_SECRET_KEY);
    expect(initEnv.DOCSTORE_BUCKET).toBe(env.S3_BUCKET);
    expect(envExample.DOCSTORE_S3_ACCESS_KEY).not.toBe(envExample.MINIO_ROOT_USER);
  });

  it('keeps the bucket private: no anonymous access, a policy on the docstore bucket only', () => {
    const bucket = String((services.docstore?.environment as Dict).S3_BUCKET);
    const script = text('deploy/minio/init.sh')
      .split('\n')
      .filter((line) => !line.trim().startsWith('#'))
      .join('\n');
    const mcCommands = [...script.matchAll(/(?:^|[\s;|&(])mc\s+([^\n"]*)/g)].map((match) => match[1] ?? '');
    expect(mcCommands.length).toBeGreaterThan(0);
    const serviceCommands = Object.values(services).flatMap((service) => [service.command, service.entrypoint].flat().map(String));
    for (const command of [...mcCommands, ...serviceCommands]) {
      expect(command).not.toMatch(/anonymous\s+set|policy\s+set\b|set-json|\b(public|download|upload)\b/);
    }
    expect(script).toMatch(/mc anonymous get/);
    const policy = JSON.parse(text('deploy/minio/docstore-policy.json')) as { Statement: Array<Record<string, Json>> };
    const actions = new Set<string>();
    for (const statement of policy.Statement) {
      expect(statement.Effect).toBe('Allow');
      for (const forbidden of ['Principal', 'NotPrincipal', 'NotAction', 'NotResource', 'Condition']) expect(statement[forbidden]).toBeUndefined();
      for (const resource of [statement.Resource].flat()) expect([`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`]).toContain(resource);
      for (const action of [statement.Action].flat()) actions.add(String(action));
    }
    // Exactly what the S3 adapter sends: no bucket policy, ACL or bucket creation rights.
    expect([...actions].sort()).toEqual(
      [
        's3:AbortMultipartUpload', 's3:DeleteObject', 's3:GetBucketLocation', 's3:GetObject', 's3:ListBucket',
        's3:ListBucketMultipartUploads', 's3:ListMultipartUploadParts', 's3:PutObject',
      ].sort(),
    );
  });

  it('gives docstore an environment its configuration accepts in production', () => {
    const environment = {
      ...dockerfileEnv(),
      ...(interpolateAll(services.docstore?.environment ?? {}, filledEnv) as Record<string, string>),
    };
    expect(Object.keys(environment).filter((name) => !CONFIG_VARIABLES.includes(name))).toEqual([]);
    const config = loadConfig(environment);
    expect(config.environment).toBe('production');
    expect(config.database.dialect).toBe('postgres');
    expect(config.storage).toMatchObject({ backend: 's3', endpoint: 'http://minio:9000', forcePathStyle: true, createBucket: false });
    expect(config.metrics).toMatchObject({ host: '0.0.0.0', port: 9464 });
    expect(config.metrics.token).toBeDefined();
  });

  it('has Prometheus scrape docstore with the token from a secret file, and load the alert rules', () => {
    const prometheus = parse(text('deploy/prometheus/prometheus.yml')) as { rule_files: string[]; scrape_configs: Dict[] };
    const job = prometheus.scrape_configs.find((config) => config.job_name === 'docstore') as Dict;
    expect(job.static_configs).toEqual([{ targets: ['docstore:9464'] }]);
    expect(job.metrics_path).toBe('/metrics');
    expect(job.authorization).toEqual({ type: 'Bearer', credentials_file: '/run/secrets/metrics_token' });
    expect(text('deploy/prometheus/prometheus.yml')).not.toMatch(/^\s*(credentials|bearer_token|password):/m);
    const service = services.prometheus as Service;
    expect(service.secrets).toEqual(['metrics_token']);
    expect((compose.secrets as Dict).metrics_token).toEqual({ environment: 'METRICS_TOKEN' });
    expect((services.docstore?.environment as Dict).METRICS_TOKEN).toMatch(/^\$\{METRICS_TOKEN:\?/);
    expect(prometheus.rule_files).toEqual(['/etc/prometheus/alerts.yml']);
    expect(service.volumes).toEqual(
      expect.arrayContaining(['./prometheus/prometheus.yml:/etc/prometheus/prometheus.yml:ro', './prometheus/alerts.yml:/etc/prometheus/alerts.yml:ro']),
    );
    expect(service.command).toContain('--config.file=/etc/prometheus/prometheus.yml');
  });

  it('has Prometheus scrape MinIO’s cluster metrics with the token minio-init generates, never publicly', () => {
    const prometheus = parse(text('deploy/prometheus/prometheus.yml')) as { scrape_configs: Dict[] };
    const job = prometheus.scrape_configs.find((config) => config.job_name === 'minio') as Dict;
    expect(job).toMatchObject({ metrics_path: '/minio/v2/metrics/cluster', scheme: 'http', static_configs: [{ targets: ['minio:9000'] }] });
    const tokenFile = String((job.authorization as Dict).credentials_file);
    expect(job.authorization).toEqual({ type: 'Bearer', credentials_file: '/run/minio-metrics/minio' });
    // The file is in the volume that minio-init writes (MINIO_METRICS_TOKEN_DIR, default /metrics-token).
    const mountOf = (service: string, target: string) => ((services[service]?.volumes ?? []) as string[]).find((volume) => volume.split(':')[1] === target)?.split(':');
    const [volume, , mode] = mountOf('prometheus', tokenFile.slice(0, tokenFile.lastIndexOf('/'))) ?? [];
    expect(mode).toBe('ro');
    expect(mountOf('minio-init', '/metrics-token')?.[0]).toBe(volume);
    expect(tokenFile.endsWith('/minio')).toBe(true);
    expect(services.prometheus?.depends_on).toMatchObject({ 'minio-init': { condition: 'service_completed_successfully' } });
    // MinIO serves its metrics on the S3 port, which the reverse proxy publishes: never `public`.
    expect((services.minio?.environment as Dict).MINIO_PROMETHEUS_AUTH_TYPE).toBe('jwt');
    const initEnv = services['minio-init']?.environment as Dict;
    expect(substitutionsIn(initEnv.MINIO_METRICS_SECRET_KEY ?? '').map((s) => s.name)).toEqual(['MINIO_METRICS_SECRET_KEY']);
    expect([envExample.MINIO_ROOT_USER, envExample.DOCSTORE_S3_ACCESS_KEY]).not.toContain(initEnv.MINIO_METRICS_USER);
    expect(JSON.stringify(services.docstore)).not.toMatch(/MINIO_METRICS/);
    // The metrics user's policy: reading metrics, nothing else (no S3 action, no other admin action).
    const policy = JSON.parse(text('deploy/minio/prometheus-policy.json')) as { Statement: Array<Record<string, Json>> };
    expect(policy.Statement.map((statement) => ({ effect: statement.Effect, actions: [statement.Action].flat(), resource: statement.Resource }))).toEqual([
      { effect: 'Allow', actions: ['admin:Prometheus'], resource: undefined },
    ]);
  });

  it('provisions Grafana with the Prometheus datasource and the docstore dashboard', () => {
    const datasources = parse(text('deploy/grafana/provisioning/datasources/prometheus.yml')) as { datasources: Dict[] };
    expect(datasources.datasources).toEqual([expect.objectContaining({ type: 'prometheus', uid: 'prometheus', url: 'http://prometheus:9090', access: 'proxy' })]);
    const providers = parse(text('deploy/grafana/provisioning/dashboards/docstore.yml')) as { providers: Array<{ type: string; options: { path: string } }> };
    expect(providers.providers).toHaveLength(1);
    const dashboardsDir = providers.providers[0]?.options.path;
    expect(services.grafana?.volumes).toEqual(
      expect.arrayContaining(['./grafana/provisioning:/etc/grafana/provisioning:ro', `./grafana/docstore.json:${dashboardsDir}/docstore.json:ro`]),
    );
  });
});

describe('deploy/minio/init.sh (against a stand-in mc that records its calls)', () => {
  // What MinIO does with these calls is not proven here; the script's own decisions are.
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'docstore-minio-init-'));
    await writeFile(
      join(dir, 'mc'),
      [
        '#!/bin/sh',
        'echo "$*" >> "$MC_LOG"',
        'case "$1 $2 $3" in',
        '  "anonymous get "*) echo "Access permission for \\`$3\\` is \\`${FAKE_ANONYMOUS:-private}\\`" ;;',
        '  "admin user info") printf "AccessKey: %s\\nStatus: enabled\\nPolicyName: %s\\n" "$5" "${FAKE_ATTACHED:-}" ;;',
        // As `mc --json admin prometheus generate` prints it (a JWT signed with the alias's key).
        '  "admin prometheus generate") printf \'{\\n "jobName": "minio-job",\\n "bearerToken": "%s",\\n "metricsPath": "/minio/v2/metrics/cluster"\\n}\\n\' "${FAKE_TOKEN-eyJhbGciOiJIUzUxMiJ9.eyJpc3MiOiJwcm9tZXRoZXVzIn0.c2lnbmF0dXJl}" ;;',
        'esac',
      ].join('\n'),
    );
    await chmod(join(dir, 'mc'), 0o755);
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function initScript(overrides: Record<string, string> = {}, policy = text('deploy/minio/docstore-policy.json')) {
    const log = join(dir, `mc-${randomBytes(4).toString('hex')}.log`);
    const policyFile = join(dir, `policy-${randomBytes(4).toString('hex')}.json`);
    const tokenDir = await mkdtemp(join(dir, 'metrics-token-'));
    await writeFile(log, '');
    await writeFile(policyFile, policy);
    const env = {
      PATH: `${dir}:${process.env.PATH ?? ''}`,
      MC_LOG: log,
      DOCSTORE_POLICY_FILE: policyFile,
      MINIO_ROOT_USER: 'minio-root',
      MINIO_ROOT_PASSWORD: 'root-password-0123456789',
      DOCSTORE_BUCKET: 'docstore',
      DOCSTORE_S3_ACCESS_KEY: 'docstore',
      DOCSTORE_S3_SECRET_KEY: 'docstore-secret-0123456789',
      MINIO_METRICS_USER: 'docstore-metrics',
      MINIO_METRICS_SECRET_KEY: 'metrics-secret-0123456789',
      MINIO_METRICS_POLICY_FILE: join(deployDir, 'minio/prometheus-policy.json'),
      MINIO_METRICS_TOKEN_DIR: tokenDir,
      ...overrides,
    };
    const result = await run('sh', [join(deployDir, 'minio/init.sh')], { env }).then(
      (output) => ({ code: 0, stderr: output.stderr }),
      (error: { code: number; stderr: string }) => ({ code: error.code, stderr: error.stderr }),
    );
    const calls = (await readFile(log, 'utf8')).split('\n').filter((line) => line !== '');
    return { ...result, calls, tokenFiles: await readdir(tokenDir), token: await readFile(join(tokenDir, 'minio'), 'utf8').catch(() => undefined), tokenDir };
  }

  it('creates the bucket, the policy and the user, and attaches the policy once', async () => {
    const first = await initScript();
    expect(first.code, first.stderr).toBe(0);
    expect(first.calls.map((call) => call.split(' ').slice(0, 3).join(' '))).toEqual([
      'alias set docstore-minio',
      'mb --ignore-existing docstore-minio/docstore',
      'anonymous get docstore-minio/docstore',
      'admin policy create',
      'admin user add',
      'admin user info',
      'admin policy attach',
      'admin policy create',
      'admin user add',
      'admin user info',
      'admin policy attach',
      'alias set docstore-minio-metrics',
      'admin prometheus generate',
    ]);
    expect(first.calls).toContain(`admin user add docstore-minio docstore docstore-secret-0123456789`);
    expect(first.calls).toContain(`admin user add docstore-minio docstore-metrics metrics-secret-0123456789`);
    expect(first.calls).toContain(`admin policy attach docstore-minio docstore-prometheus --user docstore-metrics`);
    // The token is signed with the metrics user's key (the alias mc generates it for), not root's.
    expect(first.calls).toContain(`alias set docstore-minio-metrics http://minio:9000 docstore-metrics metrics-secret-0123456789`);
    expect(first.calls).toContain(`admin prometheus generate --json docstore-minio-metrics cluster`);
    expect(first.token).toBe('eyJhbGciOiJIUzUxMiJ9.eyJpc3MiOiJwcm9tZXRoZXVzIn0.c2lnbmF0dXJl\n');
    expect(first.tokenFiles).toEqual(['minio']);
    // Prometheus runs as nobody: the token must be readable by others.
    expect((await stat(join(first.tokenDir, 'minio'))).mode & 0o777).toBe(0o644);
    const again = await initScript({ FAKE_ATTACHED: 'docstore-readwrite docstore-prometheus' });
    expect(again.code, again.stderr).toBe(0);
    expect(again.calls.some((call) => call.startsWith('admin policy attach'))).toBe(false);
  });

  it('fails, and writes no token file, when mc generates no bearer token', async () => {
    const result = await initScript({ FAKE_TOKEN: '' });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/gave no bearer token/);
    expect(result.tokenFiles).toEqual([]);
  });

  it('refuses a bucket with anonymous access, before any user gets keys', async () => {
    const result = await initScript({ FAKE_ANONYMOUS: 'download' });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/allows anonymous access/);
    expect(result.calls.some((call) => call.startsWith('admin'))).toBe(false);
  });

  it("refuses MinIO's root user as docstore's user, and a policy naming another bucket", async () => {
    const asRoot = await initScript({ DOCSTORE_S3_ACCESS_KEY: 'minio-root' });
    expect(asRoot.code).not.toBe(0);
    expect(asRoot.calls).toEqual([]);
    for (const user of ['minio-root', 'docstore']) {
      const metricsAs = await initScript({ MINIO_METRICS_USER: user });
      expect(metricsAs.code).not.toBe(0);
      expect(metricsAs.stderr).toMatch(/MINIO_METRICS_USER must name a user of its own/);
      expect(metricsAs.calls).toEqual([]);
    }
    const foreign = await initScript({}, text('deploy/minio/docstore-policy.json').replaceAll('arn:aws:s3:::docstore', 'arn:aws:s3:::other'));
    expect(foreign.code).not.toBe(0);
    expect(foreign.stderr).toMatch(/does not grant on the bucket docstore/);
    expect(foreign.calls).toEqual([]);
  });
});

describe('Dockerfile', () => {
  const instructions = dockerfileInstructions();
  const stages = instructions.reduce<Array<Array<{ op: string; args: string }>>>((all, instruction) => {
    if (instruction.op === 'FROM') all.push([]);
    all.at(-1)?.push(instruction);
    return all;
  }, []);
  const final = stages.at(-1) ?? [];
  const last = (op: string) => final.filter((instruction) => instruction.op === op).at(-1)?.args;

  it('builds in stages from pinned base images (an ARG before the first FROM may name one, pinned by default)', () => {
    expect(stages.length).toBeGreaterThanOrEqual(2);
    const firstFrom = instructions.findIndex((instruction) => instruction.op === 'FROM');
    const globalArgs = Object.fromEntries(
      instructions
        .slice(0, firstFrom)
        .filter((instruction) => instruction.op === 'ARG')
        .map((instruction) => /^([A-Za-z_][A-Za-z0-9_]*)=(\S+)$/.exec(instruction.args)?.slice(1) ?? [instruction.args, '']),
    ) as Record<string, string>;
    const names: string[] = [];
    for (const from of instructions.filter((instruction) => instruction.op === 'FROM')) {
      const [written = '', as, name] = from.args.split(/\s+/);
      const image = written.replace(/^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/, (_, arg: string) => globalArgs[arg] ?? '');
      expect(names.includes(image) || image === 'scratch' || isPinned(image), `FROM ${from.args} (${image})`).toBe(true);
      if (as?.toUpperCase() === 'AS' && name !== undefined) names.push(name);
    }
    const build = stages[0]?.map((instruction) => instruction.args).join('\n') ?? '';
    // better-sqlite3 13 carries its binaries in its npm package: no compiler in the image, and the
    // check that it loads runs in the build stage.
    expect(build).not.toMatch(/apt-get install/);
    expect(build).toMatch(/require\("\/app\/node_modules\/better-sqlite3"\)/);
    // Everything installed to build, then the production dependencies only.
    expect(build).toMatch(/npm ci\b[^\n]*\n[\s\S]*npm prune --omit=dev/);
  });

  it('runs as a non-root user, in production, listening on every interface', () => {
    const user = (last('USER') ?? 'root').split(':')[0];
    expect(['', 'root', '0']).not.toContain(user);
    expect(dockerfileEnv()).toMatchObject({ NODE_ENV: 'production', HOST: '0.0.0.0', DATA_DIR: '/data' });
    expect(last('EXPOSE')?.split(/\s+/).sort()).toEqual(['8080', '9464']);
    expect(JSON.parse(last('CMD') ?? 'null')).toEqual(['node', 'bin/docstore.js', 'serve']);
  });

  it('runs the compiled build: dist/ from the build stage, production dependencies, no sources and no tsx', () => {
    const copies = final.filter((instruction) => instruction.op === 'COPY').map((instruction) => instruction.args);
    expect(copies).toContainEqual(expect.stringMatching(/^--from=\S+ \/app\/dist \.\/dist$/));
    expect(copies.some((args) => /(^|\s)src\b/.test(args))).toBe(false);
    const build = stages.find((stage) => stage.some((instruction) => instruction.op === 'RUN' && /npm run build\b/.test(instruction.args)));
    expect(build, 'a stage runs npm run build').toBeDefined();
    expect(text('bin/docstore.js')).not.toMatch(/tsx/);
    expect((JSON.parse(text('package.json')) as { dependencies: Record<string, string> }).dependencies).not.toHaveProperty('tsx');
  });

  it('checks its health on /health/ready with node', () => {
    const healthcheck = last('HEALTHCHECK') ?? '';
    expect(healthcheck).toMatch(/CMD \["node", "-e", ".*127\.0\.0\.1:.*\/health\/ready/);
    expect(healthcheck).toMatch(/process\.exit\(r\.ok\?0:1\)/);
  });

  it('copies what the service needs and leaves secrets out of the build context', () => {
    const ignored = text('.dockerignore').split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#'));
    expect(ignored).toEqual(expect.arrayContaining(['.env', '**/.env', '.git', 'node_modules', 'data']));
    for (const copy of final.filter((instruction) => instruction.op === 'COPY' && !instruction.args.startsWith('--from'))) {
      for (const source of copy.args.split(/\s+/).slice(0, -1)) {
        expect(existsSync(join(root, source)), source).toBe(true);
        expect(ignored).not.toContain(source);
      }
    }
  });
});

function parseDotenv(content: string): Record<string, string> {
  const variables: Record<string, string> = {};
  for (const line of content.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim());
    if (match?.[1] !== undefined) variables[match[1]] = match[2] ?? '';
  }
  return variables;
}

const SUBSTITUTION = /\$(?:\$|\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-?+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g;

/** Compose interpolation: `$$`, `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}`, `${VAR:+alt}`. */
function interpolate(value: string, env: Record<string, string>): string {
  return value.replace(SUBSTITUTION, (match, braced: string | undefined, operator: string | undefined, argument: string | undefined, bare: string | undefined) => {
    if (match === '$$') return '$';
    const name = (braced ?? bare) as string;
    const current = env[name];
    const nonEmpty = current !== undefined && current !== '';
    switch (operator) {
      case ':-': return nonEmpty ? current : (argument ?? '');
      case '-': return current ?? argument ?? '';
      case ':?':
      case '?':
        if (operator === ':?' ? !nonEmpty : current === undefined) throw new Error(`required variable ${name}: ${argument ?? ''}`);
        return current as string;
      case ':+': return nonEmpty ? (argument ?? '') : '';
      case '+': return current === undefined ? '' : (argument ?? '');
      default: return current ?? '';
    }
  });
}

function interpolateAll(value: Json, env: Record<string, string>): Json {
  if (typeof value === 'string') return interpolate(value, env);
  if (Array.isArray(value)) return value.map((item) => interpolateAll(item, env));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, interpolateAll(item, env)]));
  return value;
}

function substitutionsIn(value: Json): Array<{ name: string; operator: string | undefined }> {
  if (typeof value === 'string') {
    return [...value.matchAll(SUBSTITUTION)].filter((match) => match[0] !== '$$').map((match) => ({ name: (match[1] ?? match[4]) as string, operator: match[2] }));
  }
  if (Array.isArray(value)) return value.flatMap(substitutionsIn);
  if (value !== null && typeof value === 'object') return Object.values(value).flatMap(substitutionsIn);
  return [];
}

function withoutIdLabels(value: Json): Json {
  if (Array.isArray(value)) return value.map(withoutIdLabels);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(Object.entries(value).filter(([key, item]) => !(key === 'id' && typeof item === 'string')).map(([key, item]) => [key, withoutIdLabels(item)]));
}

/** A tag with at least a minor version (or a MinIO release date), or a digest; never `latest`. */
function isPinned(image: string): boolean {
  if (/@sha256:[0-9a-f]{64}$/.test(image)) return true;
  const tag = /:([\w][\w.-]{0,127})$/.exec(image)?.[1];
  return tag !== undefined && tag !== 'latest' && (/^v?\d+\.\d+/.test(tag) || /^RELEASE\.\d{4}-\d{2}-\d{2}T/.test(tag));
}

function dockerfileInstructions(): Array<{ op: string; args: string }> {
  return text('Dockerfile')
    .split('\n')
    .filter((line) => !line.trim().startsWith('#'))
    .join('\n')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => {
      const [op = '', ...rest] = line.split(/\s+/);
      return { op: op.toUpperCase(), args: line.slice(op.length).trim().replace(/\s+/g, ' ') || rest.join(' ') };
    });
}

/** The ENV of the Dockerfile's final stage (the image docstore runs in). */
function dockerfileEnv(): Record<string, string> {
  const instructions = dockerfileInstructions();
  const finalStage = instructions.slice(instructions.map((instruction) => instruction.op).lastIndexOf('FROM'));
  const env: Record<string, string> = {};
  for (const instruction of finalStage.filter((candidate) => candidate.op === 'ENV')) {
    for (const match of instruction.args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=("[^"]*"|\S+)/g)) {
      env[match[1] as string] = (match[2] as string).replace(/^"|"$/g, '');
    }
  }
  return env;
}

