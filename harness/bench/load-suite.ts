/**
 * The load model on the rung with every control on: closed loop at concurrency
 * 1, 8 and 64 and with growing payloads, and open loop at fixed shares of the
 * capacity measured first (latency from the scheduled send time, and uncorrected).
 */
import { CONCURRENCY, OPEN_LOOP_LOAD, OPEN_LOOP_MAX_IN_FLIGHT } from './bench-config.ts';
import { cpuSpec, latencySpec, measureClosed, recordPercentiles, rotated, type BenchContext } from './bench-context.ts';
import { DEFAULT_PAYLOAD, PAYLOAD_SIZES } from './bench-payload.ts';
import { rungById, TOP_RUNG } from './ladder-rungs.ts';
import { planFor } from './ladder-suite.ts';
import { closedLoop, openLoop } from './load.ts';
import { keepAliveSender } from './senders.ts';

/** Throughput of the top rung at the highest concurrency: the open-loop rates are shares of it. */
export async function measureCapacity(ctx: BenchContext): Promise<number> {
  const rung = rungById(TOP_RUNG);
  const concurrency = CONCURRENCY[CONCURRENCY.length - 1]!;
  const plan = await planFor(ctx, rung, ctx.config.requests * 2);
  const sender = keepAliveSender(rung, ctx.ladder.ports[rung.id]!, ctx.ladder.client, plan);
  try {
    return (await measureClosed(ctx, sender, concurrency, ctx.config.requests * 2)).throughputPerS;
  } finally {
    sender.close();
  }
}

type Unit = { kind: 'closed'; concurrency: number; payload: number } | { kind: 'open'; share: number };

export async function loadRep(ctx: BenchContext, rep: number, capacityPerS: number): Promise<void> {
  const rung = rungById(TOP_RUNG);
  const port = ctx.ladder.ports[rung.id]!;
  const units: Unit[] = [
    ...CONCURRENCY.map((concurrency) => ({ kind: 'closed' as const, concurrency, payload: DEFAULT_PAYLOAD })),
    ...PAYLOAD_SIZES.filter((p) => p !== DEFAULT_PAYLOAD).map((payload) => ({ kind: 'closed' as const, concurrency: 1, payload })),
    ...OPEN_LOOP_LOAD.map((share) => ({ kind: 'open' as const, share })),
  ];
  for (const unit of rotated(units, rep)) {
    if (unit.kind === 'closed') {
      const requests = unit.concurrency > 1 ? ctx.config.requests * 2 : ctx.config.requests;
      const plan = await planFor(ctx, rung, requests, unit.payload);
      const sender = keepAliveSender(rung, port, ctx.ladder.client, plan);
      try {
        const m = await measureClosed(ctx, sender, unit.concurrency, requests);
        const id = unit.payload === DEFAULT_PAYLOAD ? `load.c${unit.concurrency}` : `load.payload${unit.payload}`;
        const label = unit.payload === DEFAULT_PAYLOAD ? `every control on, concurrency ${unit.concurrency}` : `every control on, ${unit.payload} B payload`;
        recordPercentiles(ctx, id, label, m.histogram, [50, 99]);
        ctx.recorder.record(cpuSpec(`${id}.cpu`, `${label}, server CPU per request`), m.cpuPerRequestUs);
        ctx.recorder.record({ id: `${id}.throughput`, label: `${label}, requests per second`, unit: 'per_s', better: 'higher' }, m.throughputPerS);
      } finally {
        sender.close();
      }
      continue;
    }
    const rate = capacityPerS * unit.share;
    const requests = Math.max(ctx.config.requests, Math.round(rate * (ctx.config.profile === 'quick' ? 1 : 3)));
    const plan = await planFor(ctx, rung, requests);
    const sender = keepAliveSender(rung, port, ctx.ladder.client, plan);
    try {
      await closedLoop(sender.send, { concurrency: 1, requests: ctx.config.warmup, warmup: 0, timeoutMs: ctx.config.runTimeoutMs });
      const m = await openLoop(sender.send, { ratePerSecond: rate, requests, warmup: 0, maxInFlight: OPEN_LOOP_MAX_IN_FLIGHT, timeoutMs: ctx.config.runTimeoutMs });
      const pct = Math.round(unit.share * 100);
      recordPercentiles(ctx, `load.open${pct}`, `open loop at ${pct} % of capacity, from the scheduled send`, m.histogram);
      for (const p of [50, 99] as const) ctx.recorder.record(latencySpec(`load.open${pct}.uncorrected.p${p}`, `open loop at ${pct} % of capacity, uncorrected, p${p}`), m.uncorrected!.getValueAtPercentile(p));
    } finally {
      sender.close();
    }
  }
}
