/** meshgate's own name and version, as reports name the tool. */
import { readFileSync } from 'node:fs';

export interface ToolInfo {
  name: string;
  version: string;
}

let cached: ToolInfo | undefined;

export function readToolInfo(): ToolInfo {
  if (!cached) {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name?: unknown; version?: unknown };
    cached = { name: typeof pkg.name === 'string' ? pkg.name : 'meshgate', version: typeof pkg.version === 'string' ? pkg.version : '0.0.0' };
  }
  return { ...cached };
}
