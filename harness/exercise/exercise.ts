/** The shape of a tabletop exercise as its YAML file declares it (exercises/exercise.schema.json). */
export interface Objective {
  id: string;
  text: string;
  capability: string;
}

export interface Team {
  id: string;
  roles: string[];
}

export type AttackKind = 'leaked-credential' | 'forged-token' | 'amount-tampering' | 'lateral-call' | 'card-payments';
export type MeshActionKind = 'push-policy' | 'redeploy' | 'revoke-cert' | 'revoke-signing-key';

export type InjectAction =
  | { attack: AttackKind; params?: Record<string, unknown>; ratePerSecond?: number }
  | { mesh: MeshActionKind; params?: Record<string, unknown> }
  | { message: string };

export interface Detection {
  id: string;
  kind: 'log' | 'audit' | 'metric' | 'span' | 'alert';
  source?: string;
  match?: string;
  correlated?: boolean;
  /** For a metric detection: the counter that must rise, e.g. meshgate_tls_handshake_failures_total{reason="cert_revoked"}. */
  metric?: string;
  /** For an alert detection: the Prometheus alert rule that must start firing. */
  alert?: string;
  pages?: boolean;
}

export type ContainmentCondition = 'cert-revoked' | 'signing-key-revoked' | 'policy-version-restored' | 'settings-restored';

export interface Containment {
  condition: ContainmentCondition;
  service?: string;
  description?: string;
}

export interface Inject {
  id: string;
  at: string;
  title: string;
  objectives?: string[];
  action: InjectAction;
  detections?: Detection[];
  containment?: Containment;
  targets?: { detectSeconds?: number; containSeconds?: number };
  questions?: string[];
  hints?: string[];
}

export interface Exercise {
  id: string;
  title: string;
  narrative: string;
  objectives: Objective[];
  teams: Team[];
  injects: Inject[];
}

/** `+2m`, `+1m30s`, `+40s` in exercise milliseconds. */
export function offsetMs(at: string): number {
  const m = /^\+(?:(\d+)m)?(?:(\d+)s)?$/.exec(at);
  if (!m || at === '+') throw new TypeError(`"${at}" is not an exercise time like +2m or +40s`);
  return (Number(m[1] ?? 0) * 60 + Number(m[2] ?? 0)) * 1000;
}
