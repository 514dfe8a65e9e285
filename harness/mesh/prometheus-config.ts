/**
 * Prometheus turnkey for a mesh started with `meshgate up`: a file_sd target
 * list, a ready prometheus.yml that scrapes every workload over mTLS and loads
 * the shipped alert rules, and the scrape identity's SVID (its key generated
 * here, only the public key goes to the CA). Everything lives under
 * <state>/prometheus, so it goes when the state folder goes.
 */
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { PROMETHEUS_ID } from '../../services/topology.ts';
import type { OperatorApi } from '../engine/operator-api.ts';
import type { MeshRecord } from './mesh-launcher.ts';
import { PACKAGE_ROOT } from './state-dir.ts';

export const ALERT_RULES = join(PACKAGE_ROOT, 'dashboards', 'alerts.yml');
export const SCRAPE_JOB = 'meshgate';

export function prometheusPaths(stateRoot: string) {
  const dir = join(stateRoot, 'prometheus');
  return {
    dir,
    config: join(dir, 'prometheus.yml'),
    targets: join(dir, 'targets.json'),
    cert: join(dir, 'cert.pem'),
    key: join(dir, 'key.pem'),
    bundle: join(dir, 'bundle.pem'),
  };
}

export type PrometheusPaths = ReturnType<typeof prometheusPaths>;

export interface FileSdGroup {
  targets: string[];
  labels: Record<string, string>;
}

/** One group per workload: its mTLS host:port, labelled with its name so `up` can be filtered like every other series. */
export function renderTargets(record: Pick<MeshRecord, 'services'>): FileSdGroup[] {
  return record.services.map((s) => ({ targets: [new URL(s.url).host], labels: { service: s.name } }));
}

export interface PrometheusConfigOptions {
  scrapeInterval?: string;
  evaluationInterval?: string;
}

export function renderPrometheusConfig(paths: PrometheusPaths, options: PrometheusConfigOptions = {}): string {
  const config = {
    global: { scrape_interval: options.scrapeInterval ?? '15s', evaluation_interval: options.evaluationInterval ?? '15s' },
    rule_files: [ALERT_RULES],
    scrape_configs: [
      {
        job_name: SCRAPE_JOB,
        scheme: 'https',
        metrics_path: '/metrics',
        // The workloads label their own series with `service`; the target label is the same name, for `up`.
        honor_labels: true,
        tls_config: { ca_file: paths.bundle, cert_file: paths.cert, key_file: paths.key, server_name: 'localhost', min_version: 'TLS13' },
        file_sd_configs: [{ files: [paths.targets], refresh_interval: '5s' }],
      },
    ],
  };
  return `# Written by meshgate up; the scrape identity is ${PROMETHEUS_ID}, renewed on disk while the mesh is up.\n${stringify(config)}`;
}

/** Atomic replace, so Prometheus never reads half a file. */
function replaceFile(path: string, text: string, mode = 0o644): void {
  const tmp = `${path}.tmp`;
  writeFileSync(tmp, text, { mode });
  renameSync(tmp, path);
}

/** Rewrites targets.json when the record's services differ from it; true when it wrote. */
export function refreshTargets(paths: PrometheusPaths, record: Pick<MeshRecord, 'services'>): boolean {
  const text = JSON.stringify(renderTargets(record), null, 2) + '\n';
  if (existsSync(paths.targets) && readFileSync(paths.targets, 'utf8') === text) return false;
  replaceFile(paths.targets, text);
  return true;
}

/** Issues a fresh scrape SVID for a key generated here and writes cert, key (0600) and bundle. */
export async function issueScrapeIdentity(paths: PrometheusPaths, api: OperatorApi, ttlSeconds?: number): Promise<{ serial: string; notAfter: string }> {
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
  const svid = await api.issueSvidForKey({ spiffeId: PROMETHEUS_ID, ...(ttlSeconds ? { ttlSeconds } : {}) }, publicKey.export({ type: 'spki', format: 'pem' }) as string);
  // Key first: a cert on disk never pairs with a key it does not belong to for longer than one rename.
  replaceFile(paths.key, privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, 0o600);
  replaceFile(paths.cert, svid.certPem);
  replaceFile(paths.bundle, svid.bundlePem);
  return { serial: svid.serial, notAfter: svid.notAfter };
}

/** When the scrape SVID on disk is due for renewal: at half its life, like the workloads. */
export function renewalDue(paths: PrometheusPaths, now: number): boolean {
  if (!existsSync(paths.cert)) return true;
  const cert = new X509Certificate(readFileSync(paths.cert));
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  return now >= from + (to - from) / 2;
}

/** What `meshgate up` writes once the mesh is healthy. */
export async function writePrometheusFiles(stateRoot: string, record: Pick<MeshRecord, 'services'>, api: OperatorApi, options: PrometheusConfigOptions & { ttlSeconds?: number } = {}): Promise<PrometheusPaths> {
  const paths = prometheusPaths(stateRoot);
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  await issueScrapeIdentity(paths, api, options.ttlSeconds);
  refreshTargets(paths, record);
  replaceFile(paths.config, renderPrometheusConfig(paths, options));
  return paths;
}
