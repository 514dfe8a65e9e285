/** The one-pass redactors write exactly what pino's own redactors write, line for line, and never touch the logged object. */
import { describe, expect, it } from 'vitest';
import { pino } from 'pino';
import { buildPinoOptions } from './logger.ts';
import { installFastRedaction, parseRedactPath } from './fast-redaction.ts';
import { REDACT_PATHS, REDACTED, SECRET_FIELDS, SECRET_HEADERS } from './redact-paths.ts';

function pair(paths: readonly string[] = REDACT_PATHS) {
  const out = { reference: [] as string[], fast: [] as string[] };
  const options = { ...buildPinoOptions('svc', 'trace'), timestamp: false, base: { service: 'svc', token: 'base-secret' }, redact: { paths: [...paths], censor: REDACTED } };
  const reference = pino(options, { write: (s: string) => void out.reference.push(s) });
  const fast = pino(options, { write: (s: string) => void out.fast.push(s) });
  const installed = installFastRedaction(fast, paths, REDACTED);
  return { reference, fast, out, installed };
}

/** A small deterministic generator (mulberry32). */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = [...SECRET_FIELDS.slice(0, 12), 'password', 'pan', ...SECRET_HEADERS, 'headers', 'headers', 'card', 'card', 'number', 'cvv', 'cvc', 'a', 'b', 'body', 'form', 'x-y', '0', 'err', 'msg', 'list'];

function generate(next: () => number, depth: number): unknown {
  const pick = <T,>(xs: readonly T[]) => xs[Math.floor(next() * xs.length)]!;
  const r = next();
  if (depth > 6 || r < 0.3) return pick(['s3cret', 'plain', 42, 0, true, false, null, undefined, '4111111111111111', 'quote " and \\ back', () => 1, new Date(0)]);
  if (r < 0.45) return Array.from({ length: Math.floor(next() * 4) }, () => generate(next, depth + 1));
  const o: Record<string, unknown> = {};
  for (let i = Math.floor(next() * 5); i >= 0; i--) o[pick(KEYS)] = generate(next, depth + 1);
  return o;
}

describe('one-pass redaction', () => {
  it('parses the path syntax the mesh uses', () => {
    expect(parseRedactPath('*.*.headers["x-txn-token"]')).toEqual(['*', '*', 'headers', 'x-txn-token']);
    expect(parseRedactPath('card.number')).toEqual(['card', 'number']);
    expect(parseRedactPath('a..b')).toBeUndefined();
  });

  it('installs for the mesh paths and writes what pino writes, over 3000 random objects', () => {
    const { reference, fast, out, installed } = pair();
    expect(installed).toBe(true);
    // Two copies of each object: pino's own redactor writes into the logged object when a key such as `card`
    // or `headers` lies on a wildcard path (it clones only along the literal branch), so it gets its own copy.
    const [nextA, nextB] = [random(7), random(7)];
    const asObject = (value: unknown) => (value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : { value });
    for (let i = 0; i < 3000; i++) {
      const a = asObject(generate(nextA, 0));
      const b = asObject(generate(nextB, 0));
      const before = JSON.stringify(b);
      reference.info(a, 'line');
      fast.info(b, 'line');
      // The one-pass redactor never changes the object it was given.
      expect(JSON.stringify(b)).toBe(before);
    }
    expect(out.fast).toEqual(out.reference);
    // The objects did reach secrets at every depth pino redacts.
    expect(out.fast.join('').split(REDACTED).length).toBeGreaterThan(3000);
  });

  it('matches pino on the shapes the mesh logs: bodies, headers, errors, child bindings', () => {
    const { reference, fast, out } = pair();
    const error = Object.assign(new Error('refused'), { token: 'eyJ.x.y', detail: { password: 'p' } });
    const lines: Array<(l: pino.Logger) => void> = [
      (l) => l.info({ req: { headers: { authorization: 'Bearer x', cookie: 'c', 'user-agent': 'curl' } }, res: { headers: { 'set-cookie': 's' } } }, 'http'),
      (l) => l.debug({ route: 'POST /payments', body: { amount: 1, card: { number: '4111111111111111', holder: 'A' }, password: 'p', access_token: 't' } }, 'request body'),
      (l) => l.warn({ audit: true, event: 'token_rejected', token: 'top', nested: { a: { b: { token: 'depth4' } } }, deep: { a: { b: { c: { token: 'depth5 stays' } } } } }, 'token_rejected'),
      (l) => l.error({ err: error }, 'failed'),
      (l) => l.error(error),
      (l) => l.info({ err: { token: 'plain object err', message: 'm' } }, 'err as object'),
      (l) => l.child({ request_id: 'r1', password: 'child-secret', ctx: { headers: { authorization: 'a' } } }).info({ list: [{ token: 't' }, [{ pan: 'p' }]] }, 'child'),
      (l) => l.info({ headers: [{ authorization: 'array headers' }], card: 'not an object', cardNumber: 5, cvv: undefined, x: { cvv: undefined } }, 'odd shapes'),
      (l) => l.info('only a message'),
    ];
    for (const line of lines) {
      line(reference);
      line(fast);
    }
    expect(out.fast).toEqual(out.reference);
    expect(out.fast.join('')).not.toMatch(/Bearer x|child-secret|depth4|array headers|plain object err|base-secret/);
    expect(out.fast.join('')).toContain('depth5 stays');
  });

  it('leaves pino its own redactors for paths it cannot take', () => {
    const { fast, installed, out } = pair(['a.*', 'token']);
    expect(installed).toBe(false);
    fast.info({ a: { b: 1 }, token: 't' });
    expect(JSON.parse(out.fast[0]!)).toMatchObject({ a: { b: REDACTED }, token: REDACTED });
  });
});
