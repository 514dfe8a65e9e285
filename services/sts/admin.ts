/**
 * Operator actions on the signing keys, each answered with an HTTP-shaped
 * result and an audit record. The lead exposes them on operator-only routes.
 */
import type { Clock } from '../kit/clock.ts';
import { systemClock } from '../kit/clock.ts';
import { KID_PATTERN } from '../kit/tokens/jwks-cache.ts';
import type { KeyState, SigningKeys } from './signing-keys.ts';

export interface KeyAdminAudit {
  event: 'signing_key_rotated' | 'signing_key_revoked' | 'signing_key_revoke_refused';
  actor: string;
  at: string;
  kid?: string;
  was_state?: KeyState;
  current?: string;
  next?: string;
  retired?: string;
  detail?: string;
}

export interface KeyAdminResponse {
  status: number;
  body: Record<string, unknown>;
  audit: KeyAdminAudit;
}

function stamp(actor: string, clock: Clock): { actor: string; at: string } {
  if (typeof actor !== 'string' || actor === '') throw new TypeError('actor must be a non-empty string (the operator SPIFFE ID)');
  return { actor, at: new Date(clock.now()).toISOString() };
}

export async function rotateSigningKey(keys: SigningKeys, actor: string, clock: Clock = systemClock): Promise<KeyAdminResponse> {
  const base = stamp(actor, clock);
  const r = await keys.rotate();
  return { status: 200, body: { retired: r.retired, current: r.current, next: r.next }, audit: { event: 'signing_key_rotated', ...base, kid: r.current, current: r.current, next: r.next, retired: r.retired } };
}

/** kid comes from the request body (untrusted). */
export async function revokeSigningKey(keys: SigningKeys, kid: unknown, actor: string, clock: Clock = systemClock): Promise<KeyAdminResponse> {
  const base = stamp(actor, clock);
  if (typeof kid !== 'string' || !KID_PATTERN.test(kid)) {
    return { status: 400, body: { error: 'body_invalid', error_description: 'kid must be a key id' }, audit: { event: 'signing_key_revoke_refused', ...base, detail: 'kid is not a key id' } };
  }
  const r = await keys.revoke(kid);
  if (!r) return { status: 404, body: { error: 'not_found', error_description: 'no published key has this kid' }, audit: { event: 'signing_key_revoke_refused', ...base, kid, detail: 'kid not published' } };
  return {
    status: 200,
    body: { revoked: r.revoked, current: r.current, next: r.next },
    audit: { event: 'signing_key_revoked', ...base, kid: r.revoked, was_state: r.wasState, current: r.current, next: r.next },
  };
}
