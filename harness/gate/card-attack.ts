/**
 * The shape shared by attacks on the sealed card from a compromised gateway:
 * it holds the gateway's identity and a user's genuine tokens, and hands
 * payments a sealed card it has tampered with (moved, altered, re-encrypted
 * with a weaker algorithm). The control held when payments answered 400 with
 * the exact card reason code and booked nothing; operators saw it when the
 * audit line, the sealed-card counter and the card-open span carry the reason.
 */
import type { CardReason } from '../../services/kit/reasons.ts';
import type { MeshResponse } from '../../services/kit/mtls/client.ts';
import { samplePayment, type PaymentBody } from '../actors/payment.ts';
import { sealPayment } from '../actors/card-sealer.ts';
import { check, expectation } from '../scenario/check.ts';
import { scenarioDefiner, type Scenario } from '../scenario/define.ts';
import type { ScenarioMeta } from '../scenario/meta.ts';
import { auditLogged, metricEventually, spanRecorded } from './detections.ts';
import type { MeshContext } from './mesh-context.ts';
import { newReference } from './reference.ts';
import type { LogCursor } from '../evidence/log-cursor.ts';
import type { MetricsSnapshot } from '../collectors/metrics-scraper.ts';
import { legitTokens } from './token-rejection.ts';

const define = scenarioDefiner<MeshContext>();

export interface CardAttack {
  meta: ScenarioMeta;
  reason: CardReason;
  /**
   * The sealed cards the compromised gateway sends for `payment` (each is one request, every one must be refused).
   * `seal` seals a card as a genuine client would, for any payment.
   */
  tamper(ctx: MeshContext, payment: PaymentBody, seal: (p: PaymentBody) => Promise<string>): Promise<Array<{ variant: string; card: string }>>;
}

interface Injected {
  answers: Array<{ variant: string; res: MeshResponse }>;
  reference: string;
  cursor: LogCursor;
  before: MetricsSnapshot;
}

export function cardAttackScenario(attack: CardAttack): Scenario<MeshContext, Injected> {
  return define<Injected>({
    meta: attack.meta,
    async inject(ctx) {
      const legit = await legitTokens(ctx);
      const payment = samplePayment(newReference('e2ee'), { amount: legit.amount });
      const seal = async (p: PaymentBody) => (await sealPayment(ctx.engine, p)).card;
      const variants = await attack.tamper(ctx, payment, seal);
      const cursor = ctx.mark('payments');
      const before = await ctx.scrape('payments');
      const answers: Array<{ variant: string; res: MeshResponse }> = [];
      // Payments gives the transaction token back when it refuses the card, so each variant reuses it.
      for (const { variant, card } of variants) {
        const res = await legit.gateway.call('payments', 'POST', '/payments', { body: { ...payment, card }, headers: { authorization: `Bearer ${legit.accessToken}`, 'txn-token': legit.txnToken } });
        answers.push({ variant, res });
      }
      return { answers, reference: payment.reference, cursor, before };
    },
    async expect(ctx, { answers, reference, cursor, before }) {
      const observed = answers.map(({ variant, res }) => ({ variant, status: res.status, error: res.json<{ error?: string }>().error }));
      return expectation(
        [
          check(`every variant answered 400 ${attack.reason}`, answers.map(({ variant }) => ({ variant, status: 400, error: attack.reason })), observed),
          check('nothing was booked', 0, await ctx.booked(reference)),
        ],
        [
          await auditLogged(cursor, { event: 'request_refused', reason: attack.reason, route: 'POST /payments' }),
          await metricEventually(ctx, 'payments', before, 'meshgate_sealed_cards_total', { result: 'refused', reason: attack.reason }, answers.length),
          await spanRecorded(ctx, 'payments', 'meshgate.card.open', { 'error.type': attack.reason }),
        ],
      );
    },
  });
}
