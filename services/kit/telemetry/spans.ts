/**
 * Helpers that record the mesh's security spans with stable attribute names:
 * TLS handshakes (semconv tls.*), token verification and authorization
 * decisions (meshgate.*). None of them ever takes a token or key as input.
 */
import { SpanKind, SpanStatusCode, context, trace } from '@opentelemetry/api';
import type { Attributes, Context, Link, Span, TimeInput, Tracer } from '@opentelemetry/api';
import { isReasonCode } from '../reasons.ts';
import type { ReasonCode } from '../reasons.ts';
import { ERROR_TYPE, HTTP_ROUTE, MESHGATE_ATTR, NETWORK_PEER_ADDRESS, NETWORK_PEER_PORT, SPAN_NAMES, TLS_ATTR } from './attributes.ts';
import { correlationAttributes, correlationFromHeaders } from './correlation.ts';

const TRACER_NAME = 'meshgate';

function tracer(): Tracer {
  return trace.getTracer(TRACER_NAME);
}

/** One certificate as a handshake span describes it. */
export interface CertSummary {
  /** Subject distinguished name (may be empty for SVIDs, whose identity is the URI SAN). */
  subject?: string;
  issuer?: string;
  /** SHA-256 of the DER certificate; Node's colon-separated fingerprint256 is accepted. */
  sha256?: string;
  notAfter?: Date | string | number;
  notBefore?: Date | string | number;
  spiffeId?: string;
}

export interface HandshakeSpanInput {
  role: 'server' | 'client';
  /** As Node reports it, e.g. "TLSv1.3"; split into tls.protocol.name/version. */
  protocol?: string | null;
  cipher?: string;
  resumed?: boolean;
  established: boolean;
  /** The other side's certificate: the client's for role server, the server's for role client. */
  peer?: CertSummary;
  /** This side's certificate. */
  local?: CertSummary;
  serverName?: string;
  peerAddress?: string;
  peerPort?: number;
  /** Reason code when the handshake or the peer identity check failed. */
  errorType?: ReasonCode;
  startTime: TimeInput;
  endTime: TimeInput;
  /** Parent context; defaults to the active one (a client handshake then nests under its request). */
  parent?: Context;
  links?: Link[];
}

/** Normalises a fingerprint to the semconv form: uppercase hex, no separators. */
export function normalizeSha256(fingerprint: string): string {
  return fingerprint.replace(/[^0-9a-fA-F]/g, '').toUpperCase();
}

function isoTime(value: Date | string | number): string {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) throw new TypeError(`recordHandshakeSpan: ${JSON.stringify(value)} is not a date`);
  return date.toISOString();
}

/** "TLSv1.3" → { name: "tls", version: "1.3" }; "SSLv3" → { name: "ssl", version: "3" }. */
export function splitProtocol(protocol: string): { name: string; version: string } | undefined {
  const match = /^(TLS|SSL)v?(\d+(?:\.\d+)?)$/i.exec(protocol);
  return match ? { name: match[1]!.toLowerCase(), version: match[2]! } : undefined;
}

function certAttributes(side: 'client' | 'server', cert: CertSummary | undefined, attrs: Attributes): void {
  if (!cert) return;
  const a = side === 'client'
    ? { subject: TLS_ATTR.clientSubject, issuer: TLS_ATTR.clientIssuer, sha: TLS_ATTR.clientHashSha256, notAfter: TLS_ATTR.clientNotAfter, notBefore: TLS_ATTR.clientNotBefore }
    : { subject: TLS_ATTR.serverSubject, issuer: TLS_ATTR.serverIssuer, sha: TLS_ATTR.serverHashSha256, notAfter: TLS_ATTR.serverNotAfter, notBefore: TLS_ATTR.serverNotBefore };
  if (cert.subject !== undefined) attrs[a.subject] = cert.subject;
  if (cert.issuer !== undefined) attrs[a.issuer] = cert.issuer;
  if (cert.sha256 !== undefined) attrs[a.sha] = normalizeSha256(cert.sha256);
  if (cert.notAfter !== undefined) attrs[a.notAfter] = isoTime(cert.notAfter);
  if (cert.notBefore !== undefined) attrs[a.notBefore] = isoTime(cert.notBefore);
}

