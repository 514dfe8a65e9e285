/**
 * The key-management workload: it hands payments fresh data keys (with their
 * wrap), unwraps them for payments alone, rewraps the ledger's stored keys under
 * the current version without ever showing it a data key, and lets the operator
 * rotate and revoke wrapping-key versions. Each data-key route is decided by
 * the PDP per purpose; a revoked version never unwraps again.
 */
import { readJsonBody, BodyError } from '../kit/http/json-body.ts';
import { sendJson } from '../kit/http/respond.ts';
import type { MtlsRouteContext, MtlsRouteHandler, Refusal } from '../kit/http/mesh-router.ts';
import { audit } from '../kit/log/audit.ts';
import { startWorkload, type Workload, type WorkloadSpec } from '../kit/workload/runtime.ts';
import { statePaths } from '../kit/state-layout.ts';
import { embeddedPdp } from '../pdp/embedded-pdp.ts';
import { systemClock, type Clock } from '../kit/clock.ts';
import type { WorkloadConfig } from '../kit/workload/config.ts';
import { keyContextProblems, WRAPPED_KEY_PATTERN, type KeyContext } from '../kit/e2ee/envelope.ts';
import type { KmsReason } from '../kit/reasons.ts';
import { withKmsSpan } from '../kit/telemetry/spans.ts';
import { WrappingKeys } from './wrapping-keys.ts';

/** Wrapped keys one rewrap request may carry. */
export const REWRAP_BATCH_LIMIT = 100;

const REFUSAL_STATUS: Record<KmsReason, number> = { kms_key_revoked: 403, kms_key_unknown: 400, kms_key_in_use: 409, kms_unwrap_failed: 400 };

function contextOf(body: unknown, where = 'context'): KeyContext {
  const value = (body as { context?: unknown } | null)?.context;
  const problems = keyContextProblems(value, where);
  if (problems.length) throw new BodyError('body_invalid', problems.join('; '));
  return value as KeyContext;
}

function wrappedKeyOf(value: unknown, where: string): string {
  if (typeof value !== 'string' || !WRAPPED_KEY_PATTERN.test(value)) throw new BodyError('body_invalid', `${where}: must be a wrapped key (kms.v<version>.<iv>.<ciphertext>)`);
  return value;
}

function objectBody(body: unknown, fields: readonly string[]): Record<string, unknown> {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new BodyError('body_invalid', 'body must be a JSON object');
  const unknown = Object.keys(body).filter((k) => !fields.includes(k));
  if (unknown.length) throw new BodyError('body_invalid', unknown.map((k) => `${k.slice(0, 40)}: unknown field`).join('; '));
  return body as Record<string, unknown>;
}

