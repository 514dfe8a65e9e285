import { describe, expect, it } from 'vitest';
import { fileURLToPath } from 'node:url';
import { spiffeIdFor } from '../kit/spiffe.ts';
import { declaredEdges } from '../topology.ts';
import type { DecisionRequest, DecisionValue } from '../kit/pep/decision-types.ts';
import { PdpEngine } from './pdp-engine.ts';
import { RequestShaper } from './cedar-request.ts';
import { compilePolicySet } from './policy-compile.ts';
import { PolicyStore } from './policy-store.ts';
import { parseSchema } from './mesh-schema.ts';
import { DEMO_USERS, userEntities } from './user-directory.ts';

const POLICY_DIR = fileURLToPath(new URL('./policies/', import.meta.url));
const store = await PolicyStore.fromDirectory(POLICY_DIR);
const engine = new PdpEngine({ policies: store });
// Cedar's own request and entity validation on every call: the reference the shaper's type checks are held to.
const byCedar = new PdpEngine({ policies: store, requestValidation: 'cedar' });

const GATEWAY = spiffeIdFor('gateway');
const PAYMENTS = spiffeIdFor('payments');
const LEDGER = spiffeIdFor('ledger');

interface Spec {
  principal?: string;
  action?: string;
  type?: string;
  amount?: number;
  currency?: string;
  owner?: string;
  user?: string;
  txnAmount?: number;
  txnCurrency?: string;
  scope?: string[];
  purpose?: string;
  extraContext?: Record<string, DecisionValue>;
}

/** A user's limit in the directory the policies see, in minor units. */
function limitOf(user: string): number {
  const found = DEMO_USERS.find((u) => u.id === user);
  if (!found) throw new TypeError(`no demo user ${user}`);
  return found.limit;
}

/** A request that fits the schema; defaults are a valid gateway → payments payment for alice. */
function request(spec: Spec = {}): DecisionRequest {
  const action = spec.action ?? 'POST /payments';
  const amount = spec.amount ?? 12_500;
  const currency = spec.currency ?? 'EUR';
  return {
    principal: spec.principal ?? GATEWAY,
    action,
    resource: { type: spec.type ?? (action === 'POST /payments' ? 'Payment' : 'Entry'), id: 'r-1', attributes: { amount, currency, owner: spec.owner ?? 'alice' } },
    context: { user: spec.user ?? 'alice', scope: spec.scope ?? ['payments:write'], purpose: spec.purpose ?? 'payment', amount: spec.txnAmount ?? amount, currency: spec.txnCurrency ?? currency, ...spec.extraContext },
    txn: 'txn-1',
  };
}

/** A data-key request at kms: the caller's identity and the key's purpose are all it carries. */
function dataKey(principal: string, action: string, purpose = 'card'): DecisionRequest {
  return { principal, action, resource: { type: 'DataKey', id: purpose, attributes: { purpose } }, context: {} };
}

