/**
 * Where the launcher runs workloads: as processes of this host (the local
 * engine) or in containers of a compose project (the compose engine). The
 * launcher does the rest the same way for both: configs, join tokens, the
 * operator's enrolment, health checks, redeploys and the mesh record.
 */
import type { ReadyRecord } from '../../services/kit/workload/runtime.ts';
import type { ServiceName } from '../../services/topology.ts';
import type { LaunchSpec, MeshPlacement, WorkloadEntries } from './workload-launch.ts';
import type { WorkloadProcess } from './workload-process.ts';

export type HostKind = 'local' | 'compose';

export interface WorkloadHost {
  readonly kind: HostKind;
  /** What the workload processes run, as they see it: the local engine bundles the sources, a container runs the checkout's own. */
  entries(): Promise<WorkloadEntries>;
  /** The workloads do not watch a pipe to the launcher (they outlive it, or have none: a container is torn down instead). */
  readonly detached: boolean;
  /** V8's compile cache folder as the workloads see it. */
  readonly compileCache: string;
  /** Ports, peers and addresses for every workload; the compose host brings its containers up here. */
  place(services: readonly ServiceName[]): Promise<MeshPlacement>;
  /** Starts one workload; it writes its ready record once it listens. */
  launch(name: ServiceName, spec: LaunchSpec, stdioLog: string): Promise<WorkloadProcess>;
  /** The ready record a workload wrote belongs to this start of it. */
  readyMatches(record: ReadyRecord, proc: WorkloadProcess): boolean;
  /** The ready record with its URLs as the harness reaches them. */
  reachable(record: ReadyRecord): ReadyRecord;
  /** The TCP ports the workload listens on, as the harness reaches them. */
  listeningPorts(name: ServiceName, proc: WorkloadProcess): number[];
  /** The last lines the workload printed (for a start that failed). */
  output(name: ServiceName, stdioLog: string): string;
  /** Takes over a running workload from the mesh record. */
  adopt(name: ServiceName, pid: number): WorkloadProcess;
  /** What the host adds to the mesh record so a later command can adopt the mesh. */
  record(): Record<string, unknown>;
  /** Releases what the host created beside the workloads (the compose project's network and containers). */
  teardown(): Promise<void>;
}
