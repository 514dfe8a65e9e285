/**
 * The compose engine's host: every workload in its own container of a
 * compose project, on the project's network, reached from here only through
 * ports published on 127.0.0.1. The launcher prepares the state folder (a
 * bind mount at /state) as it does for processes; each container's entry
 * point waits for its launch file and becomes the workload. The project is
 * torn down with the mesh, leaving no container, network or volume.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ReadyRecord } from '../../services/kit/workload/runtime.ts';
import { descriptorOf, TRUST_ROOT, type ServiceName } from '../../services/topology.ts';
import { listeningPorts } from '../attacks/listening-ports.ts';
import { composePlacement, CONTAINER_COMPILE_CACHE, CONTAINER_PORTS, CONTAINER_ROOT, launchFile, SPAN_COLLECTOR, SPAN_COLLECTOR_URL } from './compose-placement.ts';
import { ComposeError, ComposeProject, composeCliFrom, type ComposeCli } from './compose-project.ts';
import { ContainerProcess } from './container-process.ts';
import { ensureImage, OFFICIAL_BASE } from './mesh-image.ts';
import { statePaths } from './state-dir.ts';
import { isWorkloadEntry, sourceEntries, type LaunchSpec, type MeshPlacement, type WorkloadEntries } from './workload-launch.ts';
import type { WorkloadHost } from './workload-host.ts';
import type { WorkloadProcess } from './workload-process.ts';

/** How long a container may take to become the workload once its launch file is written. */
const ENTRY_WAIT_MS = 10_000;

/** What the mesh record keeps of the project, for a later command to adopt it. */
export interface ComposeRecord {
  project: string;
  image: string;
  cli: ComposeCli;
  containers: Partial<Record<ServiceName, string>>;
  /** Container port → host port, per workload. */
  ports: Partial<Record<ServiceName, Record<string, number>>>;
}

export interface ContainerHostOptions {
  stateDir: string;
  /** The compose project name (default: meshgate-<random>, so runs never share containers). */
  project?: string;
  /** The base image deploy/Containerfile builds on (MESHGATE_BASE_IMAGE; `local-node` for this machine's Node). */
  baseImage?: string;
  /** The compose executable and container CLI (default: from MESHGATE_COMPOSE, MESHGATE_CONTAINER_CLI). */
  cli?: ComposeCli;
  log?: (line: string) => void;
}

export class ContainerHost implements WorkloadHost {
  readonly kind = 'compose';
  readonly compileCache = CONTAINER_COMPILE_CACHE;

  async entries(): Promise<WorkloadEntries> {
    return sourceEntries(CONTAINER_ROOT);
  }
  readonly detached = true;
  readonly project: ComposeProject;
  readonly #stateDir: string;
  readonly #baseImage: string;
  readonly #log: (line: string) => void;
  #image = '';
  readonly #containers = new Map<ServiceName, string>();
  readonly #ports = new Map<ServiceName, Map<number, number>>();

  constructor(options: ContainerHostOptions) {
    this.#stateDir = statePaths(options.stateDir).root;
    this.#baseImage = options.baseImage ?? (process.env.MESHGATE_BASE_IMAGE || OFFICIAL_BASE);
    this.#log = options.log ?? (() => undefined);
    this.project = new ComposeProject(options.project ?? `meshgate-${randomBytes(4).toString('hex')}`, options.cli ?? composeCliFrom(process.env), {});
  }

  /** The host of a compose mesh recorded by an earlier command. */
  static fromRecord(stateDir: string, record: ComposeRecord): ContainerHost {
    const host = new ContainerHost({ stateDir, project: record.project, cli: record.cli });
    host.#image = record.image;
    host.#variables();
    for (const [name, id] of Object.entries(record.containers)) host.#containers.set(name as ServiceName, id!);
    for (const [name, ports] of Object.entries(record.ports)) host.#ports.set(name as ServiceName, new Map(Object.entries(ports!).map(([c, h]) => [Number(c), h])));
    return host;
  }

