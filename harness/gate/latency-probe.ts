/**
 * Samples what security costs right now on the running mesh: full mTLS handshakes (+ first GET) and
 * requests on a warm mTLS connection to payments. Each kind takes samples until it has its count or its
 * time budget is spent, whichever comes first. Its percentiles come from the same HDR histograms as the
 * benchmark's (1 µs resolution, 3 significant digits), and one is printed only when the samples can carry
 * it (a p99 of fewer than 100 samples would be the maximum). The baseline is measured before and after
 * the scenarios and pooled; a scenario's median differs from it significantly only when the bootstrap
 * 95 % interval of the difference excludes zero.
 */
import https from 'node:https';
import type { TlsCredentials } from '../../services/kit/mtls/credentials.ts';
import { percentile } from '../scenario/latency.ts';
import { seededRandom, type Interval } from '../stats/bootstrap.ts';
import { latencyHistogram, recordMs } from '../stats/latency-histogram.ts';

export interface ProbeBudget {
  /** Samples per kind (handshakes, requests). */
  samples: number;
  /** Wall-time bound per kind; sampling stops at whichever bound comes first. */
  timeMs: number;
}

/** The baseline: 200 of each, within 5 s each (about 1 s for handshakes on a 2-core machine). */
export const BASELINE_PROBE: ProbeBudget = { samples: 200, timeMs: 5000 };
/** After each scenario: 200 of each or 150 ms each, so 40 scenarios add seconds, not a minute, to the gate. */
export const SCENARIO_PROBE: ProbeBudget = { samples: 200, timeMs: 150 };
/** Nearest-rank p99 is a sample below the maximum only from 100 samples on. */
export const MIN_SAMPLES_P99 = 100;
/** Bootstrap resamples for each difference of medians. */
export const DELTA_RESAMPLES = 1000;

export interface LatencySamples {
  handshakesUs: number[];
  requestsUs: number[];
}

function get(agent: https.Agent, url: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = https.request(url, { agent }, (res) => {
      res.resume();
      res.on('end', () => resolve());
    });
    req.on('error', reject);
    req.end();
  });
}

async function sampleUntil(budget: ProbeBudget, once: () => Promise<void>): Promise<number[]> {
  const out: number[] = [];
  const started = performance.now();
  // At least two samples, so even a starved probe yields an interval.
  while (out.length < 2 || (out.length < budget.samples && performance.now() - started < budget.timeMs)) {
    const t0 = performance.now();
    await once();
    out.push((performance.now() - t0) * 1000);
  }
  return out;
}

export async function probeLatency(url: string, credentials: TlsCredentials, budget: ProbeBudget): Promise<LatencySamples> {
  if (!(Number.isInteger(budget.samples) && budget.samples >= 2 && budget.timeMs > 0)) throw new TypeError(`probeLatency: budget needs samples >= 2 and timeMs > 0 (got ${JSON.stringify(budget)})`);
  const tls = { key: credentials.keyPem, cert: credentials.certPem, ca: credentials.bundlePem, minVersion: 'TLSv1.3' as const, checkServerIdentity: () => undefined };
  const fresh = new https.Agent({ keepAlive: false, maxCachedSessions: 0, ...tls });
  const warm = new https.Agent({ keepAlive: true, maxSockets: 1, ...tls });
  try {
    const handshakesUs = await sampleUntil(budget, () => get(fresh, url));
    await get(warm, url);
    const requestsUs = await sampleUntil(budget, () => get(warm, url));
    return { handshakesUs, requestsUs };
  } finally {
    fresh.destroy();
    warm.destroy();
  }
}

export function mergeSamples(a: LatencySamples, b: LatencySamples): LatencySamples {
  return { handshakesUs: [...a.handshakesUs, ...b.handshakesUs], requestsUs: [...a.requestsUs, ...b.requestsUs] };
}

const round = (v: number): number => Math.round(v * 10) / 10;

/** p50 always, p99 only from MIN_SAMPLES_P99 samples, and the sample counts; read from the benchmark's HDR histogram. */
export function latencyFigures(samples: LatencySamples): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [kind, values] of [['handshake', samples.handshakesUs], ['request', samples.requestsUs]] as const) {
    if (values.length === 0) continue;
    const histogram = latencyHistogram();
    for (const us of values) recordMs(histogram, us / 1000);
    out[`${kind}P50Us`] = histogram.getValueAtPercentile(50);
    if (values.length >= MIN_SAMPLES_P99) out[`${kind}P99Us`] = histogram.getValueAtPercentile(99);
    out[`${kind}Samples`] = values.length;
  }
  return out;
}

function medianOfResample(values: readonly number[], random: () => number, scratch: Float64Array): number {
  const n = values.length;
  for (let i = 0; i < n; i++) scratch[i] = values[Math.floor(random() * n)]!;
  scratch.sort();
  return scratch[Math.ceil(0.5 * n) - 1]!;
}

/** Bootstrap interval of median(head) − median(base), each sample set resampled on its own. */
export function medianDifference(base: readonly number[], head: readonly number[], options: { iterations?: number; confidence?: number; seed?: number } = {}): Interval {
  const iterations = options.iterations ?? DELTA_RESAMPLES;
  const confidence = options.confidence ?? 0.95;
  if (base.length < 2 || head.length < 2) throw new TypeError(`medianDifference: each side needs at least 2 samples (got ${base.length} and ${head.length})`);
  const random = seededRandom(options.seed ?? 1);
  const sb = new Float64Array(base.length);
  const sh = new Float64Array(head.length);
  const draws = new Float64Array(iterations);
  for (let i = 0; i < iterations; i++) draws[i] = medianOfResample(head, random, sh) - medianOfResample(base, random, sb);
  draws.sort();
  const tail = (1 - confidence) / 2;
  const at = (q: number): number => draws[Math.min(iterations - 1, Math.max(0, Math.floor(q * iterations)))]!;
  return { estimate: percentile(head, 50)! - percentile(base, 50)!, low: at(tail), high: at(1 - tail) };
}

/**
 * A scenario's medians against the pooled baseline: `<kind>P50DeltaUs` with its 95 % interval
 * (`…DeltaLowUs`, `…DeltaHighUs`) and `…DeltaSignificant` 1 only when the interval excludes zero.
 */
export function latencyDeltas(scenario: LatencySamples, baseline: LatencySamples): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [kind, head, base] of [['handshake', scenario.handshakesUs, baseline.handshakesUs], ['request', scenario.requestsUs, baseline.requestsUs]] as const) {
    if (head.length < 2 || base.length < 2) continue;
    const d = medianDifference(base, head);
    out[`${kind}P50DeltaUs`] = round(d.estimate);
    out[`${kind}P50DeltaLowUs`] = round(d.low);
    out[`${kind}P50DeltaHighUs`] = round(d.high);
    out[`${kind}P50DeltaSignificant`] = d.low > 0 || d.high < 0 ? 1 : 0;
  }
  return out;
}
