import { afterAll, expect, test } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parse, stringify } from 'yaml';
import { ManualClock } from '../services/kit/clock.ts';
import { MeshClient } from '../services/kit/mtls/client.ts';
import { spiffeIdFor } from '../services/kit/spiffe.ts';
import { SERVICE_NAMES } from '../services/topology.ts';
import { freePorts } from '../harness/mesh/free-port.ts';
import { ALERT_RULES, prometheusPaths } from '../harness/mesh/prometheus-config.ts';
import { GATE_METRICS_FILE } from '../harness/report/gate-metrics.ts';
import { ScrapeIdentityKeeper } from '../harness/mesh/scrape-identity-keeper.ts';
import { meshgate } from '../harness/test-support/meshgate-cli.ts';
import { requireTool } from '../harness/test-support/require-tool.ts';
import { useTempDirs } from '../harness/test-support/temp-dirs.ts';

const tempDir = useTempDirs();
const state = tempDir('meshgate-prom-state-');
let prometheus: ChildProcess | undefined;
let nodeExporter: ChildProcess | undefined;
afterAll(async () => {
  prometheus?.kill('SIGKILL');
  nodeExporter?.kill('SIGKILL');
  await meshgate(['down', '--state', state]);
});

const dashboard = JSON.parse(readFileSync(new URL('./meshgate-security.json', import.meta.url), 'utf8')) as { panels: Array<{ title: string; targets: Array<{ expr: string }> }> };

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await sleep(500);
  }
  throw new Error(`${what} within ${timeoutMs} ms${last ? `: ${(last as Error).message}` : ''}`);
}

