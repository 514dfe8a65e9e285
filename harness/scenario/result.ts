/** What the engine records for one scenario; the report's scenarios[] entries. */
import type { PhaseName } from './define.ts';
import type { Json } from './evidence.ts';
import type { LatencyFigures } from './latency.ts';
import type { ScenarioMeta } from './meta.ts';

export const OUTCOMES = ['passed', 'failed', 'error', 'skipped'] as const;
/**
 * passed: every control and detection check held. failed: the defence or its
 * detection did not (a finding). error: the harness could not run the
 * scenario (exception, timeout, abort, mesh unhealthy). skipped: not run.
 */
export type Outcome = (typeof OUTCOMES)[number];

export interface CheckResult {
  name: string;
  ok: boolean;
  expected: Json;
  observed: Json;
  evidence?: Json;
}

export type PhaseStatus = 'ok' | 'failed' | 'error' | 'skipped';

export interface PhaseRecord {
  phase: PhaseName;
  status: PhaseStatus;
  durationMs: number;
  message?: string;
}

export interface HarnessError {
  phase: PhaseName | 'setup' | 'teardown';
  message: string;
  stack?: string;
}

/** A scenario's metadata (less its timeout) plus what happened when it ran. */
export interface ScenarioResult extends Omit<ScenarioMeta, 'timeoutMs'> {
  /** Scenario module, relative to the package root. */
  file?: string;
  outcome: Outcome;
  /** One-line reason for anything but passed. */
  message?: string;
  correlationId: string;
  startedAt: string;
  durationMs: number;
  phases: PhaseRecord[];
  checks: {
    steadyStateBefore: CheckResult[];
    control: CheckResult[];
    detection: CheckResult[];
    steadyStateAfter: CheckResult[];
    /** What the harness had to establish; an unmet one makes the scenario an error (inconclusive). */
    preconditions?: CheckResult[];
  };
  errors: HarnessError[];
  latency: LatencyFigures;
  /** The run was interrupted while this scenario ran. */
  aborted?: boolean;
}

export function failedChecks(result: ScenarioResult): { kind: 'control' | 'detection'; check: CheckResult }[] {
  return [
    ...result.checks.control.filter((c) => !c.ok).map((check) => ({ kind: 'control' as const, check })),
    ...result.checks.detection.filter((c) => !c.ok).map((check) => ({ kind: 'detection' as const, check })),
  ];
}
