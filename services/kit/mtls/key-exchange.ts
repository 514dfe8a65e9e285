/**
 * The TLS 1.3 key-exchange groups a workload offers, most preferred first.
 * The default leads with the hybrid post-quantum group X25519MLKEM768 (a
 * recorded session stays safe against a future quantum computer); the
 * classical groups follow for peers that lack it. A list is a setting, so a
 * team can measure or pin it; an unknown group is an error naming the known ones.
 */
export const KNOWN_TLS_GROUPS = ['X25519MLKEM768', 'SecP256r1MLKEM768', 'X25519', 'P-256', 'P-384', 'X448'] as const;

export const DEFAULT_TLS_GROUPS = 'X25519MLKEM768:X25519:P-256';
/** Classical elliptic-curve groups only: what a peer without ML-KEM negotiates. */
export const CLASSICAL_TLS_GROUPS = 'X25519:P-256';

/** Why a group list is not usable, or undefined when it is. */
export function tlsGroupsProblem(groups: string): string | undefined {
  const names = groups.split(':');
  if (groups === '' || names.some((n) => n === '')) return 'must be a colon-separated list of TLS groups, most preferred first';
  const unknown = names.filter((n) => !(KNOWN_TLS_GROUPS as readonly string[]).includes(n));
  if (unknown.length) return `unknown TLS group ${unknown.map((n) => JSON.stringify(n.slice(0, 40))).join(', ')} (known: ${KNOWN_TLS_GROUPS.join(', ')})`;
  return undefined;
}
