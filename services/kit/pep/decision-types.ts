/** The PDP's wire types: what a PEP sends to /v1/decide and what it gets back. */
import { isSpiffeId } from '../spiffe.ts';

/** JSON values Cedar can take (no null: Cedar has none). Integers only for Long attributes. */
/** The PDP answers with its policy set version here, so enforcers drop stale cached decisions. */
export const POLICY_VERSION_HEADER = 'x-policy-version';

export type DecisionValue = string | number | boolean | DecisionValue[] | { [key: string]: DecisionValue };

export interface DecisionResource {
  /** Cedar entity type, e.g. "Payment", "Entry". */
  type: string;
  id: string;
  /** Attributes per the schema; entity-typed ones (e.g. owner) as the entity's id string. */
  attributes: Record<string, DecisionValue>;
}

export interface DecisionRequest {
  /** The caller's SPIFFE ID, as read from its verified certificate. */
  principal: string;
  /** The topology route's action, e.g. "POST /payments". */
  action: string;
  resource: DecisionResource;
  /** Verified transaction-token claims per the schema's Txn type; `user` as the user's id string. */
  context: Record<string, DecisionValue>;
  /** The transaction id, for the decision log only: like the trace ids it never reaches Cedar, so it cannot change a decision. */
  txn?: string;
  traceId?: string;
  spanId?: string;
}

export interface DecisionResponse {
  decision: 'allow' | 'deny';
  /** The determining policies: the permits that allowed, or the forbids that denied (empty for deny by default). */
  policyIds: string[];
  /** Evaluation or request errors; non-empty means the decision is not trustworthy (a PEP denies with pdp_error). */
  errors: string[];
  policyVersion: string;
  decisionId: string;
}

const MAX_DEPTH = 8;

/** Every problem with a decision request, or [] when it is well-formed. */
export function validateDecisionRequest(value: unknown): string[] {
  const problems: string[] = [];
  if (!isRecord(value)) return [`request must be an object (got ${describeValue(value)})`];
  const known = new Set(['principal', 'action', 'resource', 'context', 'txn', 'traceId', 'spanId']);
  for (const key of Object.keys(value)) if (!known.has(key)) problems.push(`unknown field "${key}"`);
  if (typeof value['principal'] !== 'string' || !isSpiffeId(value['principal'])) problems.push(`principal must be a SPIFFE ID (got ${describeValue(value['principal'])})`);
  if (typeof value['action'] !== 'string' || value['action'] === '') problems.push(`action must be a non-empty string (got ${describeValue(value['action'])})`);
  const resource = value['resource'];
  if (!isRecord(resource)) problems.push(`resource must be an object (got ${describeValue(resource)})`);
  else {
    if (typeof resource['type'] !== 'string' || resource['type'] === '') problems.push(`resource.type must be a non-empty string (got ${describeValue(resource['type'])})`);
    if (typeof resource['id'] !== 'string' || resource['id'] === '') problems.push(`resource.id must be a non-empty string (got ${describeValue(resource['id'])})`);
    if (!isRecord(resource['attributes'])) problems.push(`resource.attributes must be an object (got ${describeValue(resource['attributes'])})`);
    else checkValue(resource['attributes'], 'resource.attributes', 0, problems);
    for (const key of Object.keys(resource)) if (!['type', 'id', 'attributes'].includes(key)) problems.push(`unknown field "resource.${key}"`);
  }
  if (!isRecord(value['context'])) problems.push(`context must be an object (got ${describeValue(value['context'])})`);
  else checkValue(value['context'], 'context', 0, problems);
  if (value['txn'] !== undefined && (typeof value['txn'] !== 'string' || value['txn'] === '' || value['txn'].length > 200)) problems.push(`txn must be a non-empty string of at most 200 characters (got ${describeValue(value['txn'])})`);
  for (const key of ['traceId', 'spanId'] as const) {
    if (value[key] !== undefined && (typeof value[key] !== 'string' || !/^[0-9a-f]{1,32}$/.test(value[key]))) problems.push(`${key} must be lowercase hex (got ${describeValue(value[key])})`);
  }
  return problems;
}

/** Every problem with a decision response, or [] when it is well-formed. */
export function validateDecisionResponse(value: unknown): string[] {
  if (!isRecord(value)) return [`response must be an object (got ${describeValue(value)})`];
  const problems: string[] = [];
  if (value['decision'] !== 'allow' && value['decision'] !== 'deny') problems.push(`decision must be "allow" or "deny" (got ${describeValue(value['decision'])})`);
  if (!isStringArray(value['policyIds'])) problems.push(`policyIds must be an array of strings (got ${describeValue(value['policyIds'])})`);
  if (!isStringArray(value['errors'])) problems.push(`errors must be an array of strings (got ${describeValue(value['errors'])})`);
  if (typeof value['policyVersion'] !== 'string' || value['policyVersion'] === '') problems.push(`policyVersion must be a non-empty string (got ${describeValue(value['policyVersion'])})`);
  if (typeof value['decisionId'] !== 'string' || value['decisionId'] === '') problems.push(`decisionId must be a non-empty string (got ${describeValue(value['decisionId'])})`);
  return problems;
}

function checkValue(value: unknown, path: string, depth: number, problems: string[]): void {
  if (depth > MAX_DEPTH) {
    problems.push(`${path} nests deeper than ${MAX_DEPTH} levels`);
    return;
  }
  if (typeof value === 'string' || typeof value === 'boolean') return;
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) problems.push(`${path} must be an integer (Cedar Long), got ${value}`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => checkValue(v, `${path}[${i}]`, depth + 1, problems));
    return;
  }
  if (isRecord(value)) {
    for (const [k, v] of Object.entries(value)) checkValue(v, `${path}.${k}`, depth + 1, problems);
    return;
  }
  problems.push(`${path} has an unsupported value (${describeValue(value)})`);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function isStringArray(value: unknown): value is string[] {
  return Array.isArray(value) && value.every((v) => typeof v === 'string');
}

/** A short description of a value for an error message: strings quoted and cut, objects by kind. */
export function describeValue(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}