// Golden table: [name, request, decision, determining policy ids].
const GOLDEN: [string, DecisionRequest, 'allow' | 'deny', string[]][] = [
  ['gateway creates a payment', request(), 'allow', ['gateway-create-payment']],
  ['gateway, amount exactly at alice’s limit', request({ amount: limitOf('alice') }), 'allow', ['gateway-create-payment']],
  ['gateway, amount 1', request({ amount: 1 }), 'allow', ['gateway-create-payment']],
  ['gateway, USD', request({ currency: 'USD' }), 'allow', ['gateway-create-payment']],
  ['gateway, amount one over alice’s limit', request({ amount: limitOf('alice') + 1 }), 'deny', []],
  ['gateway, bob one over his limit', request({ user: 'bob', owner: 'bob', amount: limitOf('bob') + 1 }), 'deny', []],
  ['gateway, bob at his limit', request({ user: 'bob', owner: 'bob', amount: limitOf('bob') }), 'allow', ['gateway-create-payment']],
  ['gateway, currency not settled (JPY)', request({ currency: 'JPY' }), 'deny', []],
  ['gateway, payment for another user than the txn user', request({ owner: 'bob' }), 'deny', ['forbid-other-users-resource']],
  ['gateway, amount 0', request({ amount: 0 }), 'deny', ['forbid-non-positive-amount']],
  ['gateway, negative amount', request({ amount: -5 }), 'deny', ['forbid-non-positive-amount']],
  ['gateway, amount differs from the approved amount', request({ txnAmount: 100 }), 'deny', []],
  ['gateway, currency differs from the approved currency', request({ txnCurrency: 'USD' }), 'deny', []],
  ['gateway, txn without payments:write', request({ scope: ['payments:read'] }), 'deny', []],
  ['gateway, purpose not payment', request({ purpose: 'refund' }), 'deny', []],
  ['gateway, user unknown to the directory', request({ user: 'mallory', owner: 'mallory' }), 'deny', []],
  ['payments books an entry', request({ principal: PAYMENTS, action: 'POST /entries' }), 'allow', ['payments-create-entry']],
  ['payments, entry for another user than the txn user', request({ principal: PAYMENTS, action: 'POST /entries', owner: 'bob' }), 'deny', ['forbid-other-users-resource']],
  ['payments, entry over the user’s limit', request({ principal: PAYMENTS, action: 'POST /entries', user: 'bob', owner: 'bob', amount: limitOf('bob') + 1 }), 'deny', []],
  ['payments, entry in an unsettled currency', request({ principal: PAYMENTS, action: 'POST /entries', currency: 'XXX' }), 'deny', []],
  ['payments reads an entry (read scope)', request({ principal: PAYMENTS, action: 'GET /entries/:id', scope: ['payments:read'] }), 'allow', ['payments-read-entry']],
  ['payments reads an entry (write scope)', request({ principal: PAYMENTS, action: 'GET /entries/:id' }), 'allow', ['payments-read-entry']],
  ['payments reads another user’s entry', request({ principal: PAYMENTS, action: 'GET /entries/:id', owner: 'bob' }), 'deny', ['forbid-other-users-resource']],
  ['payments reads an entry with no scope', request({ principal: PAYMENTS, action: 'GET /entries/:id', scope: [] }), 'deny', []],
  ['lateral: gateway → ledger POST /entries', request({ principal: GATEWAY, action: 'POST /entries' }), 'deny', []],
  ['lateral: gateway → ledger GET /entries/:id', request({ principal: GATEWAY, action: 'GET /entries/:id' }), 'deny', []],
  ['ledger → payments POST /payments', request({ principal: LEDGER }), 'deny', []],
  ['payments → payments POST /payments', request({ principal: PAYMENTS }), 'deny', []],
  ['ledger → ledger POST /entries', request({ principal: LEDGER, action: 'POST /entries' }), 'deny', []],
  ['payments gets a card data key', dataKey(PAYMENTS, 'POST /v1/data-keys'), 'allow', ['payments-card-data-key']],
  ['payments unwraps a card data key', dataKey(PAYMENTS, 'POST /v1/unwrap'), 'allow', ['payments-card-unwrap']],
  ['ledger rewraps a card data key', dataKey(LEDGER, 'POST /v1/rewrap'), 'allow', ['ledger-card-rewrap']],
  ['payments unwraps a key of another purpose', dataKey(PAYMENTS, 'POST /v1/unwrap', 'ledger-export'), 'deny', []],
  ['ledger unwraps a card data key', dataKey(LEDGER, 'POST /v1/unwrap'), 'deny', []],
  ['gateway unwraps a card data key', dataKey(GATEWAY, 'POST /v1/unwrap'), 'deny', []],
  ['ledger asks for a fresh card data key', dataKey(LEDGER, 'POST /v1/data-keys'), 'deny', []],
  ['payments rewraps (the ledger’s action)', dataKey(PAYMENTS, 'POST /v1/rewrap'), 'deny', []],
  ['operator POST /payments', request({ principal: spiffeIdFor('operator') }), 'deny', []],
  ['unknown workload POST /payments', request({ principal: 'spiffe://meshgate.test/unknown' }), 'deny', []],
  ['gateway of a foreign trust domain', request({ principal: 'spiffe://elsewhere.test/gateway' }), 'deny', []],
];

