/**
 * The server side of the cost ladder, in its own process so that its CPU time is
 * the workload's alone: one listener per rung, built from the mesh's own parts
 * (MtlsServer, the token verifiers, the policy enforcer over the embedded engine
 * or the PDP service, the card envelope over kms' wrapping keys), plus the plaintext backend of the nginx
 * sidecar. Driven over IPC by the benchmark (see ladder-process.ts).
 */
import http from 'node:http';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { timingSafeEqual, X509Certificate } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestCa } from '../testbed/in-process-ca.ts';
import { startPdpService } from '../../services/pdp/pdp-service.ts';
import { embeddedPdp } from '../../services/pdp/embedded-pdp.ts';
import { MtlsServer } from '../../services/kit/mtls/server.ts';
import { MeshClient } from '../../services/kit/mtls/client.ts';
import { RevocationList } from '../../services/kit/mtls/revocation-list.ts';
import { certThumbprint, checkSvidShape, type PeerIdentity } from '../../services/kit/mtls/peer-identity.ts';
import type { TlsCredentials } from '../../services/kit/mtls/credentials.ts';
import { readBody } from '../../services/kit/http/json-body.ts';
import { sendError, sendJson } from '../../services/kit/http/respond.ts';
import { AccessTokenVerifier } from '../../services/kit/tokens/access-token-verifier.ts';
import { TxnTokenVerifier, TXN_TOKEN_HEADER } from '../../services/kit/tokens/txn-token-verifier.ts';
import { ReplayCache } from '../../services/kit/tokens/replay-cache.ts';
import { JwksCache, type JwksDocument } from '../../services/kit/tokens/jwks-cache.ts';
import { connectionTokenCacheFor } from '../../services/kit/tokens/connection-token-cache.ts';
import { readBearer } from '../../services/kit/tokens/bearer.ts';
import { PolicyEnforcer, type DecideFn } from '../../services/kit/pep/policy-enforcer.ts';
import { DEFAULT_SETTINGS } from '../../services/kit/workload/settings.ts';
import { PaymentsEncryptionKeys } from '../../services/payments/encryption-keys.ts';
import { publicKeyFromPem } from '../../services/ca/authority.ts';
import { ENCRYPTION_CERT_TTL_SECONDS } from '../../services/ca/ca-service.ts';
import { formatMinorUnits, parseAmount } from '../../services/kit/amount.ts';
import type { DecisionResponse } from '../../services/kit/pep/decision-types.ts';
import { CardEnvelope, type KmsCall } from '../../services/payments/card-envelope.ts';
import { WrappingKeys } from '../../services/kms/wrapping-keys.ts';
import { cardKeyContext } from '../../services/kit/e2ee/envelope.ts';
import { systemClock } from '../../services/kit/clock.ts';
import { spiffeIdFor, TRUST_DOMAIN } from '../../services/kit/spiffe.ts';
import { STS_ISSUER } from '../../services/sts/token-issuer.ts';
import type { ReasonCode } from '../../services/kit/reasons.ts';
import { LADDER, type Rung } from './ladder-rungs.ts';
import { CLIENT_SERVICE, paymentDecision, SERVER_SERVICE } from './bench-payload.ts';
import { SIDECAR_CERT_HEADER, SIDECAR_KEY_HEADER, type LadderReady, type ParentMessage } from './ladder-protocol.ts';

const SVID_TTL_SECONDS = 6 * 3600;

type Handler = (req: IncomingMessage, res: ServerResponse, peer: PeerIdentity | undefined) => Promise<void>;

