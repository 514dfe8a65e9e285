import https from 'node:https';
import { auditLogged } from '../../harness/gate/detections.ts';
import type { MeshContext } from '../../harness/gate/mesh-context.ts';
import { check, expectation } from '../../harness/scenario/check.ts';
import { defineScenario } from '../../harness/scenario/define.ts';
import { newReference } from '../../harness/gate/reference.ts';
import { samplePayment } from '../../harness/actors/payment.ts';

export const scenario = defineScenario<MeshContext, Awaited<ReturnType<typeof inject>>>({
  meta: {
    id: 'tokens.duplicate-credentials',
    title: 'A request with two Authorization or Txn-Token headers is refused as ambiguous',
    plane: 'tokens',
    severity: 'medium',
    threat: 'Two credentials headers read differently by two hops (the first here, the last there) let a forged one ride beside a real one.',
    tags: ['tokens', 'headers', 'smuggling'],
    control: { kind: 'code', location: 'services/kit/http/ambiguous-headers.ts', description: 'duplicate security headers are refused with 400 header_ambiguous' },
  },
  inject,
  async expect(ctx, { answers, cursor, reference }) {
    return expectation(
      [
        ...answers.map((a) => check(`two ${a.header} headers answered 400 header_ambiguous`, { status: 400, error: 'header_ambiguous' }, { status: a.status, error: a.error })),
        check('nothing booked', 0, await ctx.engine.ledger.entriesFor(reference)),
      ],
      [await auditLogged(cursor, { event: 'request_refused', reason: 'header_ambiguous', peer_spiffe_id: 'spiffe://meshgate.test/gateway' })],
    );
  },
});

async function inject(ctx: MeshContext) {
  const gateway = await ctx.actor('gateway');
  const userToken = await ctx.user.login('alice');
  const access = await gateway.accessToken('payments');
  const reference = newReference('dup-header');
  const body = JSON.stringify(samplePayment(reference));
  const url = new URL(ctx.engine.endpoint('payments').url);
  const cursor = ctx.mark('payments');
  const answers = [];
  for (const header of ['authorization', 'txn-token']) {
    const txn = await gateway.transactionToken(userToken, 25);
    const first = header === 'authorization' ? `Bearer ${access}` : txn;
    const raw = [['host', 'localhost'], ['content-type', 'application/json'], ['content-length', String(Buffer.byteLength(body))], ['authorization', `Bearer ${access}`], ['txn-token', txn], [header, first]].flat();
    const answer = await new Promise<{ status: number; text: string }>((resolve, reject) => {
      const req = https.request(
        { host: '127.0.0.1', port: url.port, path: '/payments', method: 'POST', servername: 'localhost', ca: gateway.credentials.bundlePem, cert: gateway.credentials.certPem, key: gateway.credentials.keyPem, agent: false, headers: raw as unknown as Record<string, string>, timeout: 10_000 },
        (res) => {
          let text = '';
          res.on('data', (d) => (text += d));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
        },
      );
      req.on('error', reject);
      req.end(body);
    });
    let error: unknown;
    try {
      error = (JSON.parse(answer.text) as { error?: unknown }).error;
    } catch {
      error = undefined;
    }
    answers.push({ header, status: answer.status, error });
  }
  return { answers, cursor, reference };
}
