/**
 * Selecting collected spans and asserting over them. Assertions return
 * evidence (the ids of the spans that showed it) or a failure naming the span
 * that broke it; an empty selection is a failure, never a vacuous pass.
 */
import type { AttributeValue, SpanKindName, SpanRecord } from './span-record.ts';

export type AttributeMatcher = AttributeValue | RegExp | ((value: AttributeValue | undefined) => boolean);

export interface SpanSelector {
  service?: string | readonly string[];
  name?: string | RegExp;
  kind?: SpanKindName | readonly SpanKindName[];
  traceId?: string | readonly string[];
  /** Every listed attribute must match: a value (deep-equal), a RegExp (on strings) or a predicate. */
  attributes?: Record<string, AttributeMatcher>;
  status?: 'UNSET' | 'OK' | 'ERROR';
  where?: (span: SpanRecord) => boolean;
}

export interface SpanRef {
  spanId: string;
  traceId: string;
  name: string;
  service: string;
}

export interface Evidence {
  ok: true;
  message: string;
  spans: SpanRef[];
}

export interface Failure {
  ok: false;
  message: string;
  /** Why it failed, naming the span where there is one. */
  detail: string;
  span?: SpanRef;
}

export type Check = Evidence | Failure;

export function spanRef(span: SpanRecord): SpanRef {
  return { spanId: span.spanId, traceId: span.traceId, name: span.name, service: span.service };
}

function oneOf<T>(want: T | readonly T[] | undefined, value: T): boolean {
  if (want === undefined) return true;
  return Array.isArray(want) ? (want as readonly T[]).includes(value) : want === value;
}

function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length && ka.every((k) => deepEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]));
}

export function matchAttribute(matcher: AttributeMatcher, value: AttributeValue | undefined): boolean {
  if (typeof matcher === 'function') return matcher(value);
  if (matcher instanceof RegExp) return typeof value === 'string' && matcher.test(value);
  return value !== undefined && deepEqual(matcher, value);
}

export function matches(span: SpanRecord, selector: SpanSelector): boolean {
  if (!oneOf(selector.service, span.service)) return false;
  if (!oneOf(selector.kind, span.kind)) return false;
  if (!oneOf(selector.traceId, span.traceId)) return false;
  if (selector.name !== undefined && !(selector.name instanceof RegExp ? selector.name.test(span.name) : selector.name === span.name)) return false;
  if (selector.status !== undefined && span.status.code !== selector.status) return false;
  if (selector.attributes) {
    for (const [key, matcher] of Object.entries(selector.attributes)) if (!matchAttribute(matcher, span.attributes[key])) return false;
  }
  return selector.where ? selector.where(span) : true;
}

export function selectSpans(spans: readonly SpanRecord[], selector: SpanSelector = {}): SpanRecord[] {
  if (!Array.isArray(spans as unknown)) throw new TypeError('selectSpans: spans must be an array of span records');
  if (selector === null || typeof selector !== 'object') throw new TypeError('selectSpans: selector must be an object');
  return spans.filter((s) => matches(s, selector));
}

/** Trace ids of the traces that contain at least one span matching the selector. */
export function traceIdsWith(spans: readonly SpanRecord[], selector: SpanSelector): string[] {
  return [...new Set(selectSpans(spans, selector).map((s) => s.traceId))];
}

/** Every span of the traces that contain a span matching the selector. */
export function tracesWith(spans: readonly SpanRecord[], selector: SpanSelector): SpanRecord[] {
  const ids = new Set(traceIdsWith(spans, selector));
  return spans.filter((s) => ids.has(s.traceId));
}

export function childrenOf(spans: readonly SpanRecord[], parent: SpanRecord): SpanRecord[] {
  return spans.filter((s) => s.traceId === parent.traceId && s.parentSpanId === parent.spanId);
}

export function parentOf(spans: readonly SpanRecord[], child: SpanRecord): SpanRecord | undefined {
  if (!child.parentSpanId) return undefined;
  return spans.find((s) => s.traceId === child.traceId && s.spanId === child.parentSpanId);
}

/** Predicate: the span carries all these attributes (same matchers as selectors). */
export function hasAttributes(attributes: Record<string, AttributeMatcher>): (span: SpanRecord) => boolean {
  return (span) => Object.entries(attributes).every(([k, m]) => matchAttribute(m, span.attributes[k]));
}

function describe(span: SpanRecord): string {
  return `span "${span.name}" ${span.spanId} (service ${span.service || '?'}, trace ${span.traceId})`;
}

/** Every selected span satisfies the predicate; the selection must not be empty. */
export function expectEvery(selection: readonly SpanRecord[], predicate: (span: SpanRecord) => boolean, message: string): Check {
  if (typeof predicate !== 'function') throw new TypeError('expectEvery: predicate must be a function');
  if (selection.length === 0) return { ok: false, message, detail: 'no span was selected' };
  const bad = selection.filter((s) => !predicate(s));
  if (bad.length > 0) {
    const first = bad[0]!;
    return { ok: false, message, detail: `${describe(first)} does not satisfy it (${bad.length} of ${selection.length} spans fail)`, span: spanRef(first) };
  }
  return { ok: true, message, spans: selection.map(spanRef) };
}

/** At least one selected span satisfies the predicate. */
export function expectSome(selection: readonly SpanRecord[], predicate: (span: SpanRecord) => boolean, message: string): Check {
  if (typeof predicate !== 'function') throw new TypeError('expectSome: predicate must be a function');
  const good = selection.filter(predicate);
  if (good.length === 0) return { ok: false, message, detail: selection.length === 0 ? 'no span was selected' : `none of ${selection.length} selected spans satisfies it` };
  return { ok: true, message, spans: good.map(spanRef) };
}

/** No selected span satisfies the predicate (e.g. no allow decision for a forbidden caller). */
export function expectNone(selection: readonly SpanRecord[], predicate: (span: SpanRecord) => boolean, message: string): Check {
  if (typeof predicate !== 'function') throw new TypeError('expectNone: predicate must be a function');
  const bad = selection.filter(predicate);
  if (bad.length > 0) return { ok: false, message, detail: `${describe(bad[0]!)} satisfies it (${bad.length} spans do)`, span: spanRef(bad[0]!) };
  return { ok: true, message, spans: selection.map(spanRef) };
}
