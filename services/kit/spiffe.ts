/** SPIFFE ID helpers for the mesh's trust domain. */
export const TRUST_DOMAIN = 'meshgate.test';

const SPIFFE_ID = /^spiffe:\/\/([a-z0-9.\-_]+)(\/[A-Za-z0-9.\-_]+)+$/;

export function spiffeIdFor(service: string, trustDomain = TRUST_DOMAIN): string {
  if (!/^[a-z0-9][a-z0-9\-_.]*$/.test(service)) throw new TypeError(`service name "${service}" is not a valid SPIFFE path segment`);
  return `spiffe://${trustDomain}/${service}`;
}

export interface ParsedSpiffeId {
  trustDomain: string;
  path: string;
}

/** Parses a SPIFFE ID; returns undefined when the string is not one. */
export function parseSpiffeId(id: string): ParsedSpiffeId | undefined {
  if (id.length > 2048) return undefined;
  const match = SPIFFE_ID.exec(id);
  if (!match) return undefined;
  const trustDomain = match[1]!;
  return { trustDomain, path: id.slice(`spiffe://${trustDomain}`.length) };
}

export function isSpiffeId(id: string): boolean {
  return parseSpiffeId(id) !== undefined;
}

/** The service name of a workload ID in the mesh's trust domain (last path segment). */
export function serviceOf(id: string): string | undefined {
  const parsed = parseSpiffeId(id);
  return parsed ? parsed.path.split('/').at(-1) : undefined;
}
