/**
 * The thief of the token service's signing-key backup: with the private keys
 * it mints access and transaction tokens the token service never issued, for
 * any user and amount, that verify like real ones until the key is revoked.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { certThumbprint } from '../../services/kit/mtls/peer-identity.ts';
import { SigningKeys, type SigningKeyBackup } from '../../services/sts/signing-keys.ts';
import { TokenIssuer } from '../../services/sts/token-issuer.ts';

export class StolenSigningKey {
  readonly #issuer: TokenIssuer;
  /** The key the thief signs with: the one that was current when the backup was copied. */
  readonly kid: string;

  private constructor(issuer: TokenIssuer) {
    this.#issuer = issuer;
    this.kid = issuer.keys.currentKid;
  }

  /** Copies the backup as it is now; a clear error when there is none to steal. */
  static async steal(file: string): Promise<StolenSigningKey> {
    let backup: SigningKeyBackup;
    try {
      backup = JSON.parse(readFileSync(file, 'utf8')) as SigningKeyBackup;
    } catch (err) {
      throw new Error(`no signing-key backup to steal at ${file} (${(err as NodeJS.ErrnoException).code ?? (err as Error).message}): the token service must run with signingKeyBackup first`);
    }
    return new StolenSigningKey(new TokenIssuer({ keys: await SigningKeys.fromBackup(backup) }));
  }

  /** An access token for `audience`, bound to the certificate the thief connects with. */
  async accessToken(subject: string, audience: string, certPem: string): Promise<string> {
    const thumbprint = certThumbprint(Buffer.from(new X509Certificate(certPem).raw));
    return (await this.#issuer.issueAccessToken({ subject, audience, certThumbprint: thumbprint })).token;
  }

  /** A transaction token for a payment the user never approved (nor logged in for). */
  async transactionToken(user: string, amount: number, currency = 'EUR'): Promise<string> {
    return (await this.#issuer.issueTxnToken({ subject: user, scopes: ['payments:write'], txn: `forged-${randomUUID()}`, purp: 'payment', rctx: { authn: 'pwd' }, azd: { amount, currency } })).token;
  }
}
