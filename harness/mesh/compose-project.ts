/**
 * One compose project of the reference mesh, driven through the
 * `docker-compose` package (podman-compose or Docker Compose as its
 * standalone executable) and the container CLI (podman or docker) for what
 * podman-compose 1.0.3 lacks: ports, pids, single starts and stops, and the
 * project's network, which its `down` leaves behind.
 */
import { execFile, execFileSync } from 'node:child_process';
import { basename } from 'node:path';
import { promisify } from 'node:util';
import * as compose from 'docker-compose';
import { ERROR_CODES, MeshgateError } from '../errors.ts';
import { PACKAGE_ROOT } from './state-dir.ts';

const run = promisify(execFile);

export const COMPOSE_FILE = `${PACKAGE_ROOT}/docker-compose.yml`;

export class ComposeError extends MeshgateError {
  constructor(message: string) {
    super(ERROR_CODES.container, message);
    this.name = 'ComposeError';
  }
}

export interface ComposeCli {
  /** The compose executable (MESHGATE_COMPOSE, default podman-compose). */
  compose: string;
  /** The container CLI (MESHGATE_CONTAINER_CLI, default podman). */
  container: string;
  /** podman's OCI runtime (MESHGATE_CONTAINER_RUNTIME, default runc: crun cannot set up containers on some cgroup setups); unused with docker. */
  runtime?: string;
}

export function composeCliFrom(env: NodeJS.ProcessEnv): ComposeCli {
  const container = env.MESHGATE_CONTAINER_CLI || 'podman';
  const cli: ComposeCli = { compose: env.MESHGATE_COMPOSE || 'podman-compose', container };
  if (basename(container) === 'podman') cli.runtime = env.MESHGATE_CONTAINER_RUNTIME || 'runc';
  return cli;
}

export class ComposeProject {
  readonly name: string;
  readonly cli: ComposeCli;
  /** The compose file's variables (MESHGATE_STATE, MESHGATE_IMAGE, MESHGATE_INIT …). */
  readonly variables: Record<string, string>;

  constructor(name: string, cli: ComposeCli, variables: Record<string, string>) {
    this.name = name;
    this.cli = cli;
    this.variables = variables;
  }

  #options(commandOptions: string[] = []): compose.IDockerComposeOptions {
    return {
      cwd: PACKAGE_ROOT,
      config: COMPOSE_FILE,
      executable: { standalone: true, executablePath: this.cli.compose },
      composeOptions: ['-p', this.name, ...(this.cli.runtime && basename(this.cli.compose) === 'podman-compose' ? ['--podman-args', `--runtime ${this.cli.runtime}`] : [])],
      commandOptions,
      env: { ...process.env, ...this.variables },
    };
  }

  async up(services: readonly string[]): Promise<void> {
    const result = await compose.upMany([...services], this.#options()).catch((err: { err?: string; exitCode?: number }) => {
      throw new ComposeError(`${this.cli.compose} up failed (${err.exitCode}): ${String(err.err ?? err).trim().split('\n').slice(-8).join('\n')}`);
    });
    if (result.exitCode) throw new ComposeError(`${this.cli.compose} up failed (${result.exitCode}): ${result.err.trim().split('\n').slice(-8).join('\n')}`);
  }

  /** Removes every container of the project, its anonymous volumes and its network. */
  async down(): Promise<void> {
    await compose.down(this.#options(['-v'])).catch(() => undefined);
    // Whatever compose left (podman-compose keeps the network; a container created outside `up`).
    const ids = await this.#ids('ps', ['-a', '-q']);
    if (ids.length) await this.container(['rm', '-f', '-v', ...ids]);
    for (const network of await this.#ids('network', ['ls', '-q'])) await this.container(['network', 'rm', '-f', network]).catch(() => undefined);
  }

  /** What of this project still exists: containers, networks and volumes carrying its label. */
  async leftovers(): Promise<{ containers: string[]; networks: string[]; volumes: string[] }> {
    return { containers: await this.#ids('ps', ['-a', '-q']), networks: await this.#ids('network', ['ls', '-q']), volumes: await this.#ids('volume', ['ls', '-q']) };
  }

  async #ids(command: string, args: string[]): Promise<string[]> {
    const out = await this.container([command, ...args, '--filter', `label=com.docker.compose.project=${this.name}`]);
    return out.split('\n').filter(Boolean);
  }

  /** The container of one service (compose labels it; podman-compose and Docker Compose name it differently). */
  async containerOf(service: string): Promise<string> {
    const out = await this.container(['ps', '-a', '-q', '--filter', `label=com.docker.compose.project=${this.name}`, '--filter', `label=com.docker.compose.service=${service}`]);
    const id = out.split('\n').find(Boolean);
    if (!id) throw new ComposeError(`compose project ${this.name} has no container for ${service}`);
    return id;
  }

  /** The host port a container port is published on. */
  async hostPort(container: string, port: number): Promise<number> {
    const out = await this.container(['port', container, `${port}/tcp`]);
    const hostPort = Number(/:(\d+)\s*$/m.exec(out)?.[1]);
    if (!Number.isInteger(hostPort) || hostPort <= 0) throw new ComposeError(`container ${container} publishes no port for ${port}/tcp: ${out.trim()}`);
    return hostPort;
  }

  async container(args: string[]): Promise<string> {
    try {
      return (await run(this.cli.container, this.#global(args), { maxBuffer: 16 * 1024 * 1024 })).stdout;
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new ComposeError(`${this.cli.container} ${args.slice(0, 2).join(' ')} failed: ${(e.stderr || e.message).trim().slice(0, 400)}`);
    }
  }

  containerSync(args: string[]): string {
    return execFileSync(this.cli.container, this.#global(args), { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  }

  #global(args: string[]): string[] {
    return this.cli.runtime ? ['--runtime', this.cli.runtime, ...args] : args;
  }
}
