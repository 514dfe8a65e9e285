import { auditLogged, metricEventually, spanRecorded } from '../../harness/gate/detections.ts';
import type { MeshContext } from '../../harness/gate/mesh-context.ts';
import { samplePayment } from '../../harness/actors/payment.ts';
import { newReference } from '../../harness/gate/token-rejection.ts';
import { check, checkThat, expectation } from '../../harness/scenario/check.ts';
import { defineScenario } from '../../harness/scenario/define.ts';
import { pollUntil } from '../../harness/evidence/poll.ts';
import { delta } from '../../harness/collectors/metrics-scraper.ts';

/** How long the gateway may take to hold the CRL that revokes payments' certificate (the long poll answers at once). */
const CRL_WAIT_MS = 5_000;
const PAYMENTS_ROUTE = { route: '/payments', method: 'POST' };

/**
 * The client side of revocation on open connections: the gateway keeps
 * keep-alive connections to payments in its pool. When payments' own
 * certificate is revoked (its key leaked, say), the gateway must stop sending
 * payments over the connections that certificate authenticated, not carry on
 * until the pool happens to recycle them.
 */
export const scenario = defineScenario<MeshContext, Awaited<ReturnType<typeof inject>>>({
  meta: {
    id: 'mtls.open-connection-server-revoked',
    title: "Revoking a server's certificate makes its clients drop their pooled connections to it",
    plane: 'mtls',
    severity: 'high',
    threat: 'A workload whose certificate was revoked keeps receiving traffic over connections its clients opened before the revocation.',
    tags: ['transport', 'revocation', 'keep-alive', 'client'],
    control: { kind: 'code', location: 'services/kit/mtls/peer-watch.ts', description: "a CRL update closes every pooled client connection whose server certificate it revokes" },
    timeoutMs: 40_000,
  },
  inject,
  async expect(ctx, { booked, serial, crlHeld, afterRevocation, cursor, before, reachedPayments }) {
    return expectation(
      [
        check('no request reached payments over a connection its revoked certificate authenticated (counted by payments)', 0, reachedPayments.delta, reachedPayments),
        check('the gateway refuses the payment: payments is unreachable with a revoked certificate', { status: 503, error: 'upstream_unavailable' }, { status: afterRevocation.status, error: afterRevocation.error }, afterRevocation),
      ],
      [
        await auditLogged(cursor, { event: 'connection_closed', role: 'client', reason: 'cert_revoked', serial }),
        await metricEventually(ctx, 'gateway', before, 'meshgate_tls_connections_closed_total', { role: 'client', reason: 'cert_revoked' }),
        await spanRecorded(ctx, 'gateway', 'tls.connection.closed', { 'error.type': 'cert_revoked' }),
      ],
      [
        check('a payment through the gateway was booked before the revocation (its connection to payments was pooled)', 201, booked),
        checkThat("the gateway holds the CRL that revokes payments' certificate", { ok: crlHeld.held, expected: `crlNumber >= ${crlHeld.wanted}`, observed: crlHeld.observed }),
      ],
    );
  },
  async revert(ctx) {
    // Payments cannot renew with a revoked certificate: it enrols again as a fresh deploy would.
    await ctx.engine.restart('payments', ctx.engine.settings('payments'));
  },
});

async function inject(ctx: MeshContext) {
  // A fresh payments process: every connection the gateway pools to it from now on was authenticated
  // by the one certificate this process serves (no rotation happens within minutes of a start).
  const paymentsLog = ctx.mark('payments');
  await ctx.engine.restart('payments', ctx.engine.settings('payments'));
  const issued = await paymentsLog.waitFor((e) => e.audit === true && e.event === 'svid_issued', 5_000);
  const serial = String(issued?.entry.serial ?? '');
  if (!serial) throw new Error('payments logged no svid_issued audit line after its restart');

  const token = await ctx.user.login('alice');
  const booked = (await ctx.user.pay(token, samplePayment(newReference('srv-rev')))).status;

  const cursor = ctx.mark('gateway');
  const before = await ctx.scrape('gateway');
  const { crlNumber } = await ctx.engine.operator.revokeCert(serial);
  const operator = await ctx.actor('operator');
  const crlHeld = await pollUntil(
    async () => {
      const observed = (await operator.call('gateway', 'GET', '/healthz')).json<{ crlNumber: number }>().crlNumber;
      return { held: observed >= crlNumber, wanted: crlNumber, observed };
    },
    (r) => r.held,
    CRL_WAIT_MS,
    50,
  );

  const paymentsBefore = await ctx.scrape('payments');
  const next = await ctx.user.pay(await ctx.user.login('alice'), samplePayment(newReference('srv-rev')));
  const body = next.json<{ error?: string; detail?: string }>();
  const afterRevocation = { status: next.status, error: body.error, detail: body.detail };
  // Payments counts a request once it has answered it; the gateway has its answer (or none) by now.
  const reachedPayments = { route: PAYMENTS_ROUTE, delta: delta(paymentsBefore, await ctx.scrape('payments'), 'meshgate_http_requests_total', PAYMENTS_ROUTE) };
  return { booked, serial, crlHeld, afterRevocation, cursor, before, reachedPayments };
}
