/**
 * Field encryption of card numbers: payments keeps the key (0600 in the run's
 * state folder); downstream only ever sees the opaque token and the last four digits.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export class CardVault {
  #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new TypeError('card vault key must be 32 bytes');
    this.#key = key;
  }

  static loadOrCreate(path: string): CardVault {
    if (!existsSync(path)) {
      mkdirSync(dirname(path), { recursive: true });
      writeFileSync(path, randomBytes(32).toString('base64'), { mode: 0o600 });
    }
    return new CardVault(Buffer.from(readFileSync(path, 'utf8'), 'base64'));
  }

  /** AES-256-GCM; the token is v1.<iv>.<tag>.<ciphertext>, base64url. */
  seal(cardNumber: string): { token: string; last4: string } {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.#key, iv);
    const data = Buffer.concat([cipher.update(cardNumber, 'utf8'), cipher.final()]);
    const token = ['v1', iv.toString('base64url'), cipher.getAuthTag().toString('base64url'), data.toString('base64url')].join('.');
    return { token, last4: cardNumber.slice(-4) };
  }

  open(token: string): string {
    const [version, iv, tag, data] = token.split('.');
    if (version !== 'v1' || !iv || !tag || !data) throw new TypeError('not a card token');
    const decipher = createDecipheriv('aes-256-gcm', this.#key, Buffer.from(iv, 'base64url'));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(data, 'base64url')), decipher.final()]).toString('utf8');
  }
}
