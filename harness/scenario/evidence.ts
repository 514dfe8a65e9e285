/**
 * Turns whatever a scenario observed into bounded, JSON-safe data for the
 * report, and keeps secrets out of it: token signatures, private keys and
 * credential-named fields are redacted, since reports are shared artefacts.
 */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const MAX_DEPTH = 8;
const MAX_STRING = 4096;
const MAX_ITEMS = 100;

const SECRET_KEY = /^(authorization|proxy-authorization|cookie|set-cookie|password|passphrase|secret|client_secret|private_?key|privatekeypem|key_pem|access_token|refresh_token|id_token|subject_token|join_token|jointoken|card_?number|pan)$/i;
// Header stays (it is public and tells which alg/kid was used); payload and signature go.
const JWT = /\b(eyJ[A-Za-z0-9_-]{4,})\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
const PEM_PRIVATE = /-----BEGIN ([A-Z0-9 ]*PRIVATE KEY)-----[\s\S]*?(-----END \1-----|$)/g;

export function redactText(text: string): string {
  return text.replace(PEM_PRIVATE, '[redacted $1]').replace(JWT, '$1.[redacted]');
}

function clip(text: string): string {
  const clean = redactText(text);
  return clean.length > MAX_STRING ? `${clean.slice(0, MAX_STRING)}…[+${clean.length - MAX_STRING} chars]` : clean;
}

export function toJson(value: unknown): Json {
  return convert(value, 0, new WeakSet());
}

function convert(value: unknown, depth: number, seen: WeakSet<object>): Json {
  switch (typeof value) {
    case 'undefined':
      return null;
    case 'boolean':
      return value;
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'bigint':
      return value.toString();
    case 'string':
      return clip(value);
    case 'symbol':
      return value.toString();
    case 'function':
      return `[function ${value.name || 'anonymous'}]`;
  }
  if (value === null) return null;
  const obj = value as object;
  if (seen.has(obj)) return '[circular]';
  if (depth >= MAX_DEPTH) return '[too deep]';
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? 'Invalid Date' : value.toISOString();
  if (value instanceof RegExp) return String(value);
  if (value instanceof Error) return { name: value.name, message: clip(value.message), ...('code' in value && typeof value.code === 'string' ? { code: value.code } : {}) };
  if (ArrayBuffer.isView(value)) {
    const bytes = new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
    return `[${bytes.byteLength} bytes]`;
  }
  seen.add(obj);
  try {
    if (Array.isArray(value) || value instanceof Set) {
      const items = [...value];
      const out = items.slice(0, MAX_ITEMS).map((item) => convert(item, depth + 1, seen));
      if (items.length > MAX_ITEMS) out.push(`…[+${items.length - MAX_ITEMS} items]`);
      return out;
    }
    const entries: [string, unknown][] = value instanceof Map ? [...value.entries()].map(([k, v]): [string, unknown] => [String(k), v]) : Object.entries(value as object);
    const out: { [key: string]: Json } = {};
    let count = 0;
    for (const [key, item] of entries) {
      if (item === undefined) continue;
      if (++count > MAX_ITEMS) {
        out['…'] = `[+${entries.length - MAX_ITEMS} keys]`;
        break;
      }
      out[key] = SECRET_KEY.test(key) ? '[redacted]' : convert(item, depth + 1, seen);
    }
    return out;
  } finally {
    seen.delete(obj);
  }
}
