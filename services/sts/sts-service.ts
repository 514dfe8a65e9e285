/**
 * The token service as a mesh workload: the OAuth token endpoint (callers
 * authenticated by their SVID, RFC 8705), the JWKS, and the operator's key
 * rotation and revocation.
 */
import { mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { audit } from '../kit/log/audit.ts';
import { readFormBody, readJsonBody, BodyError } from '../kit/http/json-body.ts';
import { sendError, sendJson } from '../kit/http/respond.ts';
import type { MtlsRouteHandler } from '../kit/http/mesh-router.ts';
import { startWorkload, type Workload } from '../kit/workload/runtime.ts';
import { systemClock, type Clock } from '../kit/clock.ts';
import { statePaths } from '../kit/state-layout.ts';
import type { WorkloadConfig } from '../kit/workload/config.ts';
import { revokeSigningKey, rotateSigningKey } from './admin.ts';
import { SigningKeys } from './signing-keys.ts';
import { TokenEndpoint } from './token-endpoint.ts';
import { TokenIssuer } from './token-issuer.ts';
import { UserDirectory } from './user-directory.ts';

export interface StsService {
  workload: Workload;
  keys: SigningKeys;
  close(): Promise<void>;
}

export async function startStsService(config: WorkloadConfig, joinToken: string | undefined, clock: Clock = systemClock): Promise<StsService> {
  const accessTokenTtlSeconds = config.settings.accessTokenTtlSeconds;
  const keys = await SigningKeys.create({ maxTokenLifetimeSeconds: Math.max(300, accessTokenTtlSeconds), clock, extractable: config.settings.signingKeyBackup });
  keepSigningKeyBackup(keys, statePaths(config.stateDir).signingKeyBackup, config.settings.signingKeyBackup);
  const issuer = new TokenIssuer({ keys, accessTokenTtlSeconds, clock });
  const users = await UserDirectory.create();
  const usersFile = statePaths(config.stateDir).users;
  mkdirSync(dirname(usersFile), { recursive: true, mode: 0o700 });
  await users.writeCredentialsFile(usersFile);
  // Least privilege: an access token exists only for an edge the topology declares ('any-workload' is the mutant).
  const endpoint = new TokenEndpoint({ issuer, users, clock, audiencePolicy: config.settings.widenTokenAudiences ? 'any-workload' : 'declared-edges' });

  const handlers = (workload: Workload): Record<string, MtlsRouteHandler> => ({
    'POST /token': async (ctx) => {
      const form = await readFormBody(ctx.req, 16 * 1024);
      // No token is ever bound to a certificate the CRL names, even on a connection that raced the revocation.
      if (config.settings.checkRevocation && workload.revocation.isRevoked(ctx.peer!.serial)) {
        audit(workload.logger, { event: 'token_refused', reason: 'token_cert_revoked', request_id: ctx.requestId, peer_spiffe_id: ctx.peer!.spiffeId, serial: ctx.peer!.serial });
        sendError(ctx.res, 401, 'token_cert_revoked', ctx.requestId);
        return;
      }
      const answer = await endpoint.handleTokenRequest(form, { spiffeId: ctx.peer!.spiffeId, certThumbprint: ctx.peer!.certThumbprint });
      const { event, ...fields } = answer.audit;
      audit(workload.logger, { event, ...fields, request_id: ctx.requestId, peer_spiffe_id: ctx.peer!.spiffeId, correlation_id: ctx.correlationId });
      sendJson(ctx.res, answer.status, answer.body, answer.headers);
    },
    'GET /.well-known/jwks.json': ({ res }) => sendJson(res, 200, keys.jwks(), { 'cache-control': 'max-age=1' }),
    'POST /admin/rotate': async (ctx) => {
      ctx.req.resume();
      const answer = await rotateSigningKey(keys, ctx.peer!.spiffeId, clock);
      workload.metrics.jwksEvents.inc({ event: 'rotated' });
      audit(workload.logger, { ...answer.audit, event: 'key_rotated', request_id: ctx.requestId });
      sendJson(ctx.res, answer.status, answer.body);
    },
    'POST /admin/revoke': async (ctx) => {
      const body = await readJsonBody(ctx.req);
      if (body === null || typeof body !== 'object') throw new BodyError('body_invalid', 'body must be a JSON object with kid');
      const answer = await revokeSigningKey(keys, (body as { kid?: unknown }).kid, ctx.peer!.spiffeId, clock);
      if (answer.status === 200) {
        workload.metrics.jwksEvents.inc({ event: 'revoked' });
        audit(workload.logger, { ...answer.audit, event: 'key_revoked', request_id: ctx.requestId });
      }
      sendJson(ctx.res, answer.status, answer.body);
    },
  });

  const spec: Parameters<typeof startWorkload>[0] = { config, handlers, clock };
  if (joinToken !== undefined) spec.joinToken = joinToken;
  const workload = await startWorkload(spec);
  // An operator reading the token service's log can see the unsafe backup; no key material is logged.
  if (config.settings.signingKeyBackup) workload.logger.warn({ file: statePaths(config.stateDir).signingKeyBackup }, 'signing keys backed up to a file readable on this host');
  const ticker = setInterval(() => {
    void keys.tick().then(({ rotated }) => {
      if (!rotated) return;
      workload.metrics.jwksEvents.inc({ event: 'rotated' });
      audit(workload.logger, { event: 'key_rotated', kid: keys.currentKid, scheduled: true });
    });
  }, 10_000);
  ticker.unref();
  workload.onClose(() => clearInterval(ticker));
  return { workload, keys, close: () => workload.close() };
}

/**
 * The unsafe backup: every change of the key set is written, private keys and all, to a file anyone on the
 * host can read. A safe deploy removes a backup an earlier unsafe one left behind.
 */
function keepSigningKeyBackup(keys: SigningKeys, file: string, enabled: boolean): void {
  if (!enabled) {
    rmSync(file, { force: true });
    return;
  }
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  // One write at a time, in the order of the changes.
  let writing = Promise.resolve();
  const write = () => {
    writing = writing
      .then(() => keys.backup())
      .then((backup) => {
        writeFileSync(`${file}.tmp`, JSON.stringify(backup), { mode: 0o644 });
        renameSync(`${file}.tmp`, file);
      })
      .catch(() => undefined);
  };
  write();
  keys.onChange(write);
}
