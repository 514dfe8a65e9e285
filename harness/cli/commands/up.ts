import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { ContainerHost } from '../../mesh/container-host.ts';
import { MeshLauncher, type MeshRecord } from '../../mesh/mesh-launcher.ts';
import { startCollector, stopCollector } from '../../mesh/collector.ts';
import { OperatorApi } from '../../engine/operator-api.ts';
import { otlpForwardingFrom } from '../../collectors/otlp-forwarding.ts';
import { statePaths } from '../../mesh/state-dir.ts';
import { writePrometheusFiles } from '../../mesh/prometheus-config.ts';
import type { CommandHelp } from '../help.ts';
import type { CommandIo } from '../io.ts';
import { DEFAULT_STATE, isAlive, readMeshRecord } from '../mesh-record.ts';
import { parseFlags } from '../parse.ts';
import { UsageError } from '../usage-error.ts';

export const upFlags = {
  state: { type: 'string', default: DEFAULT_STATE },
  json: { type: 'boolean', default: false },
  'otlp-endpoint': { type: 'string' },
  engine: { type: 'string', default: 'local' },
} as const;

export const upHelp: CommandHelp = {
  name: 'up',
  summary: 'start the reference mesh in the background and print its services',
  usage: ['up [--state DIR] [--json] [--otlp-endpoint URL]', 'up --engine compose [--state DIR] [--json]'],
  description:
    'Starts the CA, token service, PDP, kms, ledger, payments and gateway as background processes on 127.0.0.1 (random ports), with a span collector beside them (or, with --engine compose, as containers of a compose project with its own span collector), and returns once every workload is healthy. It prints the state folder, the CA bundle, the demo users\' password file and each service\'s URL, SPIFFE ID and pid. The mesh keeps running until `meshgate down`; `meshgate run --attach`, `meshgate status` and `meshgate ca` act on it.',
  flags: [
    { flag: '--state DIR', text: 'the state folder for keys, configs, logs, spans and the mesh record (default: .meshgate in the current directory); refused while a mesh recorded there still runs' },
    { flag: '--json', text: 'print the mesh record as JSON instead: { state, caBundle, users, services: [{ name, url, spiffeId, pid, publicUrl? }], ... }; users is the 0600 file with the demo users\' passwords, publicUrl the port that needs no client certificate (the gateway\'s /login and payments, the CA\'s enrolment)' },
    { flag: '--engine E', text: 'local (default: processes on 127.0.0.1) or compose: one container per workload and the span collector from docker-compose.yml (podman-compose and podman, or MESHGATE_COMPOSE and MESHGATE_CONTAINER_CLI), each port published on 127.0.0.1; the image is built from this checkout on first use (MESHGATE_BASE_IMAGE, `local-node` for this machine\'s Node binary). `meshgate down` removes the containers and the network' },
    { flag: '--otlp-endpoint URL', text: 'also forward every span to your OTLP/HTTP collector at URL (/v1/traces is appended unless given); without it OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, with OTEL_EXPORTER_OTLP_HEADERS and OTEL_EXPORTER_OTLP_PROTOCOL (http/protobuf or http/json)' },
  ],
  examples: ['meshgate up', 'meshgate up --engine compose', `meshgate up --json > /tmp/mesh.json && jq -r '.services[] | select(.name == "gateway") | .publicUrl' /tmp/mesh.json`],
  exitCodes: '0 the mesh is up, 1 it could not be started, 2 usage error or a mesh already running in the state folder',
};

export async function upCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseFlags('up', argv, upFlags);
  const stateDir = resolve(values.state!);
  const paths = statePaths(stateDir);
  if (existsSync(paths.record)) {
    const record = readMeshRecord(stateDir);
    if (record.services.some((s) => isAlive(record, s.pid, s.name))) throw new UsageError(`a mesh is already running in ${stateDir}: stop it with \`meshgate down --state ${values.state}\``);
  }
  if (values.engine === 'compose') {
    if (values['otlp-endpoint']) throw new UsageError('meshgate up: --otlp-endpoint does not go with --engine compose: its workloads export to the compose project\'s collectors (see docker-compose.yml)');
    return report(await startCompose(stateDir, io), values.json!, io);
  }
  if (values.engine !== 'local') throw new UsageError(`meshgate up: --engine must be local or compose, not "${values.engine}"`);
  // Spans need a receiver that outlives this command, as the workloads do.
  let forwarding;
  try {
    forwarding = otlpForwardingFrom(values['otlp-endpoint'], process.env);
  } catch (err) {
    throw new UsageError(`meshgate up: ${(err as Error).message}`);
  }
  const collector = await startCollector(paths, forwarding);
  let mesh: MeshLauncher;
  try {
    mesh = await MeshLauncher.start({ stateDir, detached: true, otlpEndpoint: collector.url, ...(forwarding ? { otlpProtocol: forwarding.protocol } : {}) });
  } catch (err) {
    await stopCollector(collector.pid);
    throw err;
  }
  mesh.collector = collector;
  mesh.baselinePolicyVersion = (await new OperatorApi(mesh.operator).policies()).version;
  mesh.writeRecord();
  await writePrometheusFiles(stateDir, mesh.record(), new OperatorApi(mesh.operator));
  mesh.operator.close();
  return report(mesh.record(), values.json!, io);
}

/** The compose project's own span collector keeps the spans and the scrape identity; nothing runs on the host. */
async function startCompose(stateDir: string, io: CommandIo): Promise<MeshRecord> {
  const host = new ContainerHost({ stateDir, log: (line) => io.stderr(`${line}\n`) });
  const mesh = await MeshLauncher.start({ stateDir, detached: true, host, readyTimeoutMs: 60_000 });
  try {
    mesh.baselinePolicyVersion = (await new OperatorApi(mesh.operator).policies()).version;
    mesh.writeRecord();
  } catch (err) {
    await mesh.stop();
    throw err;
  }
  mesh.operator.close();
  return mesh.record();
}

function report(record: MeshRecord, json: boolean, io: CommandIo): number {
  if (json) {
    io.stdout(JSON.stringify(record, null, 2) + '\n');
  } else {
    io.stdout(`mesh up in ${record.state}\nCA bundle: ${record.caBundle}\n`);
    if (record.users) io.stdout(`demo users: ${record.users}\n`);
    if (record.compose) io.stdout(`compose project ${record.compose.project} (image ${record.compose.image})\n`);
    for (const s of record.services) io.stdout(`  ${s.name.padEnd(9)} ${s.url.padEnd(24)} ${s.spiffeId.padEnd(34)} pid ${s.pid}${s.publicUrl ? `  public ${s.publicUrl}` : ''}\n`);
  }
  return 0;
}
