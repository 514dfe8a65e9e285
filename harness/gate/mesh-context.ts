/**
 * What a scenario gets to work with: the running mesh, an end user and minted
 * workload identities that carry the scenario's correlation id, log cursors,
 * metric scrapes and the run's collected spans. Everything it opens is closed
 * when the scenario ends.
 */
import { CertificateAuthority } from '../../services/ca/authority.ts';
import type { ServiceName } from '../../services/topology.ts';
import type { SecuritySettings } from '../../services/kit/workload/settings.ts';
import type { OtlpReceiver } from '../collectors/otlp-receiver.ts';
import type { SpanRecord } from '../collectors/span-record.ts';
import { LogCursor } from '../evidence/log-cursor.ts';
import { pollUntil } from '../evidence/poll.ts';
import { EndUser, Impersonator } from '../mesh/actors.ts';
import type { LocalMesh } from '../mesh/local-mesh.ts';
import type { ScenarioScope } from '../scenario/define.ts';
import { parseExposition, type MetricsSnapshot } from '../collectors/metrics-scraper.ts';

export interface MeshContext {
  readonly mesh: LocalMesh;
  readonly scope: ScenarioScope;
  readonly user: EndUser;
  /** A workload identity minted from the mesh CA (closed at the end of the scenario). */
  actor(service: string, issue?: Record<string, unknown>): Promise<Impersonator>;
  /** A CA the mesh does not trust, shared by the run. */
  rogueCa(): Promise<CertificateAuthority>;
  /** A cursor on a service's JSON log from now on. */
  mark(service: ServiceName | 'pdp-decisions'): LogCursor;
  /** The service's /metrics, scraped as the operator. */
  scrape(service: ServiceName): Promise<MetricsSnapshot>;
  /** Spans collected so far in this scenario (correlated by id or by time). */
  spans(): SpanRecord[];
  waitForSpan(predicate: (span: SpanRecord) => boolean, timeoutMs?: number): Promise<SpanRecord | undefined>;
  /** Restarts a workload with changed settings (a deploy); the scenario's revert must restore them. */
  redeploy(service: ServiceName, settings: Partial<SecuritySettings>): Promise<void>;
  /** Records a latency figure for the report (microseconds). */
  latency(key: string, us: number): void;
}

export interface MeshContextDeps {
  mesh: LocalMesh;
  receiver: OtlpReceiver | undefined;
  sharedRogueCa: () => Promise<CertificateAuthority>;
}

export class ScenarioMeshContext implements MeshContext {
  readonly mesh: LocalMesh;
  readonly scope: ScenarioScope;
  readonly user: EndUser;
  readonly #deps: MeshContextDeps;
  readonly #actors: Impersonator[] = [];
  readonly #startedNs: bigint;

  constructor(deps: MeshContextDeps, scope: ScenarioScope) {
    this.#deps = deps;
    this.mesh = deps.mesh;
    this.scope = scope;
    this.user = new EndUser(deps.mesh);
    this.user.correlation = { correlationId: scope.runId, scenarioId: scope.scenarioId };
    this.#startedNs = BigInt(Date.now()) * 1_000_000n;
  }

  async actor(service: string, issue: Record<string, unknown> = {}): Promise<Impersonator> {
    const actor = await Impersonator.mint(this.mesh, service, issue);
    actor.correlation = { correlationId: this.scope.runId, scenarioId: this.scope.scenarioId };
    this.#actors.push(actor);
    return actor;
  }

  rogueCa(): Promise<CertificateAuthority> {
    return this.#deps.sharedRogueCa();
  }

  mark(service: ServiceName | 'pdp-decisions'): LogCursor {
    return new LogCursor(`${this.mesh.paths.logs}/${service}.log`);
  }

  async scrape(service: ServiceName): Promise<MetricsSnapshot> {
    const res = await this.mesh.operator.request(service, 'GET', '/metrics');
    if (res.status !== 200) throw new Error(`scraping ${service} answered ${res.status}`);
    return parseExposition(res.text());
  }

  spans(): SpanRecord[] {
    const receiver = this.#deps.receiver;
    if (!receiver) return [];
    return receiver.spans().filter((s) => BigInt(s.startNs) >= this.#startedNs - 1_000_000_000n);
  }

  async waitForSpan(predicate: (span: SpanRecord) => boolean, timeoutMs = 3000): Promise<SpanRecord | undefined> {
    if (!this.#deps.receiver) return undefined;
    return pollUntil(() => this.spans().find(predicate), (hit) => hit !== undefined, timeoutMs, 50);
  }

  async redeploy(service: ServiceName, settings: Partial<SecuritySettings>): Promise<void> {
    await this.mesh.restart(service, settings);
  }

  latency(key: string, us: number): void {
    (this.scope.latency as Record<string, number>)[key] = Math.round(us * 10) / 10;
  }

  close(): void {
    this.user.close();
    for (const a of this.#actors) a.close();
  }
}

