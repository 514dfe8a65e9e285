/**
 * Per-run canary secrets. The harness plants them where a real secret would
 * travel (request bodies, headers, key files); any of them turning up in a
 * log, span, metric or report is a leak. Each run gets fresh values so a hit
 * can only come from this run.
 */
import { generateKeyPairSync, randomBytes, randomInt } from 'node:crypto';
import { luhnCheckDigit } from '../../services/kit/luhn.ts';

export type CanaryKind = 'card_number' | 'jwt' | 'private_key' | 'password';

export interface Canary {
  kind: CanaryKind;
  /** Stable handle for reports, e.g. "canary:card_number"; never the value. */
  id: string;
  value: string;
}

export interface CanarySet {
  runId: string;
  card: Canary;
  jwt: Canary;
  privateKey: Canary;
  password: Canary;
  all: readonly Canary[];
}

/** A 16-digit Visa-range number that passes Luhn: "49" then 13 random digits then the check digit. */
export function canaryCardNumber(): string {
  let payload = '49';
  while (payload.length < 15) payload += String(randomInt(10));
  return payload + String(luhnCheckDigit(payload));
}

function b64url(value: string | Buffer): string {
  return Buffer.from(value).toString('base64url');
}

/** JWT-shaped, with a decodable header and a random (invalid) signature. */
export function canaryJwt(runId: string): string {
  const header = b64url(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: `canary-${runId}` }));
  const payload = b64url(JSON.stringify({ iss: 'https://sts.meshgate.test', sub: 'spiffe://meshgate.test/canary', aud: 'payments', jti: randomBytes(12).toString('hex'), exp: 4102444800 }));
  return `${header}.${payload}.${randomBytes(64).toString('base64url')}`;
}

/** Every canary this process has planted: a report-folder scan tells them (harness-made fakes) from real secrets. */
const planted: Canary[] = [];

export function plantedCanaries(): readonly Canary[] {
  return planted;
}

export function createCanaries(runId: string = randomBytes(6).toString('hex')): CanarySet {
  if (typeof runId !== 'string' || !/^[A-Za-z0-9_-]{1,64}$/.test(runId)) throw new TypeError(`createCanaries: runId must be 1-64 characters of [A-Za-z0-9_-], got ${JSON.stringify(runId)}`);
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const pem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const card: Canary = { kind: 'card_number', id: 'canary:card_number', value: canaryCardNumber() };
  const jwt: Canary = { kind: 'jwt', id: 'canary:jwt', value: canaryJwt(runId) };
  const key: Canary = { kind: 'private_key', id: 'canary:private_key', value: pem };
  const password: Canary = { kind: 'password', id: 'canary:password', value: `Mg!canary-${runId}-${randomBytes(9).toString('base64url')}` };
  planted.push(card, jwt, key, password);
  return { runId, card, jwt, privateKey: key, password, all: Object.freeze([card, jwt, key, password]) };
}
