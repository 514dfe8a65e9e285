import { randomBytes } from 'node:crypto';

/**
 * A unique payment reference. Letters and digits mixed, never a long run of
 * digits, so no reference can look like a card number to the leak scanner.
 */
export function newReference(tag: string): string {
  return `${tag}-${randomBytes(9).toString('base64url').replace(/[-_]/g, 'x')}`;
}
