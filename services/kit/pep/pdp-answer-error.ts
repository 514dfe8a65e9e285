/**
 * Thrown by a decide transport when the PDP answered but the answer is not a
 * decision (a non-2xx status, a body that is not a DecisionResponse). The
 * enforcer turns it into pdp_error; any other failure means pdp_unavailable.
 */
export class PdpAnswerError extends Error {
  readonly code = 'MESHGATE_ERR_PDP_ANSWER';
  readonly status: number | undefined;
  constructor(message: string, status?: number) {
    super(message);
    this.name = 'PdpAnswerError';
    this.status = status;
  }
}
