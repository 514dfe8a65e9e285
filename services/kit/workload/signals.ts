/** Turns handshakes and refusals into the three signals operators see: audit log, metric, span. */
import { audit } from '../log/audit.ts';
import type { MeshLogger } from '../log/logger.ts';
import type { MeshMetrics } from '../metrics/mesh-metrics.ts';
import type { ConnectionClosedEvent } from '../mtls/connection-closed-event.ts';
import type { HandshakeEvent } from '../mtls/handshake-event.ts';
import { recordConnectionClosedSpan } from '../telemetry/connection-closed-span.ts';
import type { Refusal, RouteContext } from '../http/mesh-router.ts';
import { recordHandshakeSpan, type HandshakeSpanInput } from '../telemetry/spans.ts';
import { MESHGATE_ATTR } from '../telemetry/attributes.ts';

export interface SignalSinks {
  spiffeId: string;
  metrics: MeshMetrics;
  logger: MeshLogger;
}

export interface Signals {
  handshake(e: HandshakeEvent): void;
  connectionClosed(e: ConnectionClosedEvent): void;
  refusal(ctx: RouteContext, refusal: Refusal): void;
}

function handshakeSpan(spiffeId: string, e: HandshakeEvent): void {
  const input: HandshakeSpanInput = { role: e.role, established: e.ok, resumed: e.resumed, startTime: e.startTime, endTime: e.endTime, peerAddress: e.remoteAddress };
  if (e.protocol) input.protocol = e.protocol;
  if (e.cipher) input.cipher = e.cipher;
  if (e.reason) input.errorType = e.reason;
  if (e.peer) input.peer = { subject: e.peer.subject, sha256: Buffer.from(e.peer.certThumbprint, 'base64url').toString('hex'), notAfter: e.peer.notAfter };
  const span = recordHandshakeSpan(input);
  span.setAttribute(MESHGATE_ATTR.localSpiffeId, spiffeId);
  if (e.spiffeId) span.setAttribute(MESHGATE_ATTR.peerSpiffeId, e.spiffeId);
}

export function createSignals({ spiffeId, metrics, logger }: SignalSinks): Signals {
  return {
    handshake(e) {
      metrics.tlsHandshakeDuration.observe({ role: e.role, result: e.ok ? 'ok' : 'fail', resumed: String(e.resumed) }, e.durationSeconds);
      handshakeSpan(spiffeId, e);
      if (e.ok) return;
      metrics.tlsHandshakeFailures.inc({ reason: e.reason ?? 'tls_handshake_failed' });
      const event: Parameters<typeof audit>[1] = { event: 'tls_rejected', reason: e.reason ?? 'tls_handshake_failed', peer_addr: e.remoteAddress, detail: e.detail };
      if (e.spiffeId) event.peer_spiffe_id = e.spiffeId;
      audit(logger, event);
    },
    connectionClosed(e) {
      metrics.tlsConnectionsClosed.inc({ role: e.role, reason: e.reason });
      recordConnectionClosedSpan(spiffeId, e);
      audit(logger, { event: 'connection_closed', reason: e.reason, role: e.role, peer_spiffe_id: e.spiffeId, serial: e.serial, peer_addr: e.remoteAddress, connection_age_ms: e.closedAt - e.openedAt });
    },
    // The one place every refused request (caller, token, policy) is written down.
    refusal(ctx, refusal) {
      const event: Parameters<typeof audit>[1] = {
        event: refusal.reason.startsWith('token_') || refusal.reason === 'replay_cache_full' ? 'token_rejected' : refusal.reason.startsWith('pdp_') ? 'authz_decision' : 'request_refused',
        reason: refusal.reason,
        route: ctx.route.action,
        status: refusal.status,
        request_id: ctx.requestId,
        peer_addr: ctx.req.socket.remoteAddress,
        ...refusal.audit,
      };
      if (ctx.peer) event.peer_spiffe_id = ctx.peer.spiffeId;
      if (ctx.correlationId) event.correlation_id = ctx.correlationId;
      if (refusal.detail) event.detail = refusal.detail;
      audit(logger, event);
    },
  };
}
