import { describe, expect, it } from 'vitest';
import { check, expectation } from './check.ts';
import { defineScenario } from './define.ts';
import { formatProblem, ScenarioValidationError } from './errors.ts';
import { findDuplicateIds, validateScenario, validateScenarioModule } from './validate.ts';

const good = {
  meta: { id: 'tokens.replay-other-workload', title: 'Replay', plane: 'tokens', severity: 'critical', threat: 'A workload replays a token it stole.', tags: ['replay'] },
  inject: () => undefined,
  expect: () => expectation([check('status', 401, 401)]),
};

describe('validateScenario', () => {
  it('accepts a well-formed scenario', () => {
    expect(validateScenario(good, { file: 'scenarios/tokens/replay.ts', folder: 'tokens' })).toEqual([]);
  });

  it('reports every problem at once, each with file and field', () => {
    const broken = {
      meta: {
        id: 'Tokens.Replay',
        title: '',
        plane: 'tokens',
        severity: 'urgent',
        threat: 'line one\nline two',
        tags: ['ok', 'Not OK', 'ok'],
        sevrity: 'high',
        control: { kind: 'config', location: '/etc/passwd', description: 'x', region: { startLine: 0 } },
        timeoutMs: -1,
      },
      inject: 'not a function',
      revert: 42,
    };
    const lines = validateScenario(broken, { file: 'scenarios/tokens/replay.ts', folder: 'tokens' }).map(formatProblem);
    expect(lines).toEqual(
      expect.arrayContaining([
        'scenarios/tokens/replay.ts: inject: must be a function (got "not a function")',
        'scenarios/tokens/replay.ts: expect: must be a function (missing)',
        'scenarios/tokens/replay.ts: revert: must be a function when present (got 42)',
        'scenarios/tokens/replay.ts: meta.sevrity: unknown field (allowed: id, title, plane, severity, threat, tags, control, timeoutMs)',
        'scenarios/tokens/replay.ts: meta.id: must be a dotted lower-case id like "tokens.replay-other-workload" (got "Tokens.Replay")',
        'scenarios/tokens/replay.ts: meta.severity: must be one of critical, high, medium, low (got "urgent")',
        'scenarios/tokens/replay.ts: meta.title: must be a non-empty string (got "")',
        'scenarios/tokens/replay.ts: meta.threat: must be a single line',
        'scenarios/tokens/replay.ts: meta.tags[1]: must be a lower-case tag like "replay" (got "Not OK")',
        'scenarios/tokens/replay.ts: meta.tags[2]: duplicate tag "ok"',
        'scenarios/tokens/replay.ts: meta.timeoutMs: must be a whole number of milliseconds in 1..1800000 (got -1)',
        'scenarios/tokens/replay.ts: meta.control.kind: must be one of setting, policy, code (got "config")',
        'scenarios/tokens/replay.ts: meta.control.location: must be a repository-relative file path like services/pdp/policies/ledger.cedar (got "/etc/passwd")',
        'scenarios/tokens/replay.ts: meta.control.region.startLine: must be a line number >= 1 (got 0)',
      ]),
    );
    expect(lines).toHaveLength(14);
  });

  it('requires the id prefix to match the plane and the folder', () => {
    const wrong = { ...good, meta: { ...good.meta, id: 'mtls.replay', plane: 'tokens' } };
    expect(validateScenario(wrong, { file: 'f.ts', folder: 'tokens' }).map((p) => `${p.field}: ${p.message}`)).toEqual([
      'meta.id: must start with its plane "tokens." (got "mtls.replay")',
      'meta.id: must start with its folder "tokens." (got "mtls.replay")',
    ]);
    const wrongFolder = validateScenario(good, { file: 'f.ts', folder: 'policy' }).map((p) => p.field);
    expect(wrongFolder).toEqual(['meta.plane', 'meta.id']);
  });

  it('needs a named `scenario` export', () => {
    expect(validateScenarioModule({ default: good }, { file: 'a.ts' })).toEqual([{ file: 'a.ts', field: '(module)', message: 'must export `scenario` (found a default export; use `export const scenario = defineScenario(...)`)' }]);
    expect(validateScenarioModule({ scenario: good }, { file: 'a.ts', folder: 'tokens' })).toEqual([]);
  });

  it('finds duplicate ids across files', () => {
    expect(findDuplicateIds([{ id: 'a.b', file: 'x.ts' }, { id: 'a.c', file: 'y.ts' }, { id: 'a.b', file: 'z.ts' }])).toEqual([{ file: 'z.ts', field: 'meta.id', message: 'duplicate id "a.b" (also in x.ts)' }]);
  });
});

describe('defineScenario', () => {
  it('returns a frozen scenario for valid input', () => {
    const s = defineScenario(good as never);
    expect(Object.isFrozen(s) && Object.isFrozen(s.meta)).toBe(true);
  });

  it('throws ScenarioValidationError carrying every problem', () => {
    try {
      defineScenario({ meta: { ...good.meta, severity: 'urgent', plane: 'nope' } } as never);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ScenarioValidationError);
      const e = error as ScenarioValidationError;
      expect(e.code).toBe('MESHGATE_ERR_SCENARIO_INVALID');
      expect(e.problems.map((p) => p.field).sort()).toEqual(['expect', 'inject', 'meta.plane', 'meta.severity']);
    }
  });
});
