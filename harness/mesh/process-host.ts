/**
 * The local engine's host: every workload is a child process on 127.0.0.1
 * with ports picked free at start. A mesh started detached (`meshgate up`)
 * outlives the launcher; children otherwise die with it through their stdin
 * pipe.
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ReadyRecord } from '../../services/kit/workload/runtime.ts';
import { descriptorOf, TRUST_ROOT, type ServiceName } from '../../services/topology.ts';
import { listeningPorts } from '../attacks/listening-ports.ts';
import { freePorts } from './free-port.ts';
import { PACKAGE_ROOT } from './state-dir.ts';
import { workloadBundle } from './workload-bundle.ts';
import { baseEnvironment, isWorkloadEntry, type LaunchSpec, type MeshPlacement, type WorkloadEntries } from './workload-launch.ts';
import type { WorkloadHost } from './workload-host.ts';
import { adoptedProcess, spawnedProcess, type WorkloadProcess } from './workload-process.ts';

export class ProcessHost implements WorkloadHost {
  readonly kind = 'local';
  readonly compileCache = process.env.NODE_COMPILE_CACHE ?? join(tmpdir(), 'meshgate-compile-cache');
  readonly detached: boolean;
  readonly #stateDir: string;

  constructor(stateDir: string, detached: boolean) {
    this.#stateDir = stateDir;
    this.detached = detached;
  }

  entries(): Promise<WorkloadEntries> {
    return workloadBundle(PACKAGE_ROOT);
  }

  async place(services: readonly ServiceName[]): Promise<MeshPlacement> {
    const withPublicPort = services.filter((s) => descriptorOf(s).publicPort);
    const ports = await freePorts(services.length + withPublicPort.length);
    const portOf = new Map(services.map((s, i) => [s, ports[i]!]));
    const publicPortOf = new Map(withPublicPort.map((s, i) => [s, ports[services.length + i]!]));
    const url = (s: ServiceName) => `https://localhost:${portOf.get(s)}`;
    return {
      stateDir: this.#stateDir,
      port: (s) => portOf.get(s)!,
      publicPort: (s) => publicPortOf.get(s),
      peerUrl: url,
      hostUrl: url,
      hostEnrolUrl: `https://localhost:${publicPortOf.get(TRUST_ROOT)}`,
    };
  }

  async launch(_name: ServiceName, spec: LaunchSpec, stdioLog: string): Promise<WorkloadProcess> {
    const out = openSync(stdioLog, 'a');
    const child = spawn(process.execPath, spec.args, {
      cwd: PACKAGE_ROOT,
      env: { ...baseEnvironment(process.env), ...spec.env },
      stdio: [this.detached ? 'ignore' : 'pipe', out, out],
      // Own process group: a terminal's Ctrl-C reaches the harness only, which then reverts the
      // running scenario against a live mesh and stops the workloads itself. Without `up`'s
      // detachment the workloads still die with the harness through their stdin pipe.
      detached: true,
    });
    closeSync(out);
    if (this.detached) child.unref();
    return spawnedProcess(child);
  }

  readyMatches(record: ReadyRecord, proc: WorkloadProcess): boolean {
    return record.pid === proc.pid;
  }

  reachable(record: ReadyRecord): ReadyRecord {
    return record;
  }

  listeningPorts(_name: ServiceName, proc: WorkloadProcess): number[] {
    return listeningPorts(proc.pid);
  }

  output(_name: ServiceName, stdioLog: string): string {
    try {
      return readFileSync(stdioLog, 'utf8').trim().split('\n').slice(-15).join('\n');
    } catch {
      return '';
    }
  }

  adopt(name: ServiceName, pid: number): WorkloadProcess {
    return adoptedProcess(pid, name, (arg) => isWorkloadEntry(arg, PACKAGE_ROOT, name));
  }

  record(): Record<string, unknown> {
    return {};
  }

  async teardown(): Promise<void> {}
}
