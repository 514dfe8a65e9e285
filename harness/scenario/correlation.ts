/**
 * Run and correlation ids. A scenario's traffic carries its run id and
 * scenario id in the x-meshgate-correlation header (format and parsing in
 * services/kit/telemetry/correlation.ts), so its log lines and spans can be
 * found again. The correlation id `<runId>:<scenarioId>` names the pair in
 * reports and stays within that header's character set.
 */
import { randomBytes } from 'node:crypto';

const RUN_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** A sortable, unique run id: 20251123T093300Z-3f9a1c. */
export function newRunId(at: Date = new Date()): string {
  const stamp = at.toISOString().replace(/\.\d{3}Z$/, 'Z').replace(/[-:]/g, '');
  return `${stamp}-${randomBytes(3).toString('hex')}`;
}

export function correlationIdFor(runId: string, scenarioId: string): string {
  if (typeof runId !== 'string' || !RUN_ID.test(runId)) throw new TypeError(`correlationIdFor: runId must match ${String(RUN_ID)} (got ${JSON.stringify(runId)})`);
  if (typeof scenarioId !== 'string' || scenarioId === '') throw new TypeError(`correlationIdFor: scenarioId must be a non-empty string`);
  return `${runId}:${scenarioId}`;
}
