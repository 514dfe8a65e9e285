/** The ledger workload: books entries (idempotent on reference) and reads them back. */
import { readJsonBody, BodyError, fieldName } from '../kit/http/json-body.ts';
import { sendError, sendJson } from '../kit/http/respond.ts';
import type { MtlsRouteHandler } from '../kit/http/mesh-router.ts';
import { audit } from '../kit/log/audit.ts';
import { startWorkload, type Workload, type WorkloadSpec } from '../kit/workload/runtime.ts';
import { minorUnits } from '../kit/workload/policy-plane.ts';
import { statePaths } from '../kit/state-layout.ts';
import { embeddedPdp } from '../pdp/embedded-pdp.ts';
import { systemClock, type Clock } from '../kit/clock.ts';
import type { WorkloadConfig } from '../kit/workload/config.ts';
import { LedgerStore, type EntryInput } from './ledger-store.ts';
import { parseAmount } from '../kit/amount.ts';
import { CallerRateLimit } from './caller-rate-limit.ts';
import { STORED_CARD_PATTERN, WRAPPED_KEY_PATTERN, wrappedKeyVersion } from '../kit/e2ee/envelope.ts';
import { rewrapCardKeys, RewrapRefused, type RewrapOutcome } from './card-key-rewrap.ts';

const ENTRY_FIELDS: Record<keyof EntryInput, 'string' | 'number'> = { reference: 'string', amount: 'number', currency: 'string', cardLast4: 'string', cardToken: 'string', cardKey: 'string', owner: 'string' };

export function validateEntry(body: unknown): { ok: true; value: EntryInput } | { ok: false; problems: string[] } {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return { ok: false, problems: ['body must be a JSON object'] };
  const b = body as Record<string, unknown>;
  const problems: string[] = [];
  for (const key of Object.keys(b)) if (!(key in ENTRY_FIELDS)) problems.push(`${fieldName(key)}: unknown field`);
  for (const [key, type] of Object.entries(ENTRY_FIELDS)) if (typeof b[key] !== type) problems.push(`${key}: must be a ${type}`);
  const amount = typeof b.amount === 'number' ? parseAmount(b.amount) : undefined;
  if (amount && !amount.ok) problems.push(`amount: ${amount.problem}`);
  if (typeof b.cardLast4 === 'string' && !/^\d{4}$/.test(b.cardLast4)) problems.push('cardLast4: must be four digits');
  // The ledger only ever holds the sealed card token, never a card number.
  if (typeof b.cardToken === 'string' && !STORED_CARD_PATTERN.test(b.cardToken)) problems.push('cardToken: must be a stored card (a compact JWE, dir + A256GCM)');
  if (typeof b.cardKey === 'string' && !WRAPPED_KEY_PATTERN.test(b.cardKey)) problems.push('cardKey: must be a data key wrapped by kms');
  if (typeof b.reference === 'string' && !/^[A-Za-z0-9_-]{1,64}$/.test(b.reference)) problems.push('reference: must be 1-64 characters of A-Z a-z 0-9 _ -');
  return problems.length ? { ok: false, problems } : { ok: true, value: b as unknown as EntryInput };
}

