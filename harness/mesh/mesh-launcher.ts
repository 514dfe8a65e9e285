/**
 * The launcher: every workload runs with its own join token, config and log
 * file, as a process of this host or in a container (its WorkloadHost). It
 * waits until each answers /healthz over mTLS, and stops everything it
 * started on stop, on error and when the harness dies. A mesh started
 * detached (`meshgate up`) outlives the launcher; `MeshLauncher.adopt` takes
 * it over again from its state folder.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { JoinTokenRegistry } from '../../services/ca/join-tokens.ts';
import type { ReadyRecord } from '../../services/kit/workload/runtime.ts';
import { resolveSettings, type SecuritySettings } from '../../services/kit/workload/settings.ts';
import { parseWorkloadConfig, type WorkloadConfig } from '../../services/kit/workload/config.ts';
import { spiffeIdFor } from '../../services/kit/spiffe.ts';
import { OPERATOR, SERVICE_NAMES, TRUST_ROOT, type ServiceName } from '../../services/topology.ts';
import { ERROR_CODES, MeshgateError } from '../errors.ts';
import { OperatorClient } from './operator.ts';
import { ProcessHost } from './process-host.ts';
import { statePaths, type StatePaths } from './state-dir.ts';
import { launchSpec, workloadConfig, writeWorkloadFiles, type MeshPlacement, type WorkloadEntries } from './workload-launch.ts';
import type { ComposeRecord } from './container-host.ts';
import type { HostKind, WorkloadHost } from './workload-host.ts';
import type { StopOutcome, WorkloadProcess } from './workload-process.ts';

export interface MeshRecordService extends ReadyRecord {
  logFile: string;
}

export interface MeshRecord {
  engine: HostKind;
  state: string;
  caBundle: string;
  startedAt: string;
  harnessPid: number;
  services: MeshRecordService[];
  users?: string;
  /** The OTLP endpoint the workloads export to (a collector process for `meshgate up`). */
  otlpEndpoint?: string;
  /** The settings each workload started with; reverts and `meshgate status` compare against them. */
  baselineSettings: Partial<Record<ServiceName, SecuritySettings>>;
  /** The policy set version the PDP started with. */
  baselinePolicyVersion?: string;
  /** The span collector process `meshgate up` started beside the workloads. */
  collector?: { pid: number; url: string };
  /** The compose project the workloads run in (engine compose). */
  compose?: ComposeRecord;
}

export interface MeshLauncherOptions {
  stateDir: string;
  /** Children outlive the harness (for `meshgate up`); otherwise they die with it. */
  detached?: boolean;
  settings?: Partial<Record<ServiceName, Partial<SecuritySettings>>>;
  otlpEndpoint?: string;
  /** The export format, matched to the user's collector when spans are forwarded (default http/json). */
  otlpProtocol?: 'http/json' | 'http/protobuf';
  svidTtlSeconds?: number;
  readyTimeoutMs?: number;
  /** Where the workloads run (default: processes of this host). */
  host?: WorkloadHost;
}

export class MeshStartError extends MeshgateError {
  constructor(message: string) {
    super(ERROR_CODES.meshStart, message);
    this.name = 'MeshStartError';
  }
}

export class MeshLauncher {
  readonly paths: StatePaths;
  readonly options: MeshLauncherOptions;
  readonly ready = new Map<ServiceName, ReadyRecord>();
  readonly configs = new Map<ServiceName, WorkloadConfig>();
  readonly baselineSettings: Partial<Record<ServiceName, SecuritySettings>> = {};
  operator!: OperatorClient;
  startedAt = new Date();
  baselinePolicyVersion: string | undefined;
  collector: { pid: number; url: string } | undefined;
  readonly host: WorkloadHost;
  readonly #processes = new Map<ServiceName, WorkloadProcess>();
  #placement: MeshPlacement | undefined;
  /** What the workloads run (the host's bundle or sources), resolved at the first launch. */
  #entries: Promise<WorkloadEntries> | undefined;
  #stopping: Promise<StopOutcome[]> | undefined;
  #tokens: JoinTokenRegistry | undefined;
  #firstTokens = new Map<ServiceName, string>();

  private constructor(options: MeshLauncherOptions) {
    this.options = options;
    this.paths = statePaths(options.stateDir);
    this.host = options.host ?? new ProcessHost(this.paths.root, options.detached ?? false);
  }

  static async start(options: MeshLauncherOptions): Promise<MeshLauncher> {
    const mesh = new MeshLauncher(options);
    try {
      await mesh.#boot();
    } catch (err) {
      await mesh.stop();
      throw err;
    }
    return mesh;
  }

