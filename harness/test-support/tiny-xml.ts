/**
 * A small, strict XML parser for tests: well-formedness (nesting, quoting,
 * entities, one root) plus a tree to count elements in. Throws on anything a
 * real XML parser would reject among the constructs the renderers emit.
 */
export interface XmlElement {
  name: string;
  attrs: Record<string, string>;
  children: XmlElement[];
  text: string;
}

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" };

function isNameChar(ch: string | undefined, first: boolean): boolean {
  if (ch === undefined) return false;
  const c = ch.charCodeAt(0);
  const letter = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || ch === '_' || ch === ':';
  return first ? letter : letter || (c >= 48 && c <= 57) || ch === '-' || ch === '.';
}

export function parseXml(source: string): XmlElement {
  let i = 0;
  const fail = (message: string): never => {
    throw new Error(`XML error at ${i}: ${message}`);
  };
  const skipSpace = (): void => {
    while (i < source.length && ' \t\r\n'.includes(source[i]!)) i++;
  };
  const name = (): string => {
    const start = i;
    if (!isNameChar(source[i], true)) fail('expected a name');
    while (isNameChar(source[i], false)) i++;
    return source.slice(start, i);
  };
  const decode = (raw: string, inAttr: boolean): string => {
    let out = '';
    for (let k = 0; k < raw.length; k++) {
      const ch = raw[k]!;
      const code = ch.charCodeAt(0);
      if (code < 0x20 && ch !== '\t' && ch !== '\n' && ch !== '\r') fail(`control character U+${code.toString(16)}`);
      if (ch === '<') fail('raw < in text or attribute');
      if (inAttr && ch === '"') fail('raw quote in attribute');
      if (ch !== '&') {
        out += ch;
        continue;
      }
      const end = raw.indexOf(';', k);
      if (end < 0) fail('unterminated entity');
      const ent = raw.slice(k + 1, end);
      if (ent.startsWith('#x')) out += String.fromCodePoint(Number.parseInt(ent.slice(2), 16));
      else if (ent.startsWith('#')) out += String.fromCodePoint(Number.parseInt(ent.slice(1), 10));
      else if (ent in ENTITIES) out += ENTITIES[ent];
      else fail(`unknown entity &${ent};`);
      k = end;
    }
    return out;
  };
  const misc = (): void => {
    for (;;) {
      skipSpace();
      if (source.startsWith('<?', i)) {
        const end = source.indexOf('?>', i);
        if (end < 0) fail('unterminated processing instruction');
        i = end + 2;
      } else if (source.startsWith('<!--', i)) {
        const end = source.indexOf('-->', i);
        if (end < 0) fail('unterminated comment');
        i = end + 3;
      } else return;
    }
  };
  const element = (): XmlElement => {
    if (source[i] !== '<') fail('expected <');
    i++;
    const el: XmlElement = { name: name(), attrs: {}, children: [], text: '' };
    for (;;) {
      skipSpace();
      if (source.startsWith('/>', i)) {
        i += 2;
        return el;
      }
      if (source[i] === '>') {
        i++;
        break;
      }
      const attr = name();
      if (attr in el.attrs) fail(`duplicate attribute ${attr}`);
      skipSpace();
      if (source[i] !== '=') fail('expected =');
      i++;
      skipSpace();
      const quote = source[i];
      if (quote !== '"') fail('attribute values must be double-quoted');
      const end = source.indexOf('"', i + 1);
      if (end < 0) fail('unterminated attribute');
      el.attrs[attr] = decode(source.slice(i + 1, end), true);
      i = end + 1;
    }
    for (;;) {
      if (i >= source.length) fail(`unclosed <${el.name}>`);
      if (source.startsWith('</', i)) {
        i += 2;
        const closing = name();
        if (closing !== el.name) fail(`</${closing}> closes <${el.name}>`);
        skipSpace();
        if (source[i] !== '>') fail('expected >');
        i++;
        return el;
      }
      if (source.startsWith('<!--', i)) {
        const end = source.indexOf('-->', i);
        if (end < 0) fail('unterminated comment');
        i = end + 3;
      } else if (source[i] === '<') {
        el.children.push(element());
      } else {
        const end = source.indexOf('<', i);
        el.text += decode(source.slice(i, end < 0 ? source.length : end), false);
        i = end < 0 ? source.length : end;
      }
    }
  };
  misc();
  const root = element();
  misc();
  if (i !== source.length) fail('content after the root element');
  return root;
}

export function childrenNamed(el: XmlElement, name: string): XmlElement[] {
  return el.children.filter((c) => c.name === name);
}
