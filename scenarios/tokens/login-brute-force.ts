import { auditLogged, metricEventually } from '../../harness/gate/detections.ts';
import type { MeshContext } from '../../harness/gate/mesh-context.ts';
import { check, expectation } from '../../harness/scenario/check.ts';
import { defineScenario } from '../../harness/scenario/define.ts';

const GUESSES = 12;
const VICTIM = 'carol';

export const scenario = defineScenario<MeshContext, Awaited<ReturnType<typeof inject>>>({
  meta: {
    id: 'tokens.login-brute-force',
    title: 'Password guessing at POST /login is slowed with 429 login_throttled and seen',
    plane: 'tokens',
    severity: 'high',
    threat: 'An attacker tries passwords for one user as fast as the gateway answers.',
    tags: ['tokens', 'login', 'rate-limit'],
    control: { kind: 'setting', location: 'services/kit/workload/settings.ts', description: 'loginUserFailures and loginClientFailures bound failed logins with exponential back-off' },
  },
  inject,
  async expect(ctx, { statuses, retryAfter, cursor, before }) {
    return expectation(
      [
        check('no guess logged in', false, statuses.includes(200), statuses),
        check(`the gateway answered 429 within ${GUESSES} guesses`, true, statuses.includes(429), statuses),
        check('the 429 says when to retry', true, Number(retryAfter) >= 1, retryAfter ?? null),
      ],
      [
        await auditLogged(cursor, { event: 'login_throttled', reason: 'login_throttled', user: VICTIM }),
        await metricEventually(ctx, 'gateway', before, 'meshgate_login_throttled_total', { scope: 'user' }),
      ],
    );
  },
});

async function inject(ctx: MeshContext) {
  const cursor = ctx.mark('gateway');
  const before = await ctx.scrape('gateway');
  const statuses: number[] = [];
  let retryAfter: string | undefined;
  for (let i = 0; i < GUESSES && !statuses.includes(429); i++) {
    const res = await ctx.user.post('/login', { username: VICTIM, password: `guess-${i}` });
    statuses.push(res.status);
    if (res.status === 429) retryAfter = String(res.headers['retry-after'] ?? '');
  }
  return { statuses, retryAfter, cursor, before };
}
