/**
 * The compose engine for real, on podman with runc: `meshgate up --engine
 * compose` builds the image from this checkout on this machine's own Node
 * binary and brings the mesh up as containers; a subset of the catalog (one
 * scenario per plane) runs through the engine; curl reaches payments from
 * outside the containers over mTLS by its service name; Prometheus'
 * configuration for the compose stack passes promtool against the state the
 * project keeps; and `meshgate down` leaves no container, network or volume.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { execFileSync, spawnSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { parse } from 'yaml';
import { PROMETHEUS_ID, SERVICE_NAMES } from '../../services/topology.ts';
import { pollUntil } from '../evidence/poll.ts';
import { CONTAINER_PORTS, operatorJoinTokenFile, SPAN_COLLECTOR, SPAN_COLLECTOR_URL } from '../mesh/compose-placement.ts';
import { ComposeProject, composeCliFrom } from '../mesh/compose-project.ts';
import { ensureImage, LOCAL_NODE_BASE } from '../mesh/mesh-image.ts';
import { OperatorClient } from '../mesh/operator.ts';
import type { MeshRecord } from '../mesh/mesh-launcher.ts';
import { PACKAGE_ROOT, statePaths } from '../mesh/state-dir.ts';
import { meshgate } from '../test-support/meshgate-cli.ts';
import { useTempDirs } from '../test-support/temp-dirs.ts';

const COMPOSE_FILE = join(PACKAGE_ROOT, 'docker-compose.yml');
const SCHEMA = join(PACKAGE_ROOT, 'deploy', 'compose-spec', 'compose-spec.json');
/** One scenario per plane, among them those that lean on what differs in containers: ports, /proc, restarts, spans. */
const SUBSET = ['mtls.plaintext-http', 'mtls.revoked-client-cert', 'tokens.replayed', 'policy.pdp-outage', 'leaks.process-exposure', 'rotation.revocation-propagation', 'observability.payment-trace', 'e2ee.kms-revoked-key-version'];

// ajv and ajv-formats are CommonJS.
const require = createRequire(import.meta.url);
const Ajv = require('ajv') as new (o: object) => { addMetaSchema(schema: object): void; compile(schema: object): ((data: unknown) => boolean) & { errors?: unknown[] | null } };
const addFormats = require('ajv-formats') as (ajv: object) => void;

const STANDALONE = ['ca', 'sts', 'kms'] as const;

const podman = (...args: string[]) => execFileSync('podman', args, { encoding: 'utf8' });
const tempDir = useTempDirs();

describe('the compose file', () => {
  const compose = parse(readFileSync(COMPOSE_FILE, 'utf8'), { merge: true }) as { services: Record<string, { command?: string[]; ports?: string[]; image?: string }> };

  test('validates against the Compose Specification schema (vendored unmodified)', () => {
    const ajv = new Ajv({ allErrors: true, strict: false });
    addFormats(ajv);
    // The specification names its meta-schema with https; it is JSON Schema draft-07, which Ajv ships.
    const draft7 = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'node_modules', 'ajv', 'dist', 'refs', 'json-schema-draft-07.json'), 'utf8')) as object;
    ajv.addMetaSchema({ ...draft7, $id: 'https://json-schema.org/draft-07/schema' });
    const validate = ajv.compile(JSON.parse(readFileSync(SCHEMA, 'utf8')) as object);
    expect(validate(compose), JSON.stringify(validate.errors, null, 2)).toBe(true);
    // The schema rejects what it should: a service with an unknown key.
    expect(validate({ services: { ca: { image: 'x', imagee: 'typo' } } })).toBe(false);
  });

  test('runs every workload of the topology from the one image, and publishes ports on 127.0.0.1 only', () => {
    for (const name of SERVICE_NAMES) expect(compose.services[name]?.command, name).toEqual([name]);
    expect(compose.services[SPAN_COLLECTOR.service]?.command).toEqual(['collector']);
    for (const [name, service] of Object.entries(compose.services)) for (const port of service.ports ?? []) expect(port, `${name} publishes ${port}`).toMatch(/^127\.0\.0\.1:/);
    const meshgateImage = compose.services.init!.image;
    expect(meshgateImage).toMatch(/MESHGATE_IMAGE/);
    for (const name of [...SERVICE_NAMES, SPAN_COLLECTOR.service]) expect(compose.services[name]?.image, name).toBe(meshgateImage);
  });
});

