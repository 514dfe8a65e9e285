/** How much each suite measures: the quick profile for CI, the full one for publishing. */
export interface BenchConfig {
  profile: 'quick' | 'full';
  repetitions: number;
  /** Requests measured per ladder rung per repetition, after the warm-up. */
  requests: number;
  warmup: number;
  /** Requests per new-connection mode per repetition. */
  connections: number;
  /** Seconds per `openssl s_time` run (it counts whole seconds). */
  sTimeSeconds: number;
  microIterations: number;
  startupRuns: number;
  /** Upper bound on any single measured run. */
  runTimeoutMs: number;
}

export const QUICK: BenchConfig = { profile: 'quick', repetitions: 3, requests: 150, warmup: 20, connections: 40, sTimeSeconds: 1, microIterations: 200, startupRuns: 2, runTimeoutMs: 60_000 };
export const FULL: BenchConfig = { profile: 'full', repetitions: 7, requests: 2_000, warmup: 200, connections: 300, sTimeSeconds: 2, microIterations: 3_000, startupRuns: 5, runTimeoutMs: 120_000 };

export const CONCURRENCY = [1, 8, 64] as const;
export const OPEN_LOOP_LOAD = [0.25, 0.5, 0.75] as const;
/** Open-loop requests in flight at most (beyond it the send waits and the corrected latency charges the wait). */
export const OPEN_LOOP_MAX_IN_FLIGHT = 256;