/** Records a finished handshake as a 'tls.handshake' span; a failure carries error.type and status ERROR. */
export function recordHandshakeSpan(input: HandshakeSpanInput): Span {
  if (input === null || typeof input !== 'object') throw new TypeError('recordHandshakeSpan: input must be an object');
  if (input.role !== 'server' && input.role !== 'client') throw new TypeError(`recordHandshakeSpan: role must be "server" or "client", got ${JSON.stringify(input.role)}`);
  if (typeof input.established !== 'boolean') throw new TypeError('recordHandshakeSpan: established must be a boolean');
  if (input.errorType !== undefined && !isReasonCode(input.errorType)) throw new TypeError(`recordHandshakeSpan: errorType ${JSON.stringify(input.errorType)} is not a reason code`);
  if (input.startTime === undefined || input.endTime === undefined) throw new TypeError('recordHandshakeSpan: startTime and endTime are required');
  const failed = !input.established || input.errorType !== undefined;
  const attrs: Attributes = {
    [TLS_ATTR.established]: input.established,
    [TLS_ATTR.resumed]: input.resumed === true,
    [MESHGATE_ATTR.tlsRole]: input.role,
  };
  if (input.protocol) {
    const p = splitProtocol(input.protocol);
    if (p) {
      attrs[TLS_ATTR.protocolName] = p.name;
      attrs[TLS_ATTR.protocolVersion] = p.version;
    }
  }
  if (input.cipher) attrs[TLS_ATTR.cipher] = input.cipher;
  if (input.serverName) attrs[TLS_ATTR.serverName] = input.serverName;
  if (input.peerAddress) attrs[NETWORK_PEER_ADDRESS] = input.peerAddress;
  if (input.peerPort !== undefined) attrs[NETWORK_PEER_PORT] = input.peerPort;
  const clientCert = input.role === 'server' ? input.peer : input.local;
  const serverCert = input.role === 'server' ? input.local : input.peer;
  certAttributes('client', clientCert, attrs);
  certAttributes('server', serverCert, attrs);
  if (input.peer?.spiffeId) attrs[MESHGATE_ATTR.peerSpiffeId] = input.peer.spiffeId;
  if (input.local?.spiffeId) attrs[MESHGATE_ATTR.localSpiffeId] = input.local.spiffeId;
  if (failed) attrs[ERROR_TYPE] = input.errorType ?? 'tls_handshake_failed';
  const options = { kind: SpanKind.INTERNAL, startTime: input.startTime, attributes: attrs, ...(input.links ? { links: input.links } : {}) };
  const span = tracer().startSpan(SPAN_NAMES.handshake, options, input.parent ?? context.active());
  if (failed) span.setStatus({ code: SpanStatusCode.ERROR, message: String(attrs[ERROR_TYPE]) });
  span.end(input.endTime);
  return span;
}

/** A rejection that carries its reason code, as thrown by verifiers and enforcement points. */
function reasonOf(error: unknown): ReasonCode | undefined {
  const reason = (error as { reason?: unknown } | null)?.reason;
  return isReasonCode(reason) ? reason : undefined;
}

export interface TokenVerifyRecorder {
  readonly span: Span;
  setKid(kid: string): void;
  /** The token verified. */
  accept(): void;
  /** The token was refused for this reason. */
  reject(reason: ReasonCode): void;
}

/**
 * Runs a token verification inside a 'meshgate.token.verify' span. The
 * callback reports the outcome through the recorder; a throw whose error has
 * a reason code counts as that rejection, any other throw as internal_error.
 * Returning without reject() counts as valid. A rejection sets status ERROR.
 */
