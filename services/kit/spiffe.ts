/**
 * SPIFFE IDs (SPIFFE-ID standard §2): spiffe://<trust domain>/<path>. Identity
 * decisions compare the whole ID string; nothing derives a workload from a part of it.
 */
export const TRUST_DOMAIN = 'meshgate.test';

const MAX_LENGTH = 2048;
const TRUST_DOMAIN_CHARS = /^[a-z0-9.\-_]+$/;
const SEGMENT_CHARS = /^[A-Za-z0-9.\-_]+$/;

export function spiffeIdFor(service: string, trustDomain = TRUST_DOMAIN): string {
  if (!/^[a-z0-9][a-z0-9\-_.]*$/.test(service)) throw new TypeError(`service name "${service}" is not a valid SPIFFE path segment`);
  return `spiffe://${trustDomain}/${service}`;
}

export interface ParsedSpiffeId {
  trustDomain: string;
  path: string;
}

export type SpiffeIdCheck = { ok: true; id: ParsedSpiffeId } | { ok: false; problem: string };

/** Checks a workload SPIFFE ID against the standard's rules and names the first rule it breaks. */
export function checkSpiffeId(id: unknown): SpiffeIdCheck {
  if (typeof id !== 'string') return { ok: false, problem: 'is not a string' };
  if (id.length > MAX_LENGTH) return { ok: false, problem: `is longer than ${MAX_LENGTH} characters` };
  if (!id.startsWith('spiffe://')) return { ok: false, problem: 'does not start with the scheme spiffe:// (lower case)' };
  const rest = id.slice('spiffe://'.length);
  const slash = rest.indexOf('/');
  const trustDomain = slash === -1 ? rest : rest.slice(0, slash);
  if (trustDomain === '') return { ok: false, problem: 'has an empty trust domain' };
  if (!TRUST_DOMAIN_CHARS.test(trustDomain)) return { ok: false, problem: `trust domain "${trustDomain.slice(0, 64)}" may hold only a-z 0-9 . - _ (lower case, no port or user info)` };
  if (slash === -1 || slash === rest.length - 1) return { ok: false, problem: slash === -1 ? 'has no path (a workload ID names a workload)' : 'ends with a slash' };
  const path = rest.slice(slash);
  for (const segment of path.slice(1).split('/')) {
    if (segment === '') return { ok: false, problem: 'has an empty path segment (// or a trailing slash)' };
    if (segment === '.' || segment === '..') return { ok: false, problem: `has a "${segment}" path segment` };
    if (!SEGMENT_CHARS.test(segment)) return { ok: false, problem: 'has a path character outside A-Z a-z 0-9 . - _ (no percent-encoding, query or fragment)' };
  }
  return { ok: true, id: { trustDomain, path } };
}

/** Parses a SPIFFE ID; returns undefined when the string is not one. */
export function parseSpiffeId(id: string): ParsedSpiffeId | undefined {
  const check = checkSpiffeId(id);
  return check.ok ? check.id : undefined;
}

export function isSpiffeId(id: string): boolean {
  return checkSpiffeId(id).ok;
}

const callerSets = new WeakMap<readonly string[], ReadonlySet<string>>();

/** Whether a peer's whole SPIFFE ID is one of the named workloads' IDs (never a suffix or segment match). */
export function isAllowedCaller(callers: readonly string[], spiffeId: string | undefined): boolean {
  if (spiffeId === undefined) return false;
  let ids = callerSets.get(callers);
  if (!ids) {
    ids = new Set(callers.map((c) => spiffeIdFor(c)));
    callerSets.set(callers, ids);
  }
  return ids.has(spiffeId);
}
