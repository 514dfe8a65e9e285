/**
 * A workload's security settings. Every switch defaults to the safe value; the
 * unsafe values exist so that mutation mode (or a tabletop exercise) can ship a
 * bad deploy on purpose and prove that some scenario, or the team, notices.
 */
import { DEFAULT_TLS_GROUPS, tlsGroupsProblem } from '../mtls/key-exchange.ts';
export interface SecuritySettings {
  /** Check peer certificates against the CRL. */
  checkRevocation: boolean;
  /** Accept expired peer certificates (unsafe). */
  acceptExpiredCerts: boolean;
  /** Refuse a transaction token seen before. */
  replayCache: boolean;
  /** Require the access token's cnf thumbprint to match the connection's certificate. */
  tokenBinding: boolean;
  /** Require the access token's audience to be this workload. */
  audienceCheck: boolean;
  /** Log request bodies verbatim (unsafe). */
  logBodies: boolean;
  /** Also serve the mesh routes on a plaintext HTTP port without mTLS (unsafe). */
  plaintextPort: boolean;
  /** Allow requests when the PDP is unreachable or errs (unsafe). */
  pdpFailOpen: boolean;
  /** Decide in process with the reference policies instead of asking the PDP service (for comparison). */
  pdpEmbedded: boolean;
  /** Staleness bound of the decision cache. */
  pdpCacheTtlMs: number;
  pdpTimeoutMs: number;
  jwksRefreshMs: number;
  crlRefreshMs: number;
  /** Lifetime of access tokens issued by the token service. */
  accessTokenTtlSeconds: number;
  /** The token service issues access tokens for any mesh workload, not only the topology's declared edges (unsafe). */
  widenTokenAudiences: boolean;
  /** Failed logins of one user before the gateway's back-off starts (a success resets the count). */
  loginUserFailures: number;
  /** Failed logins from one client address before the back-off starts. */
  loginClientFailures: number;
  /** Ledger entry reads per second and caller identity (burst twice that). */
  ledgerReadsPerSecond: number;
  /** Lifetime of the SVIDs the CA issues (long-lived certificates are the misconfiguration). */
  svidTtlSeconds: number;
  /** Clock skew tolerated on token exp/nbf/iat. */
  tokenSkewSeconds: number;
  /** Also accept HS256 tokens, keyed with the published public key as a naive library would (unsafe). */
  allowHmacTokens: boolean;
  /** Require the token's typ header (at+jwt, txn+jwt). */
  checkTokenType: boolean;
  /** Learn of revocations at once through the CA's CRL long poll; off leaves only the crlRefreshMs interval. */
  crlLongPoll: boolean;
  /** Take an x-forwarded-client-cert header on the mesh ports as the caller's identity (unsafe: trust by header). */
  trustForwardedClientCert: boolean;
  /**
   * Serve the certificate and key in this PEM file instead of enrolling with a join token, never renewed
   * (unsafe: a static certificate copied between deployments is a shared identity). Empty: enrol.
   */
  staticSvidFile: string;
  /** The launcher hands the join token in MESHGATE_JOIN_TOKEN instead of a 0600 file read once (unsafe: it stays in /proc/<pid>/environ). */
  joinTokenInEnvironment: boolean;
  /** The token service backs its private signing keys up to a world-readable file in the state folder (unsafe: whoever reads it forges tokens). */
  signingKeyBackup: boolean;
  /** Payments accepts a card in clear instead of sealed for it end to end (unsafe: every hop in between reads it). */
  allowPlaintextCard: boolean;
  /** The key-management workload still unwraps data keys under a key version the operator revoked (unsafe: revocation does nothing). */
  kmsUnwrapRevoked: boolean;
  /** TLS 1.3 key-exchange groups offered on every mTLS listener and client, most preferred first (hybrid post-quantum by default). */
  tlsGroups: string;
}

export const DEFAULT_SETTINGS: SecuritySettings = {
  checkRevocation: true,
  acceptExpiredCerts: false,
  replayCache: true,
  tokenBinding: true,
  audienceCheck: true,
  logBodies: false,
  plaintextPort: false,
  pdpFailOpen: false,
  pdpEmbedded: false,
  pdpCacheTtlMs: 1000,
  pdpTimeoutMs: 2000,
  jwksRefreshMs: 2000,
  crlRefreshMs: 2000,
  accessTokenTtlSeconds: 60,
  widenTokenAudiences: false,
  loginUserFailures: 5,
  loginClientFailures: 200,
  ledgerReadsPerSecond: 20,
  svidTtlSeconds: 600,
  tokenSkewSeconds: 5,
  allowHmacTokens: false,
  checkTokenType: true,
  crlLongPoll: true,
  trustForwardedClientCert: false,
  staticSvidFile: '',
  joinTokenInEnvironment: false,
  signingKeyBackup: false,
  allowPlaintextCard: false,
  kmsUnwrapRevoked: false,
  tlsGroups: DEFAULT_TLS_GROUPS,
};

/** Merges overrides onto the defaults, reporting every unknown key or wrong type at once. */
export function resolveSettings(overrides: unknown, where = 'settings'): SecuritySettings {
  if (overrides === undefined) return { ...DEFAULT_SETTINGS };
  if (overrides === null || typeof overrides !== 'object' || Array.isArray(overrides)) throw new TypeError(`${where}: must be an object`);
  const problems: string[] = [];
  const result: Record<string, unknown> = { ...DEFAULT_SETTINGS };
  for (const [key, value] of Object.entries(overrides)) {
    if (!(key in DEFAULT_SETTINGS)) {
      problems.push(`${where}.${key}: unknown setting`);
      continue;
    }
    const expected = typeof DEFAULT_SETTINGS[key as keyof SecuritySettings];
    if (typeof value !== expected || (expected === 'number' && !(Number(value) >= 0))) {
      problems.push(`${where}.${key}: must be a ${expected === 'number' ? 'non-negative number' : expected} (got ${JSON.stringify(value)})`);
      continue;
    }
    result[key] = value;
  }
  const groups = typeof result.tlsGroups === 'string' ? tlsGroupsProblem(result.tlsGroups) : undefined;
  if (groups) problems.push(`${where}.tlsGroups: ${groups}`);
  if (problems.length) throw new TypeError(problems.join('\n'));
  return result as unknown as SecuritySettings;
}
