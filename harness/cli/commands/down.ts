import { rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { statePaths } from '../../mesh/state-dir.ts';
import type { CommandIo } from '../io.ts';
import { DEFAULT_STATE, isAlive, readMeshRecord } from '../mesh-record.ts';
import { parseFlags } from '../parse.ts';

export const downHelp = 'down [--state DIR]              stop exactly the processes `up` started';

export async function downCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseFlags('down', argv, { state: { type: 'string', default: DEFAULT_STATE } });
  const record = readMeshRecord(values.state!);
  const running = record.services.filter((s) => isAlive(s.pid, s.name));
  for (const s of running) process.kill(s.pid, 'SIGTERM');
  const deadline = Date.now() + 5000;
  while (running.some((s) => isAlive(s.pid, s.name)) && Date.now() < deadline) await sleep(50);
  for (const s of running) if (isAlive(s.pid, s.name)) process.kill(s.pid, 'SIGKILL');
  for (const s of record.services) io.stdout(`${running.includes(s) ? 'stopped' : 'was not running'}: ${s.name} (pid ${s.pid})\n`);
  rmSync(statePaths(values.state!).record, { force: true });
  return 0;
}
