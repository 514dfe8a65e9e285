/**
 * The CA as a mesh service. Its enrolment port (server-authenticated TLS) takes
 * join tokens; its mTLS port renews SVIDs, serves the CRL (long poll: a waiting
 * caller learns of a revocation at once) and the operator's admin actions.
 */
import { writeFileSync } from 'node:fs';
import { EventEmitter } from 'node:events';
import { audit } from '../kit/log/audit.ts';
import { readJsonBody, BodyError } from '../kit/http/json-body.ts';
import { sendError, sendJson } from '../kit/http/respond.ts';
import type { RouteContext, RouteHandler } from '../kit/http/mesh-router.ts';
import { WorkloadIdentity } from '../kit/identity/workload-identity.ts';
import { RevocationList } from '../kit/mtls/revocation-list.ts';
import { spiffeIdFor, checkSpiffeId } from '../kit/spiffe.ts';
import { startWorkload, type Workload } from '../kit/workload/runtime.ts';
import { SERVICE_NAMES } from '../topology.ts';
import { systemClock, type Clock } from '../kit/clock.ts';
import { statePaths } from '../kit/state-layout.ts';
import type { WorkloadConfig } from '../kit/workload/config.ts';
import { CertificateAuthority, publicKeyFromPem, serialOf, type IssueRequest } from './authority.ts';
import { normaliseSerial } from '../kit/ec-keys.ts';
import { JoinTokenRegistry } from './join-tokens.ts';

const LONG_POLL_MS = 20_000;
/** A workload is reached as localhost by the local engine and by its service name on a compose network. */
const serverNames = (spiffeId: string) => ({ dnsNames: ['localhost', ...SERVICE_NAMES.filter((s) => spiffeIdFor(s) === spiffeId)], ipAddresses: ['127.0.0.1'] });

function field<T>(body: Record<string, unknown>, key: string, type: string, problems: string[], optional = false): T | undefined {
  const value = body[key];
  if (value === undefined && optional) return undefined;
  if (typeof value !== type) problems.push(`${key} must be a ${type}`);
  return value as T;
}

async function jsonObject(ctx: RouteContext): Promise<Record<string, unknown>> {
  const body = await readJsonBody(ctx.req, 32 * 1024);
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new BodyError('body_invalid', 'body must be a JSON object');
  return body as Record<string, unknown>;
}

export interface CaService {
  workload: Workload;
  authority: CertificateAuthority;
  joinTokens: JoinTokenRegistry;
  close(): Promise<void>;
}

/** Encryption-key certificates outlive many SVIDs: clients cache the key set, and a key is used for a while. */
export const ENCRYPTION_CERT_TTL_SECONDS = 6 * 3600;

