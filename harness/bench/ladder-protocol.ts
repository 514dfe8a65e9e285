/** The IPC messages between the benchmark and its ladder server process. */
import type { TlsCredentials } from '../../services/kit/mtls/credentials.ts';
import type { JwksDocument } from '../../services/kit/tokens/jwks-cache.ts';
import type { EncryptionJwks } from '../../services/kit/e2ee/sealed-card.ts';

/** The header the sidecar forwards the verified client certificate in, and the one that proves it is the sidecar. */
export const SIDECAR_CERT_HEADER = 'x-client-cert';
export const SIDECAR_KEY_HEADER = 'x-sidecar-key';

export type ParentMessage = { type: 'start'; jwks: JwksDocument; sidecarKey: string } | { type: 'cpu'; id: number } | { type: 'stop' };

export interface LadderReady {
  type: 'ready';
  /** Listener port per ladder rung id. */
  ports: Record<string, number>;
  sidecarBackendPort: number;
  /** The PDP service's decision endpoint (the remote-decision rung's PDP). */
  pdpUrl: string;
  /** The caller's SVID (gateway) and the server's (payments), from the same CA. */
  client: TlsCredentials;
  server: TlsCredentials;
  /** The server's encryption key set (certified for payments by the same CA): the client seals each card for it. */
  encryptionKeys: EncryptionJwks;
}

export type ChildMessage = LadderReady | { type: 'failed'; message: string } | { type: 'cpu'; id: number; us: number; rssBytes: number };
