/**
 * Checks: the unit of proof. A scenario's expect() returns two lists of them:
 * `control` (the exact rejection happened) and `detection` (operators could see it).
 */
export interface Check {
  name: string;
  ok: boolean;
  expected: unknown;
  observed: unknown;
  /** What backs the observation: a log line, a metric sample, a span, a response. */
  evidence?: unknown;
}

export interface Expectation {
  control: Check[];
  detection: Check[];
  /**
   * What the harness had to establish for the other checks to mean anything
   * (enough load met the change, the change happened in time). One that does
   * not hold makes the scenario inconclusive (an error), never a failed control.
   */
  preconditions?: Check[];
}

function requireName(name: unknown, fn: string): asserts name is string {
  if (typeof name !== 'string' || name.trim() === '') throw new TypeError(`${fn}: name must be a non-empty string (got ${describe(name)})`);
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === null || typeof value !== 'object') return String(value);
  return Array.isArray(value) ? 'an array' : 'an object';
}

function withEvidence(check: Check, evidence: unknown): Check {
  if (evidence !== undefined) check.evidence = evidence;
  return check;
}

/** Passes when observed deep-equals expected. */
export function check(name: string, expected: unknown, observed: unknown, evidence?: unknown): Check {
  requireName(name, 'check');
  return withEvidence({ name, ok: deepEqual(expected, observed), expected, observed }, evidence);
}

/** A check whose verdict the scenario computed itself. */
export function checkThat(name: string, result: { ok: boolean; expected: unknown; observed: unknown; evidence?: unknown }): Check {
  requireName(name, 'checkThat');
  if (typeof result?.ok !== 'boolean') throw new TypeError(`checkThat: ok must be a boolean (got ${describe(result?.ok)})`);
  return withEvidence({ name, ok: result.ok, expected: result.expected, observed: result.observed }, result.evidence);
}

/** Passes when every field of `expected` is present in observed with an equal value (recursively). */
export function checkPartial(name: string, expected: unknown, observed: unknown, evidence?: unknown): Check {
  requireName(name, 'checkPartial');
  return withEvidence({ name, ok: partialMatch(expected, observed), expected, observed }, evidence);
}

/** Passes when some item partially matches `expected`; the match (or the item count) is the observation. */
export function checkFind(name: string, expected: unknown, items: readonly unknown[], evidence?: unknown): Check {
  requireName(name, 'checkFind');
  if (!Array.isArray(items)) throw new TypeError(`checkFind: items must be an array (got ${describe(items)})`);
  const found = items.find((item) => partialMatch(expected, item));
  const observed = found ?? { matched: 0, searched: items.length };
  return withEvidence({ name, ok: found !== undefined, expected, observed }, evidence ?? found);
}

/** Passes when observed is a finite number >= min (e.g. a counter increment). */
export function checkAtLeast(name: string, min: number, observed: unknown, evidence?: unknown): Check {
  requireName(name, 'checkAtLeast');
  if (typeof min !== 'number' || !Number.isFinite(min)) throw new TypeError(`checkAtLeast: min must be a finite number (got ${describe(min)})`);
  const ok = typeof observed === 'number' && Number.isFinite(observed) && observed >= min;
  return withEvidence({ name, ok, expected: `>= ${min}`, observed }, evidence);
}

/** Passes when observed is a string matching the pattern. */
export function checkMatch(name: string, pattern: RegExp, observed: unknown, evidence?: unknown): Check {
  requireName(name, 'checkMatch');
  if (!(pattern instanceof RegExp)) throw new TypeError(`checkMatch: pattern must be a RegExp (got ${describe(pattern)})`);
  // A global/sticky RegExp keeps lastIndex between calls; test a fresh copy.
  const ok = typeof observed === 'string' && new RegExp(pattern.source, pattern.flags.replace(/[gy]/g, '')).test(observed);
  return withEvidence({ name, ok, expected: `matches ${String(pattern)}`, observed }, evidence);
}

export function expectation(control: Check[], detection: Check[] = [], preconditions: Check[] = []): Expectation {
  if (!Array.isArray(control)) throw new TypeError(`expectation: control must be an array of checks (got ${describe(control)})`);
  if (!Array.isArray(detection)) throw new TypeError(`expectation: detection must be an array of checks (got ${describe(detection)})`);
  if (!Array.isArray(preconditions)) throw new TypeError(`expectation: preconditions must be an array of checks (got ${describe(preconditions)})`);
  return preconditions.length ? { control, detection, preconditions } : { control, detection };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object') return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Structural equality for JSON-like values, Dates, byte arrays, Maps and Sets. */
export function deepEqual(a: unknown, b: unknown): boolean {
  if (Object.is(a, b)) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((item, i) => deepEqual(item, b[i]));
  }
  if (a instanceof Date || b instanceof Date) return a instanceof Date && b instanceof Date && a.getTime() === b.getTime();
  if (ArrayBuffer.isView(a) || ArrayBuffer.isView(b)) {
    if (!ArrayBuffer.isView(a) || !ArrayBuffer.isView(b) || a.byteLength !== b.byteLength) return false;
    const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
    return x.every((byte, i) => byte === y[i]);
  }
  if (a instanceof Map || b instanceof Map) {
    if (!(a instanceof Map) || !(b instanceof Map) || a.size !== b.size) return false;
    for (const [k, v] of a) if (!b.has(k) || !deepEqual(v, b.get(k))) return false;
    return true;
  }
  if (a instanceof Set || b instanceof Set) {
    if (!(a instanceof Set) || !(b instanceof Set) || a.size !== b.size) return false;
    for (const v of a) if (!b.has(v)) return false;
    return true;
  }
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const rb = b as Record<string, unknown>;
  return ka.every((k) => Object.hasOwn(rb, k) && deepEqual((a as Record<string, unknown>)[k], rb[k]));
}

/** Like deepEqual, but plain objects in `expected` only need their own keys to be present in `observed`. */
export function partialMatch(expected: unknown, observed: unknown): boolean {
  if (isPlainObject(expected)) {
    if (observed === null || typeof observed !== 'object' || Array.isArray(observed)) return false;
    const o = observed as Record<string, unknown>;
    return Object.keys(expected).every((k) => k in o && partialMatch(expected[k], o[k]));
  }
  if (Array.isArray(expected)) {
    return Array.isArray(observed) && observed.length === expected.length && expected.every((item, i) => partialMatch(item, observed[i]));
  }
  return deepEqual(expected, observed);
}
