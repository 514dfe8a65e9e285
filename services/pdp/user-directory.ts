/** The PDP's directory of demo users: what policies may know about a user beyond the token. */
import type { EntityJson } from '@cedar-policy/cedar-wasm/nodejs';
import { DEMO_USERS as PEOPLE } from '../demo-users.ts';

export interface DirectoryUser {
  id: string;
  /** Largest single payment the user may make, in minor units. */
  limit: number;
}

/** The demo users with the token service's limits, in minor units (whole major amounts, so exact). */
export const DEMO_USERS: readonly DirectoryUser[] = PEOPLE.map((u) => ({ id: u.username, limit: Math.round(u.limits.maxAmount * 100) }));

/** Cedar entities for a user list; throws TypeError naming every bad entry. */
export function userEntities(users: readonly DirectoryUser[]): EntityJson[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  users.forEach((u, i) => {
    if (typeof u?.id !== 'string' || u.id === '') problems.push(`users[${i}].id must be a non-empty string`);
    else if (seen.has(u.id)) problems.push(`users[${i}].id "${u.id}" is a duplicate`);
    else seen.add(u.id);
    if (!Number.isSafeInteger(u?.limit) || u.limit < 0) problems.push(`users[${i}].limit must be a non-negative integer (got ${String(u?.limit)})`);
  });
  if (problems.length > 0) throw new TypeError(`userEntities: ${problems.join('; ')}`);
  return users.map((u) => ({ uid: { type: 'User', id: u.id }, attrs: { limit: u.limit }, parents: [] }));
}
