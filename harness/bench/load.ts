/**
 * The two load models. Closed loop: N callers each send the next request when the
 * previous one answered. Open loop: requests are sent at fixed times whatever the
 * answers do, and latency is counted from the scheduled send time (coordinated
 * omission corrected), with the uncorrected figure beside it.
 */
import { latencyHistogram, recordMs, type LatencyHistogram } from '../stats/latency-histogram.ts';

export type Send = () => Promise<void>;

export interface LoadResult {
  /** Latency from the scheduled send time (open loop) or the actual send (closed loop). */
  histogram: LatencyHistogram;
  /** Open loop only: latency from the moment the request actually left. */
  uncorrected?: LatencyHistogram;
  requests: number;
  elapsedMs: number;
}

export interface ClosedLoopOptions {
  concurrency: number;
  requests: number;
  /** Requests sent first and not recorded (connection set-up, JIT). */
  warmup: number;
  /** Bound on the whole run, warm-up included. */
  timeoutMs: number;
}

function assertCounts(name: string, counts: Record<string, number>): void {
  const problems = Object.entries(counts)
    .filter(([, v]) => !Number.isInteger(v) || v < 0)
    .map(([k, v]) => `${k} must be a whole number >= 0 (got ${String(v)})`);
  if (problems.length) throw new TypeError(`${name}: ${problems.join('; ')}`);
}

function deadline(timeoutMs: number, what: string): () => void {
  const end = performance.now() + timeoutMs;
  return () => {
    if (performance.now() > end) throw new Error(`${what} did not finish within ${timeoutMs} ms`);
  };
}

export async function closedLoop(send: Send, options: ClosedLoopOptions): Promise<LoadResult> {
  const { concurrency, requests, warmup, timeoutMs } = options;
  assertCounts('closedLoop', { concurrency, requests, warmup, timeoutMs });
  if (concurrency < 1 || requests < 1) throw new TypeError('closedLoop: concurrency and requests must be at least 1');
  const check = deadline(timeoutMs, `closed loop (${requests} requests at concurrency ${concurrency})`);
  let next = 0;
  const total = warmup + requests;
  const histogram = latencyHistogram();
  let measuredFrom = 0;
  const caller = async () => {
    while (next < total) {
      const i = next++;
      if (i === warmup) measuredFrom = performance.now();
      const started = performance.now();
      await send();
      if (i >= warmup) recordMs(histogram, performance.now() - started);
      check();
    }
  };
  if (warmup === 0) measuredFrom = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, total) }, caller));
  return { histogram, requests, elapsedMs: performance.now() - measuredFrom };
}

export interface PairedLoopOptions {
  /** Rounds recorded; each round sends every request once. */
  requests: number;
  warmup: number;
  timeoutMs: number;
}

/**
 * Requests that are compared with each other, measured in turns by one caller: every round sends
 * each once, starting with the next one each round, so a ratio between them is not moved by the
 * machine getting faster or slower between two separate runs. One histogram per request.
 */
export async function pairedLoop(sends: readonly Send[], options: PairedLoopOptions): Promise<LatencyHistogram[]> {
  const { requests, warmup, timeoutMs } = options;
  assertCounts('pairedLoop', { requests, warmup, timeoutMs });
  if (sends.length < 2 || requests < 1) throw new TypeError('pairedLoop: needs at least two requests to compare and one round');
  const check = deadline(timeoutMs, `paired loop (${requests} rounds of ${sends.length} requests)`);
  const histograms = sends.map(() => latencyHistogram());
  for (let round = 0; round < warmup + requests; round++) {
    for (let k = 0; k < sends.length; k++) {
      const which = (round + k) % sends.length;
      const started = performance.now();
      await sends[which]!();
      if (round >= warmup) recordMs(histograms[which]!, performance.now() - started);
    }
    check();
  }
  return histograms;
}

export interface OpenLoopOptions {
  ratePerSecond: number;
  requests: number;
  warmup: number;
  /** Requests in flight at most; beyond it sending waits, which the corrected figure still charges. */
  maxInFlight: number;
  timeoutMs: number;
}

export async function openLoop(send: Send, options: OpenLoopOptions): Promise<LoadResult> {
  const { ratePerSecond, requests, warmup, maxInFlight, timeoutMs } = options;
  assertCounts('openLoop', { requests, warmup, maxInFlight, timeoutMs });
  if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond)) throw new TypeError(`openLoop: ratePerSecond must be a positive number (got ${String(ratePerSecond)})`);
  if (requests < 1 || maxInFlight < 1) throw new TypeError('openLoop: requests and maxInFlight must be at least 1');
  const check = deadline(timeoutMs, `open loop (${requests} requests at ${Math.round(ratePerSecond)}/s)`);
  const histogram = latencyHistogram();
  const uncorrected = latencyHistogram();
  const interval = 1000 / ratePerSecond;
  const inFlight = new Set<Promise<void>>();
  let failure: Error | undefined;
  const start = performance.now();
  const measuredFrom = start + warmup * interval;
  for (let i = 0; i < warmup + requests; i++) {
    const scheduled = start + i * interval;
    const wait = scheduled - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    while (inFlight.size >= maxInFlight) await Promise.race(inFlight);
    check();
    if (failure) throw failure;
    const sent = performance.now();
    const p: Promise<void> = send()
      .then(
        () => {
          if (i < warmup) return;
          const done = performance.now();
          recordMs(histogram, done - scheduled);
          recordMs(uncorrected, done - sent);
        },
        (err: Error) => {
          failure ??= err;
        },
      )
      .finally(() => inFlight.delete(p));
    inFlight.add(p);
  }
  await Promise.all(inFlight);
  if (failure) throw failure;
  return { histogram, uncorrected, requests, elapsedMs: performance.now() - measuredFrom };
}
