import { describe, expect, it } from 'vitest';
import { check, checkAtLeast, expectation } from './check.ts';
import { defineScenario, type PhaseRun, type ScenarioScope, type ScenarioSpec } from './define.ts';
import { runScenario, runScenarios, type EngineOptions } from './engine.ts';

interface Ctx {
  scope: ScenarioScope;
  log: string[];
}

type Spec = Omit<ScenarioSpec<Ctx, unknown>, 'meta'> & { id?: string; timeoutMs?: number };

function make(spec: Spec) {
  const { id = 'mtls.sample', timeoutMs, ...behaviour } = spec;
  return defineScenario<Ctx, unknown>({
    meta: { id, title: 'Sample', plane: 'mtls', severity: 'high', threat: 'Someone attacks.', tags: [], ...(timeoutMs ? { timeoutMs } : {}) },
    ...behaviour,
  });
}

function options(log: string[], extra: Partial<EngineOptions<Ctx>> = {}): EngineOptions<Ctx> {
  return { runId: 'run-1', context: (scope) => ({ scope, log }), ...extra };
}

const passing = {
  inject: (ctx: Ctx) => {
    ctx.log.push('inject');
    return { token: 't' };
  },
  expect: (ctx: Ctx) => {
    ctx.log.push('expect');
    return expectation([check('status', 403, 403)], [checkAtLeast('metric', 1, 1)]);
  },
  revert: (ctx: Ctx, injected: unknown) => {
    ctx.log.push(`revert:${JSON.stringify(injected ?? null)}`);
  },
};

