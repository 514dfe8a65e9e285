/**
 * What a workload is started with, whoever starts it: its config (ports,
 * peers, where the CA and the bundle are) and its process arguments and
 * environment, as the workload sees them. The process host spawns that
 * directly; the container host hands it to the container's entry point in a
 * launch file. Paths and URLs here are the workload's view, which inside a
 * container is not the harness's.
 */
import { writeFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import type { WorkloadConfig } from '../../services/kit/workload/config.ts';
import type { SecuritySettings } from '../../services/kit/workload/settings.ts';
import { descriptorOf, TRUST_ROOT, type ServiceName } from '../../services/topology.ts';
import { statePaths } from './state-dir.ts';

/** Where the workloads run and how they reach each other. */
export interface MeshPlacement {
  /** The state folder as the workloads see it. */
  stateDir: string;
  /** The address every listener binds. */
  listenHost?: string;
  port(name: ServiceName): number;
  publicPort(name: ServiceName): number | undefined;
  /** Where the plaintext-port misconfiguration listens (unset: any free port). */
  plaintextPort?: number;
  /** A workload's mTLS base URL as its peers reach it. */
  peerUrl(name: ServiceName): string;
  /** How the harness reaches a workload's mTLS listener and the CA's enrolment port. */
  hostUrl(name: ServiceName): string;
  hostEnrolUrl: string;
  /** Where the workloads export spans, as they reach it. */
  otlpEndpoint?: string;
}

export interface LaunchSpec {
  args: string[];
  /** Only meshgate's own variables: each host adds the base environment of where the process runs. */
  env: Record<string, string>;
}

export const joinTokenFile = (stateDir: string, name: ServiceName) => join(statePaths(stateDir).configs, `${name}.join-token`);
export const configFile = (stateDir: string, name: ServiceName) => join(statePaths(stateDir).configs, `${name}.json`);

/** Writes a workload's config and, unless it travels in the environment, its join token (both 0600) into the state folder as the harness sees it. */
export function writeWorkloadFiles(hostStateDir: string, config: WorkloadConfig, joinToken: string | undefined): void {
  const name = config.name as ServiceName;
  writeFileSync(configFile(hostStateDir, name), JSON.stringify(config, null, 2), { mode: 0o600 });
  if (joinToken !== undefined && !config.settings.joinTokenInEnvironment) writeFileSync(joinTokenFile(hostStateDir, name), joinToken, { mode: 0o600 });
}

export function workloadConfig(name: ServiceName, placement: MeshPlacement, peers: Record<string, string>, settings: SecuritySettings, svidTtlSeconds?: number): WorkloadConfig {
  const paths = statePaths(placement.stateDir);
  const config: WorkloadConfig = {
    name,
    stateDir: paths.root,
    port: placement.port(name),
    caEnrolUrl: enrolUrl(placement),
    caUrl: peers[TRUST_ROOT]!,
    bundlePath: paths.bundle,
    peers,
    settings,
  };
  if (placement.listenHost) config.listenHost = placement.listenHost;
  const publicPort = placement.publicPort(name);
  if (publicPort !== undefined) config.publicPort = publicPort;
  if (placement.plaintextPort !== undefined) config.plaintextPort = placement.plaintextPort;
  if (placement.otlpEndpoint) config.otlpEndpoint = placement.otlpEndpoint;
  if (svidTtlSeconds) config.svidTtlSeconds = svidTtlSeconds;
  return config;
}

function enrolUrl(placement: MeshPlacement): string {
  const url = new URL(placement.peerUrl(TRUST_ROOT));
  url.port = String(placement.publicPort(TRUST_ROOT));
  return url.origin;
}

/** The files a workload process runs: the telemetry preload and its own entry. */
export interface WorkloadEntries {
  /** Given to `--import`: tracing starts before the workload loads. */
  preload: string;
  entry(name: ServiceName): string;
}

/** The telemetry preload, relative to services/. */
export const PRELOAD_ENTRY = 'kit/telemetry/register.ts';
/** Where the bundles of the workloads are kept in a checkout (workload-bundle.ts). */
export const WORKLOAD_BUNDLES = join('node_modules', '.cache', 'meshgate-workloads');
/** A source entry's file in a bundle: the same path, as JavaScript. */
export const bundledEntry = (entry: string) => entry.replace(/\.ts$/, '.js');

/** The TypeScript sources of a checkout, run as they are. */
export function sourceEntries(packageRoot: string): WorkloadEntries {
  return { preload: join(packageRoot, 'services', PRELOAD_ENTRY), entry: (name) => join(packageRoot, 'services', descriptorOf(name).entry) };
}

/** A command-line argument is this workload's entry in this checkout, from its sources or a bundle of them (how an adopted process is recognised). */
export function isWorkloadEntry(arg: string, packageRoot: string, name: ServiceName): boolean {
  const entry = descriptorOf(name).entry;
  if (arg === join(packageRoot, 'services', entry)) return true;
  const bundles = join(packageRoot, WORKLOAD_BUNDLES) + sep;
  return arg.startsWith(bundles) && arg.slice(bundles.length).split(sep).slice(1).join('/') === bundledEntry(entry);
}

/** glibc's default starting threshold (128 KiB), kept fixed instead of growing. */
const MMAP_THRESHOLD_BYTES = 128 * 1024;

export interface LaunchOptions {
  /** The workload outlives the launcher (`meshgate up`); otherwise it watches its stdin pipe and dies with it. */
  detached: boolean;
  otlpProtocol?: string;
  compileCache: string;
}

/** The workload's command line and meshgate's variables; the join token travels in a 0600 file unless the misconfiguration puts it in the environment. */
export function launchSpec(config: WorkloadConfig, entries: WorkloadEntries, joinToken: string | undefined, options: LaunchOptions): LaunchSpec {
  const name = config.name as ServiceName;
  const env: Record<string, string> = {
    MESHGATE_CONFIG: configFile(config.stateDir, name),
    MESHGATE_SERVICE: name,
    MESHGATE_PARENT_WATCH: options.detached ? '0' : '1',
    // V8's compile cache roughly halves start-up after the first run.
    NODE_COMPILE_CACHE: options.compileCache,
    // glibc raises its mmap threshold after a large block is freed, so the token service's next
    // scrypt blocks (16 MB each) land in per-thread arenas it never gives back (about 40 MB of its
    // idle memory). A fixed threshold keeps large blocks in mmap, returned when freed.
    MALLOC_MMAP_THRESHOLD_: String(MMAP_THRESHOLD_BYTES),
  };
  if (joinToken !== undefined && config.settings.joinTokenInEnvironment) env.MESHGATE_JOIN_TOKEN = joinToken;
  else if (joinToken !== undefined) env.MESHGATE_JOIN_TOKEN_FILE = joinTokenFile(config.stateDir, name);
  if (config.otlpEndpoint) env.OTEL_EXPORTER_OTLP_ENDPOINT = config.otlpEndpoint;
  if (options.otlpProtocol) env.OTEL_EXPORTER_OTLP_PROTOCOL = options.otlpProtocol;
  const args = ['--disable-warning=ExperimentalWarning', '--import', entries.preload, entries.entry(name)];
  return { args, env };
}

/** The base environment a workload process gets from whoever starts it: the user's OTEL_*, NODE_OPTIONS … must not change what the gate observes. */
export function baseEnvironment(from: NodeJS.ProcessEnv): Record<string, string> {
  const env: Record<string, string> = { PATH: from.PATH ?? '/usr/bin:/bin' };
  for (const key of ['HOME', 'TZ', 'LANG', 'TMPDIR']) if (from[key] !== undefined) env[key] = from[key]!;
  return env;
}
