/**
 * What a scenario gets to work with: the mesh engine, an end user and minted
 * workload identities that carry the scenario's correlation id, log cursors,
 * metric scrapes and the spans exported during the scenario. Everything it
 * opens is closed when the scenario ends. Nothing here knows which engine runs
 * the mesh.
 */
import { CertificateAuthority } from '../../services/ca/authority.ts';
import type { ServiceName } from '../../services/topology.ts';
import type { SecuritySettings } from '../../services/kit/workload/settings.ts';
import type { SpanRecord } from '../collectors/span-record.ts';
import type { MetricsSnapshot } from '../collectors/metrics-scraper.ts';
import type { LogCursor } from '../evidence/log-cursor.ts';
import { pollUntil } from '../evidence/poll.ts';
import { EndUser } from '../actors/end-user.ts';
import { Impersonator } from '../actors/impersonator.ts';
import type { IssueSvidRequest } from '../engine/operator-api.ts';
import type { LogSource, MeshEngine } from '../engine/mesh-engine.ts';
import type { ScenarioScope } from '../scenario/define.ts';

export interface MeshContext {
  readonly engine: MeshEngine;
  readonly scope: ScenarioScope;
  readonly user: EndUser;
  /** A workload identity minted from the mesh CA (closed at the end of the scenario). */
  actor(service: string, issue?: Partial<IssueSvidRequest>): Promise<Impersonator>;
  /** A CA the mesh does not trust, shared by the run. */
  rogueCa(): Promise<CertificateAuthority>;
  /** A cursor on a service's JSON log (or the PDP's decision log) from now on. */
  mark(source: LogSource): LogCursor;
  /** The service's /metrics, scraped as the operator. */
  scrape(service: ServiceName): Promise<MetricsSnapshot>;
  /** How many ledger entries a payment reference has, through the ledger's API. */
  booked(reference: string): Promise<number>;
  /** Spans exported since this scenario started. */
  spans(): SpanRecord[];
  waitForSpan(predicate: (span: SpanRecord) => boolean, timeoutMs?: number): Promise<SpanRecord | undefined>;
  /** Restarts a workload with changed settings (a deploy); the scenario's revert must restore them. */
  redeploy(service: ServiceName, settings: Partial<SecuritySettings>): Promise<void>;
  /** Records a latency figure for the report (microseconds). */
  latency(key: string, us: number): void;
}

export interface MeshContextDeps {
  engine: MeshEngine;
  sharedRogueCa: () => Promise<CertificateAuthority>;
}

export class ScenarioMeshContext implements MeshContext {
  readonly engine: MeshEngine;
  readonly scope: ScenarioScope;
  readonly user: EndUser;
  readonly #deps: MeshContextDeps;
  readonly #actors: Impersonator[] = [];
  readonly #startedNs: bigint;

  constructor(deps: MeshContextDeps, scope: ScenarioScope) {
    this.#deps = deps;
    this.engine = deps.engine;
    this.scope = scope;
    this.user = new EndUser(deps.engine);
    this.user.correlation = { correlationId: scope.runId, scenarioId: scope.scenarioId };
    this.#startedNs = BigInt(Date.now()) * 1_000_000n;
  }

  async actor(service: string, issue: Partial<IssueSvidRequest> = {}): Promise<Impersonator> {
    const actor = await Impersonator.mint(this.engine, service, issue);
    actor.correlation = { correlationId: this.scope.runId, scenarioId: this.scope.scenarioId };
    this.#actors.push(actor);
    return actor;
  }

  rogueCa(): Promise<CertificateAuthority> {
    return this.#deps.sharedRogueCa();
  }

  mark(source: LogSource): LogCursor {
    return this.engine.logCursor(source);
  }

  scrape(service: ServiceName): Promise<MetricsSnapshot> {
    return this.engine.scrape(service);
  }

  booked(reference: string): Promise<number> {
    return this.engine.ledger.entriesFor(reference);
  }

  spans(): SpanRecord[] {
    return this.engine.spans().filter((s) => BigInt(s.startNs) >= this.#startedNs - 1_000_000_000n);
  }

  async waitForSpan(predicate: (span: SpanRecord) => boolean, timeoutMs = 3000): Promise<SpanRecord | undefined> {
    return pollUntil(() => this.spans().find(predicate), (hit) => hit !== undefined, timeoutMs, 50);
  }

  async redeploy(service: ServiceName, settings: Partial<SecuritySettings>): Promise<void> {
    await this.engine.restart(service, settings);
  }

  latency(key: string, us: number): void {
    (this.scope.latency as Record<string, number>)[key] = Math.round(us * 10) / 10;
  }

  close(): void {
    this.user.close();
    for (const a of this.#actors) a.close();
  }
}
