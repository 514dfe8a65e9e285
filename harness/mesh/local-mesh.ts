/**
 * The local engine: every workload runs as a child process on 127.0.0.1 with
 * its own join token, config and log file. It waits until each answers /healthz
 * over mTLS, and stops everything it started on stop, on error and when the
 * harness dies (children watch their stdin pipe).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, openSync, closeSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { JoinTokenRegistry } from '../../services/ca/join-tokens.ts';
import { WorkloadIdentity } from '../../services/kit/identity/workload-identity.ts';
import type { ReadyRecord } from '../../services/kit/workload/runtime.ts';
import { resolveSettings, type SecuritySettings } from '../../services/kit/workload/settings.ts';
import type { WorkloadConfig } from '../../services/kit/workload/config.ts';
import { spiffeIdFor } from '../../services/kit/spiffe.ts';
import { OPERATOR, type ServiceName } from '../../services/topology.ts';
import { freePorts } from './free-port.ts';
import { OperatorClient } from './operator.ts';
import { PACKAGE_ROOT, statePaths, type StatePaths } from './state-dir.ts';

/** Every workload of the reference mesh; all start together and enrol with the CA once it is up. */
export const MESH_SERVICES: readonly ServiceName[] = ['ca', 'sts', 'pdp', 'ledger', 'payments', 'gateway'];
const TELEMETRY_PRELOAD = join(PACKAGE_ROOT, 'services', 'kit', 'telemetry', 'register.ts');

export interface MeshRecordService extends ReadyRecord {
  logFile: string;
}

export interface MeshRecord {
  state: string;
  caBundle: string;
  startedAt: string;
  harnessPid: number;
  services: MeshRecordService[];
  users?: string;
}

export interface LocalMeshOptions {
  stateDir: string;
  /** Children outlive the harness (for `meshgate up`); otherwise they die with it. */
  detached?: boolean;
  settings?: Partial<Record<ServiceName, Partial<SecuritySettings>>>;
  otlpEndpoint?: string;
  svidTtlSeconds?: number;
  readyTimeoutMs?: number;
}

export class MeshStartError extends Error {
  readonly code = 'MESHGATE_ERR_MESH_START';
  constructor(message: string) {
    super(message);
    this.name = 'MeshStartError';
  }
}

