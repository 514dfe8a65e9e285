import { rmSync } from 'node:fs';
import { AttachError, attachEngine } from '../../engine/attach-engine.ts';
import { stopCollector } from '../../mesh/collector.ts';
import { statePaths } from '../../mesh/state-dir.ts';
import type { CommandIo } from '../io.ts';
import { DEFAULT_STATE, readMeshRecord } from '../mesh-record.ts';
import { parseFlags } from '../parse.ts';

export const downHelp = 'down [--state DIR]              revert what a crashed run left injected, then stop exactly the processes `up` started';

export async function downCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseFlags('down', argv, { state: { type: 'string', default: DEFAULT_STATE } });
  const record = readMeshRecord(values.state!);
  // Reverts first what a crashed run left injected: the mesh stops as it was started.
  const engine = await attachEngine(values.state!, (line) => io.stdout(`${line}\n`)).catch((err: unknown) => {
    // Nothing left running to revert: still stop the collector and clear the record.
    if (err instanceof AttachError) return undefined;
    throw err;
  });
  const stopped = new Map((engine ? await engine.mesh.stop() : []).map((o) => [o.pid, o]));
  for (const s of record.services) {
    const outcome = stopped.get(s.pid);
    io.stdout(`${outcome?.wasRunning ? (outcome.forced ? 'killed (ignored SIGTERM)' : 'stopped') : 'was not running'}: ${s.name} (pid ${s.pid})\n`);
  }
  if (record.collector) {
    const outcome = await stopCollector(record.collector.pid);
    io.stdout(`${outcome.wasRunning ? 'stopped' : 'was not running'}: span collector (pid ${record.collector.pid})\n`);
  }
  rmSync(statePaths(values.state!).record, { force: true });
  return 0;
}
