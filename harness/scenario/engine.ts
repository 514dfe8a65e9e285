/**
 * The scenario engine. For each scenario:
 *   steady state (runner's, then the scenario's) → inject → expect → revert → steady state again.
 * revert always runs once inject has started: after a failing expect, an
 * exception, a timeout or an abort. A defence that fails is the outcome
 * 'failed'; anything that kept the harness from judging is 'error'.
 */
import { performance } from 'node:perf_hooks';
import { systemClock, type Clock } from '../../services/kit/clock.ts';
import type { Check, Expectation } from './check.ts';
import { correlationIdFor } from './correlation.ts';
import { PHASES, type AnyScenario, type Awaitable, type PhaseName, type PhaseRun, type Scenario, type ScenarioScope, type SteadyStateFn } from './define.ts';
import { toJson } from './evidence.ts';
import { cleanLatency, type LatencyFigures } from './latency.ts';
import { assertTransition, type LifecycleState } from './lifecycle.ts';
import type { ScenarioMeta } from './meta.ts';
import type { CheckResult, HarnessError, PhaseRecord, ScenarioResult } from './result.ts';

export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_CLEANUP_TIMEOUT_MS = 30_000;

export interface ScenarioStartEvent {
  meta: ScenarioMeta;
  correlationId: string;
  index: number;
  total: number;
}

export interface PhaseEvent {
  scenarioId: string;
  phase: PhaseName;
  index: number;
  total: number;
}

export interface EngineOptions<Ctx> {
  runId: string;
  /** Builds the context for one scenario; clients in it should send the scope's run and scenario ids as x-meshgate-correlation. */
  context(scope: ScenarioScope): Awaitable<Ctx>;
  /** Releases what context() built (agents, sockets); runs after every scenario that got a context. */
  releaseContext?(ctx: Ctx): Awaitable<void>;
  /** Legitimate traffic through the mesh succeeds; runs before each scenario's own steady state. */
  steadyState?: SteadyStateFn<Ctx>;
  /** Interrupts the run (the CLI wires SIGINT here); the current scenario still reverts. */
  signal?: AbortSignal;
  /** Bound on steady state + inject + expect per scenario, unless meta.timeoutMs says otherwise. */
  timeoutMs?: number;
  /** Bound on revert and on the final steady state, each. */
  cleanupTimeoutMs?: number;
  /** Skip the rest after the first scenario that is not passed. */
  bail?: boolean;
  /** Wall clock for startedAt; durations use the monotonic clock. */
  clock?: Clock;
  onScenarioStart?(event: ScenarioStartEvent): void;
  onPhase?(event: PhaseEvent): void;
  /**
   * Awaited before each phase, outside the phase's time budget: a caller can
   * hold the scenario between phases (an exercise's pause). The signal fires
   * when the run is interrupted; throwing stops the scenario (revert still runs).
   */
  beforePhase?(event: PhaseEvent, signal: AbortSignal): Awaitable<void>;
  /** Awaited on every lifecycle move, before the scenario acts (a journal persists it). */
  lifecycle?(to: LifecycleState, scenarioId: string): Awaitable<void>;
  onScenarioEnd?(result: ScenarioResult, position: { index: number; total: number }): void;
}

type PhaseOutcome<T> = { ok: true; value: T } | { ok: false; error: unknown };

class PhaseAbort extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PhaseAbort';
  }
}

/** A signal that fires on the parent's abort (when given) or after ms. */
function boundedSignal(ms: number, parent: AbortSignal | undefined, budgetMs = ms): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new PhaseAbort(`timed out after ${budgetMs} ms`)), ms);
  const onAbort = (): void => controller.abort(new PhaseAbort('aborted'));
  if (parent?.aborted) onAbort();
  else parent?.addEventListener('abort', onAbort, { once: true });
  return {
    signal: controller.signal,
    dispose() {
      clearTimeout(timer);
      parent?.removeEventListener('abort', onAbort);
    },
  };
}

