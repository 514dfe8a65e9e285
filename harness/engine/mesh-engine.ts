/**
 * The one seam between the harness and a running mesh. Scenarios, mutants,
 * exercises, benchmarks and evidence helpers know only this interface; which
 * engine runs the mesh (child processes, a mesh started by `meshgate up`,
 * containers) is the engine's business.
 *
 * An engine knows the mesh's baseline: the settings and the policy version it
 * found when it started or attached. `restart(service, {})` and `converge()`
 * put the mesh back to that baseline; that is how every revert leaves a mesh as
 * it was found.
 */
import type { SpanRecord } from '../collectors/span-record.ts';
import type { MetricsSnapshot } from '../collectors/metrics-scraper.ts';
import type { LogCursor } from '../evidence/log-cursor.ts';
import type { SecuritySettings } from '../../services/kit/workload/settings.ts';
import type { ServiceName } from '../../services/topology.ts';
import type { OperatorApi } from './operator-api.ts';

export type EngineKind = 'local' | 'attach' | 'compose';

/** Where a workload answers, as the harness reaches it. */
export interface ServiceEndpoint {
  name: ServiceName;
  spiffeId: string;
  /** Base URL of its mTLS listener. */
  url: string;
  /** The gateway's public HTTPS port (no client certificate). */
  publicUrl?: string;
  /** Only while a plaintext-port misconfiguration is deployed. */
  plaintextUrl?: string;
}

/** A log that scenarios read evidence from: a workload's JSON log or the PDP's decision log. */
export type LogSource = ServiceName | 'pdp-decisions';

/** What a workload process exposes to anyone on its host who can list processes. */
export interface ProcessExposure {
  service: ServiceName;
  /** Where it was read from, e.g. /proc/1234/cmdline. */
  source: string;
  cmdline: string;
  environ: string;
}

/** The ledger as the operator sees it, through the ledger's own API. */
export interface LedgerView {
  /** Entries booked under a payment reference (0 or 1 in a healthy mesh). */
  entriesFor(reference: string): Promise<number>;
}

/** The baseline a revert restores. */
export interface MeshBaseline {
  settings: Partial<Record<ServiceName, SecuritySettings>>;
  policyVersion: string;
}

export interface MeshEngine {
  readonly kind: EngineKind;
  /** The mesh's state folder: the lifecycle journal lives here. */
  readonly stateDir: string;
  /** The same folder as the workloads see it (in a container, /state): for paths handed to a workload in its settings. */
  readonly workloadStateDir: string;
  readonly operator: OperatorApi;
  readonly ledger: LedgerView;
  /** Where the workloads export spans (the harness adds its own there); undefined when nowhere. */
  readonly otlpEndpoint: string | undefined;

  /** Every workload that is running now. */
  services(): ServiceEndpoint[];
  /** One running workload; throws when it is not running. */
  endpoint(service: ServiceName): ServiceEndpoint;
  isRunning(service: ServiceName): boolean;
  /** The mesh CA's trust bundle (PEM). */
  trustBundle(): string;
  /** A demo user's password (the token service's user directory). */
  demoPassword(user: string): string;

  /** The settings a workload runs with now, and the baseline ones. */
  settings(service: ServiceName): SecuritySettings;
  baseline(): MeshBaseline;
  /** Redeploys one workload with these settings over its baseline; `{}` restores the baseline. */
  restart(service: ServiceName, settings?: Partial<SecuritySettings>): Promise<void>;
  /** Stops one workload (an outage); `restart` brings it back. */
  kill(service: ServiceName): Promise<void>;
  /** Freezes a workload's process (SIGSTOP): connections stay open, nothing answers. */
  pause(service: ServiceName): Promise<void>;
  resume(service: ServiceName): Promise<void>;
  /** Puts every workload back to a baseline (running, unpaused, its settings and policy version; this engine's own by default); returns what it changed. */
  converge(to?: MeshBaseline): Promise<string[]>;

  /** A cursor on a log from now on. */
  logCursor(source: LogSource): LogCursor;
  /** Every log file the mesh has written (for leak scans). */
  logFiles(): string[];
  /** Spans the mesh has exported so far (the engine's receiver or collector). */
  spans(): SpanRecord[];
  /** A workload's /metrics, scraped as the operator. */
  scrape(service: ServiceName): Promise<MetricsSnapshot>;
  /** Every TCP port the workload's process listens on. */
  listeningPorts(service: ServiceName): Promise<number[]>;
  /** The workload's command line and environment as the host shows them. */
  processExposure(service: ServiceName): Promise<ProcessExposure>;

  /** Releases what the engine holds; a mesh the engine started is stopped, an attached one stays up. */
  close(): Promise<void>;
}
