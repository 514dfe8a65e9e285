/**
 * A test that needs a command-line tool fails, never skips, when the tool is missing, and names the Debian
 * package that brings it (.ci/run installs every one of them).
 */
import { spawnSync } from 'node:child_process';

export class MissingToolError extends Error {
  constructor(tool: string, debianPackage: string) {
    super(`${tool} is not installed: this test needs it (Debian: apt-get install ${debianPackage}; .ci/run installs it)`);
    this.name = 'MissingToolError';
  }
}

/** Resolves `tool` on PATH and returns its absolute path, or throws MissingToolError. */
export function requireTool(tool: string, debianPackage: string): string {
  const r = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8', timeout: 5_000 });
  const path = r.status === 0 ? r.stdout.trim() : '';
  if (!path) throw new MissingToolError(tool, debianPackage);
  return path;
}