/** Runs fn, but stops waiting when the signal fires; a late settlement is swallowed. */
async function guarded<T>(fn: () => Awaitable<T>, signal: AbortSignal): Promise<PhaseOutcome<T>> {
  if (signal.aborted) return { ok: false, error: signal.reason };
  let promise: Promise<T>;
  try {
    promise = Promise.resolve(fn());
  } catch (error) {
    return { ok: false, error };
  }
  promise.catch(() => {});
  let onAbort: (() => void) | undefined;
  const aborted = new Promise<PhaseOutcome<T>>((resolve) => {
    onAbort = () => resolve({ ok: false, error: signal.reason });
    signal.addEventListener('abort', onAbort, { once: true });
  });
  try {
    return await Promise.race([promise.then((value): PhaseOutcome<T> => ({ ok: true, value }), (error: unknown): PhaseOutcome<T> => ({ ok: false, error })), aborted]);
  } finally {
    signal.removeEventListener('abort', onAbort!);
  }
}

function errorMessage(error: unknown): string {
  if (error instanceof Error) return error.name === 'Error' || error.name === 'PhaseAbort' ? error.message : `${error.name}: ${error.message}`;
  return String(error);
}

function harnessError(phase: HarnessError['phase'], error: unknown, prefix = ''): HarnessError {
  const out: HarnessError = { phase, message: `${prefix}${errorMessage(error)}` };
  if (error instanceof Error && error.stack && !(error instanceof PhaseAbort)) out.stack = error.stack.split('\n').slice(0, 12).join('\n');
  return out;
}

function toCheckResult(value: unknown, index: number, problems: string[], label: string): CheckResult | undefined {
  const c = value as Partial<Check> | null;
  if (c === null || typeof c !== 'object' || typeof c.name !== 'string' || typeof c.ok !== 'boolean') {
    problems.push(`${label}[${index}] is not a check { name, ok, expected, observed }`);
    return undefined;
  }
  const out: CheckResult = { name: c.name, ok: c.ok, expected: toJson(c.expected), observed: toJson(c.observed) };
  if (c.evidence !== undefined) out.evidence = toJson(c.evidence);
  return out;
}

function toCheckList(value: unknown, label: string, problems: string[]): CheckResult[] {
  if (!Array.isArray(value)) {
    problems.push(`${label} must be an array of checks`);
    return [];
  }
  return value.map((c, i) => toCheckResult(c, i, problems, label)).filter((c): c is CheckResult => c !== undefined);
}

function validateOptions(scenarios: unknown, options: EngineOptions<unknown> | undefined): void {
  const problems: string[] = [];
  if (!Array.isArray(scenarios)) problems.push('scenarios must be an array');
  else {
    const ids = new Set<string>();
    scenarios.forEach((s: AnyScenario, i) => {
      if (typeof s?.meta?.id !== 'string' || typeof s.inject !== 'function' || typeof s.expect !== 'function') problems.push(`scenarios[${i}] is not a scenario made with defineScenario`);
      else if (ids.has(s.meta.id)) problems.push(`scenarios[${i}]: duplicate id "${s.meta.id}"`);
      else ids.add(s.meta.id);
    });
  }
  if (options === null || typeof options !== 'object') throw new TypeError('runScenarios: options must be an object');
  try {
    if (typeof options.runId === 'string') correlationIdFor(options.runId, 'x');
    else problems.push('options.runId must be a string');
  } catch (error) {
    problems.push(`options.runId: ${(error as Error).message}`);
  }
  if (typeof options.context !== 'function') problems.push('options.context must be a function (scope) => ctx');
  for (const fn of ['releaseContext', 'steadyState', 'onScenarioStart', 'onPhase', 'onScenarioEnd', 'beforePhase', 'lifecycle'] as const) {
    if (options[fn] !== undefined && typeof options[fn] !== 'function') problems.push(`options.${fn} must be a function`);
  }
  for (const key of ['timeoutMs', 'cleanupTimeoutMs'] as const) {
    const v = options[key];
    if (v !== undefined && !(Number.isInteger(v) && v > 0)) problems.push(`options.${key} must be a positive whole number of milliseconds (got ${String(v)})`);
  }
  if (options.signal !== undefined && !(options.signal instanceof AbortSignal)) problems.push('options.signal must be an AbortSignal');
  if (problems.length > 0) throw new TypeError(`runScenarios: ${problems.join('; ')}`);
}

