import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT, statePaths } from './state-dir.ts';
import { promisify } from 'node:util';
import { DatabaseSync } from 'node:sqlite';
import { MeshLauncher } from './mesh-launcher.ts';
import { workloadBundle } from './workload-bundle.ts';
import { isWorkloadEntry } from './workload-launch.ts';
import { fetchEncryptionKeysFrom, sealPaymentWith } from '../actors/card-sealer.ts';
import type { PaymentBody } from '../actors/payment.ts';
import { isRunning } from './process-state.ts';
import { requireTool } from '../test-support/require-tool.ts';

const run = promisify(execFile);
let mesh: MeshLauncher;
let stateDir: string;


async function mint(spiffeId: string, dir: string): Promise<{ cert: string; key: string; bundle: string }> {
  const svid = await mesh.operator.json<{ certPem: string; keyPem: string; bundlePem: string }>('ca', 'POST', '/admin/issue', { spiffeId });
  const { writeFileSync } = await import('node:fs');
  writeFileSync(join(dir, 'cert.pem'), svid.certPem);
  writeFileSync(join(dir, 'key.pem'), svid.keyPem, { mode: 0o600 });
  writeFileSync(join(dir, 'bundle.pem'), svid.bundlePem);
  return { cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem'), bundle: join(dir, 'bundle.pem') };
}

async function curl(args: string[]): Promise<{ status: number; body: string }> {
  const { stdout } = await run(requireTool('curl', 'curl'), ['-s', '-o', '-', '-w', '\n%{http_code}', ...args]).catch((e: { stdout?: string }) => ({ stdout: e.stdout ?? '\n000' }));
  const lines = stdout.split('\n');
  return { status: Number(lines.pop()), body: lines.join('\n') };
}

function bookedCount(reference: string): number {
  const db = new DatabaseSync(statePaths(stateDir).ledgerDb, { readOnly: true });
  try {
    return Number((db.prepare('SELECT count(*) AS n FROM entries WHERE reference = ?').get(reference) as { n: number }).n);
  } finally {
    db.close();
  }
}

const payment = (reference: string, extra: Record<string, unknown> = {}) => JSON.stringify({ amount: 25, currency: 'EUR', card: { number: '4111111111111111', expiry: '12/39' }, reference, ...extra });

beforeAll(async () => {
  stateDir = mkdtempSync(join(tmpdir(), 'meshgate-mesh-'));
  mesh = await MeshLauncher.start({ stateDir });
}, 60_000);

afterAll(async () => {
  await mesh?.stop();
  rmSync(stateDir, { recursive: true, force: true });
});

describe('local mesh', () => {
  test('every service runs as its own process and answers /healthz over mTLS', async () => {
    const pids = new Set<number>();
    for (const name of mesh.services) {
      const res = await mesh.operator.request(name, 'GET', '/healthz');
      expect(res.status, name).toBe(200);
      pids.add(mesh.ready.get(name)!.pid);
    }
    expect(pids.size).toBe(mesh.services.length);
    expect(pids.has(process.pid)).toBe(false);
  });

  test('every workload runs the bundle of the sources as they are, preload included, is recognised by its command line, and keeps large blocks in mmap', async () => {
    const entries = await workloadBundle(PACKAGE_ROOT);
    for (const name of mesh.services) {
      const args = readFileSync(`/proc/${mesh.ready.get(name)!.pid}/cmdline`, 'utf8').split('\0');
      expect(args, name).toContain(entries.entry(name));
      expect(args[args.indexOf('--import') + 1], name).toBe(entries.preload);
      expect(args.some((a) => isWorkloadEntry(a, PACKAGE_ROOT, name)), name).toBe(true);
      // glibc keeps large blocks in mmap, so they go back when freed.
      expect(readFileSync(`/proc/${mesh.ready.get(name)!.pid}/environ`, 'utf8').split('\0'), name).toContain('MALLOC_MMAP_THRESHOLD_=131072');
    }
  });

  test('curl with a minted certificate reaches what its SPIFFE ID may reach and nothing else', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshgate-curl-'));
    const gw = await mint('spiffe://meshgate.test/gateway', dir);
    const paymentsUrl = mesh.url('payments');
    const allowed = await curl(['--cert', gw.cert, '--key', gw.key, '--cacert', gw.bundle, '-H', 'content-type: application/json', '--data', payment('curl-gw-1'), `${paymentsUrl}/payments`]);
    // The gateway identity passes mTLS and the route's caller list; the token plane is next in line.
    expect(allowed.status).toBe(401);
    expect(JSON.parse(allowed.body)).toMatchObject({ error: 'token_missing' });
    const lateral = await curl(['--cert', gw.cert, '--key', gw.key, '--cacert', gw.bundle, '-H', 'content-type: application/json', '--data', '{}', `${mesh.url('ledger')}/entries`]);
    expect(lateral.status).toBe(403);
    expect(JSON.parse(lateral.body)).toMatchObject({ error: 'spiffe_id_not_allowed' });
    const ledgerDir = mkdtempSync(join(tmpdir(), 'meshgate-curl-'));
    const ledger = await mint('spiffe://meshgate.test/ledger', ledgerDir);
    const wrongCaller = await curl(['--cert', ledger.cert, '--key', ledger.key, '--cacert', ledger.bundle, '-H', 'content-type: application/json', '--data', payment('curl-ledger-1'), `${paymentsUrl}/payments`]);
    expect(wrongCaller.status).toBe(403);
    expect(JSON.parse(wrongCaller.body)).toMatchObject({ error: 'spiffe_id_not_allowed' });
    const noCert = await curl(['--cacert', gw.bundle, `${paymentsUrl}/healthz`]);
    expect(noCert.status).toBe(0); // the connection is closed: no HTTP answer at all
    rmSync(dir, { recursive: true, force: true });
    rmSync(ledgerDir, { recursive: true, force: true });
  });
});

