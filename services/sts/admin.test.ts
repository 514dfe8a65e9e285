import { describe, expect, it } from 'vitest';
import { ManualClock } from '../kit/clock.ts';
import { revokeSigningKey, rotateSigningKey } from './admin.ts';
import { SigningKeys } from './signing-keys.ts';

const OPERATOR = 'spiffe://meshgate.test/operator';

describe('key admin', () => {
  it('rotate answers with the new kids and an audit record', async () => {
    const clock = new ManualClock(Date.UTC(2030, 0, 1));
    const keys = await SigningKeys.create({ clock });
    const old = keys.currentKid;
    const r = await rotateSigningKey(keys, OPERATOR, clock);
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ retired: old, current: keys.currentKid });
    expect(r.audit).toMatchObject({ event: 'signing_key_rotated', actor: OPERATOR, at: '2030-01-01T00:00:00.000Z', retired: old });
  });

  it('revoke: 200 with audit, 404 for an unpublished kid, 400 for a malformed one', async () => {
    const keys = await SigningKeys.create();
    const kid = keys.currentKid;
    const r = await revokeSigningKey(keys, kid, OPERATOR);
    expect(r.status).toBe(200);
    expect(r.audit).toMatchObject({ event: 'signing_key_revoked', kid, was_state: 'current', actor: OPERATOR });
    expect(keys.jwks().revoked).toContain(kid);
    expect((await revokeSigningKey(keys, kid, OPERATOR)).status).toBe(404);
    const bad = await revokeSigningKey(keys, '../../etc', OPERATOR);
    expect(bad.status).toBe(400);
    expect(bad.audit.event).toBe('signing_key_revoke_refused');
    expect((await revokeSigningKey(keys, 42, OPERATOR)).status).toBe(400);
    await expect(revokeSigningKey(keys, kid, '')).rejects.toThrow(TypeError);
  });
});
