/**
 * Envelope encryption of cards at rest, the shapes every party shares. Payments
 * encrypts each stored card under its own data key (a compact JWE, `dir` +
 * A256GCM, the header naming the payment it belongs to); the key-management
 * workload wraps that data key with a versioned wrapping key that never leaves
 * it, bound to an encryption context (AES-256-GCM, the context as additional
 * data). The ledger keeps both strings and never sees a data key: it can only ask
 * kms to rewrap a key under the current version.
 */

/** A wrapped data key: `kms.v<version>.<iv>.<ciphertext and tag>`, base64url. */
export const WRAPPED_KEY_PATTERN = /^kms\.v([1-9][0-9]{0,8})\.([A-Za-z0-9_-]{16})\.([A-Za-z0-9_-]{64})$/;

/** The card at rest: a compact JWE with `dir` (empty encrypted-key part) and A256GCM. */
export const STORED_CARD_PATTERN = /^[A-Za-z0-9_-]{1,2048}\.\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{1,4096}\.[A-Za-z0-9_-]{22}$/;

/** The stored card's JWE header member naming its payment reference, so a sealed card cannot be moved to another entry. */
export const STORED_CARD_REFERENCE = 'mg_ref';

/** What a data key is bound to; an unwrap must present the same context. */
export interface KeyContext {
  /** What the key protects; the PDP decides per purpose (only "card" today). */
  purpose: string;
  /** The payment reference the card belongs to. */
  reference: string;
}

export function cardKeyContext(reference: string): KeyContext {
  return { purpose: 'card', reference };
}

/** The wrapping-key version a wrapped key names, or undefined when it is not one. */
export function wrappedKeyVersion(wrappedKey: unknown): number | undefined {
  if (typeof wrappedKey !== 'string') return undefined;
  const match = WRAPPED_KEY_PATTERN.exec(wrappedKey);
  return match ? Number(match[1]) : undefined;
}

/** Every problem with a key context, or [] (a context is part of the wrap's additional data, so it must be exact). */
export function keyContextProblems(value: unknown, where = 'context'): string[] {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return [`${where}: must be an object with purpose and reference`];
  const v = value as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(v)) if (key !== 'purpose' && key !== 'reference') problems.push(`${where}.${key.slice(0, 40)}: unknown field`);
  if (typeof v.purpose !== 'string' || !/^[a-z][a-z-]{0,31}$/.test(v.purpose)) problems.push(`${where}.purpose: must be 1-32 lower-case letters or -`);
  if (typeof v.reference !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(v.reference)) problems.push(`${where}.reference: must be 1-64 characters of A-Z a-z 0-9 _ -`);
  return problems;
}
