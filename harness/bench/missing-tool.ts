/** A baseline whose tool is not installed: reported as a missing rung with the package that brings it. */
import { spawnSync } from 'node:child_process';

export interface MissingRung {
  rung: string;
  tool: string;
  debianPackage: string;
  reason: string;
}

export function toolMissing(tool: string, rung: string, debianPackage: string): MissingRung | undefined {
  const r = spawnSync(tool, ['-v'], { stdio: 'ignore', timeout: 5_000 });
  if (!r.error) return undefined;
  return { rung, tool, debianPackage, reason: `${tool} is not installed (Debian: apt-get install ${debianPackage})` };
}
