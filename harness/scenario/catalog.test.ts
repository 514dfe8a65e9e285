import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { loadCatalog } from './catalog.ts';
import { formatProblem, ScenarioValidationError } from './errors.ts';

const DEFINE = pathToFileURL(join(import.meta.dirname, 'define.ts')).href;
const CHECK = pathToFileURL(join(import.meta.dirname, 'check.ts')).href;
const roots: string[] = [];
afterAll(async () => {
  for (const r of roots) await rm(r, { recursive: true, force: true });
});

function scenarioSource(meta: Record<string, unknown>): string {
  return `import { defineScenario } from ${JSON.stringify(DEFINE)};
import { check, expectation } from ${JSON.stringify(CHECK)};
export const scenario = defineScenario({
  meta: ${JSON.stringify(meta)},
  inject: () => undefined,
  expect: () => expectation([check('status', 403, 403)]),
});
`;
}

const meta = (id: string, extra: Record<string, unknown> = {}) => ({ id, title: `title ${id}`, plane: id.split('.')[0], severity: 'high', threat: 'x', tags: [], ...extra });

async function tree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(tmpdir(), 'meshgate-catalog-'));
  roots.push(root);
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(dirname(join(root, rel)), { recursive: true });
    await writeFile(join(root, rel), text);
  }
  return root;
}

describe('loadCatalog', () => {
  it('imports every scenarios/<plane>/*.ts, skips tests and helpers, sorts by id', async () => {
    const root = await tree({
      'scenarios/tokens/replay.ts': scenarioSource(meta('tokens.replay-other-workload')),
      'scenarios/mtls/expired.ts': scenarioSource(meta('mtls.expired-client-cert', { control: { kind: 'code', location: 'services/kit/mtls/verify.ts', description: 'expiry' } })),
      'scenarios/mtls/expired.test.ts': 'throw new Error("a test file must not be imported")',
      'scenarios/mtls/_helpers.ts': 'throw new Error("a helper must not be imported as a scenario")',
      'scenarios/_lib/x.ts': 'throw new Error("not a plane")',
      'scenarios/README.md': '# scenarios',
      'services/kit/mtls/verify.ts': '',
    });
    const catalog = await loadCatalog(join(root, 'scenarios'));
    expect(catalog.map((s) => [s.meta.id, s.file])).toEqual([
      ['mtls.expired-client-cert', 'scenarios/mtls/expired.ts'],
      ['tokens.replay-other-workload', 'scenarios/tokens/replay.ts'],
    ]);
  });

  it('turns broken files into one ScenarioValidationError listing every problem with its file', async () => {
    const root = await tree({
      'scenarios/tokens/urgent.ts': scenarioSource(meta('tokens.urgent', { severity: 'urgent' })),
      'scenarios/tokens/wrong-folder.ts': scenarioSource(meta('mtls.in-tokens-folder')),
      'scenarios/tokens/syntax.ts': 'export const scenario = {{{ this is not valid',
      'scenarios/tokens/throws.ts': 'throw new Error("boom at import")',
      'scenarios/tokens/default.ts': 'export default {}',
      'scenarios/mtls/a.ts': scenarioSource(meta('mtls.same')),
      'scenarios/mtls/b.ts': scenarioSource(meta('mtls.same')),
      'scenarios/mtls/no-file.ts': scenarioSource(meta('mtls.no-file', { control: { kind: 'setting', location: 'services/missing.ts', description: 'd' } })),
      'scenarios/token/typo.ts': scenarioSource(meta('tokens.typo')),
      'scenarios/loose.ts': scenarioSource(meta('mtls.loose')),
    });
    const error = await loadCatalog(join(root, 'scenarios')).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(ScenarioValidationError);
    const lines = (error as ScenarioValidationError).problems.map(formatProblem);
    expect(lines).toEqual(
      expect.arrayContaining([
        'scenarios/tokens/urgent.ts: meta.severity: must be one of critical, high, medium, low (got "urgent")',
        'scenarios/tokens/wrong-folder.ts: meta.plane: must match the folder "tokens" (got "mtls")',
        'scenarios/tokens/wrong-folder.ts: meta.id: must start with its folder "tokens." (got "mtls.in-tokens-folder")',
        'scenarios/tokens/throws.ts: (module): cannot be imported: Error: boom at import',
        'scenarios/tokens/default.ts: (module): must export `scenario` (found a default export; use `export const scenario = defineScenario(...)`)',
        'scenarios/mtls/b.ts: meta.id: duplicate id "mtls.same" (also in scenarios/mtls/a.ts)',
        'scenarios/mtls/no-file.ts: meta.control.location: file does not exist: services/missing.ts',
        'scenarios/token: (folder): is not a plane (expected one of mtls, tokens, policy, e2ee, leaks, rotation, observability; helpers go in folders starting with "_")',
        'scenarios/loose.ts: (module): scenario modules live in scenarios/<plane>/',
      ]),
    );
    expect(lines.some((l) => l.startsWith('scenarios/tokens/syntax.ts: (module): cannot be imported:'))).toBe(true);
    expect(lines).toHaveLength(10);
  });

  it('reports a missing folder as a validation error', async () => {
    await expect(loadCatalog(join(tmpdir(), 'meshgate-no-such-folder-x1'))).rejects.toBeInstanceOf(ScenarioValidationError);
  });
});
