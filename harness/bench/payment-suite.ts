/**
 * The whole payment (client → gateway → payments → ledger) on two real local
 * meshes started side by side: every control on (the defaults), and every
 * control that a setting can switch off switched off (the card then travels in
 * clear instead of sealed by the client for payments). mTLS, token signatures
 * and policy decisions have no off switch, so they run in both.
 */
import https from 'node:https';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MeshLauncher } from '../mesh/mesh-launcher.ts';
import { samplePayment } from '../actors/payment.ts';
import { fetchEncryptionKeysFrom, recipientOf, sealPaymentFor } from '../actors/card-sealer.ts';
import type { SecuritySettings } from '../../services/kit/workload/settings.ts';
import { latencySpec, rotated, type BenchContext } from './bench-context.ts';
import { closedLoop } from './load.ts';
import { procCpuUs } from './proc-cpu.ts';
import { recordWorkloadMemory } from './proc-memory.ts';
import { differenceOf, type Figure, type FigureRecorder } from './figure.ts';
import { BENCH_USER } from './bench-payload.ts';
import { PERCENTILES } from '../stats/latency-histogram.ts';

const CONTROLS_OFF: Partial<SecuritySettings> = { checkRevocation: false, replayCache: false, tokenBinding: false, audienceCheck: false, allowPlaintextCard: true };
/** The workloads a payment passes through (kms hands payments the data key for the stored card). */
const CHAIN = ['gateway', 'payments', 'kms', 'ledger'] as const;

interface PaymentMesh {
  id: 'on' | 'off';
  mesh: MeshLauncher;
  dir: string;
  pids: number[];
  services: Array<{ name: string; pid: number }>;
  relogin(): Promise<void>;
  pay(): Promise<void>;
  close(): Promise<void>;
}

async function startPaymentMesh(id: 'on' | 'off'): Promise<PaymentMesh> {
  const dir = mkdtempSync(join(tmpdir(), 'meshgate-bench-'));
  const settings = id === 'off' ? Object.fromEntries(CHAIN.map((s) => [s, CONTROLS_OFF])) : {};
  const mesh = await MeshLauncher.start({ stateDir: dir, settings });
  const record = mesh.record();
  const gateway = record.services.find((s) => s.name === 'gateway')!;
  const agent = new https.Agent({ keepAlive: true, maxSockets: 1, ca: readFileSync(record.caBundle, 'utf8') });
  const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const payload = JSON.stringify(body);
      const req = https.request(new URL(path, gateway.publicUrl), { method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(payload)), ...headers } }, (res) => {
        let data = '';
        res.on('data', (c: Buffer) => (data += c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data }));
      });
      req.on('error', reject);
      req.end(payload);
    });
  // With the controls on the client seals each card for payments (its cost is part of the payment); off, it sends it in clear.
  const bundle = readFileSync(record.caBundle, 'utf8');
  const recipient = recipientOf(bundle, await fetchEncryptionKeysFrom(gateway.publicUrl!, bundle));
  const body = async (reference: string) => (id === 'on' ? sealPaymentFor(recipient, samplePayment(reference)) : samplePayment(reference));
  const users = JSON.parse(readFileSync(record.users!, 'utf8')) as Record<string, string>;
  const login = async () => {
    const res = await post('/login', { username: BENCH_USER, password: users[BENCH_USER] });
    if (res.status !== 200) throw new Error(`payment bench: login answered ${res.status}: ${res.body.slice(0, 200)}`);
    return (JSON.parse(res.body) as { access_token: string }).access_token;
  };
  let token = await login();
  let n = 0;
  return {
    id,
    mesh,
    dir,
    pids: record.services.map((s) => s.pid),
    services: record.services.map((s) => ({ name: s.name, pid: s.pid })),
    // A full run outlasts the user token: each repetition logs in afresh, outside the measured loop.
    relogin: async () => {
      token = await login();
    },
    pay: async () => {
      const res = await post('/payments', await body(`bench-${id}-${n++}`), { authorization: `Bearer ${token}` });
      if (res.status !== 201 && res.status !== 200) throw new Error(`payment bench (controls ${id}): payment answered ${res.status}: ${res.body.slice(0, 200)}`);
    },
    close: async () => {
      agent.destroy();
      await mesh.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface PaymentMeshes {
  meshes: PaymentMesh[];
  close(): Promise<void>;
}

export async function startPaymentMeshes(): Promise<PaymentMeshes> {
  const meshes: PaymentMesh[] = [];
  const close = async () => {
    for (const m of meshes) await m.close();
  };
  try {
    for (const id of ['on', 'off'] as const) meshes.push(await startPaymentMesh(id));
  } catch (err) {
    await close();
    throw err;
  }
  return { meshes, close };
}

export async function paymentRep(ctx: Pick<BenchContext, 'config' | 'recorder'>, rep: number, p: PaymentMeshes): Promise<void> {
  // Payments are heavier than one hop: a fifth of a rung's requests each.
  const requests = Math.max(20, Math.round(ctx.config.requests / 5));
  for (const m of rotated(p.meshes, rep)) {
    await m.relogin();
    await closedLoop(m.pay, { concurrency: 1, requests: Math.max(5, Math.round(ctx.config.warmup / 5)), warmup: 0, timeoutMs: ctx.config.runTimeoutMs });
    const before = m.pids.reduce((sum, pid) => sum + procCpuUs(pid), 0);
    const r = await closedLoop(m.pay, { concurrency: 1, requests, warmup: 0, timeoutMs: ctx.config.runTimeoutMs });
    const after = m.pids.reduce((sum, pid) => sum + procCpuUs(pid), 0);
    const label = `whole payment, controls ${m.id}`;
    for (const pc of PERCENTILES) ctx.recorder.record(latencySpec(`payment.${m.id}.p${String(pc).replace('.', '')}`, `${label}, p${pc}`), r.histogram.getValueAtPercentile(pc));
    ctx.recorder.record({ id: `payment.${m.id}.cpu`, label: `${label}, CPU of every workload per payment`, unit: 'µs', better: 'lower' }, (after - before) / requests);
    if (m.id === 'on') recordWorkloadMemory(ctx.recorder, m.services, 'load', 'right after a repetition of whole payments, controls on');
  }
}

export function paymentDerived(recorder: FigureRecorder): Figure[] {
  const out: Figure[] = [];
  for (const p of ['p50', 'p99', 'cpu']) {
    const on = recorder.values(`payment.on.${p}`);
    const off = recorder.values(`payment.off.${p}`);
    if (on && off) out.push(differenceOf({ id: `payment.controls.${p}`, label: `whole payment: controls on over off, ${p === 'cpu' ? 'CPU per payment' : p}`, unit: 'µs', better: 'lower' }, on, off));
  }
  return out;
}
