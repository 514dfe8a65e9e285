import type { MeshContext } from '../../harness/gate/mesh-context.ts';
import { check, expectation } from '../../harness/scenario/check.ts';
import { defineScenario } from '../../harness/scenario/define.ts';

export const scenario = defineScenario<MeshContext, Awaited<ReturnType<typeof inject>>>({
  meta: {
    id: 'tokens.token-service-down',
    title: 'With the token service down, login fails closed with 503 sts_unavailable',
    plane: 'tokens',
    severity: 'medium',
    threat: 'A dead dependency surfaces as a generic 500, so operators cannot tell an outage from a bug, and a retrying client cannot tell when to come back.',
    tags: ['tokens', 'availability', 'fail-closed'],
    control: { kind: 'code', location: 'services/kit/http/dependency-error.ts', description: 'an unreachable token service or CA answers 503 with its reason' },
  },
  inject,
  async expect(_ctx, { status, error, retryAfter }) {
    return expectation(
      [check('login answered 503 sts_unavailable', { status: 503, error: 'sts_unavailable' }, { status, error }), check('the 503 says when to retry', true, retryAfter !== undefined, retryAfter ?? null)],
      [],
    );
  },
  async revert(ctx) {
    await ctx.engine.restart('sts');
  },
});

async function inject(ctx: MeshContext) {
  await ctx.engine.kill('sts');
  const res = await ctx.user.post('/login', { username: 'alice', password: ctx.engine.demoPassword('alice') });
  let error: unknown;
  try {
    error = res.json<{ error?: unknown }>().error;
  } catch {
    error = undefined;
  }
  return { status: res.status, error, retryAfter: res.headers['retry-after'] };
}
