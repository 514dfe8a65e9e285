/**
 * Reads Prometheus text exposition (as prom-client writes it) into samples,
 * and scrapes a workload's /metrics over mTLS. `delta` turns two snapshots
 * into the increment a scenario asserts on.
 */
import { request as httpsRequest } from 'node:https';
import { request as httpRequest } from 'node:http';

export interface MetricSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface MetricsSnapshot {
  samples: MetricSample[];
  /** Metric family name → TYPE (counter, gauge, histogram, summary, untyped). */
  types: Map<string, string>;
  help: Map<string, string>;
  /** The exposition text, for the leak scanner. */
  text: string;
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

function parseValue(raw: string): number {
  // Go's ParseFloat, which Prometheus uses, takes these case-insensitively; prom-client writes "Nan".
  if (/^\+?inf$/i.test(raw)) return Infinity;
  if (/^-inf$/i.test(raw)) return -Infinity;
  if (/^nan$/i.test(raw)) return NaN;
  const n = Number(raw);
  if (raw === '' || Number.isNaN(n)) throw new SyntaxError(`bad sample value ${JSON.stringify(raw)}`);
  return n;
}

function unescapeHelp(text: string): string {
  return text.replace(/\\(\\|n)/g, (_, c: string) => (c === 'n' ? '\n' : '\\'));
}

function parseSampleLine(line: string, lineNo: number): MetricSample {
  const fail = (why: string): never => {
    throw new SyntaxError(`metrics line ${lineNo}: ${why}`);
  };
  const nameMatch = NAME.exec(line) ?? fail('no metric name');
  const name = nameMatch[0];
  let pos = name.length;
  const labels: Record<string, string> = {};
  if (line[pos] === '{') {
    pos++;
    for (;;) {
      while (line[pos] === ' ') pos++;
      if (line[pos] === '}') {
        pos++;
        break;
      }
      const ln = LABEL_NAME.exec(line.slice(pos)) ?? fail('bad label name');
      pos += ln[0].length;
      if (line[pos] !== '=' || line[pos + 1] !== '"') fail(`label ${ln[0]} has no quoted value`);
      pos += 2;
      let value = '';
      for (;;) {
        const c = line[pos];
        if (c === undefined) fail('unterminated label value');
        if (c === '"') break;
        if (c === '\\') {
          const next = line[pos + 1];
          value += next === 'n' ? '\n' : next === '"' ? '"' : '\\';
          pos += 2;
        } else {
          value += c;
          pos++;
        }
      }
      pos++;
      labels[ln[0]] = value;
      if (line[pos] === ',') pos++;
      else if (line[pos] !== '}') fail('expected , or } after label');
    }
  }
  const rest = line.slice(pos).trim().split(/\s+/);
  return { name, labels, value: parseValue(rest[0] ?? '') };
}

export function parseExposition(text: string): MetricsSnapshot {
  if (typeof text !== 'string') throw new TypeError('parseExposition: text must be a string');
  const samples: MetricSample[] = [];
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^#\s*(HELP|TYPE)\s+(\S+)\s*(.*)$/.exec(line);
      if (m) (m[1] === 'TYPE' ? types : help).set(m[2]!, m[1] === 'HELP' ? unescapeHelp(m[3]!) : m[3]!);
      continue;
    }
    samples.push(parseSampleLine(line, i + 1));
  }
  return { samples, types, help, text };
}

function labelsMatch(sample: Record<string, string>, want: Record<string, string> | undefined): boolean {
  if (!want) return true;
  return Object.entries(want).every(([k, v]) => sample[k] === v);
}

/** Sum of the samples named `name` whose labels include `labels` (a subset match). 0 when none. */
export function sampleValue(snapshot: MetricsSnapshot, name: string, labels?: Record<string, string>): number {
  let sum = 0;
  for (const s of snapshot.samples) if (s.name === name && labelsMatch(s.labels, labels)) sum += s.value;
  return sum;
}

/** Whether any sample named `name` with these labels exists. */
export function hasSample(snapshot: MetricsSnapshot, name: string, labels?: Record<string, string>): boolean {
  return snapshot.samples.some((s) => s.name === name && labelsMatch(s.labels, labels));
}

/** How much a counter (or a histogram's `_count`) grew between two snapshots. */
export function delta(before: MetricsSnapshot, after: MetricsSnapshot, name: string, labels?: Record<string, string>): number {
  if (typeof name !== 'string' || name.length === 0) throw new TypeError('delta: name must be a metric name');
  return sampleValue(after, name, labels) - sampleValue(before, name, labels);
}

export interface ScrapeOptions {
  /** PEM trust bundle and client credentials for an mTLS /metrics endpoint. */
  ca?: string | Buffer;
  cert?: string | Buffer;
  key?: string | Buffer;
  servername?: string;
  timeoutMs?: number;
  /** Largest exposition accepted (default 4 MiB). */
  maxBytes?: number;
}

/** GETs a /metrics URL (http or https with client certificate) and parses it. */
export function scrapeMetrics(url: string, options: ScrapeOptions = {}): Promise<MetricsSnapshot> {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    throw new TypeError(`scrapeMetrics: ${JSON.stringify(url)} is not a URL`);
  }
  if (target.protocol !== 'http:' && target.protocol !== 'https:') throw new TypeError(`scrapeMetrics: unsupported protocol ${target.protocol}`);
  const { timeoutMs = 5_000, maxBytes = 4 * 1024 * 1024 } = options;
  return new Promise((resolve, reject) => {
    const tls = target.protocol === 'https:' ? { ca: options.ca, cert: options.cert, key: options.key, servername: options.servername, minVersion: 'TLSv1.3' as const } : {};
    const req = (target.protocol === 'https:' ? httpsRequest : httpRequest)(target, { method: 'GET', headers: { accept: 'text/plain' }, timeout: timeoutMs, agent: false, ...tls }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > maxBytes) req.destroy(new Error(`scrapeMetrics: response exceeds ${maxBytes} bytes`));
        else chunks.push(c);
      });
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`scrapeMetrics: ${url} answered ${res.statusCode}`));
        try {
          resolve(parseExposition(Buffer.concat(chunks).toString('utf8')));
        } catch (error) {
          reject(error);
        }
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`scrapeMetrics: ${url} timed out after ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end();
  });
}
