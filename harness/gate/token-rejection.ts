/**
 * The shape shared by token attacks on the payments hop: the attacker holds
 * the gateway's mTLS identity (or a second one) and presents a forged, stale,
 * replayed or stolen token. The control held when payments answered 401 with
 * the exact reason code and nothing was booked; operators saw it when the audit
 * line, the verification counter and the verification span carry the reason.
 */
import type { TokenReason } from '../../services/kit/reasons.ts';
import type { MeshResponse } from '../../services/kit/mtls/client.ts';
import { samplePayment } from '../actors/payment.ts';
import type { Impersonator } from '../actors/impersonator.ts';
import { check, checkMatch, expectation } from '../scenario/check.ts';
import { scenarioDefiner, type Scenario } from '../scenario/define.ts';
import type { ScenarioMeta } from '../scenario/meta.ts';
import type { LogCursor } from '../evidence/log-cursor.ts';
import { auditLogged, metricEventually, spanRecorded } from './detections.ts';
import type { MeshContext } from './mesh-context.ts';
import type { MetricsSnapshot } from '../collectors/metrics-scraper.ts';

const define = scenarioDefiner<MeshContext>();

/** A legitimate gateway's tokens for one payment, as the attack starts from them. */
export interface Legit {
  gateway: Impersonator;
  accessToken: string;
  txnToken: string;
  amount: number;
}

export interface TokenAttack {
  meta: ScenarioMeta;
  reason: TokenReason;
  /** Sends the attack; may send legitimate requests first (e.g. the original use of a replayed token). */
  attack(ctx: MeshContext, legit: Legit, send: (as: Impersonator, headers: Record<string, string>, reference: string) => Promise<MeshResponse>): Promise<MeshResponse>;
  revert?(ctx: MeshContext): Promise<void>;
}

interface Injected {
  res: MeshResponse;
  reference: string;
  presented: string[];
  cursor: LogCursor;
  before: MetricsSnapshot;
}

export async function legitTokens(ctx: MeshContext, amount = 12): Promise<Legit> {
  const gateway = await ctx.actor('gateway');
  const userToken = await ctx.user.login('alice');
  return { gateway, accessToken: await gateway.accessToken('payments'), txnToken: await gateway.transactionToken(userToken, amount), amount };
}

export function tokenRejectionScenario(attack: TokenAttack): Scenario<MeshContext, Injected> {
  const spec: Parameters<typeof define<Injected>>[0] = {
    meta: attack.meta,
    async inject(ctx) {
      const legit = await legitTokens(ctx);
      let reference = '';
      let presented: string[] = [];
      const send = (as: Impersonator, headers: Record<string, string>, ref: string) => {
        reference = ref;
        presented = [headers.authorization?.replace(/^Bearer /, ''), headers['txn-token']].filter((t): t is string => typeof t === 'string' && t.length > 0);
        return as.call('payments', 'POST', '/payments', { body: samplePayment(ref, { amount: legit.amount }), headers });
      };
      // Marks are taken after the legitimate tokens were fetched; an attack's own first use (the original
      // request a replay copies) is after the mark, which the checks allow: they look for the refusal only.
      const cursor = ctx.mark('payments');
      const before = await ctx.scrape('payments');
      const res = await attack.attack(ctx, legit, send);
      return { res, reference, presented, cursor, before };
    },
    async expect(ctx, { res, reference, presented, cursor, before }) {
      const body = res.json<{ error?: string }>();
      return expectation(
        [
          check('payments answered 401', 401, res.status),
          check('reason code', attack.reason, body.error, body),
          // RFC 6750 §3.1: a request without credentials gets a bare challenge.
          checkMatch('RFC 6750 challenge', attack.reason === 'token_missing' ? /^Bearer$/ : new RegExp(`invalid_token.*${attack.reason}`), String(res.headers['www-authenticate'] ?? '')),
          check('nothing was booked', 0, await ctx.booked(reference), { reference }),
          // Payload and signature differ per token (the header does not), so search for those parts.
          check('the error body echoes neither token', [], presented.flatMap((t) => t.split('.').slice(1)).filter((part) => part.length > 8 && res.text().includes(part))),
        ],
        [
          await auditLogged(cursor, { event: 'token_rejected', reason: attack.reason }),
          await metricEventually(ctx, 'payments', before, 'meshgate_token_verifications_total', { result: 'fail', reason: attack.reason }),
          await spanRecorded(ctx, 'payments', 'meshgate.token.verify', { 'meshgate.token.reason': attack.reason }),
        ],
      );
    },
  };
  if (attack.revert) spec.revert = (ctx) => attack.revert!(ctx);
  return define<Injected>(spec);
}

export const bearer = (token: string) => `Bearer ${token}`;
export { newReference } from './reference.ts';
