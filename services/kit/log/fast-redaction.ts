/**
 * The same redaction as pino's `redact` option, computed in one pass per value.
 *
 * Pino turns the redaction paths into one redactor per top-level key plus a
 * wildcard one, and calls the matching redactor for every top-level value of
 * every line (strings and numbers too). With REDACT_PATHS (168 paths, most of
 * them under `*` wildcards) each call re-parses and walks every path: about
 * 0.6 ms for a decision log line. Here the paths are compiled once into an
 * automaton over keys and each value is walked once, copying only the objects
 * on the way to a censored field (pino's redactor clones them too and never
 * touches the logged object).
 *
 * Only the functions behind pino's hook points are replaced: which redactor
 * runs for which key (log lines, child bindings, after serializers) stays
 * pino's. installFastRedaction() replaces nothing unless the compiled paths
 * give exactly the set of top-level keys pino derived; otherwise pino's own
 * redactors stay in place. services/kit/log/fast-redaction.test.ts holds the
 * output byte for byte to pino's over randomised objects.
 */
import { pino, type Logger } from 'pino';

interface TrieNode {
  /** A path ends here: the value at this key is censored. */
  terminal: boolean;
  children: Map<string, TrieNode>;
  wildcard: TrieNode | undefined;
}

/** A set of trie nodes, as one automaton state: what each next key leads to. */
interface State {
  /** Keys censored in a container at this state (own properties only, as pino's redactor sets them). */
  terminal: ReadonlySet<string>;
  /** The state under a key named by some path. */
  literal: ReadonlyMap<string, State | null>;
  /** The state under any other key (wildcards only), or null when no path goes deeper. */
  other: State | null;
}

const node = (): TrieNode => ({ terminal: false, children: new Map(), wildcard: undefined });

/** Path segments as @pinojs/redact reads them: `a.b`, `a["b-c"]`, `*`. Undefined for syntax it does not support here. */
export function parseRedactPath(path: string): string[] | undefined {
  const parts: string[] = [];
  const rx = /([^.[\]"']+)|\["([^"]*)"\]|\['([^']*)'\]|(\.)/gy;
  let expectDot = false;
  let m: RegExpExecArray | null;
  while ((m = rx.exec(path))) {
    if (m[4] !== undefined) {
      if (!expectDot) return undefined;
      expectDot = false;
      continue;
    }
    if (m[1] !== undefined && expectDot) return undefined;
    parts.push(m[1] ?? m[2] ?? m[3]!);
    expectDot = true;
  }
  if (rx.lastIndex !== 0 && rx.lastIndex !== path.length) return undefined;
  if (rx.lastIndex === 0 && parts.length === 0) return undefined;
  return parts.length ? parts : undefined;
}

/**
 * Compiles paths of the form `*.…*.literal.…literal` (wildcards first, at least one literal after them),
 * the only form for which the one-pass walk is proven equal to pino's. Undefined for any other path set.
 */
function compile(paths: readonly string[]): TrieNode | undefined {
  const root = node();
  for (const path of paths) {
    const parts = parseRedactPath(path);
    if (!parts) return undefined;
    const firstLiteral = parts.findIndex((p) => p !== '*');
    if (firstLiteral < 0 || parts.slice(firstLiteral).includes('*')) return undefined;
    let at = root;
    for (const part of parts) {
      if (part === '*') at = at.wildcard ??= node();
      else {
        let next = at.children.get(part);
        if (!next) at.children.set(part, (next = node()));
        at = next;
      }
    }
    at.terminal = true;
  }
  return root;
}

/**
 * The automaton state of a set of nodes. A censored value is a string afterwards, so nothing under it is
 * redacted again: a key that ends a path is censored, whatever deeper paths would reach through it.
 */
function stateOf(nodes: readonly TrieNode[], memo: Map<string, State | null>, ids: Map<TrieNode, number>): State | null {
  if (nodes.length === 0) return null;
  const idOf = (n: TrieNode) => {
    let id = ids.get(n);
    if (id === undefined) ids.set(n, (id = ids.size));
    return id;
  };
  const key = [...new Set(nodes.map(idOf))].sort((a, b) => a - b).join(',');
  if (memo.has(key)) return memo.get(key)!;
  const terminal = new Set<string>();
  const literal = new Map<string, State | null>();
  const state: State = { terminal, literal, other: null };
  memo.set(key, state);
  const wildcards = nodes.flatMap((n) => (n.wildcard ? [n.wildcard] : []));
  for (const n of nodes) for (const [k, child] of n.children) if (child.terminal) terminal.add(k);
  const literalKeys = new Set(nodes.flatMap((n) => [...n.children.keys()]));
  for (const k of literalKeys) {
    if (terminal.has(k)) continue;
    const next = [...nodes.flatMap((n) => (n.children.has(k) ? [n.children.get(k)!] : [])), ...wildcards];
    literal.set(k, stateOf(next, memo, ids));
  }
  // A wildcard that ends a path is refused by compile(), so wildcards never censor by themselves.
  state.other = stateOf(wildcards, memo, ids);
  return state;
}

const hasOwn = (o: object, k: PropertyKey) => Object.prototype.hasOwnProperty.call(o, k);

/** A copy as @pinojs/redact makes it: same prototype, own enumerable properties. */
function shallowCopy(value: object): Record<string, unknown> | unknown[] {
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) out[i] = value[i];
    return out;
  }
  const out = Object.create(Object.getPrototypeOf(value)) as Record<string, unknown>;
  for (const k of Object.keys(value)) out[k] = (value as Record<string, unknown>)[k];
  return out;
}

