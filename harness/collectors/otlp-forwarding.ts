/**
 * Forwarding to the user's own OpenTelemetry collector. The gate's receiver
 * keeps every span it needs as evidence and passes each export request on,
 * unchanged, to the user's endpoint: what the user's environment says about
 * telemetry becomes forwarding, never a change in what the gate observes.
 *
 * Configured by `--otlp-endpoint URL` or the standard variables
 * OTEL_EXPORTER_OTLP_TRACES_ENDPOINT / OTEL_EXPORTER_OTLP_ENDPOINT (…/v1/traces
 * appended), OTEL_EXPORTER_OTLP_(TRACES_)HEADERS and
 * OTEL_EXPORTER_OTLP_(TRACES_)PROTOCOL (http/protobuf, the default, or http/json).
 */
export type OtlpProtocol = 'http/protobuf' | 'http/json';

export interface OtlpForwarding {
  tracesUrl: string;
  headers: Record<string, string>;
  protocol: OtlpProtocol;
}

/** How long one forwarded export may take; the user's collector being slow never slows the gate. */
const FORWARD_TIMEOUT_MS = 5000;
/** Export requests in flight at once; beyond this they are dropped and counted. */
const MAX_IN_FLIGHT = 64;

function parseHeaders(text: string | undefined, where: string): Record<string, string> {
  const headers: Record<string, string> = {};
  if (!text) return headers;
  for (const pair of text.split(',')) {
    if (!pair.trim()) continue;
    const eq = pair.indexOf('=');
    if (eq <= 0) throw new TypeError(`${where}: "${pair.trim()}" is not key=value`);
    headers[decodeURIComponent(pair.slice(0, eq).trim()).toLowerCase()] = decodeURIComponent(pair.slice(eq + 1).trim());
  }
  return headers;
}

function tracesUrlOf(endpoint: string, where: string, appendPath: boolean): string {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new TypeError(`${where}: "${endpoint}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new TypeError(`${where}: "${endpoint}" must be an http or https URL`);
  if (appendPath) url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/traces`;
  return url.toString();
}

/** Reads the forwarding target from a flag or the environment; undefined when neither names one. */
export function otlpForwardingFrom(flag: string | undefined, env: NodeJS.ProcessEnv = process.env): OtlpForwarding | undefined {
  let tracesUrl: string | undefined;
  if (flag) tracesUrl = tracesUrlOf(flag, '--otlp-endpoint', !/\/v1\/traces\/?$/.test(flag));
  else if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) tracesUrl = tracesUrlOf(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT, 'OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', false);
  else if (env.OTEL_EXPORTER_OTLP_ENDPOINT) tracesUrl = tracesUrlOf(env.OTEL_EXPORTER_OTLP_ENDPOINT, 'OTEL_EXPORTER_OTLP_ENDPOINT', true);
  if (!tracesUrl) return undefined;
  const protocolVar = env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ? 'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL' : 'OTEL_EXPORTER_OTLP_PROTOCOL';
  const protocol = (env[protocolVar] ?? 'http/protobuf').trim();
  if (protocol !== 'http/protobuf' && protocol !== 'http/json') throw new TypeError(`${protocolVar}: "${protocol}" is not supported (use http/protobuf or http/json; grpc is not)`);
  const headers = { ...parseHeaders(env.OTEL_EXPORTER_OTLP_HEADERS, 'OTEL_EXPORTER_OTLP_HEADERS'), ...parseHeaders(env.OTEL_EXPORTER_OTLP_TRACES_HEADERS, 'OTEL_EXPORTER_OTLP_TRACES_HEADERS') };
  return { tracesUrl, headers, protocol };
}

/** Passes export requests on to the user's collector, in the background. */
export class OtlpForwarder {
  readonly target: OtlpForwarding;
  #inFlight = new Set<Promise<void>>();
  forwarded = 0;
  failed = 0;
  dropped = 0;
  lastError: string | undefined;

  constructor(target: OtlpForwarding) {
    this.target = target;
  }

  forward(body: Uint8Array, contentType: string, contentEncoding: string | undefined): void {
    if (this.#inFlight.size >= MAX_IN_FLIGHT) {
      this.dropped++;
      return;
    }
    const headers: Record<string, string> = { ...this.target.headers, 'content-type': contentType };
    if (contentEncoding && contentEncoding !== 'identity') headers['content-encoding'] = contentEncoding;
    const sent = fetch(this.target.tracesUrl, { method: 'POST', headers, body, signal: AbortSignal.timeout(FORWARD_TIMEOUT_MS) })
      .then(async (res) => {
        await res.arrayBuffer();
        if (res.ok) this.forwarded++;
        else {
          this.failed++;
          this.lastError = `${this.target.tracesUrl} answered ${res.status}`;
        }
      })
      .catch((err: Error) => {
        this.failed++;
        this.lastError = `${this.target.tracesUrl}: ${err.message}`;
      })
      .finally(() => this.#inFlight.delete(sent));
    this.#inFlight.add(sent);
  }

  /** Waits for what is in flight (bounded by the per-request timeout). */
  async flush(): Promise<void> {
    await Promise.all([...this.#inFlight]);
  }
}
