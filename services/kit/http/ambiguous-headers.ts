/**
 * Node keeps only the first `authorization` (and joins some others) in
 * req.headers, so a request carrying a credential header twice could be read one
 * way here and another way by the next hop. Such a request is refused outright.
 */
import type { IncomingMessage } from 'node:http';

/** Headers that carry credentials, identity or routing decisions. */
export const SECURITY_HEADERS = new Set(['authorization', 'txn-token', 'x-forwarded-client-cert', 'x-meshgate-correlation', 'cookie', 'host', 'content-type', 'content-length', 'transfer-encoding']);

/** The first security header the raw request carries more than once, if any. */
export function ambiguousHeader(req: IncomingMessage): string | undefined {
  const seen = new Set<string>();
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    if (!SECURITY_HEADERS.has(name)) continue;
    if (seen.has(name)) return name;
    seen.add(name);
  }
  return undefined;
}
