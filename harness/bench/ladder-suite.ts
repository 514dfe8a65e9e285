/** The cost ladder: every rung once per repetition, keep-alive at concurrency 1, in rotated order. */
import type { BenchContext } from './bench-context.ts';
import { cpuSpec, measureClosed, recordPercentiles, rotated } from './bench-context.ts';
import { BENCH_AMOUNT, BENCH_CURRENCY, DEFAULT_PAYLOAD, paymentBody } from './bench-payload.ts';
import { recipientOf, sealPaymentFor } from '../actors/card-sealer.ts';
import { differenceOf, ratioOf, type Figure } from './figure.ts';
import { HOP_RUNG, LADDER, rungById, TOP_RUNG, type Rung } from './ladder-rungs.ts';
import { keepAliveSender, type RequestPlan } from './senders.ts';

/** A request plan with enough fresh transaction tokens for warm-up plus `requests`. */
export async function planFor(ctx: BenchContext, rung: Rung, requests: number, payload = DEFAULT_PAYLOAD): Promise<RequestPlan> {
  const plan: RequestPlan = { body: paymentBody(payload) };
  // Each payment's card sealed by the client beforehand (its cost is the micro suite's "client seal"); the rung measures payments opening it.
  if (rung.controls.fieldEncryption) plan.bodies = await sealedBodies(ctx, payload, requests + ctx.config.warmup);
  // Tokens last: a transaction token lives 30 s from its minting, and the run must fit in that.
  if (rung.controls.accessToken) plan.accessToken = await ctx.tokens.accessToken();
  if (rung.controls.txnToken) plan.txnTokens = await ctx.tokens.txnTokens(requests + ctx.config.warmup);
  return plan;
}

/** `count` payment bodies of `bytes`, each card sealed as a client seals it for payments' current key. */
async function sealedBodies(ctx: BenchContext, bytes: number, count: number): Promise<string[]> {
  const pad = JSON.parse(paymentBody(bytes)) as { pad: string };
  const recipient = recipientOf(ctx.ladder.server.bundlePem, ctx.ladder.encryptionKeys);
  const bodies: string[] = [];
  for (let i = 0; i < count; i++) {
    const sealed = await sealPaymentFor(recipient, { amount: BENCH_AMOUNT, currency: BENCH_CURRENCY, card: { number: '4111111111111111', expiry: '12/39' }, reference: `bench-${i}` });
    bodies.push(JSON.stringify({ ...sealed, pad: pad.pad.slice(0, Math.max(0, pad.pad.length - sealed.card.length)) }));
  }
  return bodies;
}

export async function ladderRep(ctx: BenchContext, rep: number): Promise<void> {
  for (const rung of rotated(LADDER, rep)) {
    const plan = await planFor(ctx, rung, ctx.config.requests);
    const sender = keepAliveSender(rung, ctx.ladder.ports[rung.id]!, ctx.ladder.client, plan, 1);
    try {
      const m = await measureClosed(ctx, sender, 1);
      recordPercentiles(ctx, `ladder.${rung.id}`, rung.label, m.histogram);
      ctx.recorder.record(cpuSpec(`ladder.${rung.id}.cpu`, `${rung.label}, server CPU per request`), m.cpuPerRequestUs);
    } finally {
      sender.close();
    }
  }
}

/** Marginal cost of each rung over the one below it, and the whole ladder over plaintext. */
export function ladderDerived(ctx: BenchContext): Figure[] {
  const out: Figure[] = [];
  const v = (id: string) => ctx.recorder.values(id);
  for (const rung of LADDER) {
    if (!rung.below) continue;
    for (const p of ['p50', 'p99']) {
      const a = v(`ladder.${rung.id}.${p}`);
      const b = v(`ladder.${rung.below}.${p}`);
      if (a && b) out.push(differenceOf({ id: `ladder.${rung.id}.marginal.${p}`, label: `${rung.label}: ${p} over ${rung.below}`, unit: 'µs', better: 'lower' }, a, b));
    }
    const a = v(`ladder.${rung.id}.cpu`);
    const b = v(`ladder.${rung.below}.cpu`);
    if (a && b) out.push(differenceOf({ id: `ladder.${rung.id}.marginal.cpu`, label: `${rung.label}: server CPU over ${rung.below}`, unit: 'µs', better: 'lower' }, a, b));
  }
  // The hop with its controls on over the same hop with them off: over mTLS alone (the transport stays) and over plaintext.
  const hops = [
    { id: 'controls', rung: HOP_RUNG, label: `one hop, default controls (${rungById(HOP_RUNG).label.replace(/^\+ /, '')})` },
    { id: 'embedded', rung: 'policy-embedded', label: 'one hop, every decision by the embedded engine' },
    { id: 'all', rung: TOP_RUNG, label: 'one hop, every control including field encryption' },
  ];
  for (const hop of hops) {
    for (const base of [{ id: 'mtls', label: 'mTLS alone' }, { id: 'plaintext', label: 'plaintext' }]) {
      for (const p of ['p50', 'p99']) {
        const a = v(`ladder.${hop.rung}.${p}`);
        const b = v(`ladder.${base.id}.${p}`);
        if (a && b) out.push(differenceOf({ id: `ladder.hop.${hop.id}.over-${base.id}.${p}`, label: `${hop.label}: ${p} over ${base.label}`, unit: 'µs', better: 'lower' }, a, b));
      }
    }
  }
  const top = v(`ladder.${TOP_RUNG}.p50`);
  const plain = v('ladder.plaintext.p50');
  if (top && plain) out.push(ratioOf({ id: 'ladder.hop.all.ratio', label: 'every control on ÷ plaintext, p50', unit: 'ratio', better: 'lower' }, top, plain));
  return out;
}
