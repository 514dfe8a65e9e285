/**
 * Decision log records in the spirit of OPA's decision logs: one record per
 * decision, joinable to traces by trace_id/span_id and to PEP results by
 * decision_id, with sensitive values masked before the record leaves the PDP.
 */
import type { DecisionRequest, DecisionResponse, DecisionValue } from '../kit/pep/decision-types.ts';
import { luhnValid } from '../kit/luhn.ts';

export const MASK = '***';

/**
 * Attribute names whose values are always masked, compared case-insensitively
 * with "_" and "-" ignored (so card_number, cardNumber and Card-Number match).
 */
export const DEFAULT_MASKED_FIELDS: readonly string[] = [
  'card',
  'cardnumber',
  'pan',
  'cvv',
  'cvc',
  'token',
  'accesstoken',
  'refreshtoken',
  'idtoken',
  'txntoken',
  'authorization',
  'password',
  'secret',
  'clientsecret',
  'assertion',
  'jwt',
  'iban',
];

export interface DecisionLogRecord {
  /** ISO 8601. */
  timestamp: string;
  decision_id: string;
  trace_id: string | null;
  span_id: string | null;
  principal: string;
  action: string;
  resource: { type: string; id: string; attributes: Record<string, DecisionValue> };
  context: Record<string, DecisionValue>;
  /** The transaction the decision belongs to, when the request named one. */
  txn: string | null;
  decision: 'allow' | 'deny';
  policy_ids: string[];
  policy_version: string;
  errors: string[];
  /** Time spent deciding, in seconds. */
  latency_seconds: number;
  /** JSON pointers of the values replaced by the mask, as OPA lists them. */
  masked: string[];
}

export interface DecisionLogInput {
  request: DecisionRequest;
  response: DecisionResponse;
  latencySeconds: number;
  /** Milliseconds since the epoch; when the decision was made. */
  at: number;
  /** Extra field names to mask, in addition to DEFAULT_MASKED_FIELDS. */
  maskFields?: readonly string[];
}

export function buildDecisionLogRecord(input: DecisionLogInput): DecisionLogRecord {
  const problems: string[] = [];
  if (input?.request === null || typeof input?.request !== 'object') problems.push('request must be an object');
  if (input?.response === null || typeof input?.response !== 'object') problems.push('response must be an object');
  if (typeof input?.latencySeconds !== 'number' || !Number.isFinite(input.latencySeconds) || input.latencySeconds < 0) problems.push(`latencySeconds must be a finite number >= 0 (got ${String(input?.latencySeconds)})`);
  if (typeof input?.at !== 'number' || !Number.isFinite(input.at)) problems.push(`at must be milliseconds since the epoch (got ${String(input?.at)})`);
  if (input?.maskFields !== undefined && (!Array.isArray(input.maskFields) || !input.maskFields.every((f) => typeof f === 'string'))) problems.push('maskFields must be an array of strings');
  if (problems.length > 0) throw new TypeError(`buildDecisionLogRecord: ${problems.join('; ')}`);
  const { request, response } = input;
  const names = input.maskFields === undefined || input.maskFields.length === 0 ? DEFAULT_MASKED_NAMES : new Set([...DEFAULT_MASKED_NAMES, ...input.maskFields.map(normalize)]);
  const masked: string[] = [];
  const resourceAttributes = maskValue(request.resource?.attributes ?? {}, '/resource/attributes', names, masked) as Record<string, DecisionValue>;
  const context = maskValue(request.context ?? {}, '/context', names, masked) as Record<string, DecisionValue>;
  return {
    timestamp: new Date(input.at).toISOString(),
    decision_id: response.decisionId,
    trace_id: request.traceId ?? null,
    span_id: request.spanId ?? null,
    principal: request.principal,
    action: request.action,
    resource: { type: request.resource?.type, id: maskScalar(request.resource?.id, '/resource/id', masked) as string, attributes: resourceAttributes },
    context,
    txn: request.txn ?? null,
    decision: response.decision,
    policy_ids: [...response.policyIds],
    policy_version: response.policyVersion,
    errors: response.errors.map((e) => maskText(e)),
    latency_seconds: input.latencySeconds,
    masked,
  };
}

function normalize(name: string): string {
  return name.toLowerCase().replace(/[_-]/g, '');
}

/** The default names, normalised once (not on every decision). */
const DEFAULT_MASKED_NAMES: ReadonlySet<string> = new Set(DEFAULT_MASKED_FIELDS.map(normalize));

function maskValue(value: unknown, pointer: string, names: ReadonlySet<string>, masked: string[]): unknown {
  if (Array.isArray(value)) return value.map((v, i) => maskValue(v, `${pointer}/${i}`, names, masked));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const child = `${pointer}/${k.replace(/~/g, '~0').replace(/\//g, '~1')}`;
      if (names.has(normalize(k))) {
        out[k] = MASK;
        masked.push(child);
      } else out[k] = maskValue(v, child, names, masked);
    }
    return out;
  }
  return maskScalar(value, pointer, masked);
}

/** Values that are secrets whatever their field is called: card numbers and bearer tokens. */
function maskScalar(value: unknown, pointer: string, masked: string[]): unknown {
  if (typeof value !== 'string') return value;
  if (looksLikeCardNumber(value) || looksLikeJwt(value)) {
    masked.push(pointer);
    return MASK;
  }
  return value;
}

/** Masks card numbers and JWTs inside free text (error messages can quote values). */
function maskText(text: string): string {
  return text
    .replace(/\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g, MASK)
    .replace(/\b\d(?:[ -]?\d){12,18}\b/g, (m) => (looksLikeCardNumber(m) ? MASK : m));
}

export function looksLikeCardNumber(value: string): boolean {
  if (!/^\d(?:[ -]?\d){12,18}$/.test(value.trim())) return false;
  return luhnValid(value.replace(/\D/g, ''));
}

function looksLikeJwt(value: string): boolean {
  return /^eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/.test(value);
}
