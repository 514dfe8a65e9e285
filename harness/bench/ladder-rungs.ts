/** The cost ladder: each rung adds one control to the same request on the same machine. */
import { DEFAULT_SETTINGS } from '../../services/kit/workload/settings.ts';

export type Transport = 'plain' | 'tls' | 'mtls';

export interface RungControls {
  accessToken?: boolean;
  txnToken?: boolean;
  /** Who decides: the embedded engine, the remote PDP on every request, or the remote PDP behind the enforcer's decision cache. */
  policy?: 'embedded' | 'remote' | 'remote-cached';
  fieldEncryption?: boolean;
}

export interface Rung {
  id: string;
  label: string;
  /** The rung this one adds a control to: its marginal cost is measured against it. */
  below?: string;
  transport: Transport;
  controls: RungControls;
}

export const LADDER: readonly Rung[] = [
  { id: 'plaintext', label: 'plaintext HTTP', transport: 'plain', controls: {} },
  { id: 'tls', label: 'TLS 1.3, server certificate only', below: 'plaintext', transport: 'tls', controls: {} },
  { id: 'mtls', label: 'mTLS: client SVID checked once per connection, CRL', below: 'tls', transport: 'mtls', controls: {} },
  { id: 'access-token', label: '+ access token: signature, aud, exp, certificate binding', below: 'mtls', transport: 'mtls', controls: { accessToken: true } },
  { id: 'txn-token', label: '+ transaction token, fresh per request (replay cache)', below: 'access-token', transport: 'mtls', controls: { accessToken: true, txnToken: true } },
  { id: 'policy-embedded', label: '+ policy decision, embedded Cedar engine', below: 'txn-token', transport: 'mtls', controls: { accessToken: true, txnToken: true, policy: 'embedded' } },
  { id: 'policy-remote', label: '+ policy decision, remote PDP over keep-alive mTLS', below: 'txn-token', transport: 'mtls', controls: { accessToken: true, txnToken: true, policy: 'remote' } },
  { id: 'policy-cached', label: '+ policy decision, remote PDP behind the decision cache (hits)', below: 'txn-token', transport: 'mtls', controls: { accessToken: true, txnToken: true, policy: 'remote-cached' } },
  { id: 'field-encryption', label: '+ end-to-end card encryption: payments opens the client-sealed JWE (ECDH-ES+A256KW, A256GCM), embedded policy', below: 'policy-embedded', transport: 'mtls', controls: { accessToken: true, txnToken: true, policy: 'embedded', fieldEncryption: true } },
];

/** The rung with every control on: the load model and the concurrency sweep run against it. */
export const TOP_RUNG = 'field-encryption';

/**
 * One mesh hop as the default settings run it: mTLS, the access token, a fresh transaction token and the
 * decision where the settings take it from (today the enforcer's cache in front of the remote PDP).
 * Field encryption is not a per-hop control: the client seals the card once for payments, whatever the hops between.
 */
export const HOP_RUNG = DEFAULT_SETTINGS.pdpEmbedded ? 'policy-embedded' : DEFAULT_SETTINGS.pdpCacheTtlMs > 0 ? 'policy-cached' : 'policy-remote';

export function rungById(id: string): Rung {
  const rung = LADDER.find((r) => r.id === id);
  if (!rung) throw new TypeError(`unknown ladder rung "${id}" (known: ${LADDER.map((r) => r.id).join(', ')})`);
  return rung;
}
