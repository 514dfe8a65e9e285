/** The configuration the launcher hands each workload process (a JSON file named by MESHGATE_CONFIG). */
import { readFileSync } from 'node:fs';
import { resolveSettings, type SecuritySettings } from './settings.ts';

export interface WorkloadConfig {
  name: string;
  stateDir: string;
  /** Port for the mTLS listener; 0 picks a free one. */
  port: number;
  /** The address every listener binds (default 127.0.0.1; 0.0.0.0 inside a container, whose network the run created). */
  listenHost?: string;
  /** The gateway's public HTTPS port. */
  publicPort?: number;
  /** The plaintext port opened only by the plaintextPort misconfiguration. */
  plaintextPort?: number;
  caEnrolUrl: string;
  caUrl: string;
  bundlePath: string;
  /** mTLS base URLs of the other workloads, by service name. */
  peers: Record<string, string>;
  otlpEndpoint?: string;
  svidTtlSeconds?: number;
  settings: SecuritySettings;
}

export function parseWorkloadConfig(raw: unknown, source: string): WorkloadConfig {
  const problems: string[] = [];
  if (raw === null || typeof raw !== 'object') throw new TypeError(`${source}: config must be a JSON object`);
  const c = raw as Record<string, unknown>;
  const str = (k: string, optional = false): void => {
    if (c[k] === undefined && optional) return;
    if (typeof c[k] !== 'string' || (c[k] as string).length === 0) problems.push(`${source}: ${k} must be a non-empty string`);
  };
  str('name');
  str('stateDir');
  str('caEnrolUrl');
  str('caUrl');
  str('bundlePath');
  str('otlpEndpoint', true);
  str('listenHost', true);
  for (const k of ['port', 'publicPort', 'plaintextPort', 'svidTtlSeconds']) {
    if (c[k] !== undefined && !(Number.isInteger(c[k]) && (c[k] as number) >= 0)) problems.push(`${source}: ${k} must be a non-negative integer`);
  }
  if (c.peers !== undefined && (typeof c.peers !== 'object' || c.peers === null)) problems.push(`${source}: peers must be an object`);
  let settings: SecuritySettings | undefined;
  try {
    settings = resolveSettings(c.settings, 'settings');
  } catch (err) {
    problems.push(...(err as Error).message.split('\n').map((m) => `${source}: ${m}`));
  }
  if (problems.length) throw new TypeError(problems.join('\n'));
  return { ...(c as unknown as WorkloadConfig), port: (c.port as number | undefined) ?? 0, peers: (c.peers as Record<string, string> | undefined) ?? {}, settings: settings! };
}

export function loadWorkloadConfig(env = process.env): WorkloadConfig {
  const path = env.MESHGATE_CONFIG;
  if (!path) throw new TypeError('MESHGATE_CONFIG is not set: it must name the workload config file');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new TypeError(`${path}: cannot read config: ${(err as Error).message}`);
  }
  return parseWorkloadConfig(raw, path);
}