describe('the compose file on its own (`docker compose up`, here podman-compose)', () => {
  test('its init step prepares the state, workloads enrol with its join tokens, and the span collector enrols the operator and keeps the scrape identity', async () => {
    process.env.MESHGATE_BASE_IMAGE = 'local-node';
    const state = tempDir('meshgate-standalone-');
    const project = new ComposeProject(`meshgate-standalone-${process.pid}`, composeCliFrom(process.env), {});
    const image = await ensureImage(project, LOCAL_NODE_BASE);
    // What a user's `docker compose up` of the mesh part sees: no meshgate on the host, the workloads exporting to the span collector.
    Object.assign(project.variables, { MESHGATE_STATE: state, MESHGATE_IMAGE: image, MESHGATE_OTLP_ENDPOINT: SPAN_COLLECTOR_URL });
    try {
      // The CA and two workloads are enough to show the init step's tokens at work; the engine's test below runs them all.
      await project.up(['init', ...STANDALONE, SPAN_COLLECTOR.service]);
      const paths = statePaths(state);
      const ready = await pollUntil(() => STANDALONE.every((n) => existsSync(paths.ready(n))) && existsSync(join(paths.operator, 'key.pem')) && existsSync(join(state, 'prometheus', 'cert.pem')), (v) => v, 90_000, 250);
      expect(ready, `ready records, operator and scrape identity in ${state}: ${readdirSync(state).join(', ')}`).toBe(true);
      // The operator the collector enrolled reaches every workload over mTLS, through the ports the compose file publishes.
      const operator = OperatorClient.load(paths.operator, Object.fromEntries(await Promise.all(STANDALONE.map(async (n) => [n, `https://localhost:${await project.hostPort(await project.containerOf(n), CONTAINER_PORTS.mtls)}`]))));
      try {
        for (const name of STANDALONE) expect((await operator.request(name, 'GET', '/healthz')).status, name).toBe(200);
      } finally {
        operator.close();
      }
      expect(existsSync(operatorJoinTokenFile(state)), 'the operator join token is used once and removed').toBe(false);
      expect(new X509Certificate(readFileSync(join(state, 'prometheus', 'cert.pem'))).subjectAltName).toContain(`URI:${PROMETHEUS_ID}`);
    } finally {
      await project.down();
    }
    expect(await project.leftovers()).toEqual({ containers: [], networks: [], volumes: [] });
  }, 300_000);
});

