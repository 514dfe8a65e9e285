/**
 * The reference mesh on a compose network: every workload in its own
 * container, reached by its service name on the same ports, the state folder
 * mounted at /state and the checkout at /opt/meshgate. The compose file
 * (docker-compose.yml), its init step and the compose engine all place the
 * workloads with this one layout.
 */
import { join } from 'node:path';
import { descriptorOf, type ServiceName } from '../../services/topology.ts';
import { statePaths } from './state-dir.ts';
import type { MeshPlacement } from './workload-launch.ts';

export const CONTAINER_STATE = '/state';
export const CONTAINER_ROOT = '/opt/meshgate';
export const CONTAINER_COMPILE_CACHE = '/tmp/meshgate-compile-cache';

/** The ports inside every workload container (each container has its own network namespace, so all use the same). */
export const CONTAINER_PORTS = { mtls: 8443, public: 8444, plaintext: 8080 } as const;

/** The meshgate span collector's service on the compose network: workloads export to it unless an OpenTelemetry Collector is given. */
export const SPAN_COLLECTOR = { service: 'meshgate-collector', port: 4318 } as const;
export const SPAN_COLLECTOR_URL = `http://${SPAN_COLLECTOR.service}:${SPAN_COLLECTOR.port}`;

/** A workload's launch file: its command line and environment, read by the container's entry point. */
export const launchFile = (stateDir: string, name: ServiceName) => join(statePaths(stateDir).configs, `${name}.launch.json`);

/** The operator's join token, left by the compose file's own init step for the span collector to enrol with. */
export const operatorJoinTokenFile = (stateDir: string) => join(statePaths(stateDir).configs, 'operator.join-token');

/** The placement as the containers see it; `hostUrls` says how the harness reaches them (ports published on 127.0.0.1). */
export function composePlacement(otlpEndpoint: string, hostUrls?: { mtls(name: ServiceName): string; enrol: string }): MeshPlacement {
  const inNetwork = (name: ServiceName) => `https://${name}:${CONTAINER_PORTS.mtls}`;
  return {
    stateDir: CONTAINER_STATE,
    listenHost: '0.0.0.0',
    port: () => CONTAINER_PORTS.mtls,
    publicPort: (name) => (descriptorOf(name).publicPort ? CONTAINER_PORTS.public : undefined),
    plaintextPort: CONTAINER_PORTS.plaintext,
    peerUrl: inNetwork,
    hostUrl: hostUrls?.mtls ?? inNetwork,
    hostEnrolUrl: hostUrls?.enrol ?? `https://ca:${CONTAINER_PORTS.public}`,
    otlpEndpoint,
  };
}
