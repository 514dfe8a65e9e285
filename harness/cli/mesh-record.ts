/** Reads the record `meshgate up` left in a state folder, saying plainly when there is none. */
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { MeshRecord } from '../mesh/mesh-launcher.ts';
import { CONTAINER_ROOT } from '../mesh/compose-placement.ts';
import { OperatorClient } from '../mesh/operator.ts';
import { PACKAGE_ROOT, statePaths } from '../mesh/state-dir.ts';
import { isWorkloadEntry } from '../mesh/workload-launch.ts';
import { runsWorkload } from '../mesh/workload-process.ts';
import type { ServiceName } from '../../services/topology.ts';
import { UsageError } from './usage-error.ts';

export const DEFAULT_STATE = '.meshgate';

export function readMeshRecord(stateDir: string): MeshRecord {
  const paths = statePaths(stateDir);
  if (!existsSync(paths.root)) throw new UsageError(`state folder ${resolve(stateDir)} does not exist: start the mesh with \`meshgate up --state ${stateDir}\``);
  if (!existsSync(paths.record)) throw new UsageError(`state folder ${paths.root} holds no running mesh (no mesh.json): start it with \`meshgate up\``);
  return JSON.parse(readFileSync(paths.record, 'utf8')) as MeshRecord;
}

/** The recorded workload process is still running (and is still ours, not a recycled pid); a container's runs from the image's checkout. */
export function isAlive(record: Pick<MeshRecord, 'engine'>, pid: number, service: string): boolean {
  const root = record.engine === 'compose' ? CONTAINER_ROOT : PACKAGE_ROOT;
  return runsWorkload(pid, (arg) => isWorkloadEntry(arg, root, service as ServiceName));
}

export function operatorFor(stateDir: string, record: MeshRecord): OperatorClient {
  const paths = statePaths(stateDir);
  if (!OperatorClient.exists(paths.operator)) throw new UsageError(`state folder ${paths.root} has no operator credentials: it is stale; run \`meshgate down\` and \`meshgate up\``);
  return OperatorClient.load(paths.operator, Object.fromEntries(record.services.map((s) => [s.name, s.url])));
}
