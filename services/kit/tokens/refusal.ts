/**
 * The HTTP answer to a refused token (RFC 6750 §3): a WWW-Authenticate
 * challenge naming the reason code and a JSON body with the request id. The
 * token itself never appears.
 */
import type { TokenReason } from '../reasons.ts';

export interface TokenRefusal {
  status: number;
  headers: Record<string, string>;
  body: { error: TokenReason; request_id: string };
}

export function tokenRefusal(reason: TokenReason, requestId: string): TokenRefusal {
  if (typeof reason !== 'string' || !/^[a-z_]+$/.test(reason)) throw new TypeError(`tokenRefusal: reason must be a token reason code, got ${String(reason)}`);
  if (typeof requestId !== 'string') throw new TypeError('tokenRefusal: requestId must be a string');
  const headers: Record<string, string> = { 'content-type': 'application/json', 'cache-control': 'no-store' };
  if (reason === 'replay_cache_full') {
    // The token may be fine; the service can't prove it is fresh right now.
    headers['retry-after'] = '1';
    return { status: 503, headers, body: { error: reason, request_id: requestId } };
  }
  // RFC 6750 §3.1: a request without credentials gets a challenge without an error code.
  headers['www-authenticate'] = reason === 'token_missing' ? 'Bearer' : `Bearer error="invalid_token", error_description="${reason}"`;
  return { status: 401, headers, body: { error: reason, request_id: requestId } };
}
