import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { OperatorApi } from '../../engine/operator-api.ts';
import { statePaths } from '../../mesh/state-dir.ts';
import type { ServiceName } from '../../../services/topology.ts';
import type { CommandIo } from '../io.ts';
import { DEFAULT_STATE, isAlive, operatorFor, readMeshRecord } from '../mesh-record.ts';
import { parseFlags } from '../parse.ts';

export const statusHelp = 'status [--state DIR] [--json]    which services are up and healthy, and whether settings and policy are those `up` started with';

export async function statusCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseFlags('status', argv, { state: { type: 'string', default: DEFAULT_STATE }, json: { type: 'boolean', default: false } });
  const record = readMeshRecord(values.state!);
  const paths = statePaths(values.state!);
  const operator = new OperatorApi(operatorFor(values.state!, record));
  try {
    const services = await Promise.all(
      record.services.map(async (s) => {
        const name = s.name as ServiceName;
        const running = isAlive(s.pid, name);
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
      for (const s of services) io.stdout(`${s.name.padEnd(9)} ${s.healthy ? 'healthy' : s.running ? 'running, not healthy' : 'stopped'}${s.baselineSettings ? '' : ', settings differ from those it started with'}  pid ${s.pid}  ${s.url}\n`);
      io.stdout(`policy    ${policy.version ?? 'unknown'}${policy.same ? ' (as started)' : ` (started with ${policy.baseline})`}\n`);
    }
    return ok ? 0 : 1;
  } finally {
    operator.close();
  }
}