export async function withTokenVerifySpan<T>(kind: string, fn: (recorder: TokenVerifyRecorder) => T | Promise<T>): Promise<T> {
  if (typeof kind !== 'string' || kind.length === 0) throw new TypeError('withTokenVerifySpan: kind must be a non-empty string (e.g. "access", "txn")');
  if (typeof fn !== 'function') throw new TypeError('withTokenVerifySpan: fn must be a function');
  return tracer().startActiveSpan(SPAN_NAMES.tokenVerify, { kind: SpanKind.INTERNAL, attributes: { [MESHGATE_ATTR.tokenKind]: kind } }, async (span) => {
    let outcome: { result: 'valid' } | { result: 'rejected'; reason: ReasonCode } | undefined;
    const recorder: TokenVerifyRecorder = {
      span,
      setKid(kid) {
        if (typeof kid === 'string' && kid.length > 0 && kid.length <= 256) span.setAttribute(MESHGATE_ATTR.tokenKid, kid);
      },
      accept() {
        outcome ??= { result: 'valid' };
      },
      reject(reason) {
        if (!isReasonCode(reason)) throw new TypeError(`withTokenVerifySpan: reject reason ${JSON.stringify(reason)} is not a reason code`);
        outcome ??= { result: 'rejected', reason };
      },
    };
    const finish = (): void => {
      const o = outcome ?? { result: 'valid' as const };
      span.setAttribute(MESHGATE_ATTR.tokenResult, o.result);
      if (o.result === 'rejected') {
        span.setAttribute(MESHGATE_ATTR.tokenReason, o.reason);
        span.setAttribute(ERROR_TYPE, o.reason);
        span.setStatus({ code: SpanStatusCode.ERROR, message: o.reason });
      }
      span.end();
    };
    try {
      const value = await fn(recorder);
      finish();
      return value;
    } catch (error) {
      // The error message is not recorded: a verifier's message may quote the token.
      outcome ??= { result: 'rejected', reason: reasonOf(error) ?? 'internal_error' };
      finish();
      throw error;
    }
  });
}

export interface AuthzDecisionRecord {
  decision: 'allow' | 'deny';
  policyIds?: readonly string[];
  policyVersion?: string;
  decisionId?: string;
  reason?: ReasonCode;
  cached?: boolean;
}

export interface AuthzRecorder {
  readonly span: Span;
  decide(decision: AuthzDecisionRecord): void;
}

export interface AuthzSpanInput {
  /** Cedar action id, e.g. "POST /payments". */
  action?: string;
  /** The caller's SPIFFE ID. */
  principal?: string;
}

const FAILURE_REASONS = new Set<string>(['pdp_unavailable', 'pdp_error', 'internal_error']);

function decisionAttributes(d: AuthzDecisionRecord): Attributes {
  const attrs: Attributes = { [MESHGATE_ATTR.authzDecision]: d.decision };
  if (d.policyIds) attrs[MESHGATE_ATTR.authzPolicyIds] = [...d.policyIds];
  if (d.policyVersion !== undefined) attrs[MESHGATE_ATTR.authzPolicyVersion] = d.policyVersion;
  if (d.decisionId !== undefined) attrs[MESHGATE_ATTR.authzDecisionId] = d.decisionId;
  if (d.reason !== undefined) attrs[MESHGATE_ATTR.authzReason] = d.reason;
  if (d.cached !== undefined) attrs[MESHGATE_ATTR.authzCached] = d.cached;
  return attrs;
}

/**
 * Runs an authorization decision inside a 'meshgate.authz' span. A policy
 * deny is a correct outcome, not an error; only a failure to decide
 * (pdp_unavailable, pdp_error, or a throw) sets status ERROR.
 */
export async function withAuthzSpan<T>(input: AuthzSpanInput, fn: (recorder: AuthzRecorder) => T | Promise<T>): Promise<T> {
  if (input === null || typeof input !== 'object') throw new TypeError('withAuthzSpan: input must be an object');
  if (typeof fn !== 'function') throw new TypeError('withAuthzSpan: fn must be a function');
  const attributes: Attributes = {};
  if (input.action !== undefined) attributes[MESHGATE_ATTR.authzAction] = input.action;
  if (input.principal !== undefined) attributes[MESHGATE_ATTR.peerSpiffeId] = input.principal;
  return tracer().startActiveSpan(SPAN_NAMES.authz, { kind: SpanKind.INTERNAL, attributes }, async (span) => {
    let decided: AuthzDecisionRecord | undefined;
    const recorder: AuthzRecorder = {
      span,
      decide(d) {
        if (d === null || typeof d !== 'object' || (d.decision !== 'allow' && d.decision !== 'deny')) throw new TypeError('withAuthzSpan: decision must be "allow" or "deny"');
        if (d.reason !== undefined && !isReasonCode(d.reason)) throw new TypeError(`withAuthzSpan: reason ${JSON.stringify(d.reason)} is not a reason code`);
        decided ??= d;
      },
    };
    try {
      const value = await fn(recorder);
      if (decided) {
        span.setAttributes(decisionAttributes(decided));
        if (decided.reason !== undefined && FAILURE_REASONS.has(decided.reason)) {
          span.setAttribute(ERROR_TYPE, decided.reason);
          span.setStatus({ code: SpanStatusCode.ERROR, message: decided.reason });
        }
      }
      span.end();
      return value;
    } catch (error) {
      const reason = reasonOf(error) ?? 'pdp_error';
      if (decided) span.setAttributes(decisionAttributes(decided));
      span.setAttribute(ERROR_TYPE, reason);
      span.setStatus({ code: SpanStatusCode.ERROR, message: reason });
      span.end();
      throw error;
    }
  });
}

