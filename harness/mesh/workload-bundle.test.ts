import { describe, expect, test } from 'vitest';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { useTempDirs } from '../test-support/temp-dirs.ts';
import { PACKAGE_ROOT } from './state-dir.ts';
import { workloadBundle } from './workload-bundle.ts';
import { isWorkloadEntry, sourceEntries, WORKLOAD_BUNDLES } from './workload-launch.ts';

const tempDir = useTempDirs();

/** A checkout of its own: a copy of the services beside the real dependencies, so its bundles stay its own. */
function checkout(): string {
  const root = tempDir('meshgate-bundle-');
  cpSync(join(PACKAGE_ROOT, 'services'), join(root, 'services'), { recursive: true });
  cpSync(join(PACKAGE_ROOT, 'package-lock.json'), join(root, 'package-lock.json'));
  mkdirSync(join(root, 'node_modules'));
  for (const entry of readdirSync(join(PACKAGE_ROOT, 'node_modules'))) if (!entry.startsWith('.')) symlinkSync(join(PACKAGE_ROOT, 'node_modules', entry), join(root, 'node_modules', entry));
  return root;
}

const bundles = (root: string) => readdirSync(join(root, WORKLOAD_BUNDLES)).sort();

describe('workload bundle', () => {
  test('is built once per content of the sources, also by launchers building at once, and a changed source gives a new one', async () => {
    const root = checkout();
    const [a, b] = await Promise.all([workloadBundle(root), workloadBundle(root)]);
    expect(b.preload).toBe(a.preload);
    expect(bundles(root)).toHaveLength(1);
    expect(existsSync(a.preload) && existsSync(a.entry('pdp'))).toBe(true);
    expect((await workloadBundle(root)).entry('sts')).toBe(a.entry('sts'));
    writeFileSync(join(root, 'services', 'sts', 'main.ts'), `${readFileSync(join(root, 'services', 'sts', 'main.ts'), 'utf8')}\n// changed\n`);
    const changed = await workloadBundle(root);
    expect(changed.entry('sts')).not.toBe(a.entry('sts'));
    expect(bundles(root)).toHaveLength(2);
    // A test file is not part of any workload.
    writeFileSync(join(root, 'services', 'sts', 'extra.test.ts'), 'export {};\n');
    expect((await workloadBundle(root)).entry('sts')).toBe(changed.entry('sts'));
  }, 60_000);

  test('each module keeps its own location: files read beside the PDP modules resolve from the sources, and no bundle-relative location is left', async () => {
    const root = checkout();
    const entries = await workloadBundle(root);
    const dir = join(entries.preload, '..', '..', '..');
    const text = readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((f) => f.isFile())
      .map((f) => readFileSync(join(f.parentPath, f.name), 'utf8'))
      .join('\n');
    for (const module of ['pdp/mesh-schema.ts', 'pdp/policy-directory-default.ts']) expect(text.includes(pathToFileURL(join(root, 'services', module)).href), module).toBe(true);
    expect(/(?<![\w$.])import\.meta\.url/.test(text), 'a module reads the bundle\'s own location').toBe(false);
  }, 60_000);

  test('a source that does not compile fails the build naming the file, and leaves nothing half built', async () => {
    const root = checkout();
    writeFileSync(join(root, 'services', 'ledger', 'main.ts'), 'export const = ;\n');
    await expect(workloadBundle(root)).rejects.toThrow(/could not bundle the workloads: [\s\S]*ledger[/\\]main\.ts/);
    expect(existsSync(join(root, WORKLOAD_BUNDLES)) ? readdirSync(join(root, WORKLOAD_BUNDLES)) : []).toEqual([]);
  }, 60_000);
});

describe('a workload entry on a command line', () => {
  const root = '/opt/checkout';
  test('is the workload from its sources or from a bundle of them, in this checkout only', () => {
    expect(isWorkloadEntry(sourceEntries(root).entry('sts'), root, 'sts')).toBe(true);
    expect(isWorkloadEntry(join(root, WORKLOAD_BUNDLES, '0123abcd', 'sts', 'main.js'), root, 'sts')).toBe(true);
    expect(isWorkloadEntry(join(root, WORKLOAD_BUNDLES, '0123abcd', 'sts', 'main.js'), root, 'pdp')).toBe(false);
    expect(isWorkloadEntry(join(root, WORKLOAD_BUNDLES, '0123abcd', 'x', 'sts', 'main.js'), root, 'sts')).toBe(false);
    expect(isWorkloadEntry(join('/elsewhere', WORKLOAD_BUNDLES, '0123abcd', 'sts', 'main.js'), root, 'sts')).toBe(false);
    expect(isWorkloadEntry(join('/elsewhere', 'services', 'sts', 'main.ts'), root, 'sts')).toBe(false);
  });
});
