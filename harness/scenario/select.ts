/**
 * Selecting scenarios by id pattern, tag and grep. Filters combine with AND;
 * within patterns and within tags any one match suffices. Every pattern and
 * tag must match something, so a typo is a usage error, not an empty run.
 */
import type { AnyScenario } from './define.ts';
import { ScenarioSelectionError } from './errors.ts';
import { PLANES } from './meta.ts';

export interface Selection {
  /** Exact ids, globs (`mtls.*`, `tokens.replay-?`) or a bare plane name (`mtls`). */
  patterns?: readonly string[];
  tags?: readonly string[];
  /** Tested against "<id> <title>". */
  grep?: RegExp;
}

/** `*` matches any run of characters (dots included), `?` exactly one. */
export function globToRegExp(pattern: string): RegExp {
  let source = '';
  for (const ch of pattern) {
    if (ch === '*') source += '.*';
    else if (ch === '?') source += '.';
    else source += ch.replace(/[\\^$.|+()[\]{}]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

function patternMatcher(pattern: string): (id: string) => boolean {
  if ((PLANES as readonly string[]).includes(pattern)) return (id) => id.startsWith(`${pattern}.`);
  if (pattern.includes('*') || pattern.includes('?')) {
    const re = globToRegExp(pattern);
    return (id) => re.test(id);
  }
  return (id) => id === pattern;
}

export function selectScenarios<S extends AnyScenario>(catalog: readonly S[], selection: Selection = {}): S[] {
  if (!Array.isArray(catalog)) throw new TypeError('selectScenarios: catalog must be an array of scenarios');
  const { patterns = [], tags = [], grep } = selection;
  const typeProblems: string[] = [];
  if (!Array.isArray(patterns) || patterns.some((p) => typeof p !== 'string' || p.trim() === '')) typeProblems.push('patterns must be an array of non-empty strings');
  if (!Array.isArray(tags) || tags.some((t) => typeof t !== 'string' || t.trim() === '')) typeProblems.push('tags must be an array of non-empty strings');
  if (grep !== undefined && !(grep instanceof RegExp)) typeProblems.push('grep must be a RegExp');
  if (typeProblems.length > 0) throw new TypeError(`selectScenarios: ${typeProblems.join('; ')}`);

  const problems: string[] = [];
  const matchers = patterns.map((p) => ({ pattern: p, test: patternMatcher(p) }));
  for (const m of matchers) if (!catalog.some((s) => m.test(s.meta.id))) problems.push(`pattern "${m.pattern}" matches no scenario`);
  for (const tag of tags) if (!catalog.some((s) => s.meta.tags.includes(tag))) problems.push(`tag "${tag}" is on no scenario`);
  if (problems.length > 0) throw new ScenarioSelectionError(problems);

  // Strip g/y so test() does not carry lastIndex from one scenario to the next.
  const re = grep === undefined ? undefined : new RegExp(grep.source, grep.flags.replace(/[gy]/g, ''));
  const selected = catalog.filter(
    (s) =>
      (matchers.length === 0 || matchers.some((m) => m.test(s.meta.id))) &&
      (tags.length === 0 || tags.some((t) => s.meta.tags.includes(t))) &&
      (re === undefined || re.test(`${s.meta.id} ${s.meta.title}`)),
  );
  if (selected.length === 0) {
    const parts = [patterns.length ? `patterns ${patterns.join(', ')}` : '', tags.length ? `tags ${tags.join(', ')}` : '', re ? `grep ${String(re)}` : ''].filter(Boolean);
    throw new ScenarioSelectionError([parts.length ? `no scenario matches ${parts.join(' and ')}` : 'the catalog is empty']);
  }
  return selected;
}
