/**
 * One benchmark run: the selected suites, every repetition interleaved across
 * them (repetition r of every rung before repetition r+1 of any), then the
 * figures with their intervals, the percentile curves and the environment.
 */
import type { BenchConfig } from './bench-config.ts';
import { type BenchContext } from './bench-context.ts';
import { BENCH_FORMAT, type BenchReport, type Curve } from './bench-report.ts';
import { benchTokens, createBenchIssuer } from './bench-tokens.ts';
import { baselineDerived, baselineRep, newSidecarKey, startBaselines, type Baselines } from './baseline-suite.ts';
import { connectionRep } from './connection-suite.ts';
import { captureEnvironment, finishEnvironment } from './environment.ts';
import { FigureRecorder } from './figure.ts';
import { percentileCurve } from '../stats/latency-histogram.ts';
import { startLadderProcess } from './ladder-process.ts';
import { LADDER } from './ladder-rungs.ts';
import { ladderDerived, ladderRep } from './ladder-suite.ts';
import { loadRep, measureCapacity } from './load-suite.ts';
import { microDerived, microRep, prepareMicro, type MicroParts } from './micro-suite.ts';
import { startupRep } from './startup-suite.ts';
import { paymentDerived, paymentRep, startPaymentMeshes, type PaymentMeshes } from './payment-suite.ts';
import { DEFAULT_SETTINGS } from '../../services/kit/workload/settings.ts';

export const SUITES = {
  ladder: 'the cost ladder, one control per rung, keep-alive at concurrency 1',
  connections: 'keep-alive, new connection full handshake, new connection resumed',
  load: 'concurrency 1/8/64, payload size, open loop at 25/50/75 % of capacity',
  baselines: 'openssl s_server + s_time, the nginx mTLS sidecar',
  micro: 'token verification and policy decisions beside their floors',
  startup: 'mesh start-up to healthy',
  payment: 'the whole payment through two real meshes, controls on and off',
} as const;
export type SuiteName = keyof typeof SUITES;

export function assertSuites(names: string[]): SuiteName[] {
  const unknown = names.filter((n) => !(n in SUITES));
  if (unknown.length) throw new TypeError(`unknown bench suite ${unknown.map((n) => `"${n}"`).join(', ')} (known: ${Object.keys(SUITES).join(', ')})`);
  return names.length ? (names as SuiteName[]) : (Object.keys(SUITES) as SuiteName[]);
}

export async function runBench(suites: SuiteName[], config: BenchConfig, progress: (line: string) => void = () => undefined): Promise<BenchReport> {
  const started = performance.now();
  const startedAt = new Date().toISOString();
  const environment = captureEnvironment();
  const recorder = new FigureRecorder();
  const has = (s: SuiteName) => suites.includes(s);
  const needsLadder = suites.some((s) => s !== 'startup' && s !== 'payment');
  const ctxBase = { config, recorder, merged: new Map(), missing: [], notes: [] as string[] };
  const notes = ctxBase.notes;
  notes.push(`${config.profile} profile: ${config.repetitions} repetitions, ${config.requests} measured requests per ladder rung after ${config.warmup} warm-up requests`);
  let ctx: BenchContext | undefined;
  let baselines: Baselines | undefined;
  let micro: MicroParts | undefined;
  let payment: PaymentMeshes | undefined;
  const sidecarKey = newSidecarKey();
  try {
    if (needsLadder) {
      const issuer = await createBenchIssuer();
      const ladder = await startLadderProcess(issuer.keys.jwks(), sidecarKey);
      ctx = { ...ctxBase, ladder, tokens: benchTokens(issuer, ladder.client.certPem) };
      progress(`ladder server pid ${ladder.pid}: ${LADDER.length} rungs listening`);
      if (has('baselines')) baselines = await startBaselines(ctx, sidecarKey);
      if (has('micro')) micro = await prepareMicro(ctx);
    }
    if (has('payment')) payment = await startPaymentMeshes();
    if (has('ladder')) notes.push(`policy rungs: "embedded" and "remote" decide every request (enforcer cache off); "policy-cached" runs the mesh's decision cache (${DEFAULT_SETTINGS.pdpCacheTtlMs} ms bound, allows only, keyed without the transaction and resource ids), so with one payment shape nearly every request is a hit`);
    const capacity = ctx && has('load') ? await measureCapacity(ctx) : 0;
    if (capacity) notes.push(`capacity of the top rung at concurrency 64 (calibration before the repetitions): ${Math.round(capacity)} requests/s; open-loop rates are shares of it`);
    const reps = Math.max(needsLadder || payment ? config.repetitions : 0, has('startup') ? config.startupRuns : 0);
    for (let rep = 0; rep < reps; rep++) {
      progress(`repetition ${rep + 1}/${reps}`);
      if (ctx && rep < config.repetitions) {
        if (has('ladder')) await ladderRep(ctx, rep);
        if (has('connections')) await connectionRep(ctx, rep);
        if (has('load')) await loadRep(ctx, rep, capacity);
        if (baselines) await baselineRep(ctx, rep, baselines);
        if (micro) await microRep(ctx, rep, micro);
      }
      if (payment && rep < config.repetitions) await paymentRep(ctxBase, rep, payment);
      if (has('startup') && rep < config.startupRuns) await startupRep(recorder);
    }
    if (ctx) {
      const idle = await ctx.ladder.usage();
      recorder.record({ id: 'ladder.server.rss', label: 'ladder server resident memory after the run', unit: 'MB', better: 'lower' }, idle.rssBytes / 2 ** 20);
    }
  } finally {
    micro?.close();
    await payment?.close();
    await baselines?.close();
    await ctx?.ladder.stop();
  }
  const context = ctx ?? { ...ctxBase };
  const figures = [...recorder.figures(), ...paymentDerived(recorder), ...(ctx ? [...ladderDerived(ctx), ...baselineDerived(ctx), ...microDerived(ctx)] : [])];
  const curves: Curve[] = [...context.merged.entries()].map(([name, h]) => ({ name, label: figures.find((f) => f.id === `${name}.p50`)?.label.replace(/, p50$/, '') ?? name, points: percentileCurve(h) }));
  return { format: BENCH_FORMAT, startedAt, wallSeconds: Math.round((performance.now() - started) / 100) / 10, config, suites, environment: finishEnvironment(environment), figures, curves, missing: context.missing, notes };
}
