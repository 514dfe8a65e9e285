/**
 * Scans every sink meshgate writes (logs, spans, /metrics, decision logs,
 * reports) for secrets: the run's canaries in raw and encoded forms, and
 * generic detectors for secrets the harness did not plant. A hit says where
 * and what kind, never the secret: reports built from hits are safe to keep.
 */
import { createReadStream } from 'node:fs';
import { createPrivateKey } from 'node:crypto';
import { createInterface } from 'node:readline';
import { luhnValid } from '../../services/kit/luhn.ts';

/** The value of a trace or span id field (JSON logs, span records, logfmt and hit descriptions) is an identifier, never a card number. */
const TELEMETRY_ID_KEY = /(?:"(?:trace_?id|span_?id|parent_?span_?id|traceId|spanId|parentSpanId)"\s*:\s*"|\b(?:trace_?id|span_?id|parent_?span_?id)=)$/i;
import type { Canary } from './canaries.ts';
import type { SpanRecord } from './span-record.ts';

export type CanaryEncoding =
  | 'raw'
  | 'json-escaped'
  | 'json-escaped-twice'
  | 'base64'
  | 'base64url'
  | 'url-encoded'
  | 'form-encoded'
  | 'hex'
  | 'hex-upper'
  | 'card-grouped-space'
  | 'card-grouped-dash'
  | 'pem-body-line'
  | 'der-base64'
  | 'jwk-d'
  | 'jwt-signature';

export type GenericDetector = 'jwt-shape' | 'bearer-token' | 'pem-private-key' | 'private-jwk' | 'luhn-card-number';

export interface LeakLocation {
  /** Which sink: log, span, metrics, decision_log, report, ... */
  sink: string;
  file?: string;
  /** 1-based line in the file or text. */
  line?: number;
  /** 1-based column where the secret starts. */
  column?: number;
  span?: { name: string; spanId: string; traceId: string; service: string };
  /** Field of the span that holds it, e.g. "attributes.url.full", "events[0].name". */
  field?: string;
  /** Where a text came from when it is not a file (e.g. a /metrics URL). */
  source?: string;
}

export interface LeakHit extends LeakLocation {
  /** The kind of secret: a canary kind or what a generic detector recognises. */
  secretKind: string;
  detector: 'canary' | GenericDetector;
  /** For canary hits: the form it was found in. */
  encoding?: CanaryEncoding;
  /** For canary hits: the canary's handle, e.g. "canary:card_number". */
  canaryId?: string;
}

export interface LeakScannerOptions {
  canaries?: readonly Canary[];
  /** Known benign values for the generic detectors (e.g. a documented test card or a masked value). */
  allow?: ReadonlyArray<string | RegExp>;
  /** Run the generic detectors (default true). */
  generic?: boolean;
}

interface Form {
  canary: Canary;
  encoding: CanaryEncoding;
  text: string;
}

interface Match {
  start: number;
  end: number;
  hit: Omit<LeakHit, keyof LeakLocation>;
}

const MIN_FORM = 8;

/** Base64 of the value at each of the three byte alignments, keeping only characters that depend on the value alone. */
function base64Forms(value: Buffer, alphabet: 'base64' | 'base64url'): string[] {
  const out: string[] = [];
  for (let k = 0; k < 3; k++) {
    const enc = Buffer.concat([Buffer.alloc(k), value]).toString(alphabet);
    const from = Math.ceil((8 * k) / 6);
    const to = Math.floor((8 * (k + value.length)) / 6);
    out.push(enc.slice(from, to));
  }
  return out;
}

function canaryForms(canary: Canary): Form[] {
  const v = canary.value;
  const bytes = Buffer.from(v, 'utf8');
  const forms: Array<[CanaryEncoding, string]> = [
    ['raw', v],
    ['json-escaped', JSON.stringify(v).slice(1, -1)],
    ['json-escaped-twice', JSON.stringify(JSON.stringify(v).slice(1, -1)).slice(1, -1)],
    ...base64Forms(bytes, 'base64').map((t): [CanaryEncoding, string] => ['base64', t]),
    ...base64Forms(bytes, 'base64url').map((t): [CanaryEncoding, string] => ['base64url', t]),
    ['url-encoded', encodeURIComponent(v)],
    ['form-encoded', encodeURIComponent(v).replace(/%20/g, '+')],
    ['hex', bytes.toString('hex')],
    ['hex-upper', bytes.toString('hex').toUpperCase()],
  ];
  if (canary.kind === 'card_number' && /^\d{16}$/.test(v)) {
    const groups = v.match(/\d{4}/g)!;
    forms.push(['card-grouped-space', groups.join(' ')], ['card-grouped-dash', groups.join('-')]);
  }
  if (canary.kind === 'private_key' && v.includes('PRIVATE KEY-----')) {
    const body = v.split('\n').filter((l) => l && !l.startsWith('-----'));
    // The first body line is mostly the algorithm header shared by every key of the type; later lines are key material.
    for (const line of body.slice(1)) if (line.length >= 16) forms.push(['pem-body-line', line]);
    const der = body.join('');
    if (der.length > 96) forms.push(['der-base64', der.slice(48, 96)]);
    try {
      const jwk = createPrivateKey(v).export({ format: 'jwk' });
      if (typeof jwk.d === 'string') forms.push(['jwk-d', jwk.d]);
    } catch {
      // Not a key Node can read: the text forms still apply.
    }
  }
  if (canary.kind === 'jwt') {
    const signature = v.split('.')[2];
    if (signature && signature.length >= 16) forms.push(['jwt-signature', signature]);
  }
  const seen = new Set<string>();
  const out: Form[] = [];
  for (const [encoding, text] of forms) {
    if (text.length < MIN_FORM || seen.has(text)) continue;
    seen.add(text);
    out.push({ canary, encoding, text });
  }
  return out;
}

// Issuer prefixes and lengths of the major card brands: bare 13–19 digit runs (timestamps, ids) rarely fit them.
function plausibleCard(digits: string): boolean {
  const n = digits.length;
  const p2 = Number(digits.slice(0, 2));
  const p3 = Number(digits.slice(0, 3));
  const p4 = Number(digits.slice(0, 4));
  if (digits[0] === '4') return n === 13 || n === 16 || n === 19;
  if ((p2 >= 51 && p2 <= 55) || (p4 >= 2221 && p4 <= 2720)) return n === 16;
  if (p2 === 34 || p2 === 37) return n === 15;
  if (p4 === 6011 || p2 === 65 || (p3 >= 644 && p3 <= 649) || p2 === 62) return n >= 16 && n <= 19;
  if (p4 >= 3528 && p4 <= 3589) return n >= 16 && n <= 19;
  if (p2 === 36 || p2 === 38 || (p3 >= 300 && p3 <= 305)) return n >= 14 && n <= 19;
  return false;
}

const JWT_SHAPE = /eyJ[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]*/g;
const BEARER = /\bBearer\s+([A-Za-z0-9\-._~+/]{16,}=*)/gi;
const PEM_PRIVATE = /-----BEGIN(?: |%20|\+)(?:[A-Z0-9]+(?: |%20|\+))*PRIVATE(?: |%20|\+)KEY-----/g;
const JWK_D = /\\*"d\\*"\s*:\s*\\*"([A-Za-z0-9_-]{20,})/g;
const JWK_KTY = /\\*"kty\\*"\s*:/;
const CARD_PLAIN = /(?<![0-9A-Za-z_]|\d\.)\d{13,19}(?![0-9A-Za-z_]|\.\d)/g;
const CARD_GROUPED = /(?<![0-9A-Za-z_])\d{4}([ -])\d{4}\1\d{4}\1\d{1,7}(?![0-9A-Za-z_])/g;

function decodesToJwtHeader(segment: string): boolean {
  try {
    const header = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8')) as unknown;
    // A JWE's header has "enc": its payload is ciphertext for one recipient (a sealed card), not a bearer secret.
    return header !== null && typeof header === 'object' && typeof (header as { alg?: unknown }).alg === 'string' && !('enc' in header);
  } catch {
    return false;
  }
}

export class LeakScanner {
  readonly #forms: Form[];
  readonly #allow: ReadonlyArray<string | RegExp>;
  readonly #generic: boolean;

  constructor(options: LeakScannerOptions = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError('LeakScanner: options must be an object');
    const canaries = options.canaries ?? [];
    if (!Array.isArray(canaries) || canaries.some((c) => !c || typeof c.value !== 'string' || c.value.length < MIN_FORM || typeof c.kind !== 'string' || typeof c.id !== 'string')) {
      throw new TypeError(`LeakScanner: canaries must be {kind, id, value} with values of at least ${MIN_FORM} characters`);
    }
    const allow = options.allow ?? [];
    if (!Array.isArray(allow) || allow.some((a) => typeof a !== 'string' && !(a instanceof RegExp))) throw new TypeError('LeakScanner: allow must be an array of strings and RegExps');
    this.#forms = canaries.flatMap(canaryForms);
    this.#allow = allow;
    this.#generic = options.generic !== false;
  }

  #allowed(text: string): boolean {
    return this.#allow.some((a) => (typeof a === 'string' ? a === text : a.test(text)));
  }

  /** Secret occurrences in one line of text, innermost duplicates removed. */
  #matchLine(line: string): Match[] {
    const found: Match[] = [];
    for (const form of this.#forms) {
      for (let at = line.indexOf(form.text); at >= 0; at = line.indexOf(form.text, at + form.text.length)) {
        found.push({ start: at, end: at + form.text.length, hit: { secretKind: form.canary.kind, detector: 'canary', encoding: form.encoding, canaryId: form.canary.id } });
      }
    }
    if (this.#generic) {
      const generic = (re: RegExp, detector: GenericDetector, secretKind: string, accept: (m: RegExpExecArray) => boolean = () => true): void => {
        for (const m of line.matchAll(re)) {
          if (!accept(m) || this.#allowed(m[0])) continue;
          found.push({ start: m.index, end: m.index + m[0].length, hit: { secretKind, detector } });
        }
      };
      generic(JWT_SHAPE, 'jwt-shape', 'jwt', (m) => decodesToJwtHeader(m[0].split('.')[0]!));
      generic(BEARER, 'bearer-token', 'bearer_token', (m) => /\d/.test(m[1]!) && !m[1]!.includes('REDACTED'));
      generic(PEM_PRIVATE, 'pem-private-key', 'private_key');
      if (JWK_KTY.test(line)) generic(JWK_D, 'private-jwk', 'private_jwk');
      const card = (m: RegExpExecArray): boolean => {
        const digits = m[0].replace(/[ -]/g, '');
        // A 16-hex-digit span id that happens to be all decimal digits passes Luhn one time in ten.
        if (TELEMETRY_ID_KEY.test(line.slice(Math.max(0, m.index - 40), m.index))) return false;
        return digits.length >= 13 && digits.length <= 19 && luhnValid(digits) && plausibleCard(digits);
      };
      generic(CARD_PLAIN, 'luhn-card-number', 'card_number', card);
      generic(CARD_GROUPED, 'luhn-card-number', 'card_number', card);
    }
    // One finding per occurrence: drop a match lying inside a longer one (a JWT inside "Bearer ...", a canary's fragment inside the whole canary).
    found.sort((a, b) => b.end - b.start - (a.end - a.start) || (a.hit.detector === 'canary' ? -1 : 1) - (b.hit.detector === 'canary' ? -1 : 1));
    const kept: Match[] = [];
    for (const m of found) if (!kept.some((k) => k.start <= m.start && m.end <= k.end)) kept.push(m);
    return kept.sort((a, b) => a.start - b.start);
  }

  /** Scans a text line by line; location fields are copied onto each hit. */
  scanText(text: string, where: LeakLocation): LeakHit[] {
    if (typeof text !== 'string') throw new TypeError('scanText: text must be a string');
    if (where === null || typeof where !== 'object' || typeof where.sink !== 'string' || where.sink.length === 0) throw new TypeError('scanText: where.sink must name the sink');
    const hits: LeakHit[] = [];
    const lines = text.split('\n');
    for (let i = 0; i < lines.length; i++) {
      for (const m of this.#matchLine(lines[i]!)) hits.push({ ...where, line: where.line ?? i + 1, column: m.start + 1, ...m.hit });
    }
    return hits;
  }

  /** Scans a file (JSONL log, decision log, report) line by line without loading it whole. */
  async scanFile(path: string, sink: string): Promise<LeakHit[]> {
    if (typeof path !== 'string' || path.length === 0) throw new TypeError('scanFile: path must be a non-empty string');
    if (typeof sink !== 'string' || sink.length === 0) throw new TypeError('scanFile: sink must name the sink');
    const hits: LeakHit[] = [];
    const lines = createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Infinity });
    let lineNo = 0;
    for await (const line of lines) {
      lineNo++;
      for (const m of this.#matchLine(line)) hits.push({ sink, file: path, line: lineNo, column: m.start + 1, ...m.hit });
    }
    return hits;
  }

  /** Scans span names, attributes, events, links and status messages. */
  scanSpans(spans: readonly SpanRecord[], sink = 'span'): LeakHit[] {
    if (!Array.isArray(spans as unknown)) throw new TypeError('scanSpans: spans must be an array of span records');
    const hits: LeakHit[] = [];
    for (const span of spans) {
      const ref = { name: span.name, spanId: span.spanId, traceId: span.traceId, service: span.service };
      const fields: Array<[string, unknown]> = [['name', span.name], ['status.message', span.status.message]];
      for (const [k, v] of Object.entries(span.attributes)) fields.push([`attributes.${k}`, v]);
      span.events.forEach((e, i) => {
        fields.push([`events[${i}].name`, e.name]);
        for (const [k, v] of Object.entries(e.attributes)) fields.push([`events[${i}].attributes.${k}`, v]);
      });
      span.links.forEach((l, i) => {
        for (const [k, v] of Object.entries(l.attributes)) fields.push([`links[${i}].attributes.${k}`, v]);
      });
      for (const [field, value] of fields) {
        if (value === undefined || value === null) continue;
        const text = typeof value === 'string' ? value : JSON.stringify(value);
        for (const line of text.split('\n')) {
          for (const m of this.#matchLine(line)) hits.push({ sink, span: ref, field, ...m.hit });
        }
      }
    }
    return hits;
  }

  /** Scans a /metrics exposition; `source` says where it was scraped from. */
  scanMetrics(text: string, source: string, sink = 'metrics'): LeakHit[] {
    return this.scanText(text, { sink, source });
  }
}

export interface SinkSet {
  logFiles?: readonly string[];
  decisionLogs?: readonly string[];
  reportFiles?: readonly string[];
  spans?: readonly SpanRecord[];
  metrics?: ReadonlyArray<{ source: string; text: string }>;
}

/** Scans every sink of a run and returns all hits. */
export async function scanSinks(scanner: LeakScanner, sinks: SinkSet): Promise<LeakHit[]> {
  const hits: LeakHit[] = [];
  for (const f of sinks.logFiles ?? []) hits.push(...(await scanner.scanFile(f, 'log')));
  for (const f of sinks.decisionLogs ?? []) hits.push(...(await scanner.scanFile(f, 'decision_log')));
  for (const f of sinks.reportFiles ?? []) hits.push(...(await scanner.scanFile(f, 'report')));
  if (sinks.spans) hits.push(...scanner.scanSpans(sinks.spans));
  for (const m of sinks.metrics ?? []) hits.push(...scanner.scanMetrics(m.text, m.source));
  return hits;
}

/** One line per hit, for journals and reports: location, kind, detector; never the value. */
export function describeHit(hit: LeakHit): string {
  let where: string = hit.sink;
  if (hit.file) where += ` ${hit.file}:${hit.line ?? '?'}${hit.column ? `:${hit.column}` : ''}`;
  else if (hit.span) where += ` span "${hit.span.name}" span_id=${hit.span.spanId} (${hit.span.service || '?'})${hit.field ? ` ${hit.field}` : ''}`;
  else if (hit.source) where += ` ${hit.source}${hit.line ? `:${hit.line}` : ''}`;
  const how = hit.detector === 'canary' ? `canary ${hit.canaryId ?? ''} as ${hit.encoding ?? '?'}` : `detector ${hit.detector}`;
  return `${where}: ${hit.secretKind} (${how})`;
}
