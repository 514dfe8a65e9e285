/**
 * Starts and stops OpenTelemetry tracing for one workload: http and undici
 * instrumentation, W3C trace context, an OTLP/HTTP exporter (JSON, or protobuf
 * when asked). Built from
 * the Node tracer provider rather than @opentelemetry/sdk-node, whose import
 * pulls in every metrics, logs and gRPC exporter (≈340 ms per process on a
 * 2-core machine, against ≈120 ms here) that a workload never uses.
 * Without an endpoint spans are recorded for context only and exported nowhere.
 *
 * Importing this module has no side effects; `register.ts` is the preload
 * entry point that calls startTelemetryFromEnv().
 */
import type { IncomingMessage, RequestOptions } from 'node:http';
import { trace } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { registerInstrumentations } from '@opentelemetry/instrumentation';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor } from '@opentelemetry/sdk-trace-base';
import type { SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { createRequire } from 'node:module';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import { HttpInstrumentation } from '@opentelemetry/instrumentation-http';
import { UndiciInstrumentation } from '@opentelemetry/instrumentation-undici';
import { correlationAttributes, parseCorrelationHeader, CORRELATION_HEADER } from './correlation.ts';

export interface TelemetryOptions {
  /** resource service.name. */
  serviceName: string;
  /** OTLP/HTTP base endpoint (".../v1/traces" is appended); undefined exports nothing. */
  endpoint?: string;
  /** Full traces URL, used as is; wins over endpoint. */
  tracesUrl?: string;
  /** Batch export delay; short so a test sees spans quickly. */
  scheduledDelayMillis?: number;
  /** Wire format of the export (default http/json). */
  protocol?: 'http/json' | 'http/protobuf';
  /** Also trace GET /healthz and /metrics (off: readiness polls and scrapes would drown the traces). */
  traceOpsRoutes?: boolean;
}

export interface TelemetryState {
  serviceName: string;
  /** Where spans go, or undefined when nothing is exported. */
  tracesUrl: string | undefined;
}

let sdk: { shutdown(): Promise<void> } | undefined;
let state: TelemetryState | undefined;
let stopping: Promise<void> | undefined;

const OPS_PATHS = new Set(['/healthz', '/metrics']);

/** Reads the correlation header from Node RequestOptions headers (any case). */
function correlationFromOptions(options: RequestOptions): ReturnType<typeof parseCorrelationHeader> {
  const headers = options.headers;
  if (!headers || Array.isArray(headers)) return undefined;
  for (const [name, value] of Object.entries(headers)) {
    if (name.toLowerCase() === CORRELATION_HEADER) return parseCorrelationHeader(typeof value === 'number' ? String(value) : value);
  }
  return undefined;
}

/** Undici passes headers as a flat [name, value, ...] array or as a raw "name: value\r\n" block. */
function correlationFromUndici(headers: unknown): ReturnType<typeof parseCorrelationHeader> {
  if (Array.isArray(headers)) {
    for (let i = 0; i + 1 < headers.length; i += 2) {
      if (String(headers[i]).toLowerCase() === CORRELATION_HEADER) return parseCorrelationHeader(String(headers[i + 1]));
    }
    return undefined;
  }
  if (typeof headers === 'string') {
    for (const line of headers.split('\r\n')) {
      const colon = line.indexOf(':');
      if (colon > 0 && line.slice(0, colon).trim().toLowerCase() === CORRELATION_HEADER) return parseCorrelationHeader(line.slice(colon + 1).trim());
    }
  }
  return undefined;
}

export function resolveTracesUrl(endpoint: string | undefined, tracesUrl: string | undefined): string | undefined {
  if (tracesUrl) return new URL(tracesUrl).toString();
  if (!endpoint) return undefined;
  const base = new URL(endpoint);
  base.pathname = `${base.pathname.replace(/\/+$/, '')}/v1/traces`;
  return base.toString();
}

/**
 * An exporter is loaded only when spans go somewhere, and the protobuf one only when asked for: the JSON exporter
 * brings the OTLP transformer and the metrics SDK (≈125 modules, ≈70 ms per workload start) that a workload
 * without an endpoint never uses.
 */
function traceExporter(url: string, protocol: 'http/json' | 'http/protobuf'): SpanExporter {
  const require = createRequire(import.meta.url);
  if (protocol === 'http/json') return new (require('@opentelemetry/exporter-trace-otlp-http') as typeof import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter({ url });
  const proto = require('@opentelemetry/exporter-trace-otlp-proto') as typeof import('@opentelemetry/exporter-trace-otlp-proto');
  return new proto.OTLPTraceExporter({ url });
}

export function startTelemetry(options: TelemetryOptions): TelemetryState {
  if (options === null || typeof options !== 'object') throw new TypeError('startTelemetry: options must be an object');
  if (typeof options.serviceName !== 'string' || options.serviceName.length === 0) throw new TypeError('startTelemetry: serviceName must be a non-empty string');
  if (options.scheduledDelayMillis !== undefined && (!Number.isInteger(options.scheduledDelayMillis) || options.scheduledDelayMillis < 1)) {
    throw new TypeError('startTelemetry: scheduledDelayMillis must be a positive integer');
  }
  if (state) throw new Error(`startTelemetry: telemetry already started for ${state.serviceName}`);
  let tracesUrl: string | undefined;
  try {
    tracesUrl = resolveTracesUrl(options.endpoint, options.tracesUrl);
  } catch {
    throw new TypeError(`startTelemetry: endpoint ${JSON.stringify(options.tracesUrl ?? options.endpoint)} is not a URL`);
  }
  if (options.protocol !== undefined && options.protocol !== 'http/json' && options.protocol !== 'http/protobuf') throw new TypeError(`startTelemetry: protocol must be http/json or http/protobuf (got ${JSON.stringify(options.protocol)})`);
  const spanProcessors: SpanProcessor[] = tracesUrl
    ? [new BatchSpanProcessor(traceExporter(tracesUrl, options.protocol ?? 'http/json'), { scheduledDelayMillis: options.scheduledDelayMillis ?? 200, maxExportBatchSize: 512 })]
    : [];
  const traceOps = options.traceOpsRoutes === true;
  const traceOpsFilter = (req: IncomingMessage) => !traceOps && req.method === 'GET' && OPS_PATHS.has((req.url ?? '').split('?')[0]!);
  const instrumentations = [
    new HttpInstrumentation({
      ignoreIncomingRequestHook: traceOpsFilter,
      startIncomingSpanHook: (req: IncomingMessage) => correlationAttributes(parseCorrelationHeader(req.headers[CORRELATION_HEADER])),
      startOutgoingSpanHook: (opts: RequestOptions) => correlationAttributes(correlationFromOptions(opts)),
    }),
    new UndiciInstrumentation({
      startSpanHook: (request) => correlationAttributes(correlationFromUndici(request.headers)),
    }),
  ];
  // Registered even without an endpoint: context and W3C trace context still cross every hop,
  // so log lines join their trace; spans just go nowhere.
  const provider = new NodeTracerProvider({ resource: resourceFromAttributes({ 'service.name': options.serviceName }), spanProcessors });
  provider.register({ propagator: new W3CTraceContextPropagator() });
  const disable = registerInstrumentations({ tracerProvider: provider, instrumentations });
  sdk = {
    shutdown: async () => {
      disable();
      await provider.shutdown();
    },
  };
  state = { serviceName: options.serviceName, tracesUrl };
  return state;
}

/** Starts telemetry from MESHGATE_SERVICE and OTEL_EXPORTER_OTLP_ENDPOINT / OTEL_EXPORTER_OTLP_TRACES_ENDPOINT. */
export function startTelemetryFromEnv(env: NodeJS.ProcessEnv = process.env): TelemetryState {
  const serviceName = env.MESHGATE_SERVICE || env.OTEL_SERVICE_NAME || 'unknown_service';
  const delay = env.OTEL_BSP_SCHEDULE_DELAY ? Number(env.OTEL_BSP_SCHEDULE_DELAY) : undefined;
  return startTelemetry({
    serviceName,
    endpoint: env.OTEL_EXPORTER_OTLP_ENDPOINT || undefined,
    tracesUrl: env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || undefined,
    scheduledDelayMillis: delay !== undefined && Number.isInteger(delay) && delay > 0 ? delay : undefined,
    protocol: env.OTEL_EXPORTER_OTLP_PROTOCOL === 'http/protobuf' ? 'http/protobuf' : undefined,
    traceOpsRoutes: env.MESHGATE_TRACE_OPS === '1',
  });
}

export function telemetryState(): TelemetryState | undefined {
  return state;
}

/** Flushes pending spans and stops the SDK; safe to call more than once or when never started. */
export function shutdownTelemetry(): Promise<void> {
  if (!sdk) return Promise.resolve();
  stopping ??= sdk.shutdown().catch(() => undefined);
  return stopping;
}

/** Exports pending spans without stopping (used before a measured phase ends). */
export async function flushTelemetry(): Promise<void> {
  const provider = trace.getTracerProvider() as unknown as { getDelegate?: () => unknown };
  const target = (provider.getDelegate?.() ?? provider) as { forceFlush?: () => Promise<void> };
  if (typeof target.forceFlush === 'function') await target.forceFlush();
}