  async place(services: readonly ServiceName[]): Promise<MeshPlacement> {
    this.#image = await ensureImage(this.project, this.#baseImage, this.#log);
    mkdirSync(this.#stateDir, { recursive: true, mode: 0o700 });
    this.#variables();
    await this.project.up(['init', ...services, SPAN_COLLECTOR.service]);
    await Promise.all(services.map(async (name) => {
      const container = await this.project.containerOf(name);
      this.#containers.set(name, container);
      const wanted = [CONTAINER_PORTS.mtls, CONTAINER_PORTS.plaintext, ...(descriptorOf(name).publicPort ? [CONTAINER_PORTS.public] : [])];
      this.#ports.set(name, new Map(await Promise.all(wanted.map(async (port) => [port, await this.project.hostPort(container, port)] as const))));
    }));
    const hostUrl = (name: ServiceName, port: number) => `https://localhost:${this.#hostPort(name, port)}`;
    return composePlacement(SPAN_COLLECTOR_URL, { mtls: (name) => hostUrl(name, CONTAINER_PORTS.mtls), enrol: hostUrl(TRUST_ROOT, CONTAINER_PORTS.public) });
  }

  /** The compose file's variables for this project: its state folder, its image, and an init step that leaves the state to the engine. */
  #variables(): void {
    Object.assign(this.project.variables, { MESHGATE_STATE: this.#stateDir, MESHGATE_IMAGE: this.#image, MESHGATE_INIT: 'engine' });
  }

  #hostPort(name: ServiceName, containerPort: number): number | undefined {
    return this.#ports.get(name)?.get(containerPort);
  }

  async launch(name: ServiceName, spec: LaunchSpec): Promise<WorkloadProcess> {
    const container = this.#containerOf(name);
    writeFileSync(launchFile(this.#stateDir, name), JSON.stringify(spec), { mode: 0o600 });
    // At the mesh's start the container is up and waiting for its launch file; after a stop it is started again.
    const running = (await this.project.container(['inspect', '--format', '{{.State.Running}}', container])).trim() === 'true';
    if (!running) {
      await this.project.container(['start', container]);
      // The harness keeps reaching it where it did: a restarted container keeps its published ports.
      const published = await this.project.hostPort(container, CONTAINER_PORTS.mtls);
      if (published !== this.#hostPort(name, CONTAINER_PORTS.mtls)) throw new ComposeError(`${name} was published on port ${this.#hostPort(name, CONTAINER_PORTS.mtls)} and came back on ${published}`);
    }
    const proc = new ContainerProcess(this.project, container, await ContainerProcess.pidOf(this.project, container), (arg) => isWorkloadEntry(arg, CONTAINER_ROOT, name));
    // The container's first process is the runtime's init, then the entry point, then (execve) the workload: only the last counts as running.
    const deadline = Date.now() + ENTRY_WAIT_MS;
    while (!proc.running() && Date.now() < deadline) await sleep(20);
    return proc;
  }

  #containerOf(name: ServiceName): string {
    const container = this.#containers.get(name);
    if (!container) throw new TypeError(`no container for ${name} in compose project ${this.project.name}`);
    return container;
  }

  /** The launch file is removed before each start, so any ready record is this start's (its pid is the container's own view). */
  readyMatches(record: ReadyRecord): boolean {
    return typeof record.pid === 'number';
  }

  reachable(record: ReadyRecord): ReadyRecord {
    const name = record.name as ServiceName;
    const map = (url: string, containerPort: number) => {
      const u = new URL(url);
      const port = this.#hostPort(name, containerPort);
      if (Number(u.port) !== containerPort || port === undefined) throw new ComposeError(`${name} listens on ${url}, which its container does not publish`);
      u.hostname = u.protocol === 'https:' ? 'localhost' : '127.0.0.1';
      u.port = String(port);
      return u.origin;
    };
    const out: ReadyRecord = { ...record, url: map(record.url, CONTAINER_PORTS.mtls) };
    if (record.publicUrl) out.publicUrl = map(record.publicUrl, CONTAINER_PORTS.public);
    if (record.plaintextUrl) out.plaintextUrl = map(record.plaintextUrl, CONTAINER_PORTS.plaintext);
    return out;
  }

  /** The ports the workload listens on inside its container, as the host ports they are published on: a listener that is not published cannot be probed from here. */
  listeningPorts(name: ServiceName, proc: WorkloadProcess): number[] {
    return listeningPorts(proc.pid).map((port) => {
      const hostPort = this.#hostPort(name, port);
      if (hostPort === undefined) throw new ComposeError(`${name} listens on port ${port} inside its container, which the compose file does not publish: it cannot be probed from the host`);
      return hostPort;
    });
  }

  output(name: ServiceName): string {
    const container = this.#containers.get(name);
    if (!container) return '';
    const cli = (args: string[]) => {
      try {
        return this.project.containerSync(args).trim();
      } catch (err) {
        return (err as Error).message;
      }
    };
    return `container ${container}: ${cli(['inspect', '--format', 'status {{.State.Status}}, exit code {{.State.ExitCode}}, pid {{.State.Pid}}', container])}\n${cli(['logs', '--tail', '15', container])}`;
  }

  adopt(name: ServiceName, pid: number): WorkloadProcess {
    return new ContainerProcess(this.project, this.#containerOf(name), pid, (arg) => isWorkloadEntry(arg, CONTAINER_ROOT, name));
  }

  record(): { compose: ComposeRecord } {
    const ports = Object.fromEntries([...this.#ports].map(([name, m]) => [name, Object.fromEntries([...m].map(([c, h]) => [String(c), h]))]));
    return { compose: { project: this.project.name, image: this.#image, cli: this.project.cli, containers: Object.fromEntries(this.#containers), ports } };
  }

  async teardown(): Promise<void> {
    await this.project.down();
  }
}
