/** The architecture rules of .dependency-cruiser.cjs, checked on the tree and shown to catch what they forbid. */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { cruise, type ICruiseResult } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const CONFIG = join(ROOT, '.dependency-cruiser.cjs');

async function violations(baseDir: string, paths: string[]): Promise<string[]> {
  // Without swc, dependency-cruiser cannot read TypeScript 7 sources and would see no imports at all.
  await import('@swc/core').catch((err: Error) => {
    throw new Error(`dependency-cruiser parses TypeScript with @swc/core, a devDependency: run npm ci (${err.message})`);
  });
  const options = await extractDepcruiseOptions(CONFIG);
  const result = await cruise(paths, { ...options, baseDir, tsConfig: undefined });
  const output = result.output as ICruiseResult;
  return output.summary.violations.map((v) => `${v.rule.name}: ${v.cycle?.length ? [v.from, ...v.cycle.map((c) => c.name)].join(' → ') : `${v.from} → ${v.to}`}`);
}

describe('architecture', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'meshgate-arch-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));

  it('services/, harness/ and scenarios/ break no rule (no import cycle, scenarios never import the local launcher)', async () => {
    const found = await violations(ROOT, ['services', 'harness', 'scenarios', 'deploy']);
    expect(found, `architecture violations:\n${found.join('\n')}`).toEqual([]);
  });

  it('the rules catch a cycle made of a type-only import and a scenario importing the local launcher', async () => {
    const files: Record<string, string> = {
      'services/kit/a.ts': "import type { B } from './b.ts';\nexport type A = { b?: B };\n",
      'services/kit/b.ts': "import { a } from './c.ts';\nexport type B = typeof a;\n",
      'services/kit/c.ts': "import type { A } from './a.ts';\nexport const a: A = {};\n",
      'harness/mesh/mesh-launcher.ts': 'export const mesh = 1;\n',
      'scenarios/tls/probe.ts': "import { mesh } from '../../harness/mesh/mesh-launcher.ts';\nexport const probe = mesh;\n",
    };
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(scratch, path)), { recursive: true });
      writeFileSync(join(scratch, path), text);
    }
    const found = await violations(scratch, ['services', 'harness', 'scenarios']);
    expect(found).toContain('no-circular: services/kit/a.ts → services/kit/b.ts → services/kit/c.ts → services/kit/a.ts');
    expect(found).toContain('scenarios-use-the-engine: scenarios/tls/probe.ts → harness/mesh/mesh-launcher.ts');
  });
});