  /** Takes over a mesh that `meshgate up` started in this state folder; its workloads keep running. */
  static adopt(stateDir: string, host?: WorkloadHost): MeshLauncher {
    const paths = statePaths(stateDir);
    const record = JSON.parse(readFileSync(paths.record, 'utf8')) as MeshRecord;
    const options: MeshLauncherOptions = { stateDir, detached: true };
    if (host) options.host = host;
    if (record.otlpEndpoint) options.otlpEndpoint = record.otlpEndpoint;
    const mesh = new MeshLauncher(options);
    mesh.startedAt = new Date(record.startedAt);
    Object.assign(mesh.baselineSettings, record.baselineSettings ?? {});
    mesh.baselinePolicyVersion = record.baselinePolicyVersion;
    mesh.collector = record.collector;
    for (const name of SERVICE_NAMES) {
      const file = join(paths.configs, `${name}.json`);
      if (existsSync(file)) mesh.configs.set(name, parseWorkloadConfig(JSON.parse(readFileSync(file, 'utf8')), file));
    }
    for (const s of record.services) {
      const name = s.name as ServiceName;
      const { logFile: _log, ...ready } = s;
      const proc = mesh.host.adopt(name, s.pid);
      if (!proc.running()) continue;
      mesh.ready.set(name, ready);
      mesh.#processes.set(name, proc);
    }
    mesh.operator = OperatorClient.load(paths.operator, Object.fromEntries([...mesh.ready].map(([n, r]) => [n, r.url])));
    return mesh;
  }

  get services(): ServiceName[] {
    return [...SERVICE_NAMES];
  }

  url(service: ServiceName): string {
    const r = this.ready.get(service);
    if (!r) throw new TypeError(`service ${service} is not running`);
    return r.url;
  }

  process(service: ServiceName): WorkloadProcess | undefined {
    return this.#processes.get(service);
  }

