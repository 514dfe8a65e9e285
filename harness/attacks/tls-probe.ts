/**
 * An attacker's own TLS client: it connects with whatever certificate, key and
 * protocol versions the scenario gives it, sends one HTTP request, and reports
 * what came back (or that the server closed the connection without answering).
 */
import tls from 'node:tls';
import net from 'node:net';

export interface ProbeOutcome {
  /** The TLS handshake completed from the client's side. */
  handshake: boolean;
  /** An HTTP response arrived. */
  answered: boolean;
  status?: number;
  body?: string;
  error?: string;
  protocol?: string;
  durationMs: number;
}

export interface ProbeRequest {
  url: string;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  cert?: string;
  key?: string;
  ca?: string;
  minVersion?: tls.SecureVersion;
  maxVersion?: tls.SecureVersion;
  timeoutMs?: number;
}

function httpRequest(url: URL, req: ProbeRequest): string {
  const headers: Record<string, string> = { host: url.host, connection: 'close', ...(req.headers ?? {}) };
  if (req.body !== undefined) headers['content-length'] = String(Buffer.byteLength(req.body));
  const lines = [`${req.method ?? 'GET'} ${url.pathname}${url.search} HTTP/1.1`, ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`)];
  return `${lines.join('\r\n')}\r\n\r\n${req.body ?? ''}`;
}

function parseResponse(raw: string): { status?: number; body?: string } {
  const m = /^HTTP\/1\.1 (\d{3})/.exec(raw);
  if (!m) return {};
  const split = raw.indexOf('\r\n\r\n');
  let body = split >= 0 ? raw.slice(split + 4) : '';
  if (/\r\ntransfer-encoding: chunked/i.test(raw.slice(0, split))) {
    body = body.replace(/(^|\r\n)[0-9a-f]+\r\n/gi, '$1').replace(/\r\n$/g, '');
  }
  return { status: Number(m[1]), body: body.trim() };
}

/** Speaks TLS to the URL's port with the attacker's material. */
export function probeTls(req: ProbeRequest): Promise<ProbeOutcome> {
  const url = new URL(req.url);
  const started = performance.now();
  return new Promise((resolve) => {
    let data = '';
    let handshake = false;
    let settled = false;
    const options: tls.ConnectionOptions = { host: '127.0.0.1', port: Number(url.port), servername: 'localhost', rejectUnauthorized: req.ca !== undefined };
    if (req.ca) options.ca = req.ca;
    if (req.cert) options.cert = req.cert;
    if (req.key) options.key = req.key;
    if (req.minVersion) options.minVersion = req.minVersion;
    if (req.maxVersion) options.maxVersion = req.maxVersion;
    const socket = tls.connect(options);
    const finish = (error?: string): void => {
      if (settled) return;
      settled = true;
      socket.destroy();
      const parsed = parseResponse(data);
      const outcome: ProbeOutcome = { handshake, answered: parsed.status !== undefined, durationMs: performance.now() - started, ...parsed };
      if (error) outcome.error = error;
      const protocol = handshake ? socket.getProtocol() : null;
      if (protocol) outcome.protocol = protocol;
      resolve(outcome);
    };
    socket.setTimeout(req.timeoutMs ?? 5000, () => finish('timeout'));
    socket.on('secureConnect', () => {
      handshake = true;
      socket.write(httpRequest(url, req));
    });
    socket.on('data', (d) => (data += d.toString('utf8')));
    socket.on('error', (e: NodeJS.ErrnoException) => finish(e.code ?? e.message));
    socket.on('close', () => finish());
  });
}

/** Speaks plain HTTP to a TLS port, as a misrouted or downgraded client would. */
export function probePlaintext(url: string, path = '/healthz', timeoutMs = 5000): Promise<ProbeOutcome> {
  const target = new URL(url);
  const started = performance.now();
  return new Promise((resolve) => {
    let data = '';
    const socket = net.connect(Number(target.port), '127.0.0.1', () => socket.write(`GET ${path} HTTP/1.1\r\nhost: ${target.host}\r\nconnection: close\r\n\r\n`));
    const finish = (error?: string): void => {
      socket.destroy();
      const parsed = parseResponse(data);
      const outcome: ProbeOutcome = { handshake: false, answered: parsed.status !== undefined, durationMs: performance.now() - started, ...parsed };
      if (error) outcome.error = error;
      resolve(outcome);
    };
    socket.setTimeout(timeoutMs, () => finish('timeout'));
    socket.on('data', (d) => (data += d.toString('latin1')));
    socket.on('error', (e: NodeJS.ErrnoException) => finish(e.code ?? e.message));
    socket.on('close', () => finish());
  });
}