/** The value with every field the state reaches censored; the same object when nothing is. Never mutates. */
export function redactValue(value: unknown, state: State | null, censor: unknown): unknown {
  if (state === null || value === null || typeof value !== 'object') return value;
  const { terminal, literal, other } = state;
  let out: Record<string, unknown> | undefined;
  const array = Array.isArray(value);
  const source = value as Record<string, unknown>;
  // Object.keys: the own enumerable keys, in the order pino's for-in (own properties only) visits them.
  const keys = array ? Array.from({ length: (value as unknown[]).length }, (_, i) => String(i)) : Object.keys(source);
  for (const k of keys) {
    let v: unknown;
    if (terminal.has(k)) {
      // pino's redactor sets only properties the object has (not an array's holes).
      if (array && !hasOwn(source, k)) continue;
      v = censor;
    } else {
      const next = literal.has(k) ? literal.get(k)! : other;
      const child = source[k];
      if (next === null || child === null || typeof child !== 'object') continue;
      v = redactValue(child, next, censor);
      if (v === child) continue;
    }
    out ??= shallowCopy(value) as Record<string, unknown>;
    out[k] = v;
  }
  return out ?? value;
}

type Stringifier = (value: unknown, stringifySafe?: unknown) => string;

const { stringifiersSym, wildcardFirstSym, stringifySym, stringifySafeSym } = pino.symbols as unknown as Record<string, symbol>;

/**
 * Replaces a pino logger's redactors (made from `paths` and `censor`) with one-pass ones. Returns false,
 * replacing nothing, when the logger's redactors are not the ones these paths give.
 */
export function installFastRedaction(logger: Logger, paths: readonly string[], censor: string): boolean {
  const root = compile(paths);
  const target = logger as unknown as Record<symbol, unknown>;
  const stringifiers = target[stringifiersSym!] as Record<string | symbol, Stringifier> | undefined;
  const stringify = target[stringifySym!] as ((v: unknown, safe: unknown) => string) | undefined;
  const stringifySafe = target[stringifySafeSym!];
  if (!root || !stringifiers || typeof stringify !== 'function' || !wildcardFirstSym) return false;
  // pino's serialize is its stringify bound to the safe stringifier (circular references and all).
  const serialize = (v: unknown) => stringify(v, stringifySafe);
  const memo = new Map<string, State | null>();
  const ids = new Map<TrieNode, number>();
  const rootState = stateOf([root], memo, ids)!;
  // What pino derived: a top-level censor, or a redactor, for each key a path starts with.
  const ours = new Set([...rootState.terminal, ...rootState.literal.keys()]);
  const theirs = Object.keys(stringifiers);
  if (theirs.length !== ours.size || theirs.some((k) => !ours.has(k))) return false;
  if (Boolean(root.wildcard) !== (typeof stringifiers[wildcardFirstSym] === 'function')) return false;
  for (const k of rootState.terminal) if (stringifiers[k]!({}) !== serialize(censor)) return false;
  const replaced: Record<string | symbol, Stringifier> = {};
  const censored = serialize(censor);
  for (const k of rootState.terminal) replaced[k] = () => censored;
  for (const [k, state] of rootState.literal) replaced[k] = (value) => serialize(redactValue(value, state, censor));
  if (root.wildcard) replaced[wildcardFirstSym] = (value) => serialize(redactValue(value, rootState.other, censor));
  Object.assign(stringifiers, replaced);
  return true;
}
