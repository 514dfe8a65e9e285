/**
 * The workloads as the local engine runs them: every workload's entry and the
 * telemetry preload bundled in one build, kept per content of the sources.
 * A workload then loads a few dozen files of plain JavaScript instead of
 * about a thousand modules, most of them TypeScript to strip: start-up is
 * CPU-bound on module loading, and each module and its source cost memory.
 *
 * One build with shared chunks, so the preload and the workload share one
 * instance of every module (the telemetry SDK the preload starts is the one
 * the workload flushes). Each module keeps its own `import.meta.url`,
 * `__dirname` and `__filename`, so files read beside a module (the PDP's
 * policies and schema) and lazy `require`s resolve as from the sources.
 * Cedar's wasm package stays outside: it reads its wasm file beside itself.
 */
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Plugin } from 'rolldown';
import { descriptorOf, SERVICE_NAMES, type ServiceName } from '../../services/topology.ts';
import { bundledEntry, PRELOAD_ENTRY, sourceEntries, WORKLOAD_BUNDLES, type WorkloadEntries } from './workload-launch.ts';

/** Bundles of earlier sources kept beside the current one (a detached mesh may still run from one). */
const KEPT_BUNDLES = 4;
const EXTERNAL = [/^node:/, /^@cedar-policy\//];

/** The bundled entries for the sources as they are now, built on first use. */
export async function workloadBundle(packageRoot: string): Promise<WorkloadEntries> {
  const root = join(packageRoot, WORKLOAD_BUNDLES);
  const dir = join(root, bundleKey(packageRoot));
  if (!existsSync(dir)) {
    // Built aside and renamed into place: a bundle folder that exists is complete, and two
    // launchers building at once both end with the same one.
    const building = `${dir}.${process.pid}.building`;
    try {
      await build(packageRoot, building);
      renameSync(building, dir);
    } catch (err) {
      if (!existsSync(dir)) throw new Error(`could not bundle the workloads: ${(err as Error).message}`, { cause: err });
    } finally {
      rmSync(building, { recursive: true, force: true });
    }
    prune(root);
  }
  return { preload: join(dir, bundledEntry(PRELOAD_ENTRY)), entry: (name) => join(dir, bundledEntry(descriptorOf(name).entry)) };
}

/** What the bundle is made from: every source file of the services, the locked dependencies and this build. */
function bundleKey(packageRoot: string): string {
  const hash = createHash('sha256');
  const services = join(packageRoot, 'services');
  for (const file of sourceFiles(services)) hash.update(relative(services, file)).update('\0').update(readFileSync(file)).update('\0');
  hash.update(readFileSync(join(packageRoot, 'package-lock.json'))).update(readFileSync(fileURLToPath(import.meta.url)));
  return hash.digest('hex').slice(0, 16);
}

function sourceFiles(dir: string): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) files.push(...sourceFiles(path));
    else if (!entry.name.endsWith('.test.ts')) files.push(path);
  }
  return files;
}

async function build(packageRoot: string, outDir: string): Promise<void> {
  const sources = sourceEntries(packageRoot);
  const input: Record<string, string> = { [chunkName(PRELOAD_ENTRY)]: sources.preload };
  for (const name of SERVICE_NAMES) input[chunkName(descriptorOf(name).entry)] = sources.entry(name as ServiceName);
  // Loaded only to build: the bundler and its native binding are not small.
  const { rolldown } = await import('rolldown');
  const bundle = await rolldown({ input, platform: 'node', external: EXTERNAL, plugins: [ownLocation], logLevel: 'warn' });
  try {
    // Whitespace and comments go (less source held in memory); names stay, so stack traces read as the sources'.
    await bundle.write({ dir: outDir, format: 'esm', entryFileNames: '[name].js', chunkFileNames: 'chunks/[name]-[hash].js', minify: { compress: false, mangle: false } });
  } finally {
    await bundle.close();
  }
}

const chunkName = (entry: string) => entry.replace(/\.ts$/, '');

/** Each module's location as it would be unbundled. */
const ownLocation: Plugin = {
  name: 'meshgate-own-location',
  transform(code, id) {
    let located = code.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(id).href));
    // CommonJS modules read the free variables; a module that declares its own keeps them.
    if (!/\b(?:const|let|var|function)\s+__(?:dirname|filename)\b/.test(code)) {
      located = located.replace(/(?<![\w$.])__dirname(?![\w$])/g, JSON.stringify(dirname(id))).replace(/(?<![\w$.])__filename(?![\w$])/g, JSON.stringify(id));
    }
    return located === code ? null : located;
  },
};

function prune(root: string): void {
  const bundles = readdirSync(root)
    .filter((name) => !name.includes('.'))
    .map((name) => ({ path: join(root, name), mtime: statSync(join(root, name)).mtimeMs }))
    .sort((a, b) => b.mtime - a.mtime);
  for (const old of bundles.slice(KEPT_BUNDLES + 1)) rmSync(old.path, { recursive: true, force: true });
}
