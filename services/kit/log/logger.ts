/**
 * The mesh's JSON logger: pino writing synchronously to a file or fd, with
 * secret-bearing fields redacted by path and trace ids joined from the active
 * OpenTelemetry span.
 */
import { trace, isSpanContextValid } from '@opentelemetry/api';
import { pino } from 'pino';
import type { Logger, LoggerOptions, DestinationStream } from 'pino';
import { REDACT_PATHS, REDACTED } from './redact-paths.ts';
import { installFastRedaction } from './fast-redaction.ts';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
const LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export interface CreateLoggerOptions {
  /** Workload name, written on every line as `service`. */
  service: string;
  /** A file path (appended, parent folders created) or an open file descriptor. */
  destination: string | number;
  level?: LogLevel;
  /**
   * Deliberate misconfiguration switch for mutation mode: when true,
   * logRequestBody writes bodies verbatim, bypassing redaction.
   */
  logBodies?: boolean;
}

export type MeshLogger = Logger;

/** Marks a logger (and, through pino's prototype chain, its children) as logging bodies verbatim. */
const LOG_BODIES = Symbol.for('meshgate.log.bodies');

/** The pino options every mesh logger uses; exported so tests can build a logger without one part. */
export function buildPinoOptions(service: string, level: LogLevel = 'info'): LoggerOptions {
  return {
    level,
    base: { service, pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
    redact: { paths: [...REDACT_PATHS], censor: REDACTED },
    mixin(mergeObject) {
      // Joins every line logged inside a traced request to its trace, unless the caller set ids itself.
      if ('trace_id' in mergeObject) return {};
      const ctx = trace.getActiveSpan()?.spanContext();
      return ctx && isSpanContextValid(ctx) ? { trace_id: ctx.traceId, span_id: ctx.spanId } : {};
    },
  };
}

export function createLogger(options: CreateLoggerOptions): MeshLogger {
  if (options === null || typeof options !== 'object') throw new TypeError('createLogger: options must be an object');
  const { service, destination, level = 'info', logBodies = false } = options;
  if (typeof service !== 'string' || service.length === 0) throw new TypeError('createLogger: service must be a non-empty string');
  if (!(typeof destination === 'string' && destination.length > 0) && !(Number.isInteger(destination) && (destination as number) >= 0)) {
    throw new TypeError('createLogger: destination must be a file path or a non-negative integer file descriptor');
  }
  if (!LEVELS.includes(level)) throw new TypeError(`createLogger: level must be one of ${LEVELS.join(', ')}, got ${String(level)}`);
  if (typeof logBodies !== 'boolean') throw new TypeError('createLogger: logBodies must be a boolean');
  // Synchronous writes: a test or the scanner can read the file as soon as the call returns.
  const stream: DestinationStream = pino.destination({ dest: destination, sync: true, mkdir: typeof destination === 'string', append: true });
  const logger = pino(buildPinoOptions(service, level), stream);
  // The same redaction in one pass per value (pino's own redactors stay if the paths are not ones it can take).
  installFastRedaction(logger, REDACT_PATHS, REDACTED);
  Object.defineProperty(logger, LOG_BODIES, { value: logBodies, enumerable: false });
  return logger;
}

/** Whether this logger (or the root it was derived from) logs request bodies verbatim. */
export function logsBodies(logger: Logger): boolean {
  return (logger as unknown as Record<symbol, unknown>)[LOG_BODIES] === true;
}

export interface RequestBodyEntry {
  /** Route pattern, e.g. "POST /payments". */
  route: string;
  /** The parsed body; logged field by field with redaction applied. */
  body: unknown;
  /** The body as received; only ever written when the logger logs bodies verbatim. */
  raw?: string | Buffer;
  request_id?: string;
  correlation_id?: string | undefined;
}

/**
 * Logs a request body. Normally at debug level, as a structured object that
 * passes through redaction. With `logBodies: true` the body is written
 * verbatim at info level as `body_raw`: the leak the scanner must find.
 */
export function logRequestBody(logger: Logger, entry: RequestBodyEntry): void {
  if (entry === null || typeof entry !== 'object') throw new TypeError('logRequestBody: entry must be an object');
  if (typeof entry.route !== 'string' || entry.route.length === 0) throw new TypeError('logRequestBody: entry.route must be a non-empty string');
  const base: Record<string, unknown> = { route: entry.route };
  if (entry.request_id !== undefined) base.request_id = entry.request_id;
  if (entry.correlation_id !== undefined) base.correlation_id = entry.correlation_id;
  if (logsBodies(logger)) {
    const raw = entry.raw !== undefined ? entry.raw.toString() : JSON.stringify(entry.body);
    logger.info({ ...base, body_raw: raw }, 'request body');
    return;
  }
  logger.debug({ ...base, body: entry.body }, 'request body');
}