describe('the whole token flow with curl, as the README shows it', () => {
  test('log in, exchange, get an access token, book at payments; replay and another certificate are refused', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshgate-curlflow-'));
    const gw = await mint('spiffe://meshgate.test/gateway', dir);
    const tls = ['--cert', gw.cert, '--key', gw.key, '--cacert', gw.bundle];
    const users = JSON.parse(readFileSync(mesh.record().users!, 'utf8')) as Record<string, string>;
    const login = await curl(['--cacert', gw.bundle, '-H', 'content-type: application/json', '--data', JSON.stringify({ username: 'alice', password: users.alice }), `${mesh.ready.get('gateway')!.publicUrl}/login`]);
    expect(login.status).toBe(200);
    const userToken = (JSON.parse(login.body) as { access_token: string }).access_token;
    const sts = `${mesh.url('sts')}/token`;
    const exchange = await curl([...tls, '-d', 'grant_type=urn:ietf:params:oauth:grant-type:token-exchange', '-d', `subject_token=${userToken}`, '-d', 'subject_token_type=urn:ietf:params:oauth:token-type:access_token', '-d', 'requested_token_type=urn:ietf:params:oauth:token-type:txn_token', '-d', 'purpose=payment', '-d', 'amount=25', '-d', 'currency=EUR', '-d', 'request_id=curl-flow', sts]);
    expect(exchange.status).toBe(200);
    const txn = (JSON.parse(exchange.body) as { access_token: string }).access_token;
    const access = await curl([...tls, '-d', 'grant_type=client_credentials', '-d', 'audience=spiffe://meshgate.test/payments', sts]);
    expect(access.status).toBe(200);
    const accessToken = (JSON.parse(access.body) as { access_token: string }).access_token;
    // The card sealed for payments, as the README does it with `meshgate seal-card`.
    const bundle = readFileSync(gw.bundle, 'utf8');
    const keys = await fetchEncryptionKeysFrom(mesh.ready.get('gateway')!.publicUrl!, bundle);
    const pay = async (reference: string, material: string[]) => curl([...material, '-H', `authorization: Bearer ${accessToken}`, '-H', `txn-token: ${txn}`, '-H', 'content-type: application/json', '--data', JSON.stringify(await sealPaymentWith(bundle, keys, JSON.parse(payment(reference)) as PaymentBody)), `${mesh.url('payments')}/payments`]);
    const booked = await pay('curl-flow-1', tls);
    expect(booked.status, booked.body).toBe(201);
    const replayed = await pay('curl-flow-2', tls);
    expect(replayed.status).toBe(401);
    expect(JSON.parse(replayed.body)).toMatchObject({ error: 'token_replayed' });
    const other = await mint('spiffe://meshgate.test/gateway', mkdtempSync(join(tmpdir(), 'meshgate-curlflow-')));
    const stolen = await pay('curl-flow-3', ['--cert', other.cert, '--key', other.key, '--cacert', other.bundle]);
    expect(stolen.status).toBe(401);
    expect(JSON.parse(stolen.body)).toMatchObject({ error: 'token_cert_mismatch' });
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('orphans', () => {
  test('killing the harness with SIGKILL leaves no service running', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'meshgate-orphan-'));
    const { spawn } = await import('node:child_process');
    const script = `import { MeshLauncher } from ${JSON.stringify(new URL('./mesh-launcher.ts', import.meta.url).pathname)};
      const mesh = await MeshLauncher.start({ stateDir: ${JSON.stringify(dir)} });
      process.stdout.write(JSON.stringify([...mesh.ready.values()].map((r) => r.pid)) + '\\n');
      setInterval(() => {}, 1000);`;
    const harness = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const pids = await new Promise<number[]>((resolve, reject) => {
      let out = '';
      harness.stdout.on('data', (d) => {
        out += d;
        if (out.includes('\n')) resolve(JSON.parse(out) as number[]);
      });
      harness.on('exit', (code) => reject(new Error(`harness exited ${code}`)));
    });
    expect(pids.length).toBeGreaterThanOrEqual(4);
    expect(pids.every(isRunning)).toBe(true);
    harness.kill('SIGKILL');
    const deadline = Date.now() + 10_000;
    while (pids.some(isRunning) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(pids.filter(isRunning)).toEqual([]);
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);
});