async function start(jwksDocument: JwksDocument, sidecarKey: string) {
  const ca = await startTestCa();
  const issue = async (name: string): Promise<TlsCredentials> => {
    const svid = await ca.ca.authority.issue({ spiffeId: spiffeIdFor(name), dnsNames: ['localhost'], ttlSeconds: SVID_TTL_SECONDS });
    return { certPem: svid.certPem, keyPem: svid.keyPem!, bundlePem: ca.ca.authority.bundlePem };
  };
  const server = await issue(SERVER_SERVICE);
  const client = await issue(CLIENT_SERVICE);
  const pdp = await startPdpService(ca.config('pdp'), ca.joinToken('pdp'));
  const pdpClient = new MeshClient({ credentials: server });
  const pdpUrl = `${pdp.workload.server.url}/v1/decide`;
  const remote: DecideFn = async (request) => {
    const res = await pdpClient.request({ url: pdpUrl, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(request), serverId: spiffeIdFor('pdp') });
    if (res.status !== 200) throw new Error(`PDP answered ${res.status}`);
    return res.json<DecisionResponse>();
  };
  // The embedded and remote rungs decide every request (cache off); the cached rung runs the mesh's own bound,
  // and every bench payment has the same shape, so after the first request it measures cache hits.
  const enforcers = {
    embedded: new PolicyEnforcer({ decide: await embeddedPdp(), cacheTtlMs: 0 }),
    remote: new PolicyEnforcer({ decide: remote, cacheTtlMs: 0 }),
    'remote-cached': new PolicyEnforcer({ decide: remote, cacheTtlMs: DEFAULT_SETTINGS.pdpCacheTtlMs }),
  };
  const jwks = new JwksCache({ fetchJwks: async () => jwksDocument, refreshIntervalMs: 3_600_000, maxStaleMs: 3_600_000 });
  await jwks.refresh();
  const accessVerifier = new AccessTokenVerifier({ issuer: STS_ISSUER, audience: spiffeIdFor(SERVER_SERVICE), jwks });
  const txnVerifier = new TxnTokenVerifier({ issuer: STS_ISSUER, jwks, replay: new ReplayCache({ maxEntries: 1_000_000 }) });
  // The card is encrypted for storage under a data key from kms' wrapping keys, in process: the rung prices the
  // cryptography; the kms hop itself is in the whole-payment figure, which runs the mesh.
  const kmsDir = mkdtempSync(join(tmpdir(), 'meshgate-ladder-kms-'));
  const wrapping = WrappingKeys.loadOrCreate(join(kmsDir, 'wrapping-keys.json'), systemClock);
  const localKms: KmsCall = async (_path, body) => {
    const made = wrapping.generate(cardKeyContext(body.context.reference));
    const text = JSON.stringify({ keyVersion: made.version, wrappedKey: made.wrappedKey, dataKey: made.dataKey.toString('base64') });
    return { status: 200, headers: {}, body: Buffer.from(text), text: () => text, json: <T>() => JSON.parse(text) as T };
  };
  const envelope = new CardEnvelope(localKms);
  // Payments' side of end-to-end encryption: keys certified for payments by this CA, as the mesh's are.
  const encryption = await PaymentsEncryptionKeys.create({ certify: async (pem) => (await ca.ca.authority.issue({ spiffeId: spiffeIdFor('payments'), publicKey: publicKeyFromPem(pem), use: 'key-agreement', ttlSeconds: ENCRYPTION_CERT_TTL_SECONDS })).certPem });
  const revocation = new RevocationList(server.bundlePem);

  const handlerFor = (rung: Rung): Handler => async (req, res, peer) => {
    const requestId = 'bench';
    const refuse = (status: number, reason: ReasonCode) => sendError(res, status, reason, requestId);
    const body = await readBody(req);
    const c = rung.controls;
    if (c.accessToken) {
      const bearer = readBearer(req.headers.authorization);
      const access = bearer.ok ? await accessVerifier.verify(bearer.token, peer?.certThumbprint ?? '', connectionTokenCacheFor(req.socket)) : bearer;
      if (!access.ok) return refuse(401, access.reason);
    }
    let txn;
    if (c.txnToken) {
      const header = req.headers[TXN_TOKEN_HEADER];
      const result = await txnVerifier.verify(typeof header === 'string' ? header : undefined);
      if (!result.ok) return refuse(401, result.reason);
      txn = result.claims;
    }
    if (c.policy && txn) {
      const decision = await enforcers[c.policy].enforce(paymentDecision(txn));
      if (!decision.allow) return refuse(403, decision.reason ?? 'pdp_denied');
    }
    let card: { last4: string } | undefined;
    if (c.fieldEncryption) {
      // The client sealed the card for payments; payments opens it (binding checked) and encrypts the number for storage.
      const payment = JSON.parse(body.toString('utf8')) as { card: unknown; reference: string; amount: number; currency: string };
      const amount = parseAmount(payment.amount);
      if (!amount.ok) return refuse(400, 'body_invalid');
      const opened = await encryption.open(payment.card, { reference: payment.reference, amount: formatMinorUnits(amount.minor), currency: payment.currency });
      if (!opened.ok) return refuse(400, opened.reason);
      card = await envelope.seal(opened.card.number, payment.reference);
    }
    sendJson(res, 200, { status: 'accepted', bytes: body.length, ...(card ? { last4: card.last4 } : {}) });
  };
  const fail = (res: ServerResponse, err: unknown) => {
    if (!res.headersSent) sendError(res, 500, 'internal_error', 'bench');
    process.stderr.write(`ladder server: ${(err as Error).message}\n`);
  };

  const closers: Array<() => Promise<void>> = [async () => rmSync(kmsDir, { recursive: true, force: true })];
  const ports: Record<string, number> = {};
  for (const rung of LADDER) {
    const handler = handlerFor(rung);
    if (rung.transport === 'plain') {
      const plain = http.createServer((req, res) => handler(req, res, undefined).catch((err) => fail(res, err)));
      ports[rung.id] = await listenPlain(plain);
      closers.push(() => closePlain(plain));
      continue;
    }
    const mtls = new MtlsServer({ credentials: server, peerPolicy: { revocation, checkRevocation: true }, requireClientCert: rung.transport === 'mtls' }, (req, res, peer) => handler(req, res, peer).catch((err) => fail(res, err)));
    await mtls.listen();
    ports[rung.id] = mtls.port;
    closers.push(() => mtls.close());
  }

  // The sidecar pattern's workload: plaintext on loopback, the caller's identity read from the
  // certificate the sidecar verified, and that header believed only next to the sidecar's own key.
  const mtlsHandler = handlerFor(LADDER.find((r) => r.id === 'mtls')!);
  const expectedKey = Buffer.from(sidecarKey);
  const backend = http.createServer((req, res) => {
    const key = Buffer.from(String(req.headers[SIDECAR_KEY_HEADER] ?? ''));
    if (key.length !== expectedKey.length || !timingSafeEqual(key, expectedKey)) return sendError(res, 403, 'spiffe_id_not_allowed', 'bench');
    let cert: X509Certificate;
    try {
      cert = new X509Certificate(decodeURIComponent(String(req.headers[SIDECAR_CERT_HEADER] ?? '')));
    } catch {
      return sendError(res, 403, 'svid_invalid', 'bench');
    }
    const shape = checkSvidShape(cert, TRUST_DOMAIN);
    if (!shape.ok) return sendError(res, 403, 'svid_invalid', 'bench');
    const peer: PeerIdentity = { spiffeId: shape.spiffeId, certThumbprint: certThumbprint(cert.raw), serial: cert.serialNumber, notAfter: cert.validTo, subject: cert.subject };
    mtlsHandler(req, res, peer).catch((err) => fail(res, err));
  });
  const sidecarBackendPort = await listenPlain(backend);
  closers.push(() => closePlain(backend));
  closers.push(async () => {
    pdpClient.close();
    await pdp.close();
    await ca.close();
  });

  const ready: LadderReady = { type: 'ready', ports, sidecarBackendPort, pdpUrl, client, server, encryptionKeys: encryption.jwks() };
  return { ready, close: async () => { for (const close of closers) await close(); } };
}

function listenPlain(server: http.Server): Promise<number> {
  server.keepAliveTimeout = 5_000;
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port)));
}

function closePlain(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

if (import.meta.main) {
  let running: Awaited<ReturnType<typeof start>> | undefined;
  const stop = async (code: number) => {
    await running?.close().catch(() => undefined);
    process.exit(code);
  };
  process.on('disconnect', () => void stop(0));
  process.on('message', (message: ParentMessage) => {
    if (message.type === 'start') {
      start(message.jwks, message.sidecarKey).then(
        (r) => {
          running = r;
          process.send!(r.ready);
        },
        (err: Error) => {
          process.send!({ type: 'failed', message: err.message });
          void stop(1);
        },
      );
    } else if (message.type === 'cpu') {
      const u = process.cpuUsage();
      process.send!({ type: 'cpu', id: message.id, us: u.user + u.system, rssBytes: process.memoryUsage().rss });
    } else if (message.type === 'stop') void stop(0);
  });
}