test('a real Prometheus with the config meshgate up writes scrapes every workload and the gate results of a real node_exporter, answers every dashboard query with data, loads the alert rules and fires on a real replay', { timeout: 300_000 }, async () => {
  const promBin = requireTool('prometheus', 'prometheus');
  const nodeExporterBin = requireTool('prometheus-node-exporter', 'prometheus-node-exporter');
  const up = await meshgate(['up', '--state', state, '--json'], 90_000);
  expect(up.stderr).toBe('');
  expect(up.code).toBe(0);
  const paths = prometheusPaths(state);
  const config = parse(readFileSync(paths.config, 'utf8')) as { global: Record<string, string>; rule_files: string[]; scrape_configs: unknown[] };
  expect(config.rule_files).toEqual([ALERT_RULES]);
  expect(statSync(paths.key).mode & 0o777).toBe(0o600);
  const targets = JSON.parse(readFileSync(paths.targets, 'utf8')) as Array<{ labels: { service: string } }>;
  expect(targets.map((t) => t.labels.service).sort()).toEqual([...SERVICE_NAMES].sort());

  // The scrape identity reads /metrics and nothing else.
  const record = JSON.parse(up.stdout) as { services: Array<{ name: string; url: string }> };
  const urlOf = (name: string) => record.services.find((s) => s.name === name)!.url;
  const scraper = new MeshClient({ credentials: { certPem: readFileSync(paths.cert, 'utf8'), keyPem: readFileSync(paths.key, 'utf8'), bundlePem: readFileSync(paths.bundle, 'utf8') } });
  try {
    for (const name of SERVICE_NAMES) {
      const metrics = await scraper.request({ url: new URL('/metrics', urlOf(name)).href, method: 'GET', serverId: spiffeIdFor(name) });
      expect(metrics.status, `${name} /metrics`).toBe(200);
      for (const [method, path] of [['GET', '/healthz'], ['POST', '/admin/renew-svid']] as const) {
        const refused = await scraper.request({ url: new URL(path, urlOf(name)).href, method, serverId: spiffeIdFor(name), body: '{}', headers: { 'content-type': 'application/json' } });
        expect(refused.status, `${name} ${method} ${path}`).toBe(403);
        expect(refused.text()).toContain('spiffe_id_not_allowed');
      }
    }
    for (const [name, path] of [['ca', '/admin/issue'], ['sts', '/token'], ['pdp', '/v1/decide']] as const) {
      const refused = await scraper.request({ url: new URL(path, urlOf(name)).href, method: 'POST', serverId: spiffeIdFor(name), body: '{}', headers: { 'content-type': 'application/json' } });
      expect(refused.status, `${name} POST ${path}`).toBe(403);
      expect(refused.text()).toContain('spiffe_id_not_allowed');
    }
  } finally {
    scraper.close();
  }

  // Renewal before expiry: past half its life the keeper issues a new SVID for a new key, 0600 on disk.
  const before = readFileSync(paths.cert, 'utf8');
  const keeper = new ScrapeIdentityKeeper({ stateRoot: state, clock: new ManualClock(Date.now() + 301_000) });
  expect((await keeper.tick()).renewed).toBe(true);
  expect(readFileSync(paths.cert, 'utf8')).not.toBe(before);
  expect(statSync(paths.key).mode & 0o777).toBe(0o600);
  expect((await new ScrapeIdentityKeeper({ stateRoot: state }).tick()).renewed).toBe(false);
  // The mesh's collector process keeps the target list: removed, it comes back.
  rmSync(paths.targets);
  await until('the collector process rewrote targets.json', 15_000, async () => (existsSync(paths.targets) ? true : undefined));

  // The gate's results reach Prometheus the way the README says: node_exporter's textfile collector.
  const [port, exporterPort] = await freePorts(2);
  const textfileDir = tempDir('meshgate-prom-textfile-');
  nodeExporter = spawn(nodeExporterBin, ['--collector.disable-defaults', '--collector.textfile', `--collector.textfile.directory=${textfileDir}`, `--web.listen-address=127.0.0.1:${exporterPort}`], { stdio: 'ignore' });

  // Only the global intervals are shortened and the user's node_exporter added; everything else is the file `up` wrote.
  const testConfig = join(tempDir('meshgate-prom-cfg-'), 'prometheus.yml');
  const gateJob = { job_name: 'node', static_configs: [{ targets: [`127.0.0.1:${exporterPort}`] }] };
  writeFileSync(testConfig, stringify({ ...config, global: { scrape_interval: '1s', evaluation_interval: '1s' }, scrape_configs: [...config.scrape_configs, gateJob] }));
  const storage = tempDir('meshgate-prom-data-');
  const log: string[] = [];
  prometheus = spawn(promBin, [`--config.file=${testConfig}`, `--storage.tsdb.path=${storage}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  prometheus.stderr!.on('data', (b: Buffer) => log.push(b.toString()));
  const api = async <T>(path: string): Promise<T> => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`);
    const body = (await res.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`${path}: ${body.error}`);
    return body.data;
  };
  const query = (expr: string) => api<{ result: unknown[] }>(`/api/v1/query?query=${encodeURIComponent(expr)}`);

  await until(`every workload scraped (prometheus log: ${log.join('').slice(-500)})`, 30_000, async () => {
    const r = (await query('up{job="meshgate"} == 1')).result;
    return r.length === SERVICE_NAMES.length ? true : undefined;
  });

  // Traffic and attacks from the catalog, against the running mesh.
  const reportDir = tempDir('meshgate-prom-report-');
  const run = await meshgate(['run', '--attach', '--state', state, '--report-dir', reportDir, '--format', 'json', 'tokens.replayed', 'tokens.login-brute-force', 'policy.pdp-outage', 'policy.ledger-exfiltration', 'mtls.wrong-trust-domain', 'tokens.expired', 'tokens.revoked-signing-key'], 240_000);
  expect(run.code, run.stdout + run.stderr).toBe(0);
  copyFileSync(join(reportDir, GATE_METRICS_FILE), join(textfileDir, `${GATE_METRICS_FILE}.tmp`));
  renameSync(join(textfileDir, `${GATE_METRICS_FILE}.tmp`), join(textfileDir, GATE_METRICS_FILE));

  const rules = await api<{ groups: Array<{ rules: Array<{ name: string; health: string }> }> }>('/api/v1/rules');
  const loaded = rules.groups.flatMap((g) => g.rules);
  expect(loaded.length).toBeGreaterThanOrEqual(8);
  expect(loaded.filter((r) => r.health === 'err')).toEqual([]);
  await until('MeshgateTokenReplay firing', 30_000, async () => {
    const alerts = await api<{ alerts: Array<{ labels: { alertname: string }; state: string }> }>('/api/v1/alerts');
    return alerts.alerts.some((a) => a.labels.alertname === 'MeshgateTokenReplay' && a.state === 'firing') ? true : undefined;
  });

  // A series seen in one scrape needs a second before rate() answers: wait, bounded, for every panel.
  const emptyPanels = async (): Promise<string[]> => {
    const empty: string[] = [];
    for (const panel of dashboard.panels) {
      for (const target of panel.targets) {
        const expr = target.expr.replaceAll('$service', '.*');
        if ((await query(expr)).result.length === 0) empty.push(`${panel.title}: ${expr}`);
      }
    }
    return empty;
  };
  let empty = await emptyPanels();
  for (const deadline = Date.now() + 30_000; empty.length > 0 && Date.now() < deadline; empty = await emptyPanels()) await sleep(1000);
  expect(empty).toEqual([]);
  const verdict = (await query('meshgate_gate_passed{job="node"}')).result as Array<{ value: [number, string] }>;
  expect(verdict.map((r) => r.value[1])).toEqual(['1']);
});
