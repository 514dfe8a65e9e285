import { describe, expect, it } from 'vitest';
import { killRate, mutantResult, runMutants, type Mutant } from './mutation.ts';
import type { ScenarioResult } from './result.ts';

const mutant = (id: string): Mutant => ({ id, title: id, description: 'd', fault: 'f', location: { uri: 'services/x.ts' } });
const result = (id: string, outcome: ScenarioResult['outcome']) => ({ id, outcome }) as ScenarioResult;

describe('mutation', () => {
  it('only a failed scenario kills a mutant; errors do not', () => {
    expect(mutantResult(mutant('m'), [result('a', 'passed'), result('b', 'failed')])).toMatchObject({ killedBy: ['b'], survived: false });
    expect(mutantResult(mutant('m'), [result('a', 'error'), result('b', 'passed')])).toMatchObject({ killedBy: [], survived: true });
  });

  it('kill rate counts killed mutants over all', () => {
    const m = mutant('m');
    expect(killRate([{ mutant: m, killedBy: ['a'], survived: false }, { mutant: m, killedBy: [], survived: true }, { mutant: m, killedBy: [], survived: false, error: 'x' }])).toBeCloseTo(1 / 3);
    expect(killRate([])).toBe(0);
  });

  it('runMutants always undoes a mutant, even when the run throws, and stops when undo fails', async () => {
    const log: string[] = [];
    const summary = await runMutants([mutant('a'), mutant('b'), mutant('c'), mutant('d')], {
      apply: async (m) => {
        log.push(`apply ${m.id}`);
        return async () => {
          log.push(`undo ${m.id}`);
          if (m.id === 'c') throw new Error('stuck');
        };
      },
      run: async (m) => {
        if (m.id === 'b') throw new Error('mesh down');
        return [result('s', m.id === 'a' ? 'failed' : 'passed')];
      },
    });
    expect(log).toEqual(['apply a', 'undo a', 'apply b', 'undo b', 'apply c', 'undo c']);
    expect(summary.mutants.map((r) => [r.mutant.id, r.survived, r.error ?? ''])).toEqual([
      ['a', false, ''],
      ['b', false, 'could not run: mesh down'],
      ['c', false, 'could not be reverted: stuck'],
    ]);
    expect(summary.killRate).toBeCloseTo(1 / 3);
  });
});