describe('runScenarios', () => {
  it('runs the lifecycle in order and records a pass with correlation id and timings', async () => {
    const log: string[] = [];
    const scopes: ScenarioScope[] = [];
    const result = await runScenario(
      make({
        ...passing,
        steadyState: (ctx) => {
          ctx.log.push('scenario steady');
        },
        inject: (ctx, run) => {
          run.latency.handshakeP50Us = 1900;
          run.latency.bogus = Number.NaN;
          return passing.inject(ctx);
        },
      }),
      options(log, {
        context: (scope) => {
          scopes.push(scope);
          return { scope, log };
        },
        steadyState: (ctx) => {
          ctx.log.push('runner steady');
          return [check('legit request', 200, 200)];
        },
      }),
    );
    expect(log).toEqual(['runner steady', 'scenario steady', 'inject', 'expect', 'revert:{"token":"t"}', 'runner steady', 'scenario steady']);
    expect(result.outcome).toBe('passed');
    expect(result.correlationId).toBe('run-1:mtls.sample');
    expect(scopes[0]!.correlationId).toBe('run-1:mtls.sample');
    expect(result.latency).toEqual({ handshakeP50Us: 1900 });
    expect(result.phases.map((p) => `${p.phase}:${p.status}`)).toEqual(['steady-state-before:ok', 'inject:ok', 'expect:ok', 'revert:ok', 'steady-state-after:ok']);
    expect(result.checks.steadyStateBefore).toEqual([{ name: 'legit request', ok: true, expected: 200, observed: 200 }]);
  });

  it('a failing check is the outcome failed (not an exception), and revert still runs', async () => {
    const log: string[] = [];
    const result = await runScenario(make({ ...passing, expect: () => expectation([check('status', 403, 200, { body: 'ok' })], [check('audit', 'line', 'line')]) }), options(log));
    expect(result.outcome).toBe('failed');
    expect(result.message).toBe('1 of 2 checks failed: control/status');
    expect(result.checks.control[0]).toEqual({ name: 'status', ok: false, expected: 403, observed: 200, evidence: { body: 'ok' } });
    expect(log).toEqual(['inject', 'revert:{"token":"t"}']);
    expect(result.phases.find((p) => p.phase === 'expect')!.status).toBe('failed');
  });

  it('a throwing inject is an error, and revert runs with injected undefined', async () => {
    const log: string[] = [];
    const result = await runScenario(
      make({
        ...passing,
        inject: () => {
          throw new TypeError('socket exploded');
        },
      }),
      options(log),
    );
    expect(result.outcome).toBe('error');
    expect(result.message).toBe('inject threw: TypeError: socket exploded');
    expect(log).toEqual(['revert:null']);
    expect(result.phases.find((p) => p.phase === 'expect')!.status).toBe('skipped');
  });

  it('an unhealthy mesh before injection is an error; nothing is injected', async () => {
    const log: string[] = [];
    const result = await runScenario(make(passing), options(log, { steadyState: () => [check('legit request', 200, 503)] }));
    expect(result.outcome).toBe('error');
    expect(result.message).toBe('the mesh was not healthy before injection (failed checks: legit request)');
    expect(log).toEqual([]);
  });

  it('a steady state that throws is an error too', async () => {
    const log: string[] = [];
    const result = await runScenario(make({ ...passing, steadyState: () => Promise.reject(new Error('ECONNREFUSED')) }), options(log));
    expect(result.outcome).toBe('error');
    expect(result.errors[0]).toMatchObject({ phase: 'steady-state-before', message: 'steady-state-before threw: ECONNREFUSED' });
    expect(log).toEqual([]);
  });

  it('on abort: the hung phase is left, revert runs with a live signal, the rest is skipped', async () => {
    const log: string[] = [];
    const controller = new AbortController();
    const revertSignals: boolean[] = [];
    const hanging = make({
      id: 'mtls.hangs',
      inject: (ctx, run: PhaseRun) =>
        new Promise(() => {
          ctx.log.push('inject');
          setTimeout(() => controller.abort(), 10);
          void run;
        }),
      expect: () => expectation([check('x', 1, 1)]),
      revert: (ctx, _injected, run) => {
        revertSignals.push(run.signal.aborted);
        ctx.log.push('revert');
      },
    });
    const ends: string[] = [];
    const results = await runScenarios([hanging, make({ ...passing, id: 'mtls.after' })], options(log, { signal: controller.signal, onScenarioEnd: (r) => ends.push(`${r.id}:${r.outcome}`) }));
    expect(log).toEqual(['inject', 'revert']);
    expect(revertSignals).toEqual([false]);
    expect(results[0]).toMatchObject({ outcome: 'error', message: 'aborted during inject', aborted: true });
    expect(results[0]!.phases.find((p) => p.phase === 'steady-state-after')!.status).toBe('skipped');
    expect(results[1]).toMatchObject({ outcome: 'skipped', message: 'run aborted before this scenario started' });
    expect(ends).toEqual(['mtls.hangs:error', 'mtls.after:skipped']);
  });

  it('a per-scenario timeout ends a hung expect as an error and still reverts', async () => {
    const log: string[] = [];
    const result = await runScenario(make({ ...passing, timeoutMs: 30, expect: (_ctx, _i, run) => new Promise((_, reject) => run.signal.addEventListener('abort', () => reject(run.signal.reason))) }), options(log));
    expect(result.outcome).toBe('error');
    expect(result.message).toBe('timed out after 30 ms during expect');
    expect(log).toEqual(['inject', 'revert:{"token":"t"}']);
  });

  it('expect without control checks is an error: it could never fail', async () => {
    const result = await runScenario(make({ ...passing, expect: () => expectation([], [check('audit', 1, 1)]) }), options([]));
    expect(result.outcome).toBe('error');
    expect(result.message).toBe('expect returned no control checks');
  });

  it('a revert that throws is an error, and a mesh that stays broken after revert is an error', async () => {
    const broken = await runScenario(make({ ...passing, revert: () => Promise.reject(new Error('cannot restore')) }), options([]));
    expect(broken).toMatchObject({ outcome: 'error', message: 'revert threw: cannot restore' });
    let calls = 0;
    const unhealthy = await runScenario(make(passing), options([], { steadyState: () => [check('legit', 200, ++calls === 1 ? 200 : 503)] }));
    expect(unhealthy.outcome).toBe('error');
    expect(unhealthy.message).toMatch(/did not return to steady state after revert/);
  });

  it('bail skips the rest after a failure; hooks see every scenario', async () => {
    const started: string[] = [];
    const results = await runScenarios(
      [make({ ...passing, id: 'mtls.a', expect: () => expectation([check('x', 1, 2)]) }), make({ ...passing, id: 'mtls.b' })],
      options([], { bail: true, onScenarioStart: (e) => started.push(e.meta.id) }),
    );
    expect(results.map((r) => r.outcome)).toEqual(['failed', 'skipped']);
    expect(started).toEqual(['mtls.a']);
  });

  it('rejects bad options with every problem named', async () => {
    await expect(runScenarios([make(passing), make(passing)], { runId: 'bad id!', timeoutMs: 0 } as never)).rejects.toThrow(
      /duplicate id "mtls.sample".*options.runId.*options.context must be a function.*options.timeoutMs/,
    );
  });
});

