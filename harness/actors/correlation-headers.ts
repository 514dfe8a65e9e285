/** The headers that tie an actor's requests to the scenario that sent them. */
import { CORRELATION_HEADER, formatCorrelationHeader, type Correlation } from '../../services/kit/telemetry/correlation.ts';

/** The correlation header and a user agent naming the scenario. */
export function correlationHeaders(correlation: Correlation | undefined): Record<string, string> {
  if (!correlation) return {};
  return { [CORRELATION_HEADER]: formatCorrelationHeader(correlation), 'user-agent': `meshgate-scenario/${correlation.scenarioId ?? '-'} (run ${correlation.correlationId})` };
}
