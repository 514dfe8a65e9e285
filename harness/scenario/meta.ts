/**
 * Scenario metadata: plain data, read by listing, filtering and every report
 * without running any scenario code.
 */
export const PLANES = ['mtls', 'tokens', 'policy', 'e2ee', 'leaks', 'rotation', 'observability'] as const;
export type Plane = (typeof PLANES)[number];

export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const CONTROL_KINDS = ['setting', 'policy', 'code'] as const;
export type ControlKind = (typeof CONTROL_KINDS)[number];

/** A line range in a file; lines start at 1. */
export interface SourceRegion {
  startLine: number;
  endLine?: number;
}

/** The setting, policy or code that holds the line; SARIF findings point here. */
export interface ControlRef {
  kind: ControlKind;
  /** Repository-relative file path, e.g. services/pdp/policies/ledger.cedar. */
  location: string;
  region?: SourceRegion;
  description: string;
}

export interface ScenarioMeta {
  /** Dotted lower-case id whose first segment is the plane, e.g. tokens.replay-other-workload. */
  id: string;
  title: string;
  plane: Plane;
  severity: Severity;
  /** One sentence: the attacker or bad deploy this scenario stands for. */
  threat: string;
  tags: string[];
  control?: ControlRef;
  /** Upper bound for steady state + inject + expect; the runner's default applies otherwise. */
  timeoutMs?: number;
}

export function isPlane(value: unknown): value is Plane {
  return typeof value === 'string' && (PLANES as readonly string[]).includes(value);
}
