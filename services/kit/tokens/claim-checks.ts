/**
 * Claim checks shared by the access and transaction token verifiers. They run
 * only on a payload whose signature has been verified.
 */
import type { TokenReason } from '../reasons.ts';

export interface TimeRules {
  nowSeconds: number;
  skewSeconds: number;
  /** Tokens whose iat is older than this are refused even before exp. */
  maxAgeSeconds: number | undefined;
}

export function isNumericDate(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0;
}

export function isNonEmptyString(value: unknown, max = 2048): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= max;
}

/** The single audience of a token, or undefined when it names none or several. */
export function singleAudience(aud: unknown): string | undefined {
  if (typeof aud === 'string') return aud;
  if (Array.isArray(aud) && aud.length === 1 && typeof aud[0] === 'string') return aud[0];
  return undefined;
}

export function checkAudienceShape(aud: unknown): boolean {
  return typeof aud === 'string' || (Array.isArray(aud) && aud.length > 0 && aud.every((a) => typeof a === 'string'));
}

/** exp, nbf, iat (not in the future) and maximum age, with the given skew. */
export function checkTimes(payload: Record<string, unknown>, rules: TimeRules): TokenReason | undefined {
  const { nowSeconds: now, skewSeconds: skew } = rules;
  const exp = payload.exp as number;
  const iat = payload.iat as number;
  if (now - skew >= exp) return 'token_expired';
  if (payload.nbf !== undefined && now + skew < (payload.nbf as number)) return 'token_not_yet_valid';
  if (now + skew < iat) return 'token_not_yet_valid';
  if (rules.maxAgeSeconds !== undefined && now - iat > rules.maxAgeSeconds + skew) return 'token_too_old';
  return undefined;
}

/** The instant (ms) after which a verified token stops being acceptable. */
export function validUntilMs(payload: Record<string, unknown>, rules: Omit<TimeRules, 'nowSeconds'>): number {
  const exp = (payload.exp as number) + rules.skewSeconds;
  const age = rules.maxAgeSeconds === undefined ? Infinity : (payload.iat as number) + rules.maxAgeSeconds + rules.skewSeconds;
  return Math.min(exp, age) * 1000;
}
