/**
 * The scenario catalog: every scenarios/<plane>/*.ts module, imported,
 * validated as a whole and sorted by id. Files starting with `_` are helpers,
 * `*.test.ts` are tests; folders starting with `_` or `.` are not planes.
 */
import { existsSync } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { AnyScenario } from './define.ts';
import { isScenarioValidationError, ScenarioValidationError, type ScenarioProblem } from './errors.ts';
import { PLANES } from './meta.ts';
import { findDuplicateIds, validateScenarioModule } from './validate.ts';

export { selectScenarios, type Selection } from './select.ts';

export const PACKAGE_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const DEFAULT_SCENARIO_DIR = join(PACKAGE_ROOT, 'scenarios');

export interface LoadCatalogOptions {
  /** Root that display paths and control locations are relative to; defaults to the folder above `dir`. */
  root?: string;
  /** Whether meta.control.location must name an existing file (default true: SARIF points there). */
  checkLocations?: boolean;
}

function isScenarioFile(name: string): boolean {
  return name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts') && !name.startsWith('_') && !name.startsWith('.');
}

function toDisplay(root: string, file: string): string {
  return relative(root, file).split(sep).join('/');
}

/** Imports and validates the whole catalog; throws ScenarioValidationError listing every problem. */
export async function loadCatalog(dir: string = DEFAULT_SCENARIO_DIR, options: LoadCatalogOptions = {}): Promise<AnyScenario[]> {
  if (typeof dir !== 'string' || dir === '') throw new TypeError(`loadCatalog: dir must be a non-empty path (got ${JSON.stringify(dir)})`);
  const absDir = resolve(dir);
  const root = resolve(options.root ?? dirname(absDir));
  const checkLocations = options.checkLocations ?? true;
  const problems: ScenarioProblem[] = [];

  let dirEntries;
  try {
    if (!(await stat(absDir)).isDirectory()) throw new Error('not a directory');
    dirEntries = await readdir(absDir, { withFileTypes: true });
  } catch (error) {
    throw new ScenarioValidationError([{ file: toDisplay(root, absDir) || '.', field: '(catalog)', message: `cannot read the scenario folder: ${(error as Error).message}` }]);
  }

  const files: { abs: string; file: string; folder: string }[] = [];
  for (const entry of dirEntries) {
    const abs = join(absDir, entry.name);
    if (entry.isDirectory()) {
      if (entry.name.startsWith('_') || entry.name.startsWith('.')) continue;
      if (!(PLANES as readonly string[]).includes(entry.name)) {
        problems.push({ file: toDisplay(root, abs), field: '(folder)', message: `is not a plane (expected one of ${PLANES.join(', ')}; helpers go in folders starting with "_")` });
        continue;
      }
      for (const name of (await readdir(abs)).sort()) {
        const fileAbs = join(abs, name);
        if (isScenarioFile(name) && (await stat(fileAbs)).isFile()) files.push({ abs: fileAbs, file: toDisplay(root, fileAbs), folder: entry.name });
      }
    } else if (isScenarioFile(entry.name)) {
      problems.push({ file: toDisplay(root, abs), field: '(module)', message: 'scenario modules live in scenarios/<plane>/' });
    }
  }

  const loaded = await Promise.all(
    files.map(async ({ abs, file, folder }) => {
      try {
        const mod: unknown = await import(pathToFileURL(abs).href);
        return { file, folder, mod, problems: validateScenarioModule(mod, { file, folder }) };
      } catch (error) {
        // defineScenario throws its own problems at import time; keep their fields and add the file.
        const importProblems: ScenarioProblem[] = isScenarioValidationError(error)
          ? error.problems.map((p) => ({ ...p, file }))
          : [{ file, field: '(module)', message: `cannot be imported: ${error instanceof Error ? `${error.name}: ${error.message.split('\n')[0]}` : String(error)}` }];
        return { file, folder, mod: undefined, problems: importProblems };
      }
    }),
  );

  const scenarios: AnyScenario[] = [];
  for (const entry of loaded) {
    problems.push(...entry.problems);
    if (entry.problems.length > 0) continue;
    const scenario = (entry.mod as { scenario: AnyScenario }).scenario;
    const location = scenario.meta.control?.location;
    if (checkLocations && location !== undefined && !existsSync(join(root, location))) {
      problems.push({ file: entry.file, field: 'meta.control.location', message: `file does not exist: ${location}` });
    }
    scenarios.push(Object.freeze({ ...scenario, file: entry.file }));
  }
  problems.push(...findDuplicateIds(scenarios.map((s) => ({ id: s.meta.id, file: s.file! }))));

  if (problems.length > 0) throw new ScenarioValidationError(problems);
  return scenarios.sort((a, b) => (a.meta.id < b.meta.id ? -1 : a.meta.id > b.meta.id ? 1 : 0));
}
