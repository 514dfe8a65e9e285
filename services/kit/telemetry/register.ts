/**
 * Preload entry point: `node --import ./services/kit/telemetry/register.ts service.ts`.
 *
 * Starts tracing from the environment (MESHGATE_SERVICE,
 * OTEL_EXPORTER_OTLP_ENDPOINT) and instruments node:http and node:https before
 * the workload loads. Pending spans are flushed on SIGTERM/SIGINT and when the
 * event loop drains.
 */
import { createRequire } from 'node:module';
import { startTelemetryFromEnv, shutdownTelemetry } from './sdk.ts';

startTelemetryFromEnv();
// The http instrumentation patches the CommonJS module objects when they are required; ESM default
// imports of node:http and node:https share those objects, so requiring them here instruments every
// workload without an ESM loader hook (which would put every module load of the process through a
// hooks thread and cost hundreds of milliseconds at start-up).
const require = createRequire(import.meta.url);
require('node:http');
require('node:https');

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
