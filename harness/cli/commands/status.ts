import type { CommandIo } from '../io.ts';
import { DEFAULT_STATE, isAlive, operatorFor, readMeshRecord } from '../mesh-record.ts';
import { parseFlags } from '../parse.ts';
import type { ServiceName } from '../../../services/topology.ts';

export const statusHelp = 'status [--state DIR] [--json]    which services are up and healthy';

export async function statusCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseFlags('status', argv, { state: { type: 'string', default: DEFAULT_STATE }, json: { type: 'boolean', default: false } });
  const record = readMeshRecord(values.state!);
  const operator = operatorFor(values.state!, record);
  try {
    const services = await Promise.all(
      record.services.map(async (s) => {
        const running = isAlive(s.pid, s.name);
        let healthy = false;
        if (running) healthy = await operator.request(s.name as ServiceName, 'GET', '/healthz').then((r) => r.status === 200, () => false);
        return { name: s.name, url: s.url, spiffeId: s.spiffeId, pid: s.pid, running, healthy };
      }),
    );
    if (values.json) io.stdout(JSON.stringify({ state: record.state, services }, null, 2) + '\n');
    else for (const s of services) io.stdout(`${s.name.padEnd(9)} ${s.healthy ? 'healthy' : s.running ? 'running, not healthy' : 'stopped'}  pid ${s.pid}  ${s.url}\n`);
    return services.every((s) => s.healthy) ? 0 : 1;
  } finally {
    operator.close();
  }
}