function callHook(name: string, fn: () => void): void {
  try {
    fn();
  } catch (error) {
    // Progress output must never change a verdict.
    process.emitWarning(`meshgate: ${name} hook threw: ${errorMessage(error)}`);
  }
}

function baseResult(scenario: AnyScenario, correlationId: string, startedAt: number): ScenarioResult {
  const { meta } = scenario;
  const result: ScenarioResult = {
    id: meta.id,
    title: meta.title,
    plane: meta.plane,
    severity: meta.severity,
    threat: meta.threat,
    tags: [...meta.tags],
    outcome: 'skipped',
    correlationId,
    startedAt: new Date(startedAt).toISOString(),
    durationMs: 0,
    phases: PHASES.map((phase): PhaseRecord => ({ phase, status: 'skipped', durationMs: 0 })),
    checks: { steadyStateBefore: [], control: [], detection: [], steadyStateAfter: [] },
    errors: [],
    latency: {},
  };
  if (meta.control) result.control = { ...meta.control };
  if (scenario.file) result.file = scenario.file;
  return result;
}

/** Runs scenarios one after another; never throws for a scenario's sake. */
export async function runScenarios<Ctx>(scenarios: readonly Scenario<Ctx, any>[], options: EngineOptions<Ctx>): Promise<ScenarioResult[]> {
  validateOptions(scenarios, options as EngineOptions<unknown>);
  const results: ScenarioResult[] = [];
  const total = scenarios.length;
  let bailed = false;
  for (const [index, scenario] of scenarios.entries()) {
    let result: ScenarioResult;
    if (options.signal?.aborted || bailed) {
      const clock = options.clock ?? systemClock;
      result = baseResult(scenario, correlationIdFor(options.runId, scenario.meta.id), clock.now());
      result.message = bailed ? 'skipped after an earlier scenario did not pass (bail)' : 'run aborted before this scenario started';
    } else {
      result = await runOne(scenario, options, index, total);
      if (options.bail && result.outcome !== 'passed') bailed = true;
    }
    results.push(result);
    callHook('onScenarioEnd', () => options.onScenarioEnd?.(result, { index, total }));
  }
  return results;
}

/** Runs one scenario (see runScenarios for the lifecycle). */
export async function runScenario<Ctx>(scenario: Scenario<Ctx, any>, options: EngineOptions<Ctx>): Promise<ScenarioResult> {
  const [result] = await runScenarios([scenario], options);
  return result!;
}

