/**
 * Structural parsing of a compact JWS before any key is touched: size bound,
 * three base64url segments, a JSON object header.
 */
export const MAX_TOKEN_LENGTH = 8 * 1024;

const SEGMENT = /^[A-Za-z0-9_-]+$/;
// An empty signature is structurally possible (alg none); the alg check refuses it.
const SIGNATURE = /^[A-Za-z0-9_-]*$/;

export type HeaderParse = { ok: true; header: Record<string, unknown> } | { ok: false };

export function parseCompactHeader(token: string): HeaderParse {
  if (token.length > MAX_TOKEN_LENGTH) return { ok: false };
  const parts = token.split('.');
  if (parts.length !== 3) return { ok: false };
  const [h, p, s] = parts as [string, string, string];
  // Buffer's base64url decoder skips invalid characters, so check the alphabet first.
  if (!SEGMENT.test(h) || !SEGMENT.test(p) || !SIGNATURE.test(s)) return { ok: false };
  const header = parseJsonObject(Buffer.from(h, 'base64url').toString('utf8'));
  return header ? { ok: true, header } : { ok: false };
}

export function parseJsonObject(text: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
  return value as Record<string, unknown>;
}
