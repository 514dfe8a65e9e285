/** A dependency the request needs could not be reached: 503 with the dependency's reason code, still failing closed. */
export type DependencyReason = 'sts_unavailable' | 'ca_unavailable' | 'upstream_unavailable';

export class DependencyUnavailable extends Error {
  readonly reason: DependencyReason;
  readonly status = 503;
  constructor(reason: DependencyReason, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'DependencyUnavailable';
    this.reason = reason;
  }
}

/** Whether an error means no HTTP answer came back at all (refused, reset, timed out, TLS failure). */
export function isUnreachable(err: unknown): boolean {
  return err instanceof Error && (err as { status?: unknown }).status === undefined;
}
