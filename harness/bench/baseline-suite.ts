/**
 * Side by side with what a team would use instead, in the same run: `openssl
 * s_server` measured by `openssl s_time` (new and resumed mutual-TLS connections
 * per second) beside a meshgate listener, and the sidecar pattern: nginx
 * terminating mTLS in front of the same workload served in plaintext.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cpuSpec, measureClosed, recordPercentiles, rotated, type BenchContext } from './bench-context.ts';
import { freePorts } from '../mesh/free-port.ts';
import { rungById } from './ladder-rungs.ts';
import { planFor } from './ladder-suite.ts';
import { toolMissing } from './missing-tool.ts';
import { keepAliveSender } from './senders.ts';
import { SIDECAR_CERT_HEADER, SIDECAR_KEY_HEADER } from './ladder-protocol.ts';
import { ratioOf, type Figure } from './figure.ts';
import { pollUntil } from '../evidence/poll.ts';
import { procCpuUs } from './proc-cpu.ts';

export interface Baselines {
  sidecarKey: string;
  dir: string;
  sServerPort?: number;
  nginxPort?: number;
  nginxPid?: number;
  close(): Promise<void>;
}

function writeSecret(path: string, text: string): void {
  writeFileSync(path, text, { mode: 0o600 });
}

async function waitForPort(port: number, what: string): Promise<void> {
  const { connect } = await import('node:net');
  const probe = () =>
    new Promise<boolean>((resolve) => {
      const s = connect(port, '127.0.0.1', () => {
        s.destroy();
        resolve(true);
      });
      s.on('error', () => resolve(false));
    });
  if (!(await pollUntil(probe, (up) => up, 10_000, 50))) throw new Error(`${what} is not listening on 127.0.0.1:${port} after 10 s`);
}

function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

/** Starts s_server and nginx with the ladder server's SVID; a missing tool becomes a missing rung. */
export async function startBaselines(ctx: BenchContext, sidecarKey: string): Promise<Baselines> {
  const dir = mkdtempSync(join(tmpdir(), 'meshgate-bench-'));
  chmodSync(dir, 0o700);
  const files = { cert: join(dir, 'server.pem'), key: join(dir, 'server-key.pem'), bundle: join(dir, 'bundle.pem'), clientCert: join(dir, 'client.pem'), clientKey: join(dir, 'client-key.pem') };
  writeFileSync(files.cert, ctx.ladder.server.certPem);
  writeSecret(files.key, ctx.ladder.server.keyPem);
  writeFileSync(files.bundle, ctx.ladder.server.bundlePem);
  writeFileSync(files.clientCert, ctx.ladder.client.certPem);
  writeSecret(files.clientKey, ctx.ladder.client.keyPem);
  const [sPort, nPort] = await freePorts(2);
  let sServer: ChildProcess | undefined;
  let nginx: ChildProcess | undefined;
  const baselines: Baselines = {
    sidecarKey,
    dir,
    close: async () => {
      await Promise.all([stopChild(sServer), stopChild(nginx)]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
  try {
    const opensslMissing = toolMissing('openssl', 'openssl s_server + s_time', 'openssl');
    if (opensslMissing) ctx.missing.push(opensslMissing);
    else {
      // stdin stays open: s_server ends when its input closes.
      sServer = spawn('openssl', ['s_server', '-quiet', '-accept', `127.0.0.1:${sPort}`, '-cert', files.cert, '-key', files.key, '-CAfile', files.bundle, '-Verify', '1', '-verify_return_error', '-tls1_3'], { stdio: ['pipe', 'ignore', 'ignore'] });
      await waitForPort(sPort!, 'openssl s_server');
      baselines.sServerPort = sPort;
    }
    const nginxMissing = toolMissing('nginx', 'nginx mTLS sidecar', 'nginx');
    if (nginxMissing) ctx.missing.push(nginxMissing);
    else {
      writeFileSync(join(dir, 'nginx.conf'), nginxConfig(dir, nPort!, ctx.ladder.sidecarBackendPort, files, sidecarKey));
      nginx = spawn('nginx', ['-p', dir, '-c', join(dir, 'nginx.conf'), '-e', join(dir, 'error.log')], { stdio: ['ignore', 'ignore', 'pipe'] });
      await waitForPort(nPort!, 'nginx sidecar');
      baselines.nginxPort = nPort;
      baselines.nginxPid = nginx.pid;
    }
    if (opensslMissing) ctx.notes.push('openssl s_time is missing: the handshake-rate baselines were not measured');
    return baselines;
  } catch (err) {
    await baselines.close();
    throw err;
  }
}

function nginxConfig(dir: string, port: number, backendPort: number, f: { cert: string; key: string; bundle: string }, sidecarKey: string): string {
  return `daemon off;
master_process off;
worker_processes 1;
pid ${join(dir, 'nginx.pid')};
error_log ${join(dir, 'error.log')} warn;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path ${dir}/body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
  upstream workload { server 127.0.0.1:${backendPort}; keepalive 64; }
  server {
    listen 127.0.0.1:${port} ssl;
    ssl_protocols TLSv1.3;
    ssl_certificate ${f.cert};
    ssl_certificate_key ${f.key};
    ssl_client_certificate ${f.bundle};
    ssl_verify_client on;
    ssl_verify_depth 1;
    location / {
      proxy_pass http://workload;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header ${SIDECAR_CERT_HEADER} $ssl_client_escaped_cert;
      proxy_set_header ${SIDECAR_KEY_HEADER} ${sidecarKey};
    }
  }
}
`;
}

/** `openssl s_time` for a fixed number of seconds: connections per second, new (-new) or resumed (-reuse). */
function sTime(dir: string, port: number, mode: 'new' | 'reuse', seconds: number): number {
  const r = spawnSync('openssl', ['s_time', '-connect', `127.0.0.1:${port}`, `-${mode}`, '-time', String(seconds), '-cert', join(dir, 'client.pem'), '-key', join(dir, 'client-key.pem'), '-CAfile', join(dir, 'bundle.pem')], { encoding: 'utf8', timeout: (seconds + 20) * 1000 });
  const matches = [...(r.stdout ?? '').matchAll(/(\d+) connections in [\d.]+s;/g)];
  const last = matches[matches.length - 1];
  if (r.error || !last) throw new Error(`openssl s_time -${mode} against port ${port} failed: ${r.error?.message ?? (r.stderr || r.stdout).slice(0, 300)}`);
  return Number(last[1]) / seconds;
}

export async function baselineRep(ctx: BenchContext, rep: number, b: Baselines): Promise<void> {
  const targets = [
    { id: 'openssl', label: 'openssl s_server', port: b.sServerPort },
    { id: 'meshgate', label: 'meshgate MtlsServer', port: ctx.ladder.ports.mtls },
    { id: 'nginx', label: 'nginx sidecar', port: b.nginxPort },
  ];
  type Unit = { kind: 'stime'; target: (typeof targets)[number]; mode: 'new' | 'reuse' } | { kind: 'request'; via: 'sidecar' | 'in-process' };
  const units: Unit[] = [];
  if (b.sServerPort) for (const target of targets) for (const mode of ['new', 'reuse'] as const) if (target.port) units.push({ kind: 'stime', target, mode });
  if (b.nginxPort) units.push({ kind: 'request', via: 'sidecar' }, { kind: 'request', via: 'in-process' });
  for (const unit of rotated(units, rep)) {
    if (unit.kind === 'stime') {
      const label = `${unit.target.label}: ${unit.mode === 'new' ? 'new' : 'resumed'} mTLS connections per second (openssl s_time -${unit.mode})`;
      ctx.recorder.record({ id: `baseline.stime.${unit.target.id}.${unit.mode}`, label, unit: 'per_s', better: 'higher' }, sTime(b.dir, unit.target.port!, unit.mode, ctx.config.sTimeSeconds));
      continue;
    }
    const rung = rungById('mtls');
    const port = unit.via === 'sidecar' ? b.nginxPort! : ctx.ladder.ports.mtls!;
    const plan = await planFor(ctx, rung, ctx.config.requests);
    const sender = keepAliveSender(rung, port, ctx.ladder.client, plan, 1);
    try {
      const nginxBefore = unit.via === 'sidecar' ? procCpuUs(b.nginxPid!) : 0;
      const m = await measureClosed(ctx, sender, 1);
      const nginxPerRequest = unit.via === 'sidecar' ? (procCpuUs(b.nginxPid!) - nginxBefore) / (ctx.config.requests + ctx.config.warmup) : 0;
      const label = unit.via === 'sidecar' ? 'nginx mTLS sidecar → plaintext workload, keep-alive' : 'meshgate in-process mTLS, keep-alive';
      recordPercentiles(ctx, `baseline.${unit.via}`, label, m.histogram);
      ctx.recorder.record(cpuSpec(`baseline.${unit.via}.cpu`, `${label}, server CPU per request (workload${unit.via === 'sidecar' ? ' + nginx' : ''})`), m.cpuPerRequestUs + nginxPerRequest);
    } finally {
      sender.close();
    }
  }
}

export function baselineDerived(ctx: BenchContext): Figure[] {
  const out: Figure[] = [];
  const v = (id: string) => ctx.recorder.values(id);
  for (const mode of ['new', 'reuse'] as const) {
    const mesh = v(`baseline.stime.meshgate.${mode}`);
    for (const other of ['openssl', 'nginx']) {
      const base = v(`baseline.stime.${other}.${mode}`);
      if (mesh && base) out.push(ratioOf({ id: `baseline.stime.meshgate-vs-${other}.${mode}`, label: `meshgate ÷ ${other}: ${mode === 'new' ? 'new' : 'resumed'} connections per second`, unit: 'ratio', better: 'higher' }, mesh, base));
    }
  }
  const side = v('baseline.sidecar.p50');
  const inProc = v('baseline.in-process.p50');
  if (side && inProc) out.push(ratioOf({ id: 'baseline.in-process-vs-sidecar.p50', label: 'meshgate in-process mTLS ÷ nginx sidecar, p50', unit: 'ratio', better: 'lower' }, inProc, side));
  return out;
}

export function newSidecarKey(): string {
  return randomBytes(24).toString('base64url');
}
