import { afterAll, describe, expect, test } from 'vitest';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { X509Certificate } from 'node:crypto';
import { main } from './main.ts';
import { isRunning } from '../mesh/process-state.ts';

const run = promisify(execFile);
const BIN = new URL('../bin/meshgate.js', import.meta.url).pathname;

async function meshgate(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], { timeout: 60_000 });
    return { code: 0, stdout, stderr };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

async function inProcess(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(args, { stdout: (t) => (out += t), stderr: (t) => (err += t) });
  return { code, out, err };
}


const dirs: string[] = [];
const tempDir = (p: string) => {
  const d = mkdtempSync(join(tmpdir(), p));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('usage errors exit 2 and name what was wrong', () => {
  test.each([
    [['frobnicate'], /unknown command "frobnicate"/],
    [['up', '--bogus'], /--bogus/],
    [['ca', 'issue', '--out', '/tmp/x'], /--spiffe-id is required/],
    [['ca', 'issue', '--spiffe-id', 'https://example', '--out', '/tmp/x'], /--spiffe-id: "https:\/\/example" is not a SPIFFE ID/],
    [['ca', 'issue', '--spiffe-id', 'spiffe://meshgate.test/x', '--out', '/tmp/x', '--ttl', 'soon'], /--ttl: "soon" is not a duration/],
    [['ca', 'revoke'], /exactly one of --serial or --cert/],
    [['status', '--state', '/nonexistent/meshgate-state'], /state folder .* does not exist/],
  ])('meshgate %j', async (args, message) => {
    const { code, err } = await inProcess(args as string[]);
    expect(code).toBe(2);
    expect(err).toMatch(message);
  });

  test('--help lists every command with its flags', async () => {
    const { code, out } = await inProcess(['--help']);
    expect(code).toBe(0);
    for (const c of ['up [--state DIR] [--json]', 'down [--state DIR]', 'status', 'ca issue --spiffe-id ID --out DIR', 'ca revoke']) expect(out).toContain(c);
  });
});

describe('meshgate up / ca issue / down', () => {
  test('up --json starts the mesh in the background, ca issue mints usable material, down leaves nothing running', async () => {
    const state = tempDir('meshgate-cli-');
    const up = await meshgate(['up', '--state', state, '--json']);
    expect(up.code, up.stderr).toBe(0);
    const record = JSON.parse(up.stdout) as { state: string; caBundle: string; services: Array<{ name: string; url: string; spiffeId: string; pid: number }> };
    try {
      expect(record.state).toBe(state);
      expect(readFileSync(record.caBundle, 'utf8')).toContain('BEGIN CERTIFICATE');
      expect(record.services.map((s) => s.name)).toEqual(expect.arrayContaining(['ca', 'ledger', 'payments', 'gateway']));
      for (const s of record.services) {
        expect(s.spiffeId).toBe(`spiffe://meshgate.test/${s.name}`);
        expect(isRunning(s.pid)).toBe(true);
      }
      const again = await meshgate(['up', '--state', state]);
      expect(again.code).toBe(2);
      expect(again.stderr).toMatch(/already running/);

      const status = await meshgate(['status', '--state', state, '--json']);
      expect(status.code).toBe(0);
      expect((JSON.parse(status.stdout) as { services: Array<{ healthy: boolean }> }).services.every((s) => s.healthy)).toBe(true);

      const out = tempDir('meshgate-cert-');
      const notAfter = new Date(Date.now() - 60_000).toISOString();
      const notBefore = new Date(Date.now() - 3_600_000).toISOString();
      const issued = await meshgate(['ca', 'issue', '--spiffe-id', 'spiffe://meshgate.test/gateway', '--out', out, '--not-before', notBefore, '--not-after', notAfter, '--state', state]);
      expect(issued.code, issued.stderr).toBe(0);
      const cert = new X509Certificate(readFileSync(join(out, 'cert.pem')));
      expect(cert.subjectAltName).toContain('URI:spiffe://meshgate.test/gateway');
      expect(Date.parse(cert.validTo)).toBeLessThan(Date.now());
      expect(statSync(join(out, 'key.pem')).mode & 0o777).toBe(0o600);

      const revoked = await meshgate(['ca', 'revoke', '--cert', join(out, 'cert.pem'), '--state', state]);
      expect(revoked.code, revoked.stderr).toBe(0);
      expect(revoked.stdout).toContain(cert.serialNumber);
    } finally {
      const down = await meshgate(['down', '--state', state]);
      expect(down.code, down.stderr).toBe(0);
      for (const s of record.services) expect(down.stdout).toContain(`stopped: ${s.name} (pid ${s.pid})`);
    }
    for (const s of record.services) expect(isRunning(s.pid)).toBe(false);
    const after = await meshgate(['status', '--state', state]);
    expect(after.code).toBe(2);
    expect(after.stderr).toMatch(/holds no running mesh/);
  }, 90_000);
});