describe('the compose engine on podman', () => {
  let state: string;
  let record: MeshRecord;

  beforeAll(async () => {
    state = tempDir('meshgate-compose-');
    // Nothing can be pulled here: the image's base is built from this machine's own Node binary.
    process.env.MESHGATE_BASE_IMAGE = 'local-node';
    const up = await meshgate(['up', '--engine', 'compose', '--state', state, '--json'], 540_000);
    expect(up.code, up.stderr).toBe(0);
    record = JSON.parse(up.stdout) as MeshRecord;
  }, 600_000);

  afterAll(async () => {
    // Also when a test failed: nothing of the project may stay behind.
    if (record) await meshgate(['down', '--state', state], 120_000);
  }, 150_000);

  test('every workload runs in a container of its own and is healthy over mTLS', async () => {
    expect(record.engine).toBe('compose');
    expect(Object.keys(record.compose!.containers).sort()).toEqual([...SERVICE_NAMES].sort());
    const status = await meshgate(['status', '--state', state, '--json']);
    expect(status.code, status.stdout + status.stderr).toBe(0);
    const running = podman('ps', '--filter', `label=com.docker.compose.project=${record.compose!.project}`, '--format', '{{.Labels}}');
    for (const name of [...SERVICE_NAMES, SPAN_COLLECTOR.service]) expect(running).toContain(`com.docker.compose.service:${name}`);
  });

  test('curl reaches payments from outside the containers over mTLS, by the name its certificate carries', () => {
    const port = new URL(record.services.find((s) => s.name === 'payments')!.url).port;
    const operator = join(state, 'operator');
    const curl = (...extra: string[]) => spawnSync('curl', ['-sS', '--max-time', '10', '--cacert', join(state, 'ca', 'bundle.pem'), '--resolve', `payments:${port}:127.0.0.1`, ...extra, `https://payments:${port}/healthz`], { encoding: 'utf8' });
    const ok = curl('--cert', join(operator, 'cert.pem'), '--key', join(operator, 'key.pem'));
    expect(ok.status, ok.stderr).toBe(0);
    expect(JSON.parse(ok.stdout)).toMatchObject({ status: 'ok', service: 'payments', spiffeId: 'spiffe://meshgate.test/payments' });
    // Without a client certificate the handshake is refused: curl gets no HTTP answer at all.
    const anonymous = curl();
    expect(anonymous.status).not.toBe(0);
    expect(anonymous.stdout).toBe('');
  });

  test('Prometheus scrapes as its own identity, and the compose Prometheus configuration passes promtool', async () => {
    const cert = join(state, 'prometheus', 'cert.pem');
    expect(await pollUntil(() => existsSync(cert), (v) => v, 30_000, 200), 'the span collector issued the scrape identity').toBe(true);
    expect(new X509Certificate(readFileSync(cert)).subjectAltName).toContain(`URI:${PROMETHEUS_ID}`);
    // The configuration as the compose Prometheus reads it, with the mounts resolved to this run's files.
    const config = readFileSync(join(PACKAGE_ROOT, 'deploy', 'prometheus', 'prometheus.yml'), 'utf8').replaceAll('/state/', `${state}/`).replace('/etc/prometheus/alerts.yml', join(PACKAGE_ROOT, 'dashboards', 'alerts.yml'));
    const file = join(state, 'prometheus', 'compose-prometheus.yml');
    writeFileSync(file, config);
    const check = spawnSync('promtool', ['check', 'config', file], { encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    expect(check.stdout).toMatch(/SUCCESS: .*compose-prometheus\.yml is valid prometheus config file syntax/);
    // What Prometheus would do on its first scrape of payments.
    const port = new URL(record.services.find((s) => s.name === 'payments')!.url).port;
    const scrape = spawnSync('curl', ['-sS', '--max-time', '10', '--cacert', join(state, 'prometheus', 'bundle.pem'), '--cert', cert, '--key', join(state, 'prometheus', 'key.pem'), '--resolve', `payments:${port}:127.0.0.1`, `https://payments:${port}/metrics`], { encoding: 'utf8' });
    expect(scrape.status, scrape.stderr).toBe(0);
    expect(scrape.stdout).toMatch(/^meshgate_/m);
  });

  test('a scenario of every plane passes through the compose engine', async () => {
    const reports = tempDir('meshgate-compose-reports-');
    const run = await meshgate(['run', '--attach', '--state', state, '--report-dir', reports, '--format', 'json', ...SUBSET], 300_000);
    const report = JSON.parse(readFileSync(join(reports, 'report.json'), 'utf8')) as { scenarios: Array<{ id: string; plane: string; outcome: string }> };
    expect(report.scenarios.map((s) => `${s.id} ${s.outcome}`).sort(), run.stdout + run.stderr).toEqual(SUBSET.map((id) => `${id} passed`).sort());
    expect(new Set(report.scenarios.map((s) => s.plane))).toEqual(new Set(['mtls', 'tokens', 'policy', 'leaks', 'rotation', 'observability', 'e2ee']));
    expect(run.code).toBe(0);
  }, 320_000);

  test('down leaves no container, network or volume of the project', async () => {
    const project = record.compose!.project;
    const down = await meshgate(['down', '--state', state], 120_000);
    expect(down.code, down.stderr).toBe(0);
    record = undefined as unknown as MeshRecord;
    expect(podman('ps', '-a', '--format', '{{.Names}}')).not.toContain(project);
    expect(podman('network', 'ls', '--format', '{{.Name}}')).not.toContain(project);
    expect(podman('volume', 'ls', '--format', '{{.Name}}')).not.toContain(project);
    expect(podman('ps', '-a', '-q', '--filter', `label=com.docker.compose.project=${project}`).trim()).toBe('');
  }, 150_000);
});