describe('reference policies: golden decision table', () => {
  it.each(GOLDEN)('%s', (_name, req, decision, policyIds) => {
    const res = engine.decide(req);
    expect({ decision: res.decision, policyIds: res.policyIds, errors: res.errors }).toEqual({ decision, policyIds, errors: [] });
    expect(res.policyVersion).toBe(store.version);
    expect(res.decisionId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const reference = byCedar.decide(req);
    expect({ decision: reference.decision, policyIds: reference.policyIds, errors: reference.errors }, 'Cedar-validated decision').toEqual({ decision, policyIds, errors: [] });
  });

  it('covers every declared edge with an allowing row', () => {
    const allowed = new Set(GOLDEN.filter(([, , d]) => d === 'allow').map(([, r]) => `${r.principal} ${r.action}`));
    for (const e of declaredEdges()) expect(allowed, `${e.caller} → ${e.action}`).toContain(`${spiffeIdFor(e.caller)} ${e.action}`);
  });

  it('gives every decision its own id', () => {
    expect(engine.decide(request()).decisionId).not.toBe(engine.decide(request()).decisionId);
  });
});

describe('requests the schema does not admit are denied with errors', () => {
  const cases: [string, unknown, RegExp][] = [
    ['an action outside the schema', { ...request(), action: 'DELETE /entries' }, /action "DELETE \/entries" is not in the schema/],
    ['a resource type that does not apply', request({ action: 'POST /entries', type: 'Payment' }), /resource type "Payment" does not apply/],
    ['a context field the schema lacks', request({ extraContext: { admin: true } }), /admin/],
    ['a fractional amount', request({ amount: 10.5 }), /must be an integer/],
    ['a principal that is not a SPIFFE ID', { ...request(), principal: 'gateway' }, /principal must be a SPIFFE ID/],
    ['a missing context', { ...request(), context: undefined }, /context must be an object/],
  ];
  it.each(cases)('%s', (_name, req, message) => {
    const res = engine.decide(req as DecisionRequest);
    expect(res.decision).toBe('deny');
    expect(res.policyIds).toEqual([]);
    expect(res.errors.join('\n')).toMatch(message);
  });

  // Requests whose values do not have the schema's types. The shaper refuses each, naming the value;
  // Cedar's own validation, the reference, refuses each too, so the shaper is not laxer than Cedar.
  const patched = (part: 'context' | 'resource', patch: Record<string, DecisionValue | undefined>, base = request()): DecisionRequest => {
    const values = { ...(part === 'context' ? base.context : base.resource.attributes), ...patch } as Record<string, DecisionValue>;
    for (const [k, v] of Object.entries(patch)) if (v === undefined) delete values[k];
    return part === 'context' ? { ...base, context: values } : { ...base, resource: { ...base.resource, attributes: values } };
  };
  const ctx = 'context of "POST /payments"';
  const invalidContext = /context `\{.*\}` is not valid for `Action::"POST \/payments"`/;
  const shapes: [string, DecisionRequest, string, RegExp][] = [
    ['a context without its amount', patched('context', { amount: undefined }), `${ctx} lacks the attribute "amount" the schema requires`, /context, expected the record to have an attribute `amount`/],
    ['a context without its user', patched('context', { user: undefined }), `${ctx} lacks the attribute "user" the schema requires`, /context, expected the record to have an attribute `user`/],
    ['a context amount as a string', patched('context', { amount: '12500' }), `${ctx}.amount must be a Long (integer) (got "12500")`, invalidContext],
    ['a context currency as a number', patched('context', { currency: 978 }), `${ctx}.currency must be a string (got 978)`, invalidContext],
    ['a context purpose as a boolean', patched('context', { purpose: true }), `${ctx}.purpose must be a string (got true)`, invalidContext],
    ['a context scope as a string', patched('context', { scope: 'payments:write' }), `${ctx}.scope must be a set (got "payments:write")`, /context, type mismatch: value was expected to have type \[string\]/],
    ['a context scope holding a number', patched('context', { scope: ['payments:write', 7] }), `${ctx}.scope[1] must be a string (got 7)`, invalidContext],
    ['a context user as a number', patched('context', { user: 42 }), `${ctx}.user must be a User id (got 42)`, /context, expected a literal entity reference, but got `42`/],
    ['a context user as a record', patched('context', { user: { id: 'alice' } }), `${ctx}.user must be a User id (got an object)`, /context, expected a literal entity reference/],
    ['a context field the schema lacks', patched('context', { admin: true }), `${ctx} has an attribute "admin" the schema does not declare`, /record attribute `admin` should not exist/],
    ['a context amount beyond a Cedar Long', patched('context', { amount: 2 ** 63 }), 'context.amount must be an integer (Cedar Long)', /context\.amount must be an integer \(Cedar Long\)/],
    ['a resource without its owner', patched('resource', { owner: undefined }), 'resource.attributes (Payment) lacks the attribute "owner" the schema requires', /`Payment::"r-1"` to have attribute `owner`/],
    ['a resource amount as a string', patched('resource', { amount: '12500' }), 'resource.attributes (Payment).amount must be a Long (integer) (got "12500")', /attribute `amount` on `Payment::"r-1"`, type mismatch/],
    ['a resource owner as a boolean', patched('resource', { owner: false }), 'resource.attributes (Payment).owner must be a User id (got false)', /Payment::"r-1"/],
    ['a resource with an attribute the schema lacks', patched('resource', { admin: true }), 'resource.attributes (Payment) has an attribute "admin" the schema does not declare', /attribute `admin` on `Payment::"r-1"` should not exist/],
    ['a context on an action that declares none', { ...dataKey(PAYMENTS, 'POST /v1/unwrap'), context: { extra: 1 } }, 'context of "POST /v1/unwrap" has an attribute "extra" the schema does not declare', /record attribute `extra` should not exist/],
    ['a data key purpose as a number', patched('resource', { purpose: 7 }, dataKey(PAYMENTS, 'POST /v1/unwrap')), 'resource.attributes (DataKey).purpose must be a string (got 7)', /attribute `purpose` on `DataKey::"card"`, type mismatch/],
  ];
  it.each(shapes)('%s', (_name, req, message, cedarMessage) => {
    const res = engine.decide(req);
    expect({ decision: res.decision, policyIds: res.policyIds }).toEqual({ decision: 'deny', policyIds: [] });
    expect(res.errors.join('\n')).toContain(message);
    const reference = byCedar.decide(req);
    expect({ decision: reference.decision, policyIds: reference.policyIds }, 'Cedar-validated decision').toEqual({ decision: 'deny', policyIds: [] });
    expect(reference.errors.join('\n')).toMatch(cedarMessage);
  });

  it('reports every problem of a malformed request, not the first', () => {
    const res = engine.decide({ principal: 'nope', action: '', resource: { type: '', id: '', attributes: {} }, context: {} } as DecisionRequest);
    expect(res.errors.length).toBeGreaterThanOrEqual(4);
  });
});

describe('who judges a request against the schema', () => {
  const schemaWith = (extra: string) => parseSchema(`entity Service; entity Doc = { size: Long${extra} };\naction "GET /docs" appliesTo { principal: [Service], resource: [Doc], context: {} };`, 'test.cedarschema');
  const docPolicy = { 'docs.cedar': '@id("read-small") permit (principal, action == Action::"GET /docs", resource) when { resource.size < 10 };' };
  const docRequest = (attributes: Record<string, DecisionValue>): DecisionRequest => ({ principal: GATEWAY, action: 'GET /docs', resource: { type: 'Doc', id: 'd', attributes }, context: {} });

  it('the shaper judges the mesh schema entirely, so Cedar validates no request on the hot path', () => {
    const shaper = new RequestShaper(store.current().schema.json, userEntities(DEMO_USERS));
    expect({ judgesTypes: shaper.judgesTypes, unjudged: shaper.unjudged }).toEqual({ judgesTypes: true, unjudged: [] });
  });

  it('a schema with an extension type is left to Cedar’s validation, which still refuses a wrong value', () => {
    const schema = schemaWith(', limit: decimal');
    const shaper = new RequestShaper(schema.json, []);
    expect(shaper.judgesTypes).toBe(false);
    expect(shaper.unjudged.join('\n')).toMatch(/decimal/);
    const compiled = compilePolicySet(docPolicy, schema);
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.problems));
    const docs = new PdpEngine({ policies: { current: () => compiled.set }, entities: [] });
    const refused = docs.decide(docRequest({ size: 3, limit: 'lots' }));
    expect(refused.decision).toBe('deny');
    expect(refused.errors.join('\n')).toMatch(/limit/);
    expect(docs.decide(docRequest({ size: 3, limit: { __extn: { fn: 'decimal', arg: '1.5' } } } as unknown as Record<string, DecisionValue>)).decision).toBe('allow');
  });

  it('optional and open attributes are judged as the schema declares them', () => {
    const schema = parseSchema('entity Service; type Extra = { note?: String }; entity Doc = { size: Long, tags?: Set<String> };\naction "GET /docs" appliesTo { principal: [Service], resource: [Doc], context: Extra };', 'test.cedarschema');
    const compiled = compilePolicySet(docPolicy, schema);
    if (!compiled.ok) throw new Error(JSON.stringify(compiled.problems));
    for (const requestValidation of ['shaper', 'cedar'] as const) {
      const docs = new PdpEngine({ policies: { current: () => compiled.set }, entities: [], requestValidation });
      expect(docs.decide(docRequest({ size: 3 })).decision, requestValidation).toBe('allow');
      expect(docs.decide({ ...docRequest({ size: 3, tags: ['a'] }), context: { note: 'n' } }).decision, requestValidation).toBe('allow');
      expect(docs.decide(docRequest({ size: 3, tags: 'a' })).decision, requestValidation).toBe('deny');
      expect(docs.decide({ ...docRequest({ size: 3 }), context: { note: 1 } }).decision, requestValidation).toBe('deny');
    }
  });

  it('a directory that does not fit the schema denies every decision, naming the entry', () => {
    const bad = new PdpEngine({ policies: store, entities: [{ uid: { type: 'User', id: 'alice' }, attrs: { limit: 'high' }, parents: [] }] });
    const res = bad.decide(request());
    expect(res.decision).toBe('deny');
    expect(res.errors.join('\n')).toMatch(/^directory: .*alice/m);
  });

  it('refuses an unknown requestValidation', () => {
    expect(() => new PdpEngine({ policies: store, requestValidation: 'none' as 'cedar' })).toThrow(/requestValidation must be "shaper" or "cedar"/);
  });
});