  /** How the harness reaches each workload. */
  #hostUrls(): Record<string, string> {
    const placement = this.#placement!;
    return Object.fromEntries(this.services.map((n) => [n, placement.hostUrl(n)]));
  }

  async #boot(): Promise<void> {
    const p = this.paths;
    for (const dir of [p.root, p.logs, p.configs, p.services, p.ca]) mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const stale of [p.record, p.joinTokens]) rmSync(stale, { force: true });
    this.#tokens = new JoinTokenRegistry({ path: p.joinTokens });

    const services = this.services;
    const placement = (this.#placement = await this.host.place(services));
    const peers = Object.fromEntries(services.map((s) => [s, placement.peerUrl(s)]));
    for (const name of services) {
      const settings = resolveSettings(this.options.settings?.[name] ?? {});
      this.baselineSettings[name] = settings;
      this.configs.set(name, workloadConfig(name, { ...placement, ...(this.options.otlpEndpoint ? { otlpEndpoint: this.options.otlpEndpoint } : {}) }, peers, settings, this.options.svidTtlSeconds));
    }
    // Tokens for the first start are known to the CA before it starts; later ones go through its admin API.
    const operatorToken = this.#tokens.add(spiffeIdFor(OPERATOR));
    for (const s of services) if (s !== TRUST_ROOT) this.#firstTokens.set(s, this.#tokens.add(spiffeIdFor(s), 120));
    // Everyone starts at once: workloads wait for the CA's bundle and port, so their start-up overlaps the CA's.
    rmSync(p.bundle, { force: true });
    await Promise.all([this.#launch(TRUST_ROOT).then(() => this.#enrolOperator(operatorToken)), ...services.filter((s) => s !== TRUST_ROOT).map((s) => this.#launch(s))]);
    await Promise.all(services.map((s) => this.#waitHealthy(s)));
    this.#writeRecord();
  }

  async #enrolOperator(token: string): Promise<void> {
    const placement = this.#placement!;
    await OperatorClient.enrol(this.paths.operator, token, { enrolUrl: placement.hostEnrolUrl, url: placement.hostUrl(TRUST_ROOT), bundlePem: readFileSync(this.paths.bundle, 'utf8') });
    this.operator = OperatorClient.load(this.paths.operator, this.#hostUrls());
  }

  async #launch(name: ServiceName): Promise<void> {
    const config = this.configs.get(name)!;
    rmSync(this.paths.ready(name), { force: true });
    const joinToken = name === TRUST_ROOT ? undefined : await this.#joinToken(name);
    writeWorkloadFiles(this.paths.root, config, joinToken);
    this.#entries ??= this.host.entries();
    const spec = launchSpec(config, await this.#entries, joinToken, {
      detached: this.host.detached,
      compileCache: this.host.compileCache,
      ...(this.options.otlpProtocol ? { otlpProtocol: this.options.otlpProtocol } : {}),
    });
    const stdioLog = this.paths.stdioLog(name);
    const proc = await this.host.launch(name, spec, stdioLog);
    this.#processes.set(name, proc);
    await this.#waitReady(name, proc, stdioLog);
  }

  async #joinToken(name: ServiceName): Promise<string> {
    const first = this.#firstTokens.get(name);
    this.#firstTokens.delete(name);
    if (first) return first;
    const issued = await this.operator.json<{ token: string }>('ca', 'POST', '/admin/join-tokens', { spiffeId: spiffeIdFor(name), ttlSeconds: 120 });
    return issued.token;
  }

  async #waitReady(name: ServiceName, proc: WorkloadProcess, stdioLog: string): Promise<void> {
    const readyPath = this.paths.ready(name);
    const timeoutMs = this.options.readyTimeoutMs ?? 20_000;
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (!proc.running()) throw new MeshStartError(`${name} exited before it was ready:\n${this.host.output(name, stdioLog)}`);
      if (existsSync(readyPath)) {
        const record = JSON.parse(readFileSync(readyPath, 'utf8')) as ReadyRecord;
        if (this.host.readyMatches(record, proc)) {
          // As this host sees it: a container's own pid is 1, its process here has another.
          this.ready.set(name, { ...this.host.reachable(record), pid: proc.pid });
          return;
        }
      }
      await sleep(15);
    }
    throw new MeshStartError(`${name} was not ready within ${timeoutMs} ms:\n${this.host.output(name, stdioLog)}`);
  }

  async #waitHealthy(name: ServiceName): Promise<void> {
    const res = await this.operator.request(name, 'GET', '/healthz');
    if (res.status !== 200) throw new MeshStartError(`${name} answered /healthz with ${res.status}`);
  }

  /** The settings a workload was last deployed with. */
  settingsOf(name: ServiceName): SecuritySettings {
    const config = this.configs.get(name);
    if (!config) throw new TypeError(`unknown service ${name}`);
    return config.settings;
  }

  /** Restarts one workload with settings over its baseline, the way a bad (or good) deploy would; `{}` restores the baseline. */
  async restart(name: ServiceName, settings: Partial<SecuritySettings> = {}): Promise<void> {
    const config = this.configs.get(name);
    if (!config) throw new TypeError(`unknown service ${name}`);
    config.settings = resolveSettings({ ...(this.baselineSettings[name] ?? {}), ...settings });
    await this.#kill(name);
    await this.#launch(name);
    await this.#waitHealthy(name);
    this.#writeRecord();
  }

  /** Stops one workload (for outage scenarios); `restart` brings it back. */
  async kill(name: ServiceName): Promise<void> {
    await this.#kill(name);
    this.#writeRecord();
  }

  /** The TCP ports a running workload listens on, as the harness reaches them. */
  listeningPorts(name: ServiceName): number[] {
    const proc = this.#processes.get(name);
    if (!proc?.running()) throw new TypeError(`service ${name} is not running`);
    return this.host.listeningPorts(name, proc);
  }

  /** SIGSTOP / SIGCONT: the process keeps its sockets but answers nothing while paused. */
  signal(name: ServiceName, signal: 'SIGSTOP' | 'SIGCONT'): void {
    const proc = this.#processes.get(name);
    if (!proc?.running()) throw new TypeError(`service ${name} is not running`);
    proc.signal(signal);
  }

  async #kill(name: ServiceName): Promise<StopOutcome | undefined> {
    const proc = this.#processes.get(name);
    this.#processes.delete(name);
    this.ready.delete(name);
    return proc?.stop();
  }

  record(): MeshRecord {
    const record: MeshRecord = {
      ...this.host.record(),
      engine: this.host.kind,
      state: this.paths.root,
      caBundle: this.paths.bundle,
      startedAt: this.startedAt.toISOString(),
      harnessPid: process.pid,
      services: this.services.filter((s) => this.ready.has(s)).map((s) => ({ ...this.ready.get(s)!, logFile: join(this.paths.logs, `${s}.log`) })),
      baselineSettings: this.baselineSettings,
    };
    if (this.options.otlpEndpoint) record.otlpEndpoint = this.options.otlpEndpoint;
    if (existsSync(this.paths.users)) record.users = this.paths.users;
    if (this.baselinePolicyVersion) record.baselinePolicyVersion = this.baselinePolicyVersion;
    if (this.collector) record.collector = this.collector;
    return record;
  }

  /** Persists the record (also after the caller set the baseline policy version or the collector). */
  writeRecord(): void {
    this.#writeRecord();
  }

  #writeRecord(): void {
    writeFileSync(this.paths.record, JSON.stringify(this.record(), null, 2));
  }

  /** Stops every workload process; safe to call twice. Resolves once each is gone, saying which needed SIGKILL. */
  stop(): Promise<StopOutcome[]> {
    this.#stopping ??= (async () => {
      this.operator?.close();
      const names = [...this.#processes.keys()].reverse();
      const outcomes = await Promise.all(names.map((s) => this.#kill(s)));
      await this.host.teardown();
      return outcomes.filter((o): o is StopOutcome => o !== undefined);
    })();
    return this.#stopping;
  }
}
