/**
 * An OTLP/HTTP trace receiver on loopback. Services export to it through
 * OTEL_EXPORTER_OTLP_ENDPOINT=receiver.url; it keeps the spans in memory as
 * flat records and appends each to the run's spans.jsonl when given a path.
 */
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { decodeOtlpJson } from './otlp-json.ts';
import { decodeOtlpProtobuf } from './otlp-protobuf.ts';
import type { OtlpForwarder } from './otlp-forwarding.ts';
import type { SpanRecord } from './span-record.ts';

export interface OtlpReceiverOptions {
  /** Append every span as one JSON line here (parent folders are created). */
  jsonlPath?: string;
  /** Largest request body accepted, after decompression (default 8 MiB). */
  maxBodyBytes?: number;
  /** Spans kept in memory; the oldest are dropped beyond this (default 200 000). */
  maxSpans?: number;
  /** Port to listen on (default 0: any free port). */
  port?: number;
  /** Address to bind (default 127.0.0.1; 0.0.0.0 inside a container). */
  host?: string;
  /** Pass every accepted export request on to the user's collector. */
  forwardTo?: OtlpForwarder;
}

export interface WaitForOptions {
  /** How many matching spans to wait for (default 1). */
  count?: number;
}

type Waiter = { predicate: (span: SpanRecord) => boolean; count: number; resolve: (spans: SpanRecord[]) => void; timer: NodeJS.Timeout };

export class OtlpReceiver {
  readonly #jsonlPath: string | undefined;
  readonly #maxBodyBytes: number;
  readonly #maxSpans: number;
  readonly #port: number;
  readonly #host: string;
  readonly #forward: OtlpForwarder | undefined;
  #server: Server | undefined;
  #url = '';
  #spans: SpanRecord[] = [];
  #dropped = 0;
  #rejected = 0;
  #waiters = new Set<Waiter>();

  constructor(options: OtlpReceiverOptions = {}) {
    if (options === null || typeof options !== 'object') throw new TypeError('OtlpReceiver: options must be an object');
    const { jsonlPath, maxBodyBytes = 8 * 1024 * 1024, maxSpans = 200_000, port = 0 } = options;
    if (jsonlPath !== undefined && (typeof jsonlPath !== 'string' || jsonlPath.length === 0)) throw new TypeError('OtlpReceiver: jsonlPath must be a non-empty string');
    if (!Number.isInteger(maxBodyBytes) || maxBodyBytes < 1) throw new TypeError('OtlpReceiver: maxBodyBytes must be a positive integer');
    if (!Number.isInteger(maxSpans) || maxSpans < 1) throw new TypeError('OtlpReceiver: maxSpans must be a positive integer');
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new TypeError('OtlpReceiver: port must be an integer in 0..65535');
    this.#jsonlPath = jsonlPath;
    this.#maxBodyBytes = maxBodyBytes;
    this.#maxSpans = maxSpans;
    this.#port = port;
    this.#host = options.host ?? '127.0.0.1';
    this.#forward = options.forwardTo;
  }