export interface ServerSpanAnnotation {
  /** The matched route pattern, e.g. "/entries/:id"; also renames the span "METHOD route". */
  route?: string;
  method?: string;
  peerSpiffeId?: string;
  decision?: 'allow' | 'deny';
  decisionId?: string;
  /** Incoming headers, to copy x-meshgate-correlation onto the span. */
  headers?: Parameters<typeof correlationFromHeaders>[0];
}

/**
 * Annotates the active (HTTP server) span with what the pipeline learned:
 * the route pattern, the verified peer SPIFFE ID, the decision id. Call it
 * in the request's context, before handler code starts child spans.
 */
export function annotateServerSpan(annotation: ServerSpanAnnotation, span: Span | undefined = trace.getActiveSpan()): void {
  if (annotation === null || typeof annotation !== 'object') throw new TypeError('annotateServerSpan: annotation must be an object');
  if (!span) return;
  if (annotation.route !== undefined) {
    span.setAttribute(HTTP_ROUTE, annotation.route);
    if (annotation.method) span.updateName(`${annotation.method} ${annotation.route}`);
  }
  if (annotation.peerSpiffeId !== undefined) span.setAttribute(MESHGATE_ATTR.peerSpiffeId, annotation.peerSpiffeId);
  if (annotation.decision !== undefined) span.setAttribute(MESHGATE_ATTR.authzDecision, annotation.decision);
  if (annotation.decisionId !== undefined) span.setAttribute(MESHGATE_ATTR.authzDecisionId, annotation.decisionId);
  if (annotation.headers) span.setAttributes(correlationAttributes(correlationFromHeaders(annotation.headers)));
}

/** Sets meshgate.correlation_id / meshgate.scenario_id on a span from incoming headers. */
export function setCorrelationAttributes(headers: Parameters<typeof correlationFromHeaders>[0], span: Span | undefined = trace.getActiveSpan()): void {
  if (span) span.setAttributes(correlationAttributes(correlationFromHeaders(headers)));
}

/** Opening a sealed card, as an operator's trace shows it: the key id, opened or refused with its reason (never the card). */
export async function withCardOpenSpan<T extends { ok: true; kid: string } | { ok: false; reason: ReasonCode }>(fn: () => Promise<T>): Promise<T> {
  return tracer().startActiveSpan(SPAN_NAMES.cardOpen, { kind: SpanKind.INTERNAL }, async (span) => {
    try {
      const result = await fn();
      if (result.ok) {
        span.setAttributes({ [MESHGATE_ATTR.cardResult]: 'opened', [MESHGATE_ATTR.cardKid]: result.kid });
      } else {
        span.setAttributes({ [MESHGATE_ATTR.cardResult]: 'refused', [ERROR_TYPE]: result.reason });
        span.setStatus({ code: SpanStatusCode.ERROR, message: result.reason });
      }
      return result;
    } finally {
      span.end();
    }
  });
}

/** One data-key operation at the key-management workload: its version and result, never a key. */
export function withKmsSpan<T extends { ok: true; version: number } | { ok: false; reason: ReasonCode; version?: number }>(operation: 'generate' | 'unwrap' | 'rewrap', fn: () => T): T {
  return tracer().startActiveSpan(SPAN_NAMES.kms, { kind: SpanKind.INTERNAL, attributes: { [MESHGATE_ATTR.kmsOperation]: operation } }, (span) => {
    try {
      const result = fn();
      if (result.version !== undefined) span.setAttribute(MESHGATE_ATTR.kmsKeyVersion, result.version);
      if (result.ok) {
        span.setAttribute(MESHGATE_ATTR.kmsResult, 'ok');
      } else {
        span.setAttributes({ [MESHGATE_ATTR.kmsResult]: 'refused', [ERROR_TYPE]: result.reason });
        span.setStatus({ code: SpanStatusCode.ERROR, message: result.reason });
      }
      return result;
    } finally {
      span.end();
    }
  });
}