async function runOne<Ctx>(scenario: Scenario<Ctx, any>, options: EngineOptions<Ctx>, index: number, total: number): Promise<ScenarioResult> {
  const clock = options.clock ?? systemClock;
  const { meta } = scenario;
  const correlationId = correlationIdFor(options.runId, meta.id);
  const result = baseResult(scenario, correlationId, clock.now());
  const t0 = performance.now();
  const latency: LatencyFigures = {};
  const scope: ScenarioScope = Object.freeze({ runId: options.runId, scenarioId: meta.id, correlationId, latency });
  const timeoutMs = meta.timeoutMs ?? options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const cleanupMs = options.cleanupTimeoutMs ?? DEFAULT_CLEANUP_TIMEOUT_MS;
  const phaseRecord = (phase: PhaseName): PhaseRecord => result.phases.find((p) => p.phase === phase)!;
  const failedPhase = new Set<PhaseName>();

  callHook('onScenarioStart', () => options.onScenarioStart?.({ meta, correlationId, index, total }));

  // steady state before + inject + expect share one budget (time held in beforePhase does not count) and the run's abort.
  let forwardSpentMs = 0;
  const forwardSignal = () => boundedSignal(Math.max(1, Math.ceil(timeoutMs - forwardSpentMs)), options.signal, timeoutMs);
  const setup = boundedSignal(timeoutMs, options.signal);
  let ctx: Ctx | undefined;
  let haveCtx = false;
  let state: LifecycleState = 'steady';
  const move = async (to: LifecycleState): Promise<void> => {
    assertTransition(state, to);
    state = to;
    await options.lifecycle?.(to, meta.id);
  };

  /** Runs one phase; `budget` makes a signal for it (forward phases share the scenario's budget, cleanup phases get their own). */
  const runPhase = async <T>(phase: PhaseName, budget: () => { signal: AbortSignal; dispose(): void }, body: (run: PhaseRun) => Awaitable<T>, forward: boolean): Promise<PhaseOutcome<T>> => {
    callHook('onPhase', () => options.onPhase?.({ scenarioId: meta.id, phase, index, total }));
    // Cleanup is never held back by an interrupted run: revert must still happen.
    if (options.beforePhase && !(phase === 'revert' && options.signal?.aborted)) {
      const runSignal = options.signal ?? new AbortController().signal;
      const held = await guarded(() => options.beforePhase!({ scenarioId: meta.id, phase, index, total }, runSignal), runSignal);
      if (!held.ok) {
        const err = harnessError(phase, held.error, `held before ${phase}: `);
        result.errors.push(err);
        if (phase !== 'revert') {
          const record = phaseRecord(phase);
          record.status = 'error';
          record.message = err.message;
          return { ok: false, error: held.error };
        }
      }
    }
    const bound = budget();
    const run: PhaseRun = Object.freeze({ ...scope, phase, signal: bound.signal });
    const start = performance.now();
    const outcome = await guarded(() => body(run), bound.signal);
    bound.dispose();
    const record = phaseRecord(phase);
    record.durationMs = round(performance.now() - start);
    if (forward) forwardSpentMs += record.durationMs;
    if (outcome.ok) record.status = failedPhase.has(phase) ? 'failed' : 'ok';
    else {
      record.status = 'error';
      const aborted = outcome.error instanceof PhaseAbort;
      const err = harnessError(phase, outcome.error, aborted ? '' : `${phase} threw: `);
      if (aborted) err.message = `${err.message} during ${phase}`;
      record.message = err.message;
      result.errors.push(err);
    }
    return outcome;
  };

  const steadyState = async (phase: 'steady-state-before' | 'steady-state-after', budget: () => { signal: AbortSignal; dispose(): void }, into: CheckResult[]): Promise<boolean> => {
    const fns = [options.steadyState, scenario.steadyState].filter((fn): fn is SteadyStateFn<Ctx> => typeof fn === 'function');
    const outcome = await runPhase(phase, budget, async (run) => {
      for (const fn of fns) {
        const checks = await fn.call(scenario, ctx as Ctx, run);
        if (checks === undefined) continue;
        const problems: string[] = [];
        into.push(...toCheckList(checks, 'steady state', problems));
        if (problems.length) throw new Error(problems.join('; '));
      }
      if (into.some((c) => !c.ok)) failedPhase.add(phase);
    }, phase === 'steady-state-before');
    if (outcome.ok && failedPhase.has(phase)) {
      const record = phaseRecord(phase);
      record.message = `failed checks: ${into.filter((c) => !c.ok).map((c) => c.name).join(', ')}`;
    }
    return outcome.ok && !failedPhase.has(phase);
  };

  try {
    const made = await guarded(() => options.context(scope), setup.signal);
    setup.dispose();
    if (!made.ok) {
      result.errors.push(harnessError('setup', made.error, 'context could not be built: '));
      return finish();
    }
    ctx = made.value;
    haveCtx = true;

    const healthyBefore = await steadyState('steady-state-before', forwardSignal, result.checks.steadyStateBefore);
    if (!healthyBefore) {
      if (failedPhase.has('steady-state-before')) {
        result.errors.unshift({ phase: 'steady-state-before', message: `the mesh was not healthy before injection (${phaseRecord('steady-state-before').message})` });
      }
      return finish();
    }

    let injected: unknown;
    let injectStarted = false;
    const inject = await runPhase('inject', forwardSignal, async (run) => {
      // Journaled before the scenario acts: a run that dies from here on leaves a record to revert.
      await move('injected');
      injectStarted = true;
      return scenario.inject.call(scenario, ctx as Ctx, run);
    }, true);
    if (inject.ok) {
      injected = inject.value;
      const expect = await runPhase('expect', forwardSignal, (run) => scenario.expect.call(scenario, ctx as Ctx, injected, run), true);
      if (expect.ok) recordExpectation(expect.value);
      await move('expected');
    }

    if (injectStarted) {
      const reverted = typeof scenario.revert === 'function' ? await runPhase('revert', () => boundedSignal(cleanupMs, undefined), (run) => scenario.revert!.call(scenario, ctx as Ctx, injected, run), false) : { ok: true };
      // A failed revert leaves the journal saying what is still injected.
      if (reverted.ok) await move('reverted');
    }

    if (!options.signal?.aborted) {
      const healthyAfter = await steadyState('steady-state-after', () => boundedSignal(cleanupMs, options.signal), result.checks.steadyStateAfter);
      if (!healthyAfter && failedPhase.has('steady-state-after')) {
        result.errors.push({ phase: 'steady-state-after', message: `the mesh did not return to steady state after revert (${phaseRecord('steady-state-after').message})` });
      }
    }
    if ((state as LifecycleState) === 'reverted') await move('steady');
    return finish();
  } catch (error) {
    // Only a defect in the engine itself lands here.
    result.errors.push(harnessError('setup', error, 'engine: '));
    return finish();
  }

  function recordExpectation(value: Expectation): void {
    const problems: string[] = [];
    if (value === null || typeof value !== 'object') problems.push('expect must return { control: Check[], detection: Check[] }');
    else {
      result.checks.control = toCheckList(value.control, 'control', problems);
      result.checks.detection = toCheckList(value.detection ?? [], 'detection', problems);
      if (value.preconditions !== undefined) result.checks.preconditions = toCheckList(value.preconditions, 'preconditions', problems);
      // A scenario without control checks cannot fail, so it proves nothing.
      if (Array.isArray(value.control) && value.control.length === 0) problems.push('expect returned no control checks');
    }
    if (problems.length > 0) {
      result.errors.push({ phase: 'expect', message: problems.join('; ') });
      phaseRecord('expect').status = 'error';
      phaseRecord('expect').message = problems.join('; ');
    } else if ([...result.checks.control, ...result.checks.detection].some((c) => !c.ok)) {
      phaseRecord('expect').status = 'failed';
    }
    const unmet = (result.checks.preconditions ?? []).filter((c) => !c.ok);
    if (unmet.length > 0) {
      // The harness could not establish what the checks need: inconclusive, whatever the checks say.
      const message = `inconclusive: the harness could not establish ${unmet.map((c) => `${c.name} (expected ${JSON.stringify(c.expected)}, observed ${JSON.stringify(c.observed)})`).join('; ')}`;
      result.errors.push({ phase: 'expect', message });
    }
  }

  async function finish(): Promise<ScenarioResult> {
    setup.dispose();
    if (haveCtx && options.releaseContext) {
      const cleanup = boundedSignal(cleanupMs, undefined);
      const released = await guarded(() => options.releaseContext!(ctx as Ctx), cleanup.signal);
      cleanup.dispose();
      if (!released.ok) result.errors.push(harnessError('teardown', released.error, 'releaseContext threw: '));
    }
    result.latency = cleanLatency(latency);
    result.durationMs = round(performance.now() - t0);
    if (options.signal?.aborted) result.aborted = true;
    const failed = [...result.checks.control.map((c) => ({ kind: 'control', c })), ...result.checks.detection.map((c) => ({ kind: 'detection', c }))].filter((x) => !x.c.ok);
    const inconclusive = (result.checks.preconditions ?? []).some((c) => !c.ok);
    if (failed.length > 0 && !inconclusive) {
      result.outcome = 'failed';
      const total = result.checks.control.length + result.checks.detection.length;
      result.message = `${failed.length} of ${total} checks failed: ${failed.map((x) => `${x.kind}/${x.c.name}`).join(', ')}`;
      if (result.errors.length > 0) result.message += `; also ${result.errors[0]!.message}`;
    } else if (result.errors.length > 0) {
      result.outcome = 'error';
      result.message = result.errors[0]!.message + (result.errors.length > 1 ? ` (+${result.errors.length - 1} more)` : '');
    } else {
      result.outcome = 'passed';
    }
    return result;
  }
}

function round(ms: number): number {
  return Math.round(ms * 1000) / 1000;
}
