/**
 * The engine for meshes the launcher runs: one the engine starts itself, of
 * local processes (kind 'local') or of containers (kind 'compose'), stopped
 * on close; or one `meshgate up` started that it adopts (kind 'attach', left
 * running on close). All drive workloads through the launcher and read
 * evidence from the state folder and /proc (a container's process is one of
 * this host's too).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import type { SecuritySettings } from '../../services/kit/workload/settings.ts';
import { SERVICE_NAMES, TRUST_ROOT, type ServiceName } from '../../services/topology.ts';
import { parseExposition, type MetricsSnapshot } from '../collectors/metrics-scraper.ts';
import type { SpanRecord } from '../collectors/span-record.ts';
import { LogCursor } from '../evidence/log-cursor.ts';
import { MeshLauncher, type MeshLauncherOptions } from '../mesh/mesh-launcher.ts';
import { isPaused } from '../mesh/process-state.ts';
import type { WorkloadHost } from '../mesh/workload-host.ts';
import type { EngineKind, LedgerView, LogSource, MeshBaseline, MeshEngine, ProcessExposure, ServiceEndpoint } from './mesh-engine.ts';
import { OperatorApi } from './operator-api.ts';
import { settlePolicyCaches } from './policy-caches.ts';

export interface SpanSource {
  spans(): SpanRecord[];
}

export class LaunchedEngine implements MeshEngine {
  readonly kind: EngineKind;
  readonly stateDir: string;
  readonly workloadStateDir: string;
  readonly operator: OperatorApi;
  readonly ledger: LedgerView;
  readonly otlpEndpoint: string | undefined;
  readonly #mesh: MeshLauncher;
  readonly #spans: SpanSource;
  #baseline: MeshBaseline;

  private constructor(kind: EngineKind, mesh: MeshLauncher, spans: SpanSource, policyVersion: string) {
    this.kind = kind;
    this.#mesh = mesh;
    this.#spans = spans;
    this.stateDir = mesh.paths.root;
    this.workloadStateDir = mesh.configs.values().next().value?.stateDir ?? mesh.paths.root;
    this.otlpEndpoint = mesh.options.otlpEndpoint;
    this.operator = new OperatorApi(mesh.operator);
    this.ledger = { entriesFor: (reference) => this.operator.ledgerEntries(reference) };
    this.#baseline = { settings: { ...mesh.baselineSettings }, policyVersion };
  }

  /** Starts a mesh on the options' host (child processes by default); it stops when the engine closes. */
  static async start(options: MeshLauncherOptions, spans: SpanSource): Promise<LaunchedEngine> {
    const mesh = await MeshLauncher.start(options);
    try {
      const api = new OperatorApi(mesh.operator);
      return new LaunchedEngine(mesh.host.kind, mesh, spans, (await api.policies()).version);
    } catch (err) {
      await mesh.stop();
      throw err;
    }
  }

  /** Drives the mesh `meshgate up` left in this state folder; its baseline is what it runs now. */
  static async adopt(stateDir: string, spans: SpanSource, host?: WorkloadHost): Promise<LaunchedEngine> {
    const mesh = MeshLauncher.adopt(stateDir, host);
    // What it found is what every revert restores.
    for (const [name, config] of mesh.configs) mesh.baselineSettings[name] = config.settings;
    const api = new OperatorApi(mesh.operator);
    const version = mesh.ready.has('pdp') ? (await api.policies()).version : '';
    return new LaunchedEngine('attach', mesh, spans, version);
  }

  /** The launcher underneath, for the commands that manage processes (`up`, `down`). */
  get mesh(): MeshLauncher {
    return this.#mesh;
  }

  services(): ServiceEndpoint[] {
    return SERVICE_NAMES.filter((s) => this.#mesh.ready.has(s)).map((s) => this.endpoint(s));
  }

  endpoint(service: ServiceName): ServiceEndpoint {
    const r = this.#mesh.ready.get(service);
    if (!r) throw new TypeError(`service ${service} is not running`);
    const out: ServiceEndpoint = { name: service, spiffeId: r.spiffeId, url: r.url };
    if (r.publicUrl) out.publicUrl = r.publicUrl;
    if (r.plaintextUrl) out.plaintextUrl = r.plaintextUrl;
    return out;
  }

  isRunning(service: ServiceName): boolean {
    return this.#mesh.ready.has(service) && (this.#mesh.process(service)?.running() ?? false);
  }

  trustBundle(): string {
    return readFileSync(this.#mesh.paths.bundle, 'utf8');
  }

  demoPassword(user: string): string {
    const users = JSON.parse(readFileSync(this.#mesh.paths.users, 'utf8')) as Record<string, string>;
    const password = users[user];
    if (!password) throw new TypeError(`no demo user ${user}`);
    return password;
  }

  settings(service: ServiceName): SecuritySettings {
    return this.#mesh.settingsOf(service);
  }

  baseline(): MeshBaseline {
    return this.#baseline;
  }

  restart(service: ServiceName, settings: Partial<SecuritySettings> = {}): Promise<void> {
    return this.#mesh.restart(service, settings);
  }

  kill(service: ServiceName): Promise<void> {
    return this.#mesh.kill(service);
  }

  async pause(service: ServiceName): Promise<void> {
    this.#mesh.signal(service, 'SIGSTOP');
  }

  async resume(service: ServiceName): Promise<void> {
    this.#mesh.signal(service, 'SIGCONT');
  }

  async converge(to: MeshBaseline = this.#baseline): Promise<string[]> {
    const changed: string[] = [];
    for (const service of SERVICE_NAMES) {
      const proc = this.#mesh.process(service);
      if (proc?.running() && isPaused(proc.pid)) {
        proc.signal('SIGCONT');
        changed.push(`${service}: resumed`);
      }
      const want = to.settings[service];
      const running = this.isRunning(service);
      if (!running || (want && !isDeepStrictEqual(this.settings(service), want))) {
        await this.#mesh.restart(service, want ?? {});
        changed.push(`${service}: ${running ? 'redeployed with its baseline settings' : 'started again'}`);
        if (service === TRUST_ROOT && running) changed.push(...(await this.#renewEverySvid()));
      }
    }
    if (to.policyVersion && this.isRunning('pdp')) {
      const now = (await this.operator.policies()).version;
      if (now !== to.policyVersion) {
        await this.operator.rollbackPolicy(to.policyVersion);
        await settlePolicyCaches(this);
        changed.push(`pdp: policy version ${now.slice(0, 12)} rolled back to ${to.policyVersion.slice(0, 12)}`);
      }
    }
    return changed;
  }

  /** A CA redeployed with wrong settings may have issued wrong SVIDs: every workload renews under the restored CA. */
  async #renewEverySvid(): Promise<string[]> {
    const renewed: string[] = [];
    for (const service of SERVICE_NAMES) {
      if (service === TRUST_ROOT || !this.isRunning(service)) continue;
      await this.operator.renewSvid(service);
      renewed.push(`${service}: SVID renewed under the CA's baseline settings`);
    }
    return renewed;
  }

  logCursor(source: LogSource): LogCursor {
    return new LogCursor(join(this.#mesh.paths.logs, `${source}.log`));
  }

  logFiles(): string[] {
    const dir = this.#mesh.paths.logs;
    return readdirSync(dir)
      .filter((f) => f.endsWith('.log'))
      .map((f) => join(dir, f));
  }

  spans(): SpanRecord[] {
    return this.#spans.spans();
  }

  async scrape(service: ServiceName): Promise<MetricsSnapshot> {
    return parseExposition(await this.operator.metricsText(service));
  }

  async listeningPorts(service: ServiceName): Promise<number[]> {
    return this.#mesh.listeningPorts(service);
  }

  async processExposure(service: ServiceName): Promise<ProcessExposure> {
    const proc = this.#mesh.process(service);
    if (!proc?.running()) throw new TypeError(`service ${service} is not running`);
    const read = (f: string) => readFileSync(`/proc/${proc.pid}/${f}`).toString('utf8').split('\0').join(' ').trim();
    return { service, source: `/proc/${proc.pid}`, cmdline: read('cmdline'), environ: read('environ') };
  }

  async close(): Promise<void> {
    if (this.kind !== 'attach') await this.#mesh.stop();
    else this.#mesh.operator.close();
  }
}
