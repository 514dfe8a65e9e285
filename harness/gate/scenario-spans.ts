/**
 * The gate's own spans: one per scenario (id, outcome, correlation id, the
 * same attribute names the workloads' spans carry), under one span for the
 * run, exported to the gate's receiver like any workload's, so a team that
 * forwards telemetry sees the gate's verdicts beside the mesh's traces.
 */
import { SpanStatusCode, trace, context, type Span } from '@opentelemetry/api';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { OTLPTraceExporter as JsonExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtoExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import type { OtlpProtocol } from '../collectors/otlp-forwarding.ts';
import type { ScenarioResult } from '../scenario/result.ts';

export class ScenarioSpans {
  readonly #provider: BasicTracerProvider;
  readonly #run: Span;

  constructor(receiverUrl: string, runId: string, protocol: OtlpProtocol = 'http/json') {
    const url = `${receiverUrl}/v1/traces`;
    const exporter: SpanExporter = protocol === 'http/json' ? new JsonExporter({ url }) : new ProtoExporter({ url });
    this.#provider = new BasicTracerProvider({ resource: resourceFromAttributes({ 'service.name': 'meshgate' }), spanProcessors: [new BatchSpanProcessor(exporter, { scheduledDelayMillis: 500 })] });
    this.#run = this.#provider.getTracer('meshgate.gate').startSpan('meshgate.run', { attributes: { 'meshgate.correlation_id': runId } });
  }

  /** A finished scenario, with its real start and duration. */
  record(result: ScenarioResult): void {
    const started = Date.parse(result.startedAt);
    const parent = trace.setSpan(context.active(), this.#run);
    const span = this.#provider.getTracer('meshgate.gate').startSpan(
      'meshgate.scenario',
      {
        startTime: started,
        attributes: {
          'meshgate.scenario_id': result.id,
          'meshgate.correlation_id': result.correlationId,
          'meshgate.scenario.plane': result.plane,
          'meshgate.scenario.severity': result.severity,
          'meshgate.scenario.outcome': result.outcome,
        },
      },
      parent,
    );
    if (result.outcome === 'failed' || result.outcome === 'error') span.setStatus({ code: SpanStatusCode.ERROR, message: (result.message ?? result.outcome).slice(0, 300) });
    span.end(started + result.durationMs);
  }

  /** Ends the run span and exports what is pending. */
  async close(verdict: string): Promise<void> {
    this.#run.setAttribute('meshgate.run.verdict', verdict);
    this.#run.end();
    await this.#provider.shutdown();
  }
}
