import { describe, expect, it } from 'vitest';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ManualClock } from '../kit/clock.ts';
import { spiffeIdFor } from '../kit/spiffe.ts';
import type { DecisionRequest } from '../kit/pep/decision-types.ts';
import { POLICY_ERROR_CODES, PolicyDirectoryError, PolicyValidationError } from './errors.ts';
import { PdpEngine } from './pdp-engine.ts';
import { policySetVersion } from './policy-compile.ts';
import { PolicyStore } from './policy-store.ts';

const POLICY_DIR = fileURLToPath(new URL('./policies/', import.meta.url));
const reference: Record<string, string> = {};
for (const name of await readdir(POLICY_DIR)) if (name.endsWith('.cedar')) reference[name] = await readFile(join(POLICY_DIR, name), 'utf8');

const payment: DecisionRequest = {
  principal: spiffeIdFor('gateway'),
  action: 'POST /payments',
  resource: { type: 'Payment', id: 'p', attributes: { amount: 100, currency: 'EUR', owner: 'alice' } },
  context: { user: 'alice', scope: ['payments:write'], purpose: 'payment', amount: 100, currency: 'EUR' },
  txn: 't',
};

// Two broken policies in one file, one valid-looking policy without an @id, and a duplicate id.
const BAD = [
  '// an injected policy',
  '@id("typo")',
  'permit (principal, action, resource) when { resource.amout > 0 };',
  '',
  '@id("broken")',
  'permit (principal, action,);',
  '',
  'permit (principal == Service::"spiffe://meshgate.test/ledger", action, resource);',
  '@id("gateway-create-payment") forbid (principal, action, resource);',
].join('\n');

function newStore(clock = new ManualClock(Date.UTC(2025, 0, 1))) {
  return new PolicyStore(reference, { clock });
}

