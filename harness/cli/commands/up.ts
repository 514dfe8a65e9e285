import { resolve } from 'node:path';
import { existsSync } from 'node:fs';
import { LocalMesh } from '../../mesh/local-mesh.ts';
import { startCollector, stopCollector } from '../../mesh/collector.ts';
import { OperatorApi } from '../../engine/operator-api.ts';
import { otlpForwardingFrom } from '../../collectors/otlp-forwarding.ts';
import { statePaths } from '../../mesh/state-dir.ts';
import type { CommandIo } from '../io.ts';
import { DEFAULT_STATE, isAlive, readMeshRecord } from '../mesh-record.ts';
import { parseFlags } from '../parse.ts';
import { UsageError } from '../usage-error.ts';

export const upHelp = 'up [--state DIR] [--json] [--otlp-endpoint URL]\n                                 start the mesh in the background and print its services; spans also go to URL (or OTEL_EXPORTER_OTLP_*)';

export async function upCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values } = parseFlags('up', argv, { state: { type: 'string', default: DEFAULT_STATE }, json: { type: 'boolean', default: false }, 'otlp-endpoint': { type: 'string' } });
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
  let mesh: LocalMesh;
  try {
    mesh = await LocalMesh.start({ stateDir, detached: true, otlpEndpoint: collector.url, ...(forwarding ? { otlpProtocol: forwarding.protocol } : {}) });
  } catch (err) {
    await stopCollector(collector.pid);
    throw err;
  }
  mesh.collector = collector;
  mesh.baselinePolicyVersion = (await new OperatorApi(mesh.operator).policies()).version;
  mesh.writeRecord();
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
