/**
 * The payments workload: validates a payment strictly, opens the card sealed
 * end to end for it, encrypts the card for storage under a data key from kms,
 * and books it with the ledger, which only ever holds that ciphertext, the
 * wrapped key and the last four digits.
 */
import { readJsonBody, readJsonWithRaw, BodyError } from '../kit/http/json-body.ts';
import { sendJson, sendError } from '../kit/http/respond.ts';
import type { MtlsRouteContext, MtlsRouteHandler } from '../kit/http/mesh-router.ts';
import { logRequestBody } from '../kit/log/logger.ts';
import { startWorkload, type Workload } from '../kit/workload/runtime.ts';
import { embeddedPdp } from '../pdp/embedded-pdp.ts';
import { systemClock, type Clock } from '../kit/clock.ts';
import type { WorkloadConfig } from '../kit/workload/config.ts';
import { CardEnvelope, KmsRefusal, type KmsCall } from './card-envelope.ts';
import { cardProblems, validatePaymentRequest, type PaymentRequest } from './payment-request.ts';
import { PaymentsEncryptionKeys } from './encryption-keys.ts';
import { formatMinorUnits } from '../kit/amount.ts';
import { ENCRYPTION_KEYS_PATH, type CardPlaintext } from '../kit/e2ee/sealed-card.ts';
import type { Refusal } from '../kit/http/mesh-router.ts';
import type { CardReason } from '../kit/reasons.ts';
import { withCardOpenSpan } from '../kit/telemetry/spans.ts';
import { audit } from '../kit/log/audit.ts';

export const PAYMENT_BODY_LIMIT = 8 * 1024;

