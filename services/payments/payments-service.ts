/**
 * The payments workload: validates a payment strictly, seals the card number,
 * and books it with the ledger, which only ever sees a token and the last four digits.
 */
import { readJsonWithRaw, BodyError } from '../kit/http/json-body.ts';
import { sendJson, sendError } from '../kit/http/respond.ts';
import type { MtlsRouteHandler } from '../kit/http/mesh-router.ts';
import { logRequestBody } from '../kit/log/logger.ts';
import { startWorkload, type Workload } from '../kit/workload/runtime.ts';
import { statePaths } from '../kit/state-layout.ts';
import { embeddedPdp } from '../pdp/embedded-pdp.ts';
import { systemClock, type Clock } from '../kit/clock.ts';
import type { WorkloadConfig } from '../kit/workload/config.ts';
import { CardVault } from './card-vault.ts';
import { validatePaymentRequest } from './payment-request.ts';

export const PAYMENT_BODY_LIMIT = 8 * 1024;

export async function startPaymentsService(config: WorkloadConfig, joinToken: string | undefined, clock: Clock = systemClock): Promise<Workload> {
  const vault = CardVault.loadOrCreate(statePaths(config.stateDir).cardKey);
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
      const owner = ctx.facts.user ?? 'anonymous';
      const refused = await ctx.authorize({ type: 'Payment', id: value.reference, attributes: { amount: value.amountMinor, currency: value.currency, owner } });
      if (refused) return refused;
      const sealed = vault.seal(value.card.number);
      const booked = await workload.callDownstream(ctx, 'ledger', {
        method: 'POST',
        path: '/entries',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ reference: value.reference, amount: value.amount, currency: value.currency, cardLast4: sealed.last4, cardToken: sealed.token, owner }),
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
  });
  const spec: Parameters<typeof startWorkload>[0] = { config, handlers, embeddedPdp, clock };
  if (joinToken !== undefined) spec.joinToken = joinToken;
  return startWorkload(spec);
}
