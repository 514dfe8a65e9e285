import { afterAll, describe, expect, it } from 'vitest';
import { cp, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_POLICY_DIR, policyCheckCommand, runPolicyCheck } from './check.ts';
import type { PolicyCheckReport } from './check.ts';

function capture() {
  const out = { stdout: '', stderr: '' };
  const io = { stdout: { write: (s: string) => (out.stdout += s) }, stderr: { write: (s: string) => (out.stderr += s) } };
  return { out, io };
}

const made: string[] = [];
afterAll(async () => {
  for (const dir of made) await rm(dir, { recursive: true, force: true });
});

async function copyOfReference(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'meshgate-policy-check-'));
  made.push(dir);
  await cp(DEFAULT_POLICY_DIR, dir, { recursive: true });
  return dir;
}

const GATEWAY = 'spiffe://meshgate.test/gateway';

describe('meshgate policy check', () => {
  it('is clean on the reference policies (exit 0)', async () => {
    const { out, io } = capture();
    expect(await policyCheckCommand(['--json'], io)).toBe(0);
    const report = JSON.parse(out.stdout) as PolicyCheckReport;
    expect(report).toMatchObject({ ok: true, valid: true, findings: [], problems: [] });
    expect(report.principals).toEqual(expect.arrayContaining([GATEWAY, 'spiffe://meshgate.test/operator', 'spiffe://meshgate.test/unknown-workload']));
    expect(report.actions.sort()).toEqual(['GET /entries/:id', 'POST /entries', 'POST /payments', 'POST /v1/data-keys', 'POST /v1/rewrap', 'POST /v1/unwrap']);
    expect(report.decisions).toBeGreaterThan(report.principals.length * report.actions.length * 10);
  });

  it('reports an injected wildcard permit, a lateral edge and a loosened limit, each with id and file:line (exit 1)', async () => {
    const dir = await copyOfReference();
    await writeFile(join(dir, 'zz-injected.cedar'), '// pushed by a bad deploy\n\n@id("allow-everything")\npermit(principal, action, resource);\n');
    await writeFile(
      join(dir, 'lateral.cedar'),
      '@id("gateway-books-entries")\npermit (principal == Service::"spiffe://meshgate.test/gateway", action == Action::"POST /entries", resource is Entry)\nwhen { resource.owner == context.user && resource.amount <= 100 };\n',
    );
    const gatewayFile = join(dir, 'gateway-to-payments.cedar');
    const loosened = (await readFile(gatewayFile, 'utf8')).replace(' &&\n  resource.amount <= context.user.limit', '');
    expect(loosened).not.toContain('context.user.limit');
    await writeFile(gatewayFile, loosened);

    const report = await runPolicyCheck(dir);
    expect(report.valid).toBe(true);
    expect(report.ok).toBe(false);
    const find = (kind: string, id: string) => report.findings.find((f) => f.kind === kind && f.policyId === id);

    const broad = find('undeclared_edge', 'allow-everything');
    expect(broad).toMatchObject({ file: join(dir, 'zz-injected.cedar'), line: 3, column: 1 });
    expect(broad!.edges).toEqual(expect.arrayContaining([{ principal: GATEWAY, action: 'POST /entries' }, { principal: 'spiffe://meshgate.test/operator', action: 'POST /payments' }, { principal: 'spiffe://elsewhere.test/gateway', action: 'POST /payments' }]));
    expect(find('wildcard_principal', 'allow-everything')).toBeDefined();
    expect(find('wildcard_action', 'allow-everything')).toBeDefined();

    const lateral = find('undeclared_edge', 'gateway-books-entries');
    expect(lateral).toMatchObject({ file: join(dir, 'lateral.cedar'), line: 1, edges: [{ principal: GATEWAY, action: 'POST /entries' }] });

    const limit = report.findings.find((f) => f.kind === 'overbroad_condition' && f.policyId === 'gateway-create-payment');
    expect(limit).toMatchObject({ file: gatewayFile, line: 4, message: "permits a declared edge although amount above the user's limit", edges: [{ principal: GATEWAY, action: 'POST /payments' }] });

    const { out, io } = capture();
    expect(await policyCheckCommand(['--policies', dir], io)).toBe(1);
    expect(out.stdout).toContain(`${join(dir, 'zz-injected.cedar')}:3:1: undeclared_edge [allow-everything]`);
  });

  it('reports a data-key permit loosened to any purpose, and a lateral unwrap by the ledger (exit 1)', async () => {
    const dir = await copyOfReference();
    const file = join(dir, 'kms-data-keys.cedar');
    const text = await readFile(file, 'utf8');
    const loosened = text.replace('action == Action::"POST /v1/unwrap",\n  resource is DataKey\n)\nwhen { resource.purpose == "card" };', 'action == Action::"POST /v1/unwrap",\n  resource is DataKey\n);');
    expect(loosened).not.toBe(text);
    await writeFile(file, loosened);
    await writeFile(join(dir, 'ledger-unwraps.cedar'), '@id("ledger-unwraps")\npermit (principal == Service::"spiffe://meshgate.test/ledger", action == Action::"POST /v1/unwrap", resource is DataKey)\nwhen { resource.purpose == "card" };\n');
    const report = await runPolicyCheck(dir);
    expect(report.ok).toBe(false);
    expect(report.findings.find((f) => f.kind === 'overbroad_condition' && f.policyId === 'payments-card-unwrap')?.message).toBe('permits a declared edge although data key for a purpose other than "card"');
    expect(report.findings.find((f) => f.kind === 'undeclared_edge' && f.policyId === 'ledger-unwraps')?.edges).toEqual([{ principal: 'spiffe://meshgate.test/ledger', action: 'POST /v1/unwrap' }]);
  });

  it('reports declared edges no policy permits', async () => {
    const dir = await copyOfReference();
    await writeFile(join(dir, 'payments-to-ledger.cedar'), '// emptied\n');
    const report = await runPolicyCheck(dir);
    expect(report.findings.filter((f) => f.kind === 'declared_edge_not_permitted').flatMap((f) => f.edges.map((e) => e.action)).sort()).toEqual(['GET /entries/:id', 'POST /entries']);
  });

  it('exits 2 on invalid policies, listing every problem with file:line', async () => {
    const dir = await copyOfReference();
    await writeFile(join(dir, 'broken.cedar'), '@id("a")\npermit(principal, action, resource) when { resource.nope };\n@id("b")\npermit(principal, action);\n');
    const { out, io } = capture();
    expect(await policyCheckCommand(['--policies', dir], io)).toBe(2);
    expect(out.stderr).toMatch(new RegExp(`${join(dir, 'broken.cedar').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:2:\\d+: \\[a\\]`));
    expect(out.stderr).toMatch(/broken\.cedar:4:\d+: .*missing the `resource` variable/);
  });

  it('exits 2 on usage errors, naming the unknown option, and on a missing directory', async () => {
    const a = capture();
    expect(await policyCheckCommand(['--polcies', 'x'], a.io)).toBe(2);
    expect(a.out.stderr).toMatch(/unknown option --polcies/);
    const b = capture();
    expect(await policyCheckCommand(['--policies'], b.io)).toBe(2);
    expect(b.out.stderr).toMatch(/--policies needs a directory/);
    const c = capture();
    expect(await policyCheckCommand(['--policies', join(tmpdir(), 'meshgate-no-such-dir')], c.io)).toBe(2);
    expect(c.out.stderr).toMatch(/does not exist \[MESHGATE_ERR_POLICY_DIRECTORY\]/);
    const d = capture();
    expect(await policyCheckCommand(['--help'], d.io)).toBe(0);
    expect(d.out.stdout).toMatch(/^usage: meshgate policy check/);
  });
});
