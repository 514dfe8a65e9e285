/**
 * The compose file's init step, for a stack started without meshgate
 * (`docker compose up`): it prepares the state folder the way the compose
 * engine would (the CA's folder and join tokens, every workload's config,
 * join token and launch file) with the baseline settings, and leaves the
 * operator's join token for the span collector, which enrols the operator
 * once the CA is up. A state folder that already holds a mesh is left as it is.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { JoinTokenRegistry } from '../../services/ca/join-tokens.ts';
import { spiffeIdFor } from '../../services/kit/spiffe.ts';
import { resolveSettings } from '../../services/kit/workload/settings.ts';
import { OPERATOR, SERVICE_NAMES, TRUST_ROOT } from '../../services/topology.ts';
import { composePlacement, CONTAINER_COMPILE_CACHE, CONTAINER_ROOT, launchFile, operatorJoinTokenFile } from './compose-placement.ts';
import { statePaths } from './state-dir.ts';
import { configFile, launchSpec, sourceEntries, workloadConfig, writeWorkloadFiles } from './workload-launch.ts';

/** Long enough for the rest of the stack's images to be pulled before the workloads enrol. */
const JOIN_TOKEN_TTL_SECONDS = 900;

export function initComposeState(stateDir: string, otlpEndpoint: string): string {
  const paths = statePaths(stateDir);
  if (existsSync(configFile(stateDir, TRUST_ROOT))) return `${paths.root} already holds a mesh: left as it is`;
  for (const dir of [paths.root, paths.logs, paths.configs, paths.services, paths.ca]) mkdirSync(dir, { recursive: true, mode: 0o700 });
  rmSync(paths.bundle, { force: true });
  const tokens = new JoinTokenRegistry({ path: paths.joinTokens });
  const placement = composePlacement(otlpEndpoint);
  const peers = Object.fromEntries(SERVICE_NAMES.map((s) => [s, placement.peerUrl(s)]));
  writeFileSync(operatorJoinTokenFile(stateDir), tokens.add(spiffeIdFor(OPERATOR), JOIN_TOKEN_TTL_SECONDS), { mode: 0o600 });
  for (const name of SERVICE_NAMES) {
    const config = workloadConfig(name, placement, peers, resolveSettings({}));
    const joinToken = name === TRUST_ROOT ? undefined : tokens.add(spiffeIdFor(name), JOIN_TOKEN_TTL_SECONDS);
    writeWorkloadFiles(stateDir, config, joinToken);
    const spec = launchSpec(config, sourceEntries(CONTAINER_ROOT), joinToken, { detached: true, compileCache: CONTAINER_COMPILE_CACHE });
    writeFileSync(launchFile(stateDir, name), JSON.stringify(spec), { mode: 0o600 });
  }
  return `${paths.root} prepared for ${SERVICE_NAMES.length} workloads`;
}