export async function startLedgerService(config: WorkloadConfig, joinToken: string | undefined, clock: Clock = systemClock): Promise<Workload> {
  const store = new LedgerStore(statePaths(config.stateDir).ledgerDb);
  const reads = new CallerRateLimit(config.settings.ledgerReadsPerSecond);
  const handlers = (workload: Workload): Record<string, MtlsRouteHandler> => ({
    'POST /entries': async (ctx) => {
      const checked = validateEntry(await readJsonBody(ctx.req));
      if (!checked.ok) throw new BodyError('body_invalid', checked.problems.join('; '));
      const { value } = checked;
      const refused = await ctx.authorize({ type: 'Entry', id: value.reference, attributes: { amount: minorUnits(value.amount), currency: value.currency, owner: value.owner } });
      if (refused) return refused;
      const outcome = store.book(checked.value);
      if (outcome.kind === 'conflict') {
        sendError(ctx.res, 409, 'reference_conflict', ctx.requestId, { detail: 'this owner already booked the reference with other details' });
        return;
      }
      audit(workload.logger, { event: 'entry_booked', entry_id: outcome.entry.id, reference: outcome.entry.reference, created: outcome.kind === 'created', request_id: ctx.requestId, peer_spiffe_id: ctx.peer?.spiffeId });
      sendJson(ctx.res, outcome.kind === 'created' ? 201 : 200, { ...outcome.entry, cardToken: undefined, cardKey: undefined, replayed: outcome.kind === 'existing' });
    },
    // The operator's view of the book: how many entries a reference has (no entry data).
    'GET /admin/entries': (ctx) => {
      const reference = new URL(ctx.req.url ?? '/', 'https://localhost').searchParams.get('reference') ?? '';
      if (!reference) return sendError(ctx.res, 400, 'body_invalid', ctx.requestId, { detail: 'reference query parameter is required' });
      sendJson(ctx.res, 200, { reference, count: store.countByReference(reference) });
    },
    // The operator's view of what is stored for a reference: ciphertext and wrapped key, which open only through payments and kms.
    'GET /admin/stored-cards': (ctx) => {
      const reference = new URL(ctx.req.url ?? '/', 'https://localhost').searchParams.get('reference') ?? '';
      if (!reference) return sendError(ctx.res, 400, 'body_invalid', ctx.requestId, { detail: 'reference query parameter is required' });
      sendJson(ctx.res, 200, { reference, cards: store.byReference(reference).map((e) => ({ entryId: e.id, owner: e.owner, cardLast4: e.cardLast4, cardToken: e.cardToken, cardKey: e.cardKey, keyVersion: wrappedKeyVersion(e.cardKey) })) });
    },
    // Moves every stored card key to kms' current wrapping key, so the old versions can be revoked.
    'POST /admin/rewrap-card-keys': async (ctx) => {
      ctx.req.resume();
      let outcome: RewrapOutcome;
      try {
        outcome = await rewrapCardKeys(store, (body) => workload.callDownstream(ctx, 'kms', { method: 'POST', path: '/v1/rewrap', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) }));
      } catch (err) {
        if (!(err instanceof RewrapRefused)) throw err;
        return sendError(ctx.res, 502, 'internal_error', ctx.requestId, { upstream: 'kms', detail: err.message });
      }
      audit(workload.logger, { event: 'card_keys_rewrapped', kind: 'kms', key_version: outcome.currentVersion, rewrapped: outcome.rewrapped, unchanged: outcome.unchanged, failed: outcome.failed.length, request_id: ctx.requestId, peer_spiffe_id: ctx.peer?.spiffeId });
      sendJson(ctx.res, 200, outcome);
    },
    'GET /entries/:id': async (ctx) => {
      const caller = ctx.peer?.spiffeId ?? 'anonymous';
      const limited = reads.take(caller);
      if (!limited.ok) {
        workload.metrics.rateLimited.inc({ route: ctx.route.action });
        return { status: 429, reason: 'rate_limited', headers: { 'retry-after': String(limited.retryAfterSeconds) }, detail: `${caller} exceeded ${config.settings.ledgerReadsPerSecond} entry reads per second` };
      }
      const entry = store.byId(ctx.params.id ?? '');
      if (!entry) return sendError(ctx.res, 404, 'not_found', ctx.requestId);
      const refused = await ctx.authorize({ type: 'Entry', id: entry.id, attributes: { amount: minorUnits(entry.amount), currency: entry.currency, owner: entry.owner } });
      if (refused) return refused;
      sendJson(ctx.res, 200, { ...entry, cardToken: undefined, cardKey: undefined });
    },
  });
  const spec: WorkloadSpec = { config, handlers, embeddedPdp, clock };
  if (joinToken !== undefined) spec.joinToken = joinToken;
  const workload = await startWorkload(spec);
  workload.onClose(() => store.close());
  return workload;
}
