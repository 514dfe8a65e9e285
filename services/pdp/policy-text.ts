/**
 * Splits Cedar policy text into statements at top-level semicolons, so each
 * policy is parsed on its own: every broken policy is reported (not only the
 * first) and every problem keeps its place in the file.
 */
export interface PolicyStatement {
  /** String index of the statement's first character that is neither whitespace nor comment. */
  start: number;
  /** String index just past the terminating ";" (or the end of the text). */
  end: number;
  text: string;
}

export function splitStatements(source: string): PolicyStatement[] {
  const out: PolicyStatement[] = [];
  let start = -1;
  let i = 0;
  while (i < source.length) {
    const c = source[i]!;
    if (c === '/' && source[i + 1] === '/') {
      const nl = source.indexOf('\n', i);
      i = nl === -1 ? source.length : nl + 1;
      continue;
    }
    if (start === -1) {
      if (/\s/.test(c)) { i++; continue; }
      start = i;
    }
    if (c === '"') {
      i++;
      while (i < source.length && source[i] !== '"') i += source[i] === '\\' ? 2 : 1;
      i++;
      continue;
    }
    if (c === ';') {
      out.push({ start, end: i + 1, text: source.slice(start, i + 1) });
      start = -1;
    }
    i++;
  }
  if (start !== -1) out.push({ start, end: source.length, text: source.slice(start) });
  return out;
}
