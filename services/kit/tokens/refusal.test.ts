import { describe, expect, it } from 'vitest';
import { readBearer } from './bearer.ts';
import { tokenRefusal } from './refusal.ts';

describe('tokenRefusal', () => {
  it('401 with an RFC 6750 invalid_token challenge naming the reason', () => {
    const r = tokenRefusal('token_cert_mismatch', 'req-7');
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toBe('Bearer error="invalid_token", error_description="token_cert_mismatch"');
    expect(r.body).toEqual({ error: 'token_cert_mismatch', request_id: 'req-7' });
  });

  it('a bare Bearer challenge when no token was sent (RFC 6750 §3.1)', () => {
    const r = tokenRefusal('token_missing', 'req-8');
    expect(r.status).toBe(401);
    expect(r.headers['www-authenticate']).toBe('Bearer');
  });

  it('503 with Retry-After when the replay cache is full', () => {
    const r = tokenRefusal('replay_cache_full', 'req-9');
    expect(r.status).toBe(503);
    expect(r.headers['retry-after']).toBe('1');
    expect(r.headers['www-authenticate']).toBeUndefined();
  });
});

describe('readBearer', () => {
  it('reads the token, or says why not', () => {
    expect(readBearer('Bearer abc.def.ghi')).toEqual({ ok: true, token: 'abc.def.ghi' });
    expect(readBearer('bearer abc.def.ghi')).toEqual({ ok: true, token: 'abc.def.ghi' });
    expect(readBearer(undefined)).toEqual({ ok: false, reason: 'token_missing' });
    expect(readBearer('Basic dXNlcjpwYXNz')).toEqual({ ok: false, reason: 'token_missing' });
    expect(readBearer('Bearer ')).toEqual({ ok: false, reason: 'token_malformed' });
    expect(readBearer('Bearer a b')).toEqual({ ok: false, reason: 'token_malformed' });
    expect(readBearer(['Bearer a', 'Bearer b'])).toEqual({ ok: false, reason: 'token_malformed' });
  });
});