export async function startCaService(config: WorkloadConfig, clock: Clock = systemClock): Promise<CaService> {
  const paths = statePaths(config.stateDir);
  const authority = await CertificateAuthority.loadOrCreate(paths.ca, { defaultTtlSeconds: config.svidTtlSeconds ?? config.settings.svidTtlSeconds, clock });
  writeFileSync(config.bundlePath, authority.bundlePem);
  const joinTokens = new JoinTokenRegistry({ path: paths.joinTokens, clock });
  const revocation = new RevocationList(authority.bundlePem);
  const initialCrl = await authority.crl();
  await revocation.update(initialCrl.pem, initialCrl.number);
  const crlChanged = new EventEmitter();
  crlChanged.setMaxListeners(0);

  // The CA's own SVID comes straight from its authority, on the same renewal schedule as every workload's.
  const issueOwn = async () => {
    const next = await authority.issue({ spiffeId: spiffeIdFor('ca'), ...serverNames(spiffeIdFor('ca')) });
    return { svid: { ...next, bundlePem: authority.bundlePem }, keyPem: next.keyPem! };
  };
  const own = await issueOwn();
  const identity = WorkloadIdentity.fromCredentials({ certPem: own.svid.certPem, keyPem: own.keyPem, bundlePem: authority.bundlePem }, { caEnrolUrl: '', caUrl: '', bundlePem: authority.bundlePem, renewer: issueOwn, clock });

  const svidBody = (svid: Awaited<ReturnType<CertificateAuthority['issue']>>) => ({ ...svid, keyPem: undefined, bundlePem: authority.bundlePem });

  const handlers = (workload: Workload): Record<string, RouteHandler> => ({
    'POST /renew': async (ctx) => {
      const body = await jsonObject(ctx);
      if (typeof body.csr !== 'string') throw new BodyError('body_invalid', 'csr must be a PEM string');
      const svid = await authority.issueForCsr(body.csr, ctx.peer!.spiffeId, serverNames(ctx.peer!.spiffeId)).catch((err: Error) => {
        throw new BodyError('body_invalid', err.message);
      });
      audit(workload.logger, { event: 'svid_issued', spiffe_id: svid.spiffeId, serial: svid.serial, via: 'renew', peer_spiffe_id: ctx.peer!.spiffeId });
      sendJson(ctx.res, 200, svidBody(svid));
    },
    'GET /crl': async (ctx) => {
      const after = Number(new URL(ctx.req.url ?? '/', 'https://x').searchParams.get('after') ?? -1);
      let crl = await authority.crl();
      if (after >= 0 && crl.number <= after) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, LONG_POLL_MS);
          function done(): void {
            clearTimeout(timer);
            crlChanged.off('changed', done);
            ctx.req.socket.off('close', done);
            resolve();
          }
          crlChanged.once('changed', done);
          ctx.req.socket.once('close', done);
        });
        crl = await authority.crl();
      }
      ctx.res.writeHead(200, { 'content-type': 'application/pkix-crl', 'x-crl-number': String(crl.number), 'cache-control': 'no-store' });
      ctx.res.end(crl.pem);
    },
    'GET /bundle.pem': ({ res }) => {
      res.writeHead(200, { 'content-type': 'application/x-pem-file' });
      res.end(authority.bundlePem);
    },
    'POST /encryption-cert': async (ctx) => {
      // A workload's encryption key, certified as the caller's own identity: clients verify it before they seal for it.
      const body = await jsonObject(ctx);
      if (typeof body.publicKeyPem !== 'string') throw new BodyError('body_invalid', 'publicKeyPem must be a PEM string');
      let publicKey: IssueRequest['publicKey'];
      try {
        publicKey = publicKeyFromPem(body.publicKeyPem);
      } catch (err) {
        throw new BodyError('body_invalid', `publicKeyPem: ${(err as Error).message}`);
      }
      const cert = await authority.issue({ spiffeId: ctx.peer!.spiffeId, publicKey, use: 'key-agreement', ttlSeconds: ENCRYPTION_CERT_TTL_SECONDS });
      audit(workload.logger, { event: 'svid_issued', spiffe_id: cert.spiffeId, serial: cert.serial, via: 'encryption-cert', peer_spiffe_id: ctx.peer!.spiffeId });
      sendJson(ctx.res, 200, { certPem: cert.certPem, serial: cert.serial, notAfter: cert.notAfter, bundlePem: authority.bundlePem });
    },
    'POST /admin/issue': async (ctx) => {
      const body = await jsonObject(ctx);
      const problems: string[] = [];
      const spiffeId = field<string>(body, 'spiffeId', 'string', problems);
      const ttlSeconds = field<number>(body, 'ttlSeconds', 'number', problems, true);
      const notBefore = field<string>(body, 'notBefore', 'string', problems, true);
      const notAfter = field<string>(body, 'notAfter', 'string', problems, true);
      const allowForeignTrustDomain = field<boolean>(body, 'allowForeignTrustDomain', 'boolean', problems, true);
      const publicKeyPem = field<string>(body, 'publicKeyPem', 'string', problems, true);
      const malformed = body.malformed as IssueRequest['malformed'] | undefined;
      if (problems.length) throw new BodyError('body_invalid', problems.join('; '));
      const request: IssueRequest = { spiffeId: spiffeId!, ...serverNames(spiffeId!) };
      if (allowForeignTrustDomain) request.allowForeignTrustDomain = true;
      if (ttlSeconds !== undefined) request.ttlSeconds = ttlSeconds;
      if (notBefore !== undefined) request.notBefore = new Date(notBefore);
      if (notAfter !== undefined) request.notAfter = new Date(notAfter);
      if (malformed) request.malformed = malformed;
      if (publicKeyPem !== undefined) {
        try {
          request.publicKey = publicKeyFromPem(publicKeyPem);
        } catch (err) {
          throw new BodyError('body_invalid', `publicKeyPem: ${(err as Error).message}`);
        }
      }
      const svid = await authority.issue(request).catch((err: Error) => {
        throw new BodyError('body_invalid', err.message);
      });
      audit(workload.logger, { event: 'admin_action', action: 'issue', spiffe_id: svid.spiffeId, serial: svid.serial, not_before: svid.notBefore, not_after: svid.notAfter, peer_spiffe_id: ctx.peer!.spiffeId });
      sendJson(ctx.res, 200, { ...svid, bundlePem: authority.bundlePem });
    },
    'POST /admin/revoke': async (ctx) => {
      const body = await jsonObject(ctx);
      let serial: string;
      try {
        serial = typeof body.serial === 'string' ? normaliseSerial(body.serial) : typeof body.certPem === 'string' ? serialOf(body.certPem) : '';
      } catch (err) {
        throw new BodyError('body_invalid', (err as Error).message);
      }
      if (!serial) throw new BodyError('body_invalid', 'serial or certPem is required');
      const crl = await authority.revoke(serial);
      await revocation.update(crl.pem, crl.number);
      crlChanged.emit('changed');
      audit(workload.logger, { event: 'cert_revoked', serial, crl_number: crl.number, peer_spiffe_id: ctx.peer!.spiffeId });
      sendJson(ctx.res, 200, { serial, crlNumber: crl.number, revokedAt: new Date().toISOString() });
    },
    'POST /admin/join-tokens': async (ctx) => {
      const body = await jsonObject(ctx);
      const checked = checkSpiffeId(body.spiffeId);
      const spiffeId = String(body.spiffeId);
      if (!checked.ok) throw new BodyError('body_invalid', `spiffeId ${checked.problem}`);
      if (checked.id.trustDomain !== authority.trustDomain) throw new BodyError('body_invalid', `spiffeId is in trust domain ${checked.id.trustDomain}, not ${authority.trustDomain}`);
      const ttl = typeof body.ttlSeconds === 'number' ? body.ttlSeconds : 300;
      const token = joinTokens.add(spiffeId, ttl);
      audit(workload.logger, { event: 'admin_action', action: 'join_token', spiffe_id: spiffeId, peer_spiffe_id: ctx.peer!.spiffeId });
      sendJson(ctx.res, 200, { token, spiffeId, expiresInSeconds: ttl });
    },
  });

  const enrolHandlers = (workload: Workload): Record<string, RouteHandler> => ({
    'POST /join': async (ctx) => {
      const body = await jsonObject(ctx);
      if (typeof body.token !== 'string' || typeof body.csr !== 'string') throw new BodyError('body_invalid', 'token and csr must be strings');
      const outcome = joinTokens.redeem(body.token);
      if (!outcome.ok) {
        audit(workload.logger, { event: 'join_refused', reason: outcome.reason, peer_addr: ctx.req.socket.remoteAddress, request_id: ctx.requestId });
        sendError(ctx.res, 401, outcome.reason, ctx.requestId);
        return;
      }
      const svid = await authority.issueForCsr(body.csr, outcome.spiffeId, serverNames(outcome.spiffeId)).catch((err: Error) => {
        throw new BodyError('body_invalid', err.message);
      });
      audit(workload.logger, { event: 'join_accepted', spiffe_id: svid.spiffeId, serial: svid.serial, peer_addr: ctx.req.socket.remoteAddress });
      sendJson(ctx.res, 200, svidBody(svid));
    },
    'GET /bundle.pem': handlers(workload)['GET /bundle.pem']!,
    'GET /healthz': ({ res }) => sendJson(res, 200, { status: 'ok', service: 'ca' }),
  });

  const workload = await startWorkload({
    clock,
    config,
    identity,
    revocation,
    handlers,
    publicPort: (w) => ({ handlers: enrolHandlers(w) }),
  });
  return { workload, authority, joinTokens, close: () => workload.close() };
}
