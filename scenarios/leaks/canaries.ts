import { createCanaries } from '../../harness/collectors/canaries.ts';
import { describeHit, LeakScanner, scanSinks } from '../../harness/collectors/leak-scanner.ts';
import { auditLogged } from '../../harness/gate/detections.ts';
import type { MeshContext } from '../../harness/gate/mesh-context.ts';
import { newReference } from '../../harness/gate/reference.ts';
import { samplePayment } from '../../harness/actors/payment.ts';
import { check, expectation } from '../../harness/scenario/check.ts';
import { defineScenario } from '../../harness/scenario/define.ts';

/**
 * Unique canaries (a Luhn-valid card number, a JWT, a PEM private key, a
 * password) travel in real requests; afterwards no log, span, metric or
 * decision log may hold any of them in any encoding.
 */
export const scenario = defineScenario<MeshContext, Awaited<ReturnType<typeof inject>>>({
  meta: {
    id: 'leaks.canaries',
    title: 'Secrets in real traffic appear in no log, span, metric or decision log',
    plane: 'leaks',
    severity: 'critical',
    threat: 'Card numbers, passwords, tokens or keys end up in logs and traces that far more people can read.',
    tags: ['leaks', 'redaction', 'observability'],
    control: { kind: 'code', location: 'services/kit/log/redact-paths.ts', description: 'redaction by path; bodies never logged verbatim (logBodies false)' },
    timeoutMs: 30_000,
  },
  inject,
  async expect(_ctx, { planted, hits, sinks, gatewayAudit, tokenAudit }) {
    return expectation(
      [
        check('the canary payment was booked (the card really travelled)', 201, planted.payment),
        check('the canary password was refused at login', 401, planted.login),
        check('the canary JWT was refused', 401, planted.jwt),
        check('the body with a canary key was refused', 400, planted.key),
        // Zero hits proves something only if every kind of sink was there to scan.
        check('every kind of sink was scanned', true, sinks.logFiles > 0 && sinks.spans > 0 && sinks.metricsEndpoints > 0, sinks),
        check('no sink holds a secret', [], hits.slice(0, 20), sinks),
      ],
      [gatewayAudit, tokenAudit],
    );
  },
});

async function inject(ctx: MeshContext) {
  const canaries = createCanaries(ctx.scope.runId);
  const gatewayLog = ctx.mark('gateway');
  const token = await ctx.user.login('alice');
  const payment = await ctx.user.pay(token, samplePayment(newReference('leak'), { card: { number: canaries.card.value, expiry: '10/37' } }));
  const login = await ctx.user.post('/login', { username: 'alice', password: canaries.password.value });
  const jwt = await ctx.user.pay(canaries.jwt.value, samplePayment(newReference('leak-jwt')));
  const key = await ctx.user.pay(token, JSON.stringify({ ...samplePayment(newReference('leak-key')), note: canaries.privateKey.value }));
  const planted = { payment: payment.status, login: login.status, jwt: jwt.status, key: key.status };
  // Let batched spans arrive before scanning.
  await new Promise((r) => setTimeout(r, 600));
  const logs = ctx.engine.logFiles();
  const metrics = await Promise.all(ctx.engine.services().map(async (s) => ({ source: `${s.name}/metrics`, text: await ctx.engine.operator.metricsText(s.name) })));
  const spans = ctx.spans();
  const scanner = new LeakScanner({ canaries: canaries.all });
  const found = await scanSinks(scanner, { logFiles: logs.filter((f) => !f.endsWith('pdp-decisions.log')), decisionLogs: logs.filter((f) => f.endsWith('pdp-decisions.log')), spans, metrics });
  return {
    planted,
    hits: found.map(describeHit),
    sinks: { logFiles: logs.length, spans: spans.length, metricsEndpoints: metrics.length },
    gatewayAudit: await auditLogged(gatewayLog, { event: 'login_refused', reason: 'login_failed' }),
    tokenAudit: await auditLogged(gatewayLog, { event: 'token_rejected', route: 'POST /payments', reason: /^token_(malformed|bad_signature|unknown_kid|alg_not_allowed)$/ }),
  };
}
