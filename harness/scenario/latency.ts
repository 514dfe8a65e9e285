/**
 * Latency figures a scenario (or the context's clients) record while running.
 * The record is open (`Record<string, number>`) so a scenario can add its own
 * figures; these keys are the ones reports know how to compare. All values are
 * microseconds; `baseline*` keys hold the same figure measured on the
 * unmodified mesh.
 */
export type LatencyFigures = Record<string, number>;

export const LATENCY_KEYS = {
  handshakeP50Us: 'full mTLS handshake, median',
  handshakeP99Us: 'full mTLS handshake, 99th percentile',
  resumedHandshakeP50Us: 'resumed TLS handshake, median',
  requestP50Us: 'request over a warm mTLS connection, median',
  requestP99Us: 'request over a warm mTLS connection, 99th percentile',
  tokenVerifyP50Us: 'access-token verification, median',
  pdpDecisionP50Us: 'PDP decision round trip, median',
  baselineHandshakeP50Us: 'handshakeP50Us on the unmodified mesh',
  baselineHandshakeP99Us: 'handshakeP99Us on the unmodified mesh',
  baselineRequestP50Us: 'requestP50Us on the unmodified mesh',
  baselineRequestP99Us: 'requestP99Us on the unmodified mesh',
} as const;

export type LatencyKey = keyof typeof LATENCY_KEYS;

/** Keeps only finite numbers, so the JSON report never holds null or NaN. */
export function cleanLatency(figures: unknown): LatencyFigures {
  const out: LatencyFigures = {};
  if (figures === null || typeof figures !== 'object') return out;
  for (const [key, value] of Object.entries(figures)) {
    if (typeof value === 'number' && Number.isFinite(value)) out[key] = value;
  }
  return out;
}

/** Nearest-rank percentile of samples (any unit); undefined for no samples. */
export function percentile(samples: readonly number[], p: number): number | undefined {
  if (typeof p !== 'number' || !(p > 0 && p <= 100)) throw new TypeError(`percentile: p must be in (0, 100] (got ${String(p)})`);
  if (samples.length === 0) return undefined;
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}
