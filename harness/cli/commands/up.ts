import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { MeshLauncher } from '../../mesh/mesh-launcher.ts';
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
} as const;

export const upHelp: CommandHelp = {
  name: 'up',
  summary: 'start the reference mesh in the background and print its services',
  usage: ['up [--state DIR] [--json] [--otlp-endpoint URL]'],
  description:
    'Starts the CA, token service, PDP, ledger, payments and gateway as background processes on 127.0.0.1 (random ports), with a span collector beside them, and returns once every workload is healthy. It prints the state folder, the CA bundle, the demo users\' password file and each service\'s URL, SPIFFE ID and pid. The mesh keeps running until `meshgate down`; `meshgate run --attach`, `meshgate status` and `meshgate ca` act on it.',
  flags: [
    { flag: '--state DIR', text: 'the state folder for keys, configs, logs, spans and the mesh record (default: .meshgate in the current directory); refused while a mesh recorded there still runs' },
    { flag: '--json', text: 'print the mesh record as JSON instead: { state, caBundle, users, services: [{ name, url, spiffeId, pid, publicUrl? }], ... }; users is the 0600 file with the demo users\' passwords, publicUrl the port that needs no client certificate (the gateway\'s /login and payments, the CA\'s enrolment)' },
    { flag: '--otlp-endpoint URL', text: 'also forward every span to your OTLP/HTTP collector at URL (/v1/traces is appended unless given); without it OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, with OTEL_EXPORTER_OTLP_HEADERS and OTEL_EXPORTER_OTLP_PROTOCOL (http/protobuf or http/json)' },
  ],
  examples: ['meshgate up', `meshgate up --json > /tmp/mesh.json && jq -r '.services[] | select(.name == "gateway") | .publicUrl' /tmp/mesh.json`],
  exitCodes: '0 the mesh is up, 1 it could not be started, 2 usage error or a mesh already running in the state folder',
};

export async function upCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseFlags('up', argv, upFlags);
  const stateDir = resolve(values.state!);
  const paths = statePaths(stateDir);
  if (existsSync(paths.record)) {
    const record = readMeshRecord(stateDir);
    if (record.services.some((s) => isAlive(s.pid, s.name))) throw new UsageError(`a mesh is already running in ${stateDir}: stop it with \`meshgate down --state ${values.state}\``);
  }
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
  const record = mesh.record();
  if (values.json) {
    io.stdout(JSON.stringify(record, null, 2) + '\n');
  } else {
    io.stdout(`mesh up in ${record.state}\nCA bundle: ${record.caBundle}\n`);
    if (record.users) io.stdout(`demo users: ${record.users}\n`);
    for (const s of record.services) io.stdout(`  ${s.name.padEnd(9)} ${s.url.padEnd(24)} ${s.spiffeId.padEnd(34)} pid ${s.pid}${s.publicUrl ? `  public ${s.publicUrl}` : ''}\n`);
  }
  return 0;
}
