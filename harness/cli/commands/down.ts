import { rmSync } from 'node:fs';
import { LocalEngine } from '../../engine/local-engine.ts';
import { LifecycleJournal } from '../../engine/lifecycle-journal.ts';
import { stopCollector } from '../../mesh/collector.ts';
import { statePaths } from '../../mesh/state-dir.ts';
import type { CommandIo } from '../io.ts';
import { DEFAULT_STATE, readMeshRecord } from '../mesh-record.ts';
import { parseFlags } from '../parse.ts';

export const downHelp = 'down [--state DIR]              revert what a crashed run left injected, then stop exactly the processes `up` started';

export async function downCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseFlags('down', argv, { state: { type: 'string', default: DEFAULT_STATE } });
  const record = readMeshRecord(values.state!);
  const engine = await LocalEngine.adopt(values.state!, { spans: () => [] });
  const journal = new LifecycleJournal(engine.stateDir);
  const abandoned = journal.abandoned();
  if (abandoned) {
    // Policies and settings persist in the state folder: put them back before the mesh stops.
    io.stdout(`reverting what run ${abandoned.runId} left ${abandoned.state}\n`);
    for (const change of await engine.converge(abandoned.baseline).catch((err: Error) => [`could not revert: ${err.message}`])) io.stdout(`  ${change}\n`);
    journal.clear();
  }
  const stopped = new Map((await engine.mesh.stop()).map((o) => [o.pid, o]));
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