export async function startKmsService(config: WorkloadConfig, joinToken: string | undefined, clock: Clock = systemClock): Promise<Workload> {
  const keys = WrappingKeys.loadOrCreate(statePaths(config.stateDir).kmsKeys, clock);

  const handlers = (workload: Workload): Record<string, MtlsRouteHandler> => {
    const count = (operation: 'generate' | 'unwrap' | 'rewrap', version: number | undefined, reason?: KmsReason) =>
      workload.metrics.kmsOperations.inc({ operation, version: version === undefined ? 'none' : String(version), result: reason ? 'refused' : 'ok', reason: reason ?? 'none' });
    const refusal = (reason: KmsReason, detail: string, version?: number): Refusal => ({ status: REFUSAL_STATUS[reason], reason, detail, ...(version === undefined ? {} : { audit: { key_version: version } }) });
    // The PDP decides every data-key request by its purpose (the decision is cacheable: no reference in it).
    const authorize = (ctx: MtlsRouteContext, context: KeyContext) => ctx.authorize({ type: 'DataKey', id: context.purpose, attributes: { purpose: context.purpose } });

    return {
      'POST /v1/data-keys': async (ctx) => {
        const context = contextOf(objectBody(await readJsonBody(ctx.req, 4096), ['context']));
        const refused = await authorize(ctx, context);
        if (refused) return refused;
        const made = withKmsSpan('generate', () => ({ ok: true as const, ...keys.generate(context) }));
        count('generate', made.version);
        sendJson(ctx.res, 200, { keyVersion: made.version, wrappedKey: made.wrappedKey, dataKey: made.dataKey.toString('base64') }, { 'cache-control': 'no-store' });
        made.dataKey.fill(0);
      },
      'POST /v1/unwrap': async (ctx) => {
        const body = objectBody(await readJsonBody(ctx.req, 4096), ['context', 'wrappedKey']);
        const context = contextOf(body);
        const wrappedKey = wrappedKeyOf(body.wrappedKey, 'wrappedKey');
        const refused = await authorize(ctx, context);
        if (refused) return refused;
        const opened = withKmsSpan('unwrap', () => keys.unwrap(wrappedKey, context, { revokedStillUnwrap: config.settings.kmsUnwrapRevoked }));
        if (!opened.ok) {
          count('unwrap', opened.version, opened.reason);
          return refusal(opened.reason, opened.detail, opened.version);
        }
        count('unwrap', opened.version);
        sendJson(ctx.res, 200, { keyVersion: opened.version, dataKey: opened.dataKey.toString('base64') }, { 'cache-control': 'no-store' });
        opened.dataKey.fill(0);
      },
      'POST /v1/rewrap': async (ctx) => {
        const body = objectBody(await readJsonBody(ctx.req, 64 * 1024), ['keys']);
        if (!Array.isArray(body.keys) || body.keys.length === 0 || body.keys.length > REWRAP_BATCH_LIMIT) throw new BodyError('body_invalid', `keys: must be an array of 1 to ${REWRAP_BATCH_LIMIT} { wrappedKey, context }`);
        const items = body.keys.map((item, i) => {
          const fields = objectBody(item, ['context', 'wrappedKey']);
          return { context: contextOf(fields, `keys[${i}].context`), wrappedKey: wrappedKeyOf(fields.wrappedKey, `keys[${i}].wrappedKey`) };
        });
        for (const purpose of new Set(items.map((i) => i.context.purpose))) {
          const refused = await authorize(ctx, items.find((i) => i.context.purpose === purpose)!.context);
          if (refused) return refused;
        }
        const results = items.map(({ wrappedKey, context }) => {
          const done = withKmsSpan('rewrap', () => keys.rewrap(wrappedKey, context));
          if (!done.ok) {
            count('rewrap', done.version, done.reason);
            return { error: done.reason, keyVersion: done.version ?? null };
          }
          count('rewrap', done.version);
          return { wrappedKey: done.wrappedKey, keyVersion: done.version, changed: done.changed };
        });
        const failed = results.filter((r) => 'error' in r).length;
        if (failed) audit(workload.logger, { event: 'key_rewrap_refused', kind: 'kms', failed, of: results.length, request_id: ctx.requestId, peer_spiffe_id: ctx.peer?.spiffeId });
        sendJson(ctx.res, 200, { currentVersion: keys.current, results });
      },
      'GET /admin/key-versions': (ctx) => sendJson(ctx.res, 200, { current: keys.current, versions: keys.versions() }),
      'POST /admin/rotate': (ctx) => {
        ctx.req.resume();
        const rotated = keys.rotate();
        audit(workload.logger, { event: 'key_rotated', kind: 'kms', key_version: rotated.current, previous: rotated.previous, request_id: ctx.requestId, peer_spiffe_id: ctx.peer?.spiffeId });
        sendJson(ctx.res, 200, rotated);
      },
      'POST /admin/revoke': async (ctx) => {
        const version = objectBody(await readJsonBody(ctx.req, 1024), ['version']).version;
        if (!Number.isInteger(version) || (version as number) < 1) throw new BodyError('body_invalid', 'version: must be a positive integer');
        const revoked = keys.revoke(version as number);
        if (!revoked.ok) return refusal(revoked.reason, revoked.detail, version as number);
        audit(workload.logger, { event: 'key_revoked', kind: 'kms', key_version: revoked.version, request_id: ctx.requestId, peer_spiffe_id: ctx.peer?.spiffeId });
        sendJson(ctx.res, 200, revoked);
      },
    };
  };

  const spec: WorkloadSpec = { config, handlers, embeddedPdp, clock };
  if (joinToken !== undefined) spec.joinToken = joinToken;
  return startWorkload(spec);
}