describe('lifecycle and phase hooks', () => {
  it('moves steady → injected → expected → reverted → steady, each move awaited before the scenario acts', async () => {
    const log: string[] = [];
    const result = await runScenario(
      make(passing),
      options(log, {
        lifecycle: async (to, id) => {
          await new Promise((r) => setTimeout(r, 5));
          log.push(`${id}:${to}`);
        },
      }),
    );
    expect(result.outcome).toBe('passed');
    expect(log).toEqual(['mtls.sample:injected', 'inject', 'expect', 'mtls.sample:expected', 'revert:{"token":"t"}', 'mtls.sample:reverted', 'mtls.sample:steady']);
  });

  it('a failed revert leaves the lifecycle at expected (what is still injected stays on record)', async () => {
    const moves: string[] = [];
    const result = await runScenario(
      make({
        ...passing,
        revert: () => {
          throw new Error('could not undo');
        },
      }),
      options([], { lifecycle: (to) => void moves.push(to) }),
    );
    expect(result.outcome).toBe('error');
    expect(moves).toEqual(['injected', 'expected']);
  });

  it('beforePhase holds the scenario between phases without spending its time budget', async () => {
    const log: string[] = [];
    const held: string[] = [];
    const result = await runScenario(
      make({ ...passing, timeoutMs: 200 }),
      options(log, {
        beforePhase: async (event) => {
          held.push(event.phase);
          // Longer than the scenario's whole budget: the hold must not count against it.
          if (event.phase === 'expect') await new Promise((r) => setTimeout(r, 400));
        },
      }),
    );
    expect(result.outcome, result.message).toBe('passed');
    expect(held).toEqual(['steady-state-before', 'inject', 'expect', 'revert', 'steady-state-after']);
  });

  it('an abort while held stops the scenario, and revert still runs', async () => {
    const log: string[] = [];
    const controller = new AbortController();
    const result = await runScenario(
      make(passing),
      options(log, {
        signal: controller.signal,
        beforePhase: async (event, signal) => {
          if (event.phase !== 'expect') return;
          setTimeout(() => controller.abort(), 20);
          await new Promise((_, reject) => signal.addEventListener('abort', () => reject(new Error('exercise stopped')), { once: true }));
        },
      }),
    );
    expect(result.outcome).toBe('error');
    expect(result.aborted).toBe(true);
    expect(log).toEqual(['inject', 'revert:{"token":"t"}']);
    expect(result.phases.find((p) => p.phase === 'expect')).toMatchObject({ status: 'error' });
  });
});

describe('preconditions', () => {
  it('an unmet precondition makes the scenario inconclusive (error), never failed, whatever the checks say', async () => {
    const result = await runScenario(
      make({ ...passing, expect: () => expectation([check('no request failed', [], ['503'])], [], [checkAtLeast('requests during the change', 50, 49)]) }),
      options([]),
    );
    expect(result.outcome).toBe('error');
    expect(result.message).toMatch(/^inconclusive: the harness could not establish requests during the change \(expected .*50.*observed 49\)/);
    expect(result.checks.preconditions).toHaveLength(1);
  });

  it('met preconditions leave the verdict to the checks', async () => {
    const result = await runScenario(
      make({ ...passing, expect: () => expectation([check('no request failed', [], ['503'])], [], [checkAtLeast('requests during the change', 50, 51)]) }),
      options([]),
    );
    expect(result.outcome).toBe('failed');
  });
});
