/**
 * Preload entry point: `node --import ./services/kit/telemetry/register.ts service.ts`.
 *
 * Registers the ESM hook the http instrumentation needs to patch `node:http`
 * and `node:https` imports, then starts the SDK from the environment
 * (MESHGATE_SERVICE, OTEL_EXPORTER_OTLP_ENDPOINT). The hook intercepts only
 * those two modules, so the workloads' own .ts modules are loaded untouched.
 * Pending spans are flushed on SIGTERM/SIGINT and when the event loop drains.
 */
import { register } from 'node:module';

const HOOKED = ['http', 'https', 'node:http', 'node:https'];
register('import-in-the-middle/hook.mjs', import.meta.url, { data: { include: HOOKED } });

// Loaded after the hook so nothing the app imports later escapes it.
const { startTelemetryFromEnv, shutdownTelemetry } = await import('./sdk.ts');
startTelemetryFromEnv();

function onSignal(signal: NodeJS.Signals): void {
  // When the workload has its own handler it decides when to exit (and should await shutdownTelemetry first).
  const ownHandlerOnly = process.listenerCount(signal) === 1;
  void shutdownTelemetry().finally(() => {
    if (ownHandlerOnly) process.exit(signal === 'SIGINT' ? 130 : 143);
  });
}
process.on('SIGTERM', onSignal);
process.on('SIGINT', onSignal);
process.once('beforeExit', () => void shutdownTelemetry());
