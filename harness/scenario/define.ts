/**
 * defineScenario: the typed shape of a scenario module in scenarios/<plane>/*.ts.
 *
 *   export const scenario = defineScenario<MeshContext, Injected>({
 *     meta: { id: 'tokens.replay-other-workload', title, plane: 'tokens', severity: 'critical', threat, tags: [] },
 *     async inject(ctx, run) { ... return injected },
 *     async expect(ctx, injected, run) { return expectation([check(...)], [checkFind(...)]) },
 *     async revert(ctx, injected, run) { ... },
 *   });
 *
 * `meta` is plain data so listing and filtering never run scenario code.
 */
import type { Check, Expectation } from './check.ts';
import type { LatencyFigures } from './latency.ts';
import type { ScenarioMeta } from './meta.ts';
import { ScenarioValidationError } from './errors.ts';
import { validateScenario } from './validate.ts';

export type Awaitable<T> = T | Promise<T>;

export const PHASES = ['steady-state-before', 'inject', 'expect', 'revert', 'steady-state-after'] as const;
export type PhaseName = (typeof PHASES)[number];

/** What the runner knows about one scenario's run; handed to the context factory. */
export interface ScenarioScope {
  readonly runId: string;
  readonly scenarioId: string;
  /** <runId>:<scenarioId>; the context's clients carry runId and scenarioId in x-meshgate-correlation. */
  readonly correlationId: string;
  /** Filled by the scenario or the context's clients; see LATENCY_KEYS for the known keys. */
  readonly latency: LatencyFigures;
}

/** Passed to every behaviour function. */
export interface PhaseRun extends ScenarioScope {
  readonly phase: PhaseName;
  /**
   * Aborted on timeout or when the run is interrupted. revert and the final
   * steady state get a fresh signal of their own, so cleanup still runs
   * after an abort: always use this argument, never a signal kept from an
   * earlier phase.
   */
  readonly signal: AbortSignal;
}

/** Returns checks (any not ok = unhealthy) or nothing; throwing also means unhealthy. */
export type SteadyStateFn<Ctx> = (ctx: Ctx, run: PhaseRun) => Awaitable<Check[] | void>;

export interface ScenarioBehaviour<Ctx, Injected> {
  /** Legitimate traffic this scenario depends on succeeds (runs before inject and after revert). */
  steadyState?(ctx: Ctx, run: PhaseRun): Awaitable<Check[] | void>;
  /** Attack or fault. Its return value is handed to expect and revert. */
  inject(ctx: Ctx, run: PhaseRun): Awaitable<Injected>;
  expect(ctx: Ctx, injected: Injected, run: PhaseRun): Awaitable<Expectation>;
  /** Always runs once inject has started; `injected` is undefined when inject threw or was aborted. Must be idempotent. */
  revert?(ctx: Ctx, injected: Injected | undefined, run: PhaseRun): Awaitable<void>;
}

export interface ScenarioSpec<Ctx, Injected> extends ScenarioBehaviour<Ctx, Injected> {
  meta: ScenarioMeta;
}

export interface Scenario<Ctx, Injected = unknown> extends ScenarioSpec<Ctx, Injected> {
  /** Display path of the module it came from, set by the catalog. */
  readonly file?: string;
}

/** Heterogeneous lists (the catalog, the engine) hold scenarios of any context. */
export type AnyScenario = Scenario<any, any>;

/** Validates and freezes a scenario; invalid metadata or behaviour throws ScenarioValidationError listing every problem. */
export function defineScenario<Ctx, Injected = undefined>(spec: ScenarioSpec<Ctx, Injected>): Scenario<Ctx, Injected> {
  const problems = validateScenario(spec);
  if (problems.length > 0) throw new ScenarioValidationError(problems);
  const meta = Object.freeze({ ...spec.meta, tags: Object.freeze([...spec.meta.tags]) as string[] });
  return Object.freeze({ ...spec, meta });
}

/** Binds the context type once so Injected is inferred per scenario: `const define = scenarioDefiner<MeshContext>()`. */
export function scenarioDefiner<Ctx>(): <Injected>(spec: ScenarioSpec<Ctx, Injected>) => Scenario<Ctx, Injected> {
  return (spec) => defineScenario(spec);
}