describe('PolicyStore', () => {
  it('loads the reference directory, names every policy with file:line, versions by content', async () => {
    const store = await PolicyStore.fromDirectory(POLICY_DIR);
    expect(store.version).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(store.version).toBe(policySetVersion(reference));
    const gateway = store.current().policies.find((p) => p.id === 'gateway-create-payment');
    expect(gateway).toMatchObject({ effect: 'permit', file: join(POLICY_DIR, 'gateway-to-payments.cedar'), line: 4, column: 1 });
    expect(store.current().policies.map((p) => p.id).sort()).toEqual(['forbid-non-positive-amount', 'forbid-other-users-resource', 'gateway-create-payment', 'ledger-card-rewrap', 'payments-card-data-key', 'payments-card-unwrap', 'payments-create-entry', 'payments-read-entry']);
  });

  it('version is a hash of the sorted files: order does not matter, content does', () => {
    const reversed = Object.fromEntries(Object.entries(reference).reverse());
    expect(policySetVersion(reversed)).toBe(policySetVersion(reference));
    expect(policySetVersion({ ...reference, 'guards.cedar': `${reference['guards.cedar']}\n` })).not.toBe(policySetVersion(reference));
  });

  it('refuses an invalid update with every problem located, and keeps the last good set in force', () => {
    const store = newStore();
    const engine = new PdpEngine({ policies: store });
    const before = store.version;
    const result = store.update({ ...reference, 'injected.cedar': BAD }, { actor: spiffeIdFor('operator') });
    expect(result.accepted).toBe(false);
    expect(result.version).toBe(before);
    const located = result.problems.map((p) => `${p.file}:${p.line}:${p.column} ${p.policyId ?? '-'} ${p.message}`);
    expect(located).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^injected\.cedar:3:45 typo .*attribute `amout` on entity type `Payment` not found/),
        expect.stringMatching(/^injected\.cedar:6:\d+ - .*missing the `resource` variable/),
        expect.stringMatching(/^injected\.cedar:8:1 - policy has no @id/),
        expect.stringMatching(/duplicate @id "gateway-create-payment"/),
      ]),
    );
    expect(result.audit).toMatchObject({ event: 'policy.update', outcome: 'refused', actor: spiffeIdFor('operator'), previousVersion: before, version: before });
    expect(result.audit.problems).toEqual(result.problems);
    expect(store.version).toBe(before);
    expect(engine.decide(payment)).toMatchObject({ decision: 'allow', policyVersion: before });
  });

  it('refuses a policy that decides on what enforcers do not cache by: a resource id or the transaction id', () => {
    const store = newStore();
    const byId = '@id("block-one")\nforbid (principal, action, resource == Payment::"ref-1");\n@id("block-entry")\nforbid (principal, action, resource) when { resource == Entry::"e-9" };\n';
    const byTxn = '@id("block-txn")\nforbid (principal, action == Action::"POST /payments", resource) when { context.txn == "t-1" };\n';
    const result = store.update({ ...reference, 'by-id.cedar': byId, 'by-txn.cedar': byTxn });
    expect(result.accepted).toBe(false);
    const located = result.problems.map((p) => `${p.file}:${p.line} ${p.policyId ?? '-'} ${p.message}`);
    expect(located).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^by-id\.cedar:1 block-one policy names Payment::"ref-1": a policy may decide on a resource's attributes, not on its id/),
        expect.stringMatching(/^by-id\.cedar:3 block-entry policy names Entry::"e-9"/),
        expect.stringMatching(/^by-txn\.cedar:2 block-txn .*txn/),
      ]),
    );
  });

  it('an accepted update takes effect; rollback restores the previous version', () => {
    const clock = new ManualClock(Date.UTC(2025, 0, 1));
    const store = newStore(clock);
    const engine = new PdpEngine({ policies: store });
    const v1 = store.version;
    const { 'gateway-to-payments.cedar': _dropped, ...withoutGateway } = reference;
    clock.advance(1000);
    const updated = store.update(withoutGateway, { actor: 'op' });
    expect(updated).toMatchObject({ accepted: true, previousVersion: v1 });
    const v2 = updated.version;
    expect(v2).not.toBe(v1);
    expect(engine.decide(payment)).toMatchObject({ decision: 'deny', policyVersion: v2 });

    clock.advance(1000);
    const rolled = store.rollback({ actor: 'op' });
    expect(rolled).toMatchObject({ accepted: true, version: v1, previousVersion: v2 });
    expect(rolled.audit).toMatchObject({ event: 'policy.rollback', outcome: 'accepted', version: v1, at: '2025-01-01T00:00:02.000Z' });
    expect(engine.decide(payment)).toMatchObject({ decision: 'allow', policyVersion: v1 });
    expect(store.history().map((h) => h.version)).toEqual([v1]);

    const none = store.rollback();
    expect(none).toMatchObject({ accepted: false, version: v1 });
    expect(none.audit.message).toMatch(/no previous policy version/);
    expect(store.auditLog().map((a) => `${a.event}:${a.outcome}`)).toEqual(['policy.load:accepted', 'policy.update:accepted', 'policy.rollback:accepted', 'policy.rollback:refused']);
  });

  it('rolls back to a named version and refuses one it does not hold', () => {
    const store = newStore();
    const v1 = store.version;
    store.update({ ...reference, 'extra.cedar': '@id("x") forbid (principal, action == Action::"POST /payments", resource) when { context.amount > 5 };' });
    store.update({ ...reference, 'extra.cedar': '@id("x") forbid (principal, action == Action::"POST /payments", resource) when { context.amount > 6 };' });
    expect(store.history()).toHaveLength(3);
    expect(store.rollback({ toVersion: 'sha256:nope' })).toMatchObject({ accepted: false });
    expect(store.rollback({ toVersion: v1 })).toMatchObject({ accepted: true, version: v1 });
    expect(store.history()).toHaveLength(1);
  });

  it('merges when asked: named files replace, null removes, others stay', () => {
    const store = newStore();
    const result = store.update({ 'guards.cedar': null, 'extra.cedar': '@id("x") forbid (principal, action == Action::"POST /payments", resource) when { context.amount > 5 };' }, { merge: true });
    expect(result.accepted).toBe(true);
    expect(Object.keys(store.current().files).sort()).toEqual(['extra.cedar', 'gateway-to-payments.cedar', 'kms-data-keys.cedar', 'payments-to-ledger.cedar']);
    expect(store.update(store.current().files as Record<string, string>).audit.outcome).toBe('unchanged');
  });

  it('refuses unsafe file names and non-string content, each named', () => {
    const store = newStore();
    const result = store.update({ ...reference, '../escape.cedar': '', 'x.cedar': 5 as unknown as string });
    expect(result.accepted).toBe(false);
    expect(result.problems.map((p) => `${p.file}: ${p.message}`)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^\.\.\/escape\.cedar: file name .* is not allowed/), expect.stringMatching(/^x\.cedar: content must be a string/)]),
    );
  });

  it('notifies audit and change listeners', () => {
    const store = newStore();
    const audits: string[] = [];
    const changes: string[] = [];
    store.onAudit((a) => audits.push(a.outcome));
    store.onChange((s) => changes.push(s.version));
    store.update({ 'bad.cedar': BAD });
    const { 'guards.cedar': _g, ...rest } = reference;
    const ok = store.update(rest);
    expect(audits).toEqual(['refused', 'accepted']);
    expect(changes).toEqual([ok.version]);
  });

  it('refuses an invalid directory at startup with dir/file:line, and a missing one with its own error', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'meshgate-policies-'));
    await writeFile(join(dir, 'bad.cedar'), BAD);
    const error = await PolicyStore.fromDirectory(dir).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PolicyValidationError);
    expect((error as PolicyValidationError).code).toBe(POLICY_ERROR_CODES.invalid);
    expect((error as PolicyValidationError).message).toContain(`${join(dir, 'bad.cedar')}:3:45: [typo]`);
    await expect(PolicyStore.fromDirectory(join(dir, 'missing'))).rejects.toBeInstanceOf(PolicyDirectoryError);
    await rm(dir, { recursive: true, force: true });
  });
});
