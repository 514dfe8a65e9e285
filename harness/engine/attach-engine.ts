/**
 * The attach engine: drives a mesh that `meshgate up` started and left
 * running, of processes or of containers, from the record in its state folder.
 * Before anything else it reverts what an earlier run left injected (the
 * lifecycle journal says so); the baseline is then what runs. Closing it
 * leaves the mesh up.
 */
import { existsSync, readFileSync } from 'node:fs';
import { ERROR_CODES, MeshgateError } from '../errors.ts';
import { SpanFile } from '../collectors/span-file.ts';
import { ContainerHost } from '../mesh/container-host.ts';
import type { MeshRecord } from '../mesh/mesh-launcher.ts';
import { statePaths } from '../mesh/state-dir.ts';
import { LifecycleJournal } from './lifecycle-journal.ts';
import { LaunchedEngine } from './launched-engine.ts';

export class AttachError extends MeshgateError {
  constructor(message: string) {
    super(ERROR_CODES.attach, message);
    this.name = 'AttachError';
  }
}

async function adopt(stateDir: string): Promise<LaunchedEngine> {
  const paths = statePaths(stateDir);
  if (!existsSync(paths.record)) throw new AttachError(`no mesh to attach to in ${paths.root} (no mesh.json): start one with \`meshgate up --state ${stateDir}\``);
  const record = JSON.parse(readFileSync(paths.record, 'utf8')) as Partial<MeshRecord>;
  const engine = record.engine ?? 'local';
  if (engine === 'compose' && record.compose) return LaunchedEngine.adopt(stateDir, new SpanFile(paths.spans), ContainerHost.fromRecord(stateDir, record.compose));
  if (engine !== 'local') throw new AttachError(`${paths.record}: unknown engine "${record.engine}"${engine === 'compose' ? ' (no compose project recorded)' : ''}`);
  return LaunchedEngine.adopt(stateDir, new SpanFile(paths.spans));
}

/** Attaches, reverting first what a run that died left injected; `log` hears what was reverted. */
export async function attachEngine(stateDir: string, log: (line: string) => void = () => undefined): Promise<LaunchedEngine> {
  let engine = await adopt(stateDir);
  const journal = new LifecycleJournal(engine.stateDir);
  const abandoned = journal.abandoned();
  if (abandoned) {
    const what = abandoned.subjects.map((s) => `${s.kind} ${s.id}`).join(', ') || 'nothing recorded';
    log(`an earlier run (${abandoned.runId}, pid ${abandoned.pid}) ended while ${abandoned.state} (${what}): reverting to its baseline`);
    for (const change of await engine.converge(abandoned.baseline)) log(`  reverted: ${change}`);
    for (const serial of abandoned.minted ?? []) {
      await engine.operator.revokeCert(serial);
      log(`  reverted: attacker certificate ${serial} revoked`);
    }
    journal.clear();
    await engine.close();
    engine = await adopt(stateDir);
  }
  if (engine.services().length === 0) throw new AttachError(`the mesh recorded in ${statePaths(stateDir).record} is not running: start it with \`meshgate up --state ${stateDir}\``);
  return engine;
}