export async function startPaymentsService(config: WorkloadConfig, joinToken: string | undefined, clock: Clock = systemClock): Promise<Workload> {
  // Each request reaches kms with payments' own access token, carrying the request's correlation id.
  const envelope = (workload: Workload, ctx: MtlsRouteContext) =>
    new CardEnvelope(((path, body) => workload.callDownstream(ctx, 'kms', { method: 'POST', path, headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })) satisfies KmsCall);
  const handlers = (workload: Workload): Record<string, MtlsRouteHandler> => ({
    'POST /payments': async (ctx) => {
      const { value: parsed, raw } = await readJsonWithRaw(ctx.req, PAYMENT_BODY_LIMIT);
      logRequestBody(workload.logger, { route: ctx.route.action, body: parsed, raw, request_id: ctx.requestId, correlation_id: ctx.correlationId });
      const checked = validatePaymentRequest(parsed);
      if (!checked.ok) {
        // Nothing happened: the transaction token stays usable for a corrected request (its slot was held, so no replay raced it).
        workload.tokenPlane?.releaseTxnToken(ctx);
        throw new BodyError('body_invalid', checked.problems.join('; '));
      }
      const { value } = checked;
      const card = await openCard(workload, value);
      if ('refusal' in card) {
        workload.tokenPlane?.releaseTxnToken(ctx);
        return card.refusal;
      }
      const owner = ctx.facts.user ?? 'anonymous';
      const refused = await ctx.authorize({ type: 'Payment', id: value.reference, attributes: { amount: value.amountMinor, currency: value.currency, owner } });
      if (refused) return refused;
      let sealed: Awaited<ReturnType<CardEnvelope['seal']>>;
      try {
        sealed = await envelope(workload, ctx).seal(card.number, value.reference);
      } catch (err) {
        if (!(err instanceof KmsRefusal)) throw err;
        workload.logger.warn({ request_id: ctx.requestId, status: err.status, reason: err.reason }, 'kms gave no data key');
        sendError(ctx.res, 502, 'internal_error', ctx.requestId, { upstream: 'kms', upstream_error: err.reason });
        return;
      }
      const booked = await workload.callDownstream(ctx, 'ledger', {
        method: 'POST',
        path: '/entries',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ reference: value.reference, amount: value.amount, currency: value.currency, cardLast4: sealed.last4, cardToken: sealed.cardToken, cardKey: sealed.cardKey, owner }),
      });
      if (booked.status !== 200 && booked.status !== 201) {
        const reason = booked.json<{ error?: string }>().error ?? 'internal_error';
        if (booked.status === 409 && reason === 'reference_conflict') {
          sendError(ctx.res, 409, 'reference_conflict', ctx.requestId, { detail: 'you already booked this reference with other details' });
          return;
        }
        workload.logger.warn({ request_id: ctx.requestId, status: booked.status, reason }, 'ledger refused the entry');
        sendError(ctx.res, 502, 'internal_error', ctx.requestId, { upstream: 'ledger', upstream_error: String(reason) });
        return;
      }
      const entry = booked.json<Record<string, unknown>>();
      sendJson(ctx.res, booked.status, { paymentId: entry.id, status: 'booked', reference: value.reference, amount: value.amount, currency: value.currency, cardLast4: sealed.last4, owner, replayed: entry.replayed === true });
    },
    'POST /admin/rotate-encryption-key': async (ctx) => {
      ctx.req.resume();
      const rotated = await (await encryptionKeys(workload)).rotate();
      audit(workload.logger, { event: 'key_rotated', kind: 'encryption', kid: rotated.current, retired: rotated.retired, next: rotated.next, request_id: ctx.requestId, peer_spiffe_id: ctx.peer?.spiffeId });
      sendJson(ctx.res, 200, rotated);
    },
    // The operator's proof that a stored card can still be read (after a rotation, a rewrap, a revocation): never the number itself.
    'POST /admin/open-stored-card': async (ctx) => {
      const body = await readJsonBody(ctx.req, 16 * 1024);
      const b = (body ?? {}) as Record<string, unknown>;
      const problems = ['reference', 'cardToken', 'cardKey'].filter((k) => typeof b[k] !== 'string').map((k) => `${k}: must be a string`);
      if (body === null || typeof body !== 'object' || Array.isArray(body) || problems.length) throw new BodyError('body_invalid', problems.join('; ') || 'body must be a JSON object');
      const opened = await envelope(workload, ctx).open({ cardToken: String(b.cardToken), cardKey: String(b.cardKey) }, String(b.reference));
      if (!opened.ok) return { status: opened.status, reason: opened.reason, detail: opened.detail };
      sendJson(ctx.res, 200, { opened: true, keyVersion: opened.keyVersion, cardLast4: opened.number.slice(-4) });
    },
    'GET /encryption-keys': async (ctx) => {
      sendJson(ctx.res, 200, (await encryptionKeys(workload)).jwks(), { 'cache-control': 'max-age=60' });
    },
  });

  // The card arrives sealed for payments alone; only the unsafe compatibility setting takes one in clear.
  const openCard = async (workload: Workload, value: PaymentRequest): Promise<CardPlaintext | { refusal: Refusal }> => {
    const refuse = (reason: CardReason, detail: string) => {
      workload.metrics.sealedCards.inc({ result: 'refused', reason });
      return { refusal: { status: 400, reason, detail } };
    };
    if (typeof value.card !== 'string') return config.settings.allowPlaintextCard ? value.card : refuse('card_not_encrypted', `seal the card for payments' key from ${ENCRYPTION_KEYS_PATH} (a compact JWE)`);
    const keys = await encryptionKeys(workload);
    const sealedCard = value.card;
    const opened = await withCardOpenSpan(() => keys.open(sealedCard, { reference: value.reference, amount: formatMinorUnits(value.amountMinor), currency: value.currency }));
    if (!opened.ok) return refuse(opened.reason, opened.detail);
    const problems = cardProblems(opened.card, new Date(clock.now()));
    if (problems.length > 0) return refuse('card_malformed', problems.join('; '));
    workload.metrics.sealedCards.inc({ result: 'opened', reason: 'none' });
    workload.metrics.sealedCardsOpened.inc({ kid: opened.kid });
    return opened.card;
  };

  // The key ring needs payments' own identity (the CA certifies its keys over mTLS): made once the workload runs.
  let ring: Promise<PaymentsEncryptionKeys> | undefined;
  const encryptionKeys = (workload: Workload) =>
    (ring ??= PaymentsEncryptionKeys.create({
      clock,
      certify: async (publicKeyPem) => {
        const res = await workload.call('ca', { path: '/encryption-cert', method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ publicKeyPem }) });
        if (res.status !== 200) throw new Error(`the CA refused to certify an encryption key: ${res.status} ${res.text().slice(0, 200)}`);
        return res.json<{ certPem: string }>().certPem;
      },
    }));

  const spec: Parameters<typeof startWorkload>[0] = { config, handlers, embeddedPdp, clock };
  if (joinToken !== undefined) spec.joinToken = joinToken;
  const workload = await startWorkload(spec);
  const keys = await encryptionKeys(workload);
  const rotation = setInterval(
    () =>
      void keys.rotate().then(
        (r) => audit(workload.logger, { event: 'key_rotated', kind: 'encryption', kid: r.current, retired: r.retired, next: r.next, scheduled: true }),
        (err: Error) => workload.logger.warn({ err: err.message }, 'encryption key rotation failed'),
      ),
    ENCRYPTION_KEY_ROTATION_MS,
  );
  rotation.unref();
  workload.onClose(() => clearInterval(rotation));
  return workload;
}

/** How often payments' encryption key rotates (its certificate lives 6 h, so a key is certified for its whole life). */
export const ENCRYPTION_KEY_ROTATION_MS = 60 * 60_000;
