/**
 * Span attribute names. The tls.* and error.type names are OpenTelemetry
 * semantic conventions (tls.* are still incubating, so they are copied here
 * rather than imported from the unstable entry point); meshgate.* are ours.
 */
export const TLS_ATTR = {
  protocolName: 'tls.protocol.name',
  protocolVersion: 'tls.protocol.version',
  cipher: 'tls.cipher',
  resumed: 'tls.resumed',
  established: 'tls.established',
  serverName: 'tls.client.server_name',
  clientSubject: 'tls.client.subject',
  clientIssuer: 'tls.client.issuer',
  clientHashSha256: 'tls.client.hash.sha256',
  clientNotAfter: 'tls.client.not_after',
  clientNotBefore: 'tls.client.not_before',
  serverSubject: 'tls.server.subject',
  serverIssuer: 'tls.server.issuer',
  serverHashSha256: 'tls.server.hash.sha256',
  serverNotAfter: 'tls.server.not_after',
  serverNotBefore: 'tls.server.not_before',
} as const;

export const ERROR_TYPE = 'error.type';
export const HTTP_ROUTE = 'http.route';
export const NETWORK_PEER_ADDRESS = 'network.peer.address';
export const NETWORK_PEER_PORT = 'network.peer.port';

export const MESHGATE_ATTR = {
  tlsRole: 'meshgate.tls.role',
  peerSpiffeId: 'meshgate.peer.spiffe_id',
  localSpiffeId: 'meshgate.local.spiffe_id',
  tokenResult: 'meshgate.token.result',
  tokenReason: 'meshgate.token.reason',
  tokenKid: 'meshgate.token.kid',
  tokenKind: 'meshgate.token.kind',
  authzDecision: 'meshgate.authz.decision',
  authzPolicyIds: 'meshgate.authz.policy_ids',
  authzPolicyVersion: 'meshgate.authz.policy_version',
  authzDecisionId: 'meshgate.authz.decision_id',
  authzReason: 'meshgate.authz.reason',
  authzAction: 'meshgate.authz.action',
  authzCached: 'meshgate.authz.cached',
  cardKid: 'meshgate.card.kid',
  cardResult: 'meshgate.card.result',
  kmsOperation: 'meshgate.kms.operation',
  kmsKeyVersion: 'meshgate.kms.key_version',
  kmsResult: 'meshgate.kms.result',
  correlationId: 'meshgate.correlation_id',
  scenarioId: 'meshgate.scenario_id',
} as const;

export const SPAN_NAMES = {
  handshake: 'tls.handshake',
  tokenVerify: 'meshgate.token.verify',
  authz: 'meshgate.authz',
  cardOpen: 'meshgate.card.open',
  kms: 'meshgate.kms',
} as const;