  /** Base endpoint for OTEL_EXPORTER_OTLP_ENDPOINT, e.g. http://127.0.0.1:4318 (no trailing slash). */
  get url(): string {
    if (!this.#url) throw new Error('OtlpReceiver: not started');
    return this.#url;
  }

  get tracesUrl(): string {
    return `${this.url}/v1/traces`;
  }

  /** Spans dropped from memory because maxSpans was reached. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Export requests refused (bad body, too large, wrong content type). */
  get rejectedRequests(): number {
    return this.#rejected;
  }

  async start(): Promise<void> {
    if (this.#server) throw new Error('OtlpReceiver: already started');
    if (this.#jsonlPath) mkdirSync(dirname(this.#jsonlPath), { recursive: true });
    const server = createServer({ requestTimeout: 10_000, headersTimeout: 5_000 }, (req, res) => this.#handle(req, res));
    server.keepAliveTimeout = 5_000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, this.#host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('OtlpReceiver: no TCP address');
    this.#server = server;
    this.#url = `http://127.0.0.1:${address.port}`;
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    await this.#forward?.flush();
    this.#server = undefined;
    for (const w of this.#waiters) {
      clearTimeout(w.timer);
      w.resolve(this.#spans.filter(w.predicate));
    }
    this.#waiters.clear();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  /** A copy of the spans received so far, in arrival order. */
  spans(): SpanRecord[] {
    return [...this.#spans];
  }

  /** Forgets the spans received so far (the JSONL file is left as is). */
  clear(): void {
    this.#spans = [];
  }

  /**
   * Resolves with the matching spans once `count` of them have arrived, or
   * with whatever matched (possibly none) when the timeout passes: a missing
   * span is a finding for the caller to report, not an exception.
   */
  waitFor(predicate: (span: SpanRecord) => boolean, timeoutMs: number, options: WaitForOptions = {}): Promise<SpanRecord[]> {
    if (typeof predicate !== 'function') throw new TypeError('waitFor: predicate must be a function');
    if (typeof timeoutMs !== 'number' || !Number.isFinite(timeoutMs) || timeoutMs < 0) throw new TypeError('waitFor: timeoutMs must be a finite non-negative number');
    const count = options.count ?? 1;
    if (!Number.isInteger(count) || count < 1) throw new TypeError('waitFor: options.count must be a positive integer');
    const now = this.#spans.filter(predicate);
    if (now.length >= count || !this.#server) return Promise.resolve(now);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        predicate,
        count,
        resolve,
        timer: setTimeout(() => {
          this.#waiters.delete(waiter);
          resolve(this.#spans.filter(predicate));
        }, timeoutMs),
      };
      this.#waiters.add(waiter);
    });
  }

  #ingest(spans: SpanRecord[]): void {
    if (spans.length === 0) return;
    if (this.#jsonlPath) appendFileSync(this.#jsonlPath, spans.map((s) => JSON.stringify(s)).join('\n') + '\n');
    this.#spans.push(...spans);
    const excess = this.#spans.length - this.#maxSpans;
    if (excess > 0) {
      this.#spans.splice(0, excess);
      this.#dropped += excess;
    }
    for (const w of this.#waiters) {
      const matches = this.#spans.filter(w.predicate);
      if (matches.length >= w.count) {
        clearTimeout(w.timer);
        this.#waiters.delete(w);
        w.resolve(matches);
      }
    }
  }

  #reply(res: ServerResponse, status: number, contentType: string, body: string | Uint8Array): void {
    if (status >= 400) this.#rejected++;
    res.writeHead(status, { 'content-type': contentType, 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    const path = (req.url ?? '').split('?')[0];
    if (path !== '/v1/traces') return this.#reply(res, 404, 'application/json', '{"error":"not_found"}');
    if (req.method !== 'POST') return this.#reply(res, 405, 'application/json', '{"error":"method_not_allowed"}');
    const type = (req.headers['content-type'] ?? '').split(';')[0]!.trim().toLowerCase();
    const isJson = type === 'application/json';
    const isProto = type === 'application/x-protobuf' || type === 'application/protobuf';
    if (!isJson && !isProto) return this.#reply(res, 415, 'application/json', '{"error":"unsupported_media_type"}');
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (encoding !== 'identity' && encoding !== 'gzip') return this.#reply(res, 415, 'application/json', '{"error":"unsupported_content_encoding"}');
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > this.#maxBodyBytes) {
      res.setHeader('connection', 'close');
      req.resume();
      return this.#reply(res, 413, 'application/json', '{"error":"body_too_large"}');
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let aborted = false;
    req.on('data', (chunk: Buffer) => {
      if (aborted) return;
      size += chunk.length;
      if (size > this.#maxBodyBytes) {
        aborted = true;
        res.setHeader('connection', 'close');
        this.#reply(res, 413, 'application/json', '{"error":"body_too_large"}');
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => {
      if (aborted) return;
      let spans: SpanRecord[];
      try {
        let body = Buffer.concat(chunks);
        if (encoding === 'gzip') body = gunzipSync(body, { maxOutputLength: this.#maxBodyBytes });
        spans = isJson ? decodeOtlpJson(JSON.parse(body.toString('utf8'))) : decodeOtlpProtobuf(body);
      } catch (error) {
        const code = error instanceof RangeError && /maxOutputLength|buffer/i.test(error.message) ? 413 : 400;
        return this.#reply(res, code, 'application/json', JSON.stringify({ error: code === 413 ? 'body_too_large' : 'body_invalid' }));
      }
      this.#ingest(spans);
      this.#forward?.forward(Buffer.concat(chunks), type, encoding);
      if (isJson) this.#reply(res, 200, 'application/json', '{}');
      else this.#reply(res, 200, 'application/x-protobuf', new Uint8Array(0));
    });
    req.on('error', () => undefined);
  }
}

export function createOtlpReceiver(options: OtlpReceiverOptions = {}): OtlpReceiver {
  return new OtlpReceiver(options);
}
