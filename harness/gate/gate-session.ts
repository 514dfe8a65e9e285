/**
 * One gate run's live parts: the mesh engine (a mesh started for the run, or
 * one attached to), the run's own OTLP receiver when it starts the mesh, the
 * rogue CA shared by scenarios, and the per-scenario contexts. Stopping it
 * releases all of them, whatever happened; an attached mesh stays up.
 */
import { CertificateAuthority } from '../../services/ca/authority.ts';
import type { SecuritySettings } from '../../services/kit/workload/settings.ts';
import type { ServiceName } from '../../services/topology.ts';
import { createOtlpReceiver, type OtlpReceiver } from '../collectors/otlp-receiver.ts';
import { OtlpForwarder, type OtlpForwarding } from '../collectors/otlp-forwarding.ts';
import { Impersonator } from '../actors/impersonator.ts';
import { samplePayment } from '../actors/payment.ts';
import { attachEngine } from '../engine/attach-engine.ts';
import { LaunchedEngine } from '../engine/launched-engine.ts';
import type { MeshEngine } from '../engine/mesh-engine.ts';
import { ContainerHost } from '../mesh/container-host.ts';
import { statePaths } from '../mesh/state-dir.ts';
import { SpanFile } from '../collectors/span-file.ts';
import { check, type Check } from '../scenario/check.ts';
import type { EngineOptions } from '../scenario/engine.ts';
import type { ScenarioScope } from '../scenario/define.ts';
import { latencyFigures, probeLatency, SCENARIO_PROBE, type LatencySamples, type ProbeBudget } from './latency-probe.ts';
import { newReference } from './reference.ts';
import { ScenarioMeshContext, type MeshContext } from './mesh-context.ts';

/** Containers start one after another (podman-compose runs each in turn), so the last may wait for its launch file a while. */
const COMPOSE_READY_TIMEOUT_MS = 60_000;

/** How long the mesh may take to serve legitimate traffic again after a redeploy. */
export const STEADY_STATE_CONVERGENCE_MS = 6000;

export interface GateSessionOptions {
  stateDir: string;
  settings?: Partial<Record<ServiceName, Partial<SecuritySettings>>>;
  /** The user's own collector: every span the receiver accepts is passed on to it. */
  forwarding?: OtlpForwarding;
  /** Where the mesh runs: processes of this host (default) or containers of a compose project. */
  engine?: 'local' | 'compose';
  /** Progress lines (the compose engine's image build). */
  log?: (line: string) => void;
}

export class GateSession {
  readonly engine: MeshEngine;
  readonly #receiver: OtlpReceiver | undefined;
  #rogue: Promise<CertificateAuthority> | undefined;
  #prober: Impersonator | undefined;
  /** Each scenario's latency samples, taken right after it, until the gate compares them with the baseline. */
  readonly scenarioLatency = new Map<string, LatencySamples>();
  /** Off in mutation mode: nothing reports a mutant run's latency. */
  probeScenarios = true;

  private constructor(engine: MeshEngine, receiver: OtlpReceiver | undefined) {
    this.engine = engine;
    this.#receiver = receiver;
  }

  /** Boots a mesh for this run: local processes export to the run's own receiver; containers to the compose project's span collector. */
  static async start(options: GateSessionOptions): Promise<GateSession> {
    if (options.engine === 'compose') {
      const host = new ContainerHost({ stateDir: options.stateDir, ...(options.log ? { log: options.log } : {}) });
      const meshOptions: Parameters<typeof LaunchedEngine.start>[0] = { stateDir: options.stateDir, host, readyTimeoutMs: COMPOSE_READY_TIMEOUT_MS };
      if (options.settings) meshOptions.settings = options.settings;
      return new GateSession(await LaunchedEngine.start(meshOptions, new SpanFile(statePaths(options.stateDir).spans)), undefined);
    }
    const receiver = createOtlpReceiver({ jsonlPath: statePaths(options.stateDir).spans, ...(options.forwarding ? { forwardTo: new OtlpForwarder(options.forwarding) } : {}) });
    await receiver.start();
    try {
      const meshOptions: Parameters<typeof LaunchedEngine.start>[0] = { stateDir: options.stateDir, otlpEndpoint: receiver.url };
      if (options.forwarding) meshOptions.otlpProtocol = options.forwarding.protocol;
      if (options.settings) meshOptions.settings = options.settings;
      return new GateSession(await LaunchedEngine.start(meshOptions, receiver), receiver);
    } catch (err) {
      await receiver.stop();
      throw err;
    }
  }

  /** Drives the mesh `meshgate up` runs in this state folder (after reverting what a crashed run left injected). */
  static async attach(stateDir: string, log?: (line: string) => void): Promise<GateSession> {
    return new GateSession(await attachEngine(stateDir, log), undefined);
  }

  /** Full handshakes and warm requests to payments, as a gateway identity. */
  async latency(budget: ProbeBudget): Promise<LatencySamples> {
    this.#prober ??= await Impersonator.mint(this.engine, 'gateway');
    return probeLatency(`${this.engine.endpoint('payments').url}/healthz`, this.#prober.credentials, budget);
  }

  context(scope: ScenarioScope): ScenarioMeshContext {
    return new ScenarioMeshContext({ engine: this.engine, sharedRogueCa: () => (this.#rogue ??= CertificateAuthority.create({ name: 'rogue CA' })) }, scope);
  }

  /**
   * Legitimate traffic succeeds: a demo user logs in and a payment is booked.
   * After a redeploy the mesh gets a bounded time to converge (verifiers fetch
   * new keys, clients reconnect); the attempts are part of the evidence.
   */
  async steadyState(ctx: MeshContext): Promise<Check[]> {
    const attempts: string[] = [];
    const deadline = Date.now() + STEADY_STATE_CONVERGENCE_MS;
    for (;;) {
      const token = await ctx.user.login('alice').catch((e: Error) => e);
      const res = typeof token === 'string' ? await ctx.user.pay(token, samplePayment(newReference('steady'), { amount: 3 })) : undefined;
      if (res?.status === 201) return [check('a legitimate payment is booked', 201, 201, attempts.length ? { convergedAfter: attempts } : undefined)];
      attempts.push(res ? `${res.status} ${res.body.slice(0, 160)}` : String((token as Error).message));
      if (Date.now() > deadline) return [check('a legitimate payment is booked', 201, res?.status ?? 0, { attempts })];
      await new Promise((r) => setTimeout(r, 250));
    }
  }

  engineOptions(runId: string): Pick<EngineOptions<MeshContext>, 'context' | 'releaseContext' | 'steadyState' | 'runId'> {
    return {
      runId,
      context: (scope) => this.context(scope),
      steadyState: (ctx) => this.steadyState(ctx),
      releaseContext: async (ctx) => {
        (ctx as ScenarioMeshContext).close();
        // Security costs seen right after the scenario; the gate sets them against the baseline when all have run.
        if (!this.probeScenarios) return;
        const samples = await this.latency(SCENARIO_PROBE).catch(() => undefined);
        if (!samples) return;
        this.scenarioLatency.set(ctx.scope.scenarioId, samples);
        for (const [k, v] of Object.entries(latencyFigures(samples))) ctx.latency(k, v);
      },
    };
  }

  async stop(): Promise<void> {
    this.#prober?.close();
    await this.engine.close();
    await this.#receiver?.stop();
  }
}
