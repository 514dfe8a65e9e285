/** Reads the token from an Authorization header value (RFC 6750 §2.1). */
export type BearerRead = { ok: true; token: string } | { ok: false; reason: 'token_missing' | 'token_malformed' };

const BEARER = /^Bearer +([A-Za-z0-9\-._~+/]+=*) *$/i;

export function readBearer(header: string | string[] | undefined): BearerRead {
  if (header === undefined || header === '') return { ok: false, reason: 'token_missing' };
  // Two Authorization headers are ambiguous; refuse rather than pick one.
  if (Array.isArray(header)) return header.length === 0 ? { ok: false, reason: 'token_missing' } : { ok: false, reason: 'token_malformed' };
  if (!/^Bearer( |$)/i.test(header)) return { ok: false, reason: 'token_missing' };
  const match = BEARER.exec(header);
  return match ? { ok: true, token: match[1]! } : { ok: false, reason: 'token_malformed' };
}
