import tls from 'node:tls';
import type { MeshContext } from '../../harness/gate/mesh-context.ts';
import { check, expectation } from '../../harness/scenario/check.ts';
import { defineScenario } from '../../harness/scenario/define.ts';
import { spiffeIdFor } from '../../services/kit/spiffe.ts';

interface Presented {
  service: string;
  uri: string;
  fingerprint: string;
  publicKey: string;
  error?: string;
}

/** The certificate a workload's mTLS listener presents, read as a peer would (with a minted client identity). */
function presented(service: string, url: string, credentials: { certPem: string; keyPem: string }, ca: string): Promise<Presented> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const done = (p: Omit<Presented, 'service'>) => {
      socket.destroy();
      resolve({ service, ...p });
    };
    const socket = tls.connect({ host: hostname, port: Number(port), cert: credentials.certPem, key: credentials.keyPem, ca, minVersion: 'TLSv1.3', checkServerIdentity: () => undefined, timeout: 5000 }, () => {
      const cert = socket.getPeerCertificate();
      done({ uri: cert.subjectaltname ?? '', fingerprint: cert.fingerprint256, publicKey: cert.pubkey?.toString('base64') ?? '' });
    });
    socket.on('timeout', () => done({ uri: '', fingerprint: '', publicKey: '', error: 'timeout' }));
    socket.on('error', (err) => done({ uri: '', fingerprint: '', publicKey: '', error: err.message }));
  });
}

/** The URI SANs of a certificate's subjectAltName ("URI:a, DNS:b" → ["a"]); host names beside them are for TLS clients. */
const uris = (san: string) => san.split(', ').filter((e) => e.startsWith('URI:')).map((e) => e.slice(4));
const duplicates = (values: string[]) => values.filter((v, i) => v !== '' && values.indexOf(v) !== i);

/**
 * Shared certificates: two workloads serving with the same certificate or key
 * are one identity to every peer, so a compromise of one is a compromise of
 * both and caller lists cannot tell them apart.
 */
export const scenario = defineScenario<MeshContext, Awaited<ReturnType<typeof inject>>>({
  meta: {
    id: 'mtls.unique-identities',
    title: 'Every workload serves with a certificate and key of its own, naming only itself',
    plane: 'mtls',
    severity: 'high',
    threat: 'Shared certificates: workloads reuse one SVID or key, so a peer cannot tell them apart and one leak exposes all.',
    tags: ['transport', 'posture', 'identity'],
    control: { kind: 'code', location: 'services/kit/identity/workload-identity.ts', description: 'each workload enrols with its own join token and generates its own key' },
  },
  inject,
  async expect(ctx, { seen }) {
    return expectation(
      [
        check('every workload presented a certificate', ctx.engine.services().map((s) => s.name).sort(), seen.filter((p) => p.fingerprint).map((p) => p.service).sort(), seen.filter((p) => p.error)),
        check('each certificate names exactly its workload (one URI SAN, its SPIFFE ID)', [], seen.filter((p) => uris(p.uri).join(' ') !== spiffeIdFor(p.service)).map((p) => `${p.service}: ${p.uri}`)),
        check('no two workloads serve the same certificate', [], duplicates(seen.map((p) => p.fingerprint))),
        check('no two workloads share a key', [], duplicates(seen.map((p) => p.publicKey)).map((k) => k.slice(0, 24))),
      ],
      [],
    );
  },
});

async function inject(ctx: MeshContext) {
  const client = await ctx.actor('gateway');
  const ca = ctx.engine.trustBundle();
  const seen = await Promise.all(ctx.engine.services().map((s) => presented(s.name, s.url, client.credentials, ca)));
  return { seen };
}
