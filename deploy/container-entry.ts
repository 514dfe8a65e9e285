/**
 * The entry point of every meshgate container (deploy/Containerfile):
 *
 *   init        prepares the state folder for a stack started without meshgate
 *               (with MESHGATE_INIT=engine the compose engine has done it)
 *   collector   the span collector: keeps every span in /state/spans.jsonl for the
 *               gate, enrols the operator if the init step left its join token, and
 *               renews Prometheus' scrape identity
 *   <workload>  waits for the workload's launch file, then becomes the workload
 *               (execve: the same pid, the workload's own command line and environment)
 */
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { isServiceName, TRUST_ROOT } from '../services/topology.ts';
import { createOtlpReceiver } from '../harness/collectors/otlp-receiver.ts';
import { initComposeState } from '../harness/mesh/compose-init.ts';
import { composePlacement, CONTAINER_STATE, launchFile, operatorJoinTokenFile, SPAN_COLLECTOR } from '../harness/mesh/compose-placement.ts';
import { OperatorClient } from '../harness/mesh/operator.ts';
import { ScrapeIdentityKeeper } from '../harness/mesh/scrape-identity-keeper.ts';
import { statePaths } from '../harness/mesh/state-dir.ts';
import { baseEnvironment, type LaunchSpec } from '../harness/mesh/workload-launch.ts';

/** How long a container waits for what another one prepares (the init step, the CA). */
const WAIT_MS = 600_000;
/** How long the span collector takes to stop before it exits anyway. */
const STOP_MS = 2000;

const role = process.argv[2] ?? '';
const paths = statePaths(CONTAINER_STATE);

async function waitFor(what: string, ready: () => boolean | Promise<boolean>): Promise<void> {
  const deadline = Date.now() + WAIT_MS;
  while (!(await ready())) {
    if (Date.now() > deadline) {
      process.stderr.write(`${role}: gave up after ${WAIT_MS / 1000} s waiting for ${what}\n`);
      process.exit(1);
    }
    await sleep(100);
  }
}

async function becomeWorkload(name: string): Promise<void> {
  const file = launchFile(CONTAINER_STATE, name as typeof TRUST_ROOT);
  await waitFor(`${file} (written by the init step or by \`meshgate --engine compose\`)`, () => existsSync(file));
  const spec = JSON.parse(readFileSync(file, 'utf8')) as LaunchSpec;
  // Read once: a restart of this container waits for a fresh one, with a fresh join token.
  rmSync(file);
  process.execve!(process.execPath, [process.execPath, ...spec.args], { ...baseEnvironment(process.env), ...spec.env });
}

async function runCollector(): Promise<void> {
  const receiver = createOtlpReceiver({ jsonlPath: paths.spans, host: '0.0.0.0', port: SPAN_COLLECTOR.port, maxSpans: 1000 });
  await receiver.start();
  process.stdout.write(`span collector on :${SPAN_COLLECTOR.port}, writing ${paths.spans}\n`);
  const placement = composePlacement('');
  const caUrl = placement.peerUrl(TRUST_ROOT);
  const tokenFile = operatorJoinTokenFile(CONTAINER_STATE);
  if (existsSync(tokenFile) && !OperatorClient.exists(paths.operator)) {
    await waitFor(`the CA's bundle ${paths.bundle}`, () => existsSync(paths.bundle));
    const token = readFileSync(tokenFile, 'utf8').trim();
    await waitFor('the CA to enrol the operator', () =>
      OperatorClient.enrol(paths.operator, token, { enrolUrl: placement.hostEnrolUrl, url: caUrl, bundlePem: readFileSync(paths.bundle, 'utf8') }).then(
        () => true,
        (err: Error) => (process.stderr.write(`operator enrolment: ${err.message}\n`), false),
      ),
    );
    rmSync(tokenFile);
    process.stdout.write(`operator enrolled: ${paths.operator}\n`);
  }
  const keeper = new ScrapeIdentityKeeper({ stateRoot: CONTAINER_STATE, caUrl, onError: (err) => process.stderr.write(`scrape identity: ${err.message}\n`) });
  keeper.start();
  const stop = () => {
    // Exporters keep connections open; what is buffered has been written by then.
    setTimeout(() => process.exit(0), STOP_MS).unref();
    void Promise.all([receiver.stop(), keeper.stop()]).finally(() => process.exit(0));
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (role === 'init') {
  if (process.env.MESHGATE_INIT === 'engine') process.stdout.write('init: the compose engine prepared the state folder\n');
  else process.stdout.write(`init: ${initComposeState(CONTAINER_STATE, process.env.MESHGATE_OTLP_ENDPOINT || 'http://otel-collector:4318')}\n`);
} else if (role === 'collector') {
  await runCollector();
} else if (isServiceName(role)) {
  await becomeWorkload(role);
} else {
  process.stderr.write(`usage: container-entry.ts init | collector | <workload> (got "${role}")\n`);
  process.exit(2);
}