function tail(path: string, lines = 15): string {
  try {
    return readFileSync(path, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export class LocalMesh {
  readonly paths: StatePaths;
  readonly options: LocalMeshOptions;
  readonly children = new Map<ServiceName, ChildProcess>();
  readonly ready = new Map<ServiceName, ReadyRecord>();
  readonly configs = new Map<ServiceName, WorkloadConfig>();
  operator!: OperatorClient;
  startedAt = new Date();
  #stopping: Promise<void> | undefined;
  #tokens!: JoinTokenRegistry;
  #firstTokens = new Map<ServiceName, string>();

  private constructor(options: LocalMeshOptions) {
    this.options = options;
    this.paths = statePaths(options.stateDir);
  }

  static async start(options: LocalMeshOptions): Promise<LocalMesh> {
    const mesh = new LocalMesh(options);
    try {
      await mesh.#boot();
    } catch (err) {
      await mesh.stop();
      throw err;
    }
    return mesh;
  }

  get services(): ServiceName[] {
    return [...MESH_SERVICES];
  }

  url(service: ServiceName): string {
    const r = this.ready.get(service);
    if (!r) throw new TypeError(`service ${service} is not running`);
    return r.url;
  }

  async #boot(): Promise<void> {
    const p = this.paths;
    for (const dir of [p.root, p.logs, p.configs, p.services, p.ca]) mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const stale of [p.record, p.joinTokens]) rmSync(stale, { force: true });
    this.#tokens = new JoinTokenRegistry({ path: p.joinTokens });

    const services = this.services;
    const ports = await freePorts(services.length + 2);
    const portOf = new Map(services.map((s, i) => [s, ports[i]!]));
    const caEnrolPort = ports[services.length]!;
    const gatewayPublicPort = ports[services.length + 1]!;
    const peers = Object.fromEntries(services.map((s) => [s, `https://localhost:${portOf.get(s)}`]));
    for (const name of services) {
      const config: WorkloadConfig = {
        name,
        stateDir: p.root,
        port: portOf.get(name)!,
        caEnrolUrl: `https://localhost:${caEnrolPort}`,
        caUrl: peers.ca!,
        bundlePath: p.bundle,
        peers,
        settings: resolveSettings(this.options.settings?.[name] ?? {}),
      };
      if (name === 'ca') config.publicPort = caEnrolPort;
      if (name === 'gateway') config.publicPort = gatewayPublicPort;
      if (this.options.otlpEndpoint) config.otlpEndpoint = this.options.otlpEndpoint;
      if (this.options.svidTtlSeconds) config.svidTtlSeconds = this.options.svidTtlSeconds;
      this.configs.set(name, config);
    }
    // Tokens for the first start are known to the CA before it starts; later ones go through its admin API.
    const operatorToken = this.#tokens.add(spiffeIdFor(OPERATOR));
    for (const s of services) if (s !== 'ca') this.#firstTokens.set(s, this.#tokens.add(spiffeIdFor(s), 120));
    // Everyone starts at once: workloads wait for the CA's bundle and port, so their start-up overlaps the CA's.
    rmSync(p.bundle, { force: true });
    await Promise.all([this.#launch('ca').then(() => this.#enrolOperator(operatorToken)), ...services.filter((s) => s !== 'ca').map((s) => this.#launch(s))]);
    await Promise.all(services.map((s) => this.#waitHealthy(s)));
    this.#writeRecord();
  }

  async #enrolOperator(token: string): Promise<void> {
    const config = this.configs.get('ca')!;
    const bundlePem = readFileSync(this.paths.bundle, 'utf8');
    const identity = await WorkloadIdentity.enrol(token, { caEnrolUrl: config.caEnrolUrl, caUrl: config.caUrl, bundlePem });
    const bootstrap = new OperatorClient(identity.credentials, { ca: config.caUrl });
    try {
      // The operator keeps a day-long SVID so later CLI commands (ca issue, down) can act as it.
      const svid = await bootstrap.json<{ certPem: string; keyPem: string; bundlePem: string }>('ca', 'POST', '/admin/issue', { spiffeId: spiffeIdFor(OPERATOR), ttlSeconds: 86_400 });
      OperatorClient.save(this.paths.operator, { certPem: svid.certPem, keyPem: svid.keyPem, bundlePem: svid.bundlePem });
    } finally {
      bootstrap.close();
    }
    this.operator = OperatorClient.load(this.paths.operator, Object.fromEntries([...this.configs].map(([n, c]) => [n, c.peers[n]!])));
  }

  async #launch(name: ServiceName): Promise<void> {
    const config = this.configs.get(name)!;
    const configPath = join(this.paths.configs, `${name}.json`);
    writeFileSync(configPath, JSON.stringify(config, null, 2), { mode: 0o600 });
    rmSync(join(this.paths.services, `${name}.json`), { force: true });
    const stdioLog = join(this.paths.logs, `${name}.stdio.log`);
    const out = openSync(stdioLog, 'a');
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      MESHGATE_CONFIG: configPath,
      MESHGATE_SERVICE: name,
      MESHGATE_PARENT_WATCH: this.options.detached ? '0' : '1',
      // V8's compile cache roughly halves start-up after the first run.
      NODE_COMPILE_CACHE: process.env.NODE_COMPILE_CACHE ?? join(tmpdir(), 'meshgate-compile-cache'),
    };
    if (name !== 'ca') env.MESHGATE_JOIN_TOKEN = await this.#joinToken(name);
    if (config.otlpEndpoint) env.OTEL_EXPORTER_OTLP_ENDPOINT = config.otlpEndpoint;
    else delete env.OTEL_EXPORTER_OTLP_ENDPOINT;
    const args = ['--disable-warning=ExperimentalWarning', '--import', TELEMETRY_PRELOAD, join(PACKAGE_ROOT, 'services', name, 'main.ts')];
    const child = spawn(process.execPath, args, {
      cwd: PACKAGE_ROOT,
      env,
      stdio: [this.options.detached ? 'ignore' : 'pipe', out, out],
      // Own process group: a terminal's Ctrl-C reaches the harness only, which then reverts the
      // running scenario against a live mesh and stops the workloads itself. Without `up`'s
      // detachment the workloads still die with the harness through their stdin pipe.
      detached: true,
    });
    closeSync(out);
    if (this.options.detached) child.unref();
    this.children.set(name, child);
    await this.#waitReady(name, child, stdioLog);
  }

  async #joinToken(name: ServiceName): Promise<string> {
    const first = this.#firstTokens.get(name);
    this.#firstTokens.delete(name);
    if (first) return first;
    const issued = await this.operator.json<{ token: string }>('ca', 'POST', '/admin/join-tokens', { spiffeId: spiffeIdFor(name), ttlSeconds: 120 });
    return issued.token;
  }

  async #waitReady(name: ServiceName, child: ChildProcess, stdioLog: string): Promise<void> {
    const readyPath = join(this.paths.services, `${name}.json`);
    const deadline = Date.now() + (this.options.readyTimeoutMs ?? 20_000);
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new MeshStartError(`${name} exited (${child.exitCode ?? child.signalCode}) before it was ready:\n${tail(stdioLog)}`);
      }
      if (existsSync(readyPath)) {
        const record = JSON.parse(readFileSync(readyPath, 'utf8')) as ReadyRecord;
        if (record.pid === child.pid) {
          this.ready.set(name, record);
          return;
        }
      }
      await sleep(15);
    }
    throw new MeshStartError(`${name} was not ready within ${this.options.readyTimeoutMs ?? 20_000} ms:\n${tail(stdioLog)}`);
  }

  async #waitHealthy(name: ServiceName): Promise<void> {
    const res = await this.operator.request(name, 'GET', '/healthz');
    if (res.status !== 200) throw new MeshStartError(`${name} answered /healthz with ${res.status}`);
  }

  /** Restarts one workload with changed settings, the way a bad (or good) deploy would. */
  async restart(name: ServiceName, settings: Partial<SecuritySettings> = {}): Promise<void> {
    const config = this.configs.get(name);
    if (!config) throw new TypeError(`unknown service ${name}`);
    if (name === 'ca') throw new TypeError('the CA cannot be restarted with changed settings');
    config.settings = resolveSettings({ ...(this.options.settings?.[name] ?? {}), ...settings });
    await this.#kill(name);
    await this.#launch(name);
    await this.#waitHealthy(name);
    this.#writeRecord();
  }

  /** Stops one workload (for outage scenarios); `restart` brings it back. */
  async kill(name: ServiceName): Promise<void> {
    await this.#kill(name);
  }

  async #kill(name: ServiceName): Promise<void> {
    const child = this.children.get(name);
    this.children.delete(name);
    this.ready.delete(name);
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGTERM');
    const timedOut = await Promise.race([exited.then(() => false), sleep(3000).then(() => true)]);
    if (timedOut) {
      child.kill('SIGKILL');
      await exited;
    }
  }

  record(): MeshRecord {
    const record: MeshRecord = {
      state: this.paths.root,
      caBundle: this.paths.bundle,
      startedAt: this.startedAt.toISOString(),
      harnessPid: process.pid,
      services: this.services.filter((s) => this.ready.has(s)).map((s) => ({ ...this.ready.get(s)!, logFile: join(this.paths.logs, `${s}.log`) })),
    };
    if (existsSync(this.paths.users)) record.users = this.paths.users;
    return record;
  }

  #writeRecord(): void {
    writeFileSync(this.paths.record, JSON.stringify(this.record(), null, 2));
  }

  /** Stops every process this mesh started; safe to call twice. */
  stop(): Promise<void> {
    this.#stopping ??= (async () => {
      this.operator?.close();
      await Promise.all([...this.children.keys()].reverse().map((s) => this.#kill(s)));
    })();
    return this.#stopping;
  }
}
