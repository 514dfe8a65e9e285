/** meshgate's own name and version, as reports name the tool. */
import { readFileSync } from 'node:fs';

export interface ToolInfo {
  name: string;
  version: string;
  /** Absolute URI of the tool's documentation (SARIF informationUri). */
  informationUri?: string;
  /** Absolute URI the repository's files sit under, ending in '/' (rule help links point into it). */
  sourceUri?: string;
}

const PACKAGE_ROOT_URL = new URL('../../', import.meta.url).href;

/**
 * Where the files of this checkout can be read: the commit on GitHub when the run is a GitHub
 * Actions job, the package's homepage when it names a repository, else the checkout itself.
 */
export function sourceUriFrom(env: NodeJS.ProcessEnv, homepage?: string): string {
  if (env.GITHUB_ACTIONS === 'true' && env.GITHUB_SERVER_URL && env.GITHUB_REPOSITORY) return `${env.GITHUB_SERVER_URL}/${env.GITHUB_REPOSITORY}/blob/${env.GITHUB_SHA || 'HEAD'}/`;
  if (homepage && /^https:\/\/github\.com\/[^/]+\/[^/#]+/.test(homepage)) return `${homepage.replace(/[#?].*$/, '').replace(/\/$/, '')}/blob/HEAD/`;
  return PACKAGE_ROOT_URL;
}

let cached: ToolInfo | undefined;

export function readToolInfo(): ToolInfo {
  if (!cached) {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { name?: unknown; version?: unknown; homepage?: unknown };
    const sourceUri = sourceUriFrom(process.env, typeof pkg.homepage === 'string' ? pkg.homepage : undefined);
    cached = { name: typeof pkg.name === 'string' ? pkg.name : 'meshgate', version: typeof pkg.version === 'string' ? pkg.version : '0.0.0', informationUri: `${sourceUri}README.md#the-gate`, sourceUri };
  }
  return { ...cached };
}
