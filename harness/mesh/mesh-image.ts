/**
 * The container image of the compose engine, built from this checkout by
 * deploy/Containerfile and tagged with a digest of what goes into it (the
 * code and the lockfile), so a changed checkout never runs in a stale image.
 * Its base is any Node.js 24 image; `local-node` builds one from this
 * machine's own Node binary and the libraries it links against, for machines
 * that cannot pull.
 */
import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import type { ComposeProject } from './compose-project.ts';
import { PACKAGE_ROOT } from './state-dir.ts';

export const IMAGE_REPOSITORY = 'localhost/meshgate';
export const OFFICIAL_BASE = 'docker.io/library/node:24-bookworm-slim';
export const LOCAL_NODE_BASE = 'local-node';
const CONTEXT_DIRS = ['services', 'harness', 'deploy', 'dashboards'];

function* filesUnder(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* filesUnder(path);
    else if (!entry.name.endsWith('.test.ts')) yield path;
  }
}

/** The image tag for this checkout: what the Containerfile copies, minus the tests (node_modules through the lockfile). */
export function imageTag(): string {
  const hash = createHash('sha256');
  for (const file of ['package.json', 'package-lock.json', '.dockerignore']) hash.update(file).update(readFileSync(join(PACKAGE_ROOT, file)));
  for (const dir of CONTEXT_DIRS) for (const file of filesUnder(join(PACKAGE_ROOT, dir))) hash.update(relative(PACKAGE_ROOT, file)).update(readFileSync(file));
  return `${IMAGE_REPOSITORY}:${hash.digest('hex').slice(0, 16)}`;
}

async function exists(project: ComposeProject, image: string): Promise<boolean> {
  return project.container(['image', 'exists', image]).then(
    () => true,
    () => false,
  );
}

/** A base image holding only this machine's Node binary and the shared libraries it needs. */
async function localNodeBase(project: ComposeProject): Promise<string> {
  const tag = `localhost/meshgate-node-base:${process.version.slice(1)}`;
  if (await exists(project, tag)) return tag;
  const root = mkdtempSync(join(tmpdir(), 'meshgate-rootfs-'));
  try {
    const files = [process.execPath];
    for (const line of execFileSync('ldd', [process.execPath], { encoding: 'utf8' }).split('\n')) {
      const lib = /(\/\S+) \(0x/.exec(line)?.[1];
      if (lib) files.push(lib);
    }
    for (const file of files) {
      const target = file === process.execPath ? join(root, 'usr/local/bin/node') : join(root, file);
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(file, target);
    }
    mkdirSync(join(root, 'etc'));
    writeFileSync(join(root, 'etc/passwd'), 'root:x:0:0:root:/root:/sbin/nologin\n');
    mkdirSync(join(root, 'tmp'), { mode: 0o1777 });
    const tarball = join(root, '..', `${basename(root)}.tar`);
    execFileSync('tar', ['-C', root, '-cf', tarball, '.']);
    try {
      await project.container(['import', '--change', 'ENV PATH=/usr/local/bin:/usr/bin:/bin', tarball, tag]);
    } finally {
      rmSync(tarball, { force: true });
    }
    return tag;
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Builds the image for this checkout unless it exists; older builds of it are removed. Returns its tag. */
export async function ensureImage(project: ComposeProject, base: string, log: (line: string) => void = () => undefined): Promise<string> {
  const image = imageTag();
  if (await exists(project, image)) return image;
  const from = base === LOCAL_NODE_BASE ? await localNodeBase(project) : base;
  log(`building ${image} from ${from}`);
  const started = Date.now();
  await project.container(['build', '-q', '-f', join(PACKAGE_ROOT, 'deploy', 'Containerfile'), '--build-arg', `BASE=${from}`, '-t', image, PACKAGE_ROOT]);
  log(`built ${image} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  const older = (await project.container(['images', '--format', '{{.Repository}}:{{.Tag}}', IMAGE_REPOSITORY])).split('\n').filter((t) => t && t !== image);
  if (older.length) await project.container(['rmi', ...older]).catch(() => undefined);
  return image;
}
