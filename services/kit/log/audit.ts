/**
 * Audit events: one JSON line per security-relevant decision, marked
 * `audit: true`, carrying a stable reason code and the trace it happened in,
 * so a scenario can join the log line to its span and metric.
 */
import { trace, isSpanContextValid } from '@opentelemetry/api';
import type { Logger } from 'pino';
import { isReasonCode } from '../reasons.ts';
import type { ReasonCode } from '../reasons.ts';

export const AUDIT_EVENTS = [
  'tls_rejected',
  'token_rejected',
  'token_issued',
  'authz_decision',
  'admin_action',
  'svid_issued',
  'svid_rotated',
  'cert_revoked',
  'key_rotated',
  'key_revoked',
  'join_refused',
  'join_accepted',
  'policy_updated',
  'policy_rolled_back',
  'replay_detected',
  'connection_closed',
  'login_throttled',
  'rate_limited',
] as const;

export type KnownAuditEvent = (typeof AUDIT_EVENTS)[number];
/** Known events are listed for completion; other snake_case names are accepted. */
export type AuditEventName = KnownAuditEvent | (string & {});

export interface AuditEvent {
  event: AuditEventName;
  reason?: ReasonCode;
  peer_spiffe_id?: string;
  peer_addr?: string;
  trace_id?: string;
  span_id?: string;
  request_id?: string;
  correlation_id?: string;
  scenario_id?: string;
  [field: string]: unknown;
}

const EVENT_NAME = /^[a-z][a-z0-9_]{0,63}$/;
/** Events that record a refusal are logged at warn so they stand out. */
const WARN_EVENTS = new Set<string>(['tls_rejected', 'token_rejected', 'join_refused', 'replay_detected', 'connection_closed', 'login_throttled', 'rate_limited']);

export function audit(logger: Logger, event: AuditEvent): void {
  if (logger === null || typeof logger !== 'object' || typeof logger.info !== 'function') throw new TypeError('audit: logger must be a pino logger');
  if (event === null || typeof event !== 'object') throw new TypeError('audit: event must be an object');
  if (typeof event.event !== 'string' || !EVENT_NAME.test(event.event)) throw new TypeError(`audit: event.event must be a snake_case name, got ${JSON.stringify(event.event)}`);
  if (event.reason !== undefined && !isReasonCode(event.reason)) throw new TypeError(`audit: event.reason ${JSON.stringify(event.reason)} is not a known reason code`);
  const line: Record<string, unknown> = { audit: true, ...event };
  if (line.trace_id === undefined) {
    const ctx = trace.getActiveSpan()?.spanContext();
    if (ctx && isSpanContextValid(ctx)) {
      line.trace_id = ctx.traceId;
      line.span_id = ctx.spanId;
    }
  }
  const denied = event.event === 'authz_decision' && event.decision === 'deny';
  if (WARN_EVENTS.has(event.event) || denied) logger.warn(line, event.event);
  else logger.info(line, event.event);
}
