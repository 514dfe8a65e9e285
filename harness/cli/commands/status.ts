import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { OperatorApi } from '../../engine/operator-api.ts';
import { statePaths } from '../../mesh/state-dir.ts';
import type { ServiceName } from '../../../services/topology.ts';
import { painter } from '../color.ts';
import type { CommandHelp } from '../help.ts';
import type { CommandIo } from '../io.ts';
import { DEFAULT_STATE, isAlive, operatorFor, readMeshRecord } from '../mesh-record.ts';
import { parseFlags } from '../parse.ts';

export const statusFlags = {
  state: { type: 'string', default: DEFAULT_STATE },
  json: { type: 'boolean', default: false },
} as const;

export const statusHelp: CommandHelp = {
  name: 'status',
  summary: 'which services of the mesh `up` started are healthy, and whether they run the settings and policy they started with',
  usage: ['status [--state DIR] [--json]'],
  description:
    'Asks every service of the recorded mesh for its health over mTLS as the operator, compares each one\'s deployed settings with those `up` started it with, and the PDP\'s policy version with the one it started with. A mesh left with a changed setting or policy (a crashed run) shows here.',
  flags: [
    { flag: '--state DIR', text: 'the state folder `meshgate up` used (default: .meshgate in the current directory)' },
    { flag: '--json', text: 'print JSON instead: { state, ok, services: [{ name, url, spiffeId, pid, running, healthy, baselineSettings }], policy: { version, baseline, same } }' },
  ],
  examples: ['meshgate status', "meshgate status --json | jq '.services[] | select(.healthy | not) | .name'"],
  exitCodes: '0 every service healthy with its starting settings and policy, 1 otherwise, 2 usage error or no mesh recorded in the state folder',
};

export async function statusCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseFlags('status', argv, statusFlags);
  const record = readMeshRecord(values.state!);
  const paths = statePaths(values.state!);
  const operator = new OperatorApi(operatorFor(values.state!, record));
  try {
    const services = await Promise.all(
      record.services.map(async (s) => {
        const name = s.name as ServiceName;
        const running = isAlive(record, s.pid, name);
        const healthy = running && (await operator.health(name).then((h) => h.status === 'ok', () => false));
        // The config file is what the running process was deployed with.
        const deployed = (JSON.parse(readFileSync(join(paths.configs, `${name}.json`), 'utf8')) as { settings: unknown }).settings;
        const baselineSettings = record.baselineSettings?.[name] === undefined || isDeepStrictEqual(deployed, record.baselineSettings[name]);
        return { name, url: s.url, spiffeId: s.spiffeId, pid: s.pid, running, healthy, baselineSettings };
      }),
    );
    const policyVersion = services.some((s) => s.name === 'pdp' && s.healthy) ? (await operator.policies()).version : null;
    const policy = { version: policyVersion, baseline: record.baselinePolicyVersion ?? null, same: policyVersion !== null && policyVersion === (record.baselinePolicyVersion ?? policyVersion) };
    const ok = services.every((s) => s.healthy && s.baselineSettings) && policy.same;
    if (values.json) io.stdout(JSON.stringify({ state: record.state, ok, services, policy }, null, 2) + '\n');
    else {
      const paint = painter(io.color === true);
      for (const s of services) {
        const state = s.healthy ? paint.green('healthy') : paint.red(s.running ? 'running, not healthy' : 'stopped');
        io.stdout(`${s.name.padEnd(9)} ${state}${s.baselineSettings ? '' : paint.yellow(', settings differ from those it started with')}  pid ${s.pid}  ${s.url}\n`);
      }
      io.stdout(`policy    ${policy.version ?? 'unknown'}${policy.same ? ' (as started)' : ` (started with ${policy.baseline})`}\n`);
    }
    return ok ? 0 : 1;
  } finally {
    operator.close();
  }
}
