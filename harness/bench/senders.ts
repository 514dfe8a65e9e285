/**
 * How the benchmark's client sends one request: keep-alive through the mesh's own
 * MeshClient (or a plain keep-alive agent for the plaintext rung), or on a new
 * connection with a full or a resumed handshake, counting the resumptions achieved.
 */
import { DEFAULT_TLS_GROUPS } from '../../services/kit/mtls/key-exchange.ts';
import http from 'node:http';
import https from 'node:https';
import { createSecureContext, type TLSSocket } from 'node:tls';
import { MeshClient } from '../../services/kit/mtls/client.ts';
import type { TlsCredentials } from '../../services/kit/mtls/credentials.ts';
import { TXN_TOKEN_HEADER } from '../../services/kit/tokens/txn-token-verifier.ts';
import { spiffeIdFor } from '../../services/kit/spiffe.ts';
import type { Rung } from './ladder-rungs.ts';
import { SERVER_SERVICE } from './bench-payload.ts';
import type { Send } from './load.ts';

export interface RequestPlan {
  body: string;
  /** One body per request when each must differ (a card sealed afresh for each payment); consumed like txnTokens. */
  bodies?: string[];
  accessToken?: string;
  /** Consumed one per request; running out is an error, not a silent reuse. */
  txnTokens?: string[];
}

export interface Sender {
  send: Send;
  close(): void;
}

/** The next request's body: a fresh one when the plan has them (running out is an error), else the fixed body. */
function bodyFor(rung: Rung, plan: RequestPlan): string {
  if (!plan.bodies) return plan.body;
  const body = plan.bodies.pop();
  if (body === undefined) throw new Error(`rung ${rung.id}: ran out of request bodies`);
  return body;
}

function headersFor(rung: Rung, plan: RequestPlan): Record<string, string> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (rung.controls.accessToken) headers.authorization = `Bearer ${plan.accessToken ?? ''}`;
  if (rung.controls.txnToken) {
    const txn = plan.txnTokens?.pop();
    if (!txn) throw new Error(`rung ${rung.id}: ran out of transaction tokens`);
    headers[TXN_TOKEN_HEADER] = txn;
  }
  return headers;
}

function expectOk(what: string, status: number, body: string): void {
  if (status !== 200) throw new Error(`${what} answered ${status}: ${body.slice(0, 200)}`);
}

/** Keep-alive requests to a rung's listener. */
export function keepAliveSender(rung: Rung, port: number, credentials: TlsCredentials, plan: RequestPlan, maxSockets = 64): Sender {
  if (rung.transport === 'plain') {
    const agent = new http.Agent({ keepAlive: true, maxSockets });
    return {
      send: () =>
        new Promise<void>((resolve, reject) => {
          const body = bodyFor(rung, plan);
          const req = http.request({ agent, host: '127.0.0.1', port, path: '/payments', method: 'POST', headers: { ...headersFor(rung, plan), 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
            const chunks: Buffer[] = [];
            res.on('data', (c: Buffer) => chunks.push(c));
            res.on('end', () => {
              try {
                expectOk(rung.id, res.statusCode ?? 0, Buffer.concat(chunks).toString());
                resolve();
              } catch (err) {
                reject(err);
              }
            });
          });
          req.on('error', reject);
          req.end(body);
        }),
      close: () => agent.destroy(),
    };
  }
  const client = new MeshClient({ credentials, maxSockets });
  const url = `https://localhost:${port}/payments`;
  return {
    send: async () => {
      const res = await client.request({ url, method: 'POST', headers: headersFor(rung, plan), body: bodyFor(rung, plan), serverId: spiffeIdFor(SERVER_SERVICE) });
      expectOk(rung.id, res.status, res.text());
    },
    close: () => client.close(),
  };
}

export interface ConnectionSender extends Sender {
  /** Connections made and how many of them resumed a TLS session. */
  stats(): { connections: number; resumed: number };
}

/** One new TLS connection per request: a full handshake, or resumption from the agent's session cache. */
/** A new connection per request; `groups` are the key-exchange groups the client offers (the first one must be the one negotiated). */
export function newConnectionSender(rung: Rung, port: number, credentials: TlsCredentials, plan: RequestPlan, resume: boolean, groups = DEFAULT_TLS_GROUPS): ConnectionSender {
  const expectedGroup = groups.split(':')[0] === 'P-256' ? 'prime256v1' : groups.split(':')[0];
  // One secure context for every connection, as MeshClient keeps one per credential.
  const secureContext = createSecureContext({ minVersion: 'TLSv1.3', ecdhCurve: groups, key: credentials.keyPem, cert: credentials.certPem, ca: credentials.bundlePem });
  const agent = new https.Agent({ keepAlive: false, maxCachedSessions: resume ? 100 : 0, minVersion: 'TLSv1.3', secureContext });
  let connections = 0;
  let resumed = 0;
  return {
    send: () =>
      new Promise<void>((resolve, reject) => {
        const body = bodyFor(rung, plan);
        const req = https.request({ agent, host: 'localhost', port, path: '/payments', method: 'POST', headers: { ...headersFor(rung, plan), 'content-length': String(Buffer.byteLength(body)) } }, (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            try {
              expectOk(`${rung.id} (new connection)`, res.statusCode ?? 0, Buffer.concat(chunks).toString());
              resolve();
            } catch (err) {
              reject(err);
            }
          });
        });
        req.on('socket', (socket) => {
          (socket as TLSSocket).once('secureConnect', () => {
            connections += 1;
            if ((socket as TLSSocket).isSessionReused()) resumed += 1;
            // A figure for a group must come from handshakes in that group.
            const negotiated = (socket as TLSSocket).getEphemeralKeyInfo();
            if (!(socket as TLSSocket).isSessionReused() && negotiated && 'name' in negotiated && negotiated.name !== expectedGroup) {
              socket.destroy(new Error(`${rung.id}: negotiated key exchange ${String(negotiated.name)}, expected ${expectedGroup}`));
            }
          });
        });
        req.on('error', reject);
        req.end(body);
      }),
    stats: () => ({ connections, resumed }),
    close: () => agent.destroy(),
  };
}
