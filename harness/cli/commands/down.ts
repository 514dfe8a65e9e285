import { rmSync } from 'node:fs';
import { AttachError, attachEngine } from '../../engine/attach-engine.ts';
import { stopCollector } from '../../mesh/collector.ts';
import { ContainerHost } from '../../mesh/container-host.ts';
import { statePaths } from '../../mesh/state-dir.ts';
import { STOP_GRACE_MS } from '../../mesh/workload-process.ts';
import type { CommandHelp } from '../help.ts';
import type { CommandIo } from '../io.ts';
import { DEFAULT_STATE, readMeshRecord } from '../mesh-record.ts';
import { parseFlags } from '../parse.ts';

export const downFlags = { state: { type: 'string', default: DEFAULT_STATE } } as const;

export const downHelp: CommandHelp = {
  name: 'down',
  summary: 'stop the mesh `up` started, after reverting what a crashed run left injected',
  usage: ['down [--state DIR]'],
  description:
    'First reverts what a run that died after injecting left behind (the lifecycle journal in the state folder), so the mesh stops as it was started; then stops exactly the processes `up` started (by recorded pid, checked against each process\'s command line) and the span collector, and returns once each is gone, naming any that needed SIGKILL. The state folder stays (logs, spans); only the mesh record is removed.',
  flags: [{ flag: '--state DIR', text: 'the state folder `meshgate up` used (default: .meshgate in the current directory)' }],
  examples: ['meshgate down', 'meshgate down --state /tmp/mesh-state'],
  exitCodes: '0 stopped (also when nothing was running any more), 1 a process could not be stopped, 2 usage error or no mesh recorded in the state folder',
};

export async function downCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseFlags('down', argv, downFlags);
  const record = readMeshRecord(values.state!);
  // Reverts first what a crashed run left injected: the mesh stops as it was started.
  const engine = await attachEngine(values.state!, (line) => io.stdout(`${line}\n`)).catch((err: unknown) => {
    // Nothing left running to revert: still stop the collector and clear the record.
    if (err instanceof AttachError) return undefined;
    throw err;
  });
  const stopped = new Map((engine ? await engine.mesh.stop() : []).map((o) => [o.pid, o]));
  // With no workload left running there is no engine, but a compose project still holds containers and a network.
  if (!engine && record.compose) await ContainerHost.fromRecord(values.state!, record.compose).teardown();
  if (record.compose) io.stdout(`removed: compose project ${record.compose.project} (containers, network, volumes)\n`);
  for (const s of record.services) {
    const outcome = stopped.get(s.pid);
    io.stdout(`${outcome?.wasRunning ? (outcome.forced ? `killed (still running ${STOP_GRACE_MS / 1000} s after SIGTERM)` : 'stopped') : 'was not running'}: ${s.name} (pid ${s.pid})\n`);
  }
  if (record.collector) {
    const outcome = await stopCollector(record.collector.pid);
    io.stdout(`${outcome.wasRunning ? 'stopped' : 'was not running'}: span collector (pid ${record.collector.pid})\n`);
  }
  rmSync(statePaths(values.state!).record, { force: true });
  return 0;
}
