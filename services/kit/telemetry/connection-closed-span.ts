/**
 * The `tls.connection.closed` span: a closure forced by a revoked or expired peer
 * certificate happens outside any request, so it is a span of its own.
 */
import { SpanKind, SpanStatusCode, trace, ROOT_CONTEXT } from '@opentelemetry/api';
import type { ConnectionClosedEvent } from '../mtls/connection-closed-event.ts';
import { ERROR_TYPE, MESHGATE_ATTR, NETWORK_PEER_ADDRESS } from './attributes.ts';

export const CONNECTION_CLOSED_SPAN = 'tls.connection.closed';

export function recordConnectionClosedSpan(localSpiffeId: string, e: ConnectionClosedEvent): void {
  const span = trace.getTracer('meshgate').startSpan(
    CONNECTION_CLOSED_SPAN,
    {
      kind: SpanKind.INTERNAL,
      startTime: e.closedAt,
      attributes: {
        [MESHGATE_ATTR.tlsRole]: e.role,
        [MESHGATE_ATTR.localSpiffeId]: localSpiffeId,
        [MESHGATE_ATTR.peerSpiffeId]: e.spiffeId,
        [NETWORK_PEER_ADDRESS]: e.remoteAddress,
        [ERROR_TYPE]: e.reason,
        'meshgate.tls.peer_serial': e.serial,
        'meshgate.tls.connection_age_ms': e.closedAt - e.openedAt,
      },
    },
    ROOT_CONTEXT,
  );
  span.addEvent(e.reason, { [MESHGATE_ATTR.peerSpiffeId]: e.spiffeId }, e.closedAt);
  span.setStatus({ code: SpanStatusCode.ERROR, message: e.reason });
  span.end(e.closedAt);
}
