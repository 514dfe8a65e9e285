import http from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MeshClient } from '../../services/kit/mtls/client.ts';
import { TXN_TOKEN_HEADER } from '../../services/kit/tokens/txn-token-verifier.ts';
import { spiffeIdFor } from '../../services/kit/spiffe.ts';
import { paymentBody } from './bench-payload.ts';
import { benchTokens, createBenchIssuer, type BenchTokens } from './bench-tokens.ts';
import { startLadderProcess, type LadderProcess } from './ladder-process.ts';
import { SIDECAR_CERT_HEADER, SIDECAR_KEY_HEADER } from './ladder-protocol.ts';

const KEY = 'sidecar-key-for-this-test';
let ladder: LadderProcess;
let tokens: BenchTokens;
let client: MeshClient;

beforeAll(async () => {
  const issuer = await createBenchIssuer();
  ladder = await startLadderProcess(issuer.keys.jwks(), KEY);
  tokens = benchTokens(issuer, ladder.client.certPem);
  client = new MeshClient({ credentials: ladder.client });
}, 60_000);
afterAll(async () => {
  client?.close();
  await ladder?.stop();
});

function post(rung: string, headers: Record<string, string>) {
  return client.request({ url: `https://localhost:${ladder.ports[rung]}/payments`, method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: paymentBody(256), serverId: spiffeIdFor('payments') });
}

function postBackend(headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port: ladder.sidecarBackendPort, path: '/payments', method: 'POST', headers: { 'content-type': 'application/json', ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
    });
    req.on('error', reject);
    req.end(paymentBody(256));
  });
}

describe('the ladder server measures controls that hold', () => {
  it('the access-token rung refuses a request without a token', async () => {
    const res = await post('access-token', {});
    expect(res.status).toBe(401);
    expect(res.text()).toContain('token_missing');
  });

  it('the transaction-token rung refuses the same transaction token twice', async () => {
    const [txn] = await tokens.txnTokens(1);
    const headers = { authorization: `Bearer ${await tokens.accessToken()}`, [TXN_TOKEN_HEADER]: txn! };
    expect((await post('txn-token', headers)).status).toBe(200);
    const replay = await post('txn-token', headers);
    expect(replay.status).toBe(401);
    expect(replay.text()).toContain('token_replayed');
  });

  it('the sidecar backend believes a forwarded certificate only next to the sidecar key', async () => {
    const cert = encodeURIComponent(ladder.client.certPem);
    const forged = await postBackend({ [SIDECAR_CERT_HEADER]: cert });
    expect(forged.status).toBe(403);
    expect(forged.body).toContain('spiffe_id_not_allowed');
    expect((await postBackend({ [SIDECAR_CERT_HEADER]: cert, [SIDECAR_KEY_HEADER]: 'sidecar-key-for-this-tesX' })).status).toBe(403);
    const notACert = await postBackend({ [SIDECAR_CERT_HEADER]: 'garbage', [SIDECAR_KEY_HEADER]: KEY });
    expect(notACert.status).toBe(403);
    expect(notACert.body).toContain('svid_invalid');
    expect((await postBackend({ [SIDECAR_CERT_HEADER]: cert, [SIDECAR_KEY_HEADER]: KEY })).status).toBe(200);
  });
});
