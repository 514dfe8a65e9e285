/**
 * The files in a state folder that hold key material, join tokens or
 * passwords. A gate run keeps its state (the evidence its report links to)
 * beside the report, which teams upload as a CI artifact: these go when the
 * run ends.
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { statePaths } from './state-dir.ts';

export function stateSecrets(stateDir: string): string[] {
  const p = statePaths(stateDir);
  const fixed = [p.operator, join(p.ca, 'root-key.pem'), p.joinTokens, p.users, p.kmsKeys, join(p.root, 'prometheus', 'key.pem')];
  const tokenFiles = existsSync(p.configs) ? readdirSync(p.configs).filter((f) => f.endsWith('.join-token') || f.endsWith('.static-svid.pem')).map((f) => join(p.configs, f)) : [];
  return [...fixed, ...tokenFiles].filter((f) => existsSync(f));
}

/** Removes them and says which were there. */
export function removeStateSecrets(stateDir: string): string[] {
  const found = stateSecrets(stateDir);
  for (const f of found) rmSync(f, { recursive: true, force: true });
  return found;
}
