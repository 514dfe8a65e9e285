/** An end user talking HTTPS to the gateway's public port, as a person with a browser or an app would. */
import https from 'node:https';
import type { Correlation } from '../../services/kit/telemetry/correlation.ts';
import type { MeshEngine } from '../engine/mesh-engine.ts';
import { correlationHeaders } from './correlation-headers.ts';
import type { PaymentBody } from './payment.ts';
import { hasClearCard, sendSealed, type SealedPaymentBody } from './card-sealer.ts';

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  json<T = Record<string, unknown>>(): T;
}

function answer(status: number, headers: HttpAnswer['headers'], body: string): HttpAnswer {
  return { status, headers, body, json: <T>() => JSON.parse(body) as T };
}

export class EndUser {
  readonly #engine: MeshEngine;
  readonly #ca: string;
  readonly #agent = new https.Agent({ keepAlive: true });
  /** Sent on every request so logs and spans can be tied to the scenario that caused them. */
  correlation: Correlation | undefined;

  constructor(engine: MeshEngine) {
    this.#engine = engine;
    this.#ca = engine.trustBundle();
  }

  post(path: string, body: unknown, headers: Record<string, string> = {}): Promise<HttpAnswer> {
    const base = this.#engine.isRunning('gateway') ? this.#engine.endpoint('gateway').publicUrl : undefined;
    if (!base) throw new TypeError('the gateway is not running');
    const payload = typeof body === 'string' ? body : JSON.stringify(body);
    const all: Record<string, string> = { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)), ...headers };
    Object.assign(all, correlationHeaders(this.correlation));
    return new Promise((resolve, reject) => {
      const req = https.request(new URL(path, base), { method: 'POST', ca: this.#ca, agent: this.#agent, headers: all, timeout: 10_000 }, (res) => {
        let data = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (data += c));
        res.on('end', () => resolve(answer(res.statusCode ?? 0, res.headers, data)));
      });
      req.on('timeout', () => req.destroy(new Error(`POST ${path} timed out`)));
      req.on('error', reject);
      req.end(payload);
    });
  }

  password(user: string): string {
    return this.#engine.demoPassword(user);
  }

  /** Logs in a demo user and returns the user token. */
  async login(user: string): Promise<string> {
    const res = await this.post('/login', { username: user, password: this.password(user) });
    if (res.status !== 200) throw new Error(`login of ${user} answered ${res.status}: ${res.body}`);
    return res.json<{ access_token: string }>().access_token;
  }

  /** Pays; a card in clear is sealed for payments first, as a client must (`plaintext` sends it as it is). */
  pay(token: string | undefined, body: PaymentBody | SealedPaymentBody | string, options: { plaintext?: boolean; headers?: Record<string, string> } = {}): Promise<HttpAnswer> {
    const headers: Record<string, string> = { ...(token ? { authorization: `Bearer ${token}` } : {}), ...options.headers };
    if (options.plaintext || !hasClearCard(body)) return this.post('/payments', body, headers);
    return sendSealed(this.#engine, body, (sealed) => this.post('/payments', sealed, headers));
  }

  close(): void {
    this.#agent.destroy();
  }
}
