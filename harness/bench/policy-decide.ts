/**
 * What a policy decision costs: the embedded engine with the policy set
 * pre-parsed once per version, the same decision re-parsing policies and
 * schema every time, and a PolicyEnforcer cache hit.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Bench } from 'tinybench';
import { printRows, rowsOf, type BenchRow } from './bench-row.ts';
import { startTestCa } from '../mesh/in-process-ca.ts';
import { startPdpService } from '../../services/pdp/pdp-service.ts';
import { WorkloadIdentity } from '../../services/kit/identity/workload-identity.ts';
import { MeshClient } from '../../services/kit/mtls/client.ts';
import { isAuthorized } from '@cedar-policy/cedar-wasm/nodejs';
import { PolicyEnforcer } from '../../services/kit/pep/policy-enforcer.ts';
import { RequestShaper } from '../../services/pdp/cedar-request.ts';
import type { DecisionRequest } from '../../services/pdp/decision-types.ts';
import { MESH_SCHEMA_FILE } from '../../services/pdp/mesh-schema.ts';
import { PdpEngine } from '../../services/pdp/pdp-engine.ts';
import { PolicyStore } from '../../services/pdp/policy-store.ts';
import { DEMO_USERS, userEntities } from '../../services/pdp/user-directory.ts';
import { spiffeIdFor } from '../../services/kit/spiffe.ts';


const POLICY_DIR = new URL('../../services/pdp/policies/', import.meta.url);

const REQUEST: DecisionRequest = {
  principal: spiffeIdFor('gateway'),
  action: 'POST /payments',
  resource: { type: 'Payment', id: 'bench', attributes: { amount: 12_500, currency: 'EUR', owner: 'alice' } },
  context: { user: 'alice', scope: ['payments:write'], purpose: 'payment', amount: 12_500, currency: 'EUR', txn: 'bench-txn' },
};

export async function benchPolicyDecide(options: { timeMs?: number } = {}): Promise<BenchRow[]> {
  const timeMs = options.timeMs ?? 300;
  if (!Number.isFinite(timeMs) || timeMs <= 0) throw new TypeError(`benchPolicyDecide: timeMs must be a positive number (got ${String(timeMs)})`);
  const store = await PolicyStore.fromDirectory(fileURLToPath(POLICY_DIR));
  const engine = new PdpEngine({ policies: store });
  const set = store.current();
  const schemaText = readFileSync(MESH_SCHEMA_FILE, 'utf8');
  const shaped = new RequestShaper(set.schema.json, userEntities(DEMO_USERS)).shape(REQUEST);
  if (!shaped.ok) throw new Error(`bench request does not fit the schema: ${shaped.errors.join('; ')}`);
  const enforcer = new PolicyEnforcer({ decide: async (req) => engine.decide(req), cacheTtlMs: 60_000 });

  // Each path must reach the same decision, or the comparison is meaningless.
  const reparsed = isAuthorized({ ...shaped.parts, policies: { staticPolicies: { ...set.staticPolicies } }, schema: schemaText, validateRequest: true });
  const embedded = engine.decide(REQUEST);
  const viaPep = await enforcer.enforce(REQUEST);
  if (embedded.decision !== 'allow' || reparsed.type !== 'success' || reparsed.response.decision !== 'allow' || !viaPep.allow) {
    throw new Error('bench request is not allowed on every path; the reference policies or the bench request changed');
  }

  const bench = new Bench({ time: timeMs, warmupTime: Math.min(100, timeMs / 3), throws: true });
  bench.add('cedar decision, pre-parsed (PdpEngine)', () => {
    engine.decide(REQUEST);
  });
  bench.add('cedar decision, re-parsing policies and schema', () => {
    isAuthorized({ ...shaped.parts, policies: { staticPolicies: { ...set.staticPolicies } }, schema: schemaText, validateRequest: true });
  });
  bench.add('PolicyEnforcer cache hit', async () => {
    await enforcer.enforce(REQUEST);
  });
  // The remote path every workload uses: the PDP service over keep-alive mTLS.
  const remote = await startRemotePdp();
  bench.add('remote decision over mTLS (PDP service)', async () => {
    const res = await remote.client.request({ url: remote.url, method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(REQUEST), serverId: spiffeIdFor('pdp') });
    if (res.status !== 200) throw new Error(`remote decision answered ${res.status}`);
  });
  try {
    await bench.run();
  } finally {
    await remote.close();
  }
  return rowsOf(bench, 'cedar decision, pre-parsed (PdpEngine)');
}

async function startRemotePdp(): Promise<{ client: MeshClient; url: string; close(): Promise<void> }> {
  const ca = await startTestCa();
  const pdp = await startPdpService(ca.config('pdp'), ca.joinToken('pdp'));
  const operator = await WorkloadIdentity.enrol(ca.joinToken('gateway'), { caEnrolUrl: ca.ca.workload.config.caEnrolUrl, caUrl: ca.ca.workload.config.caUrl, bundlePem: ca.ca.authority.bundlePem });
  const client = new MeshClient({ credentials: operator.credentials });
  return {
    client,
    url: `${pdp.workload.server.url}/v1/decide`,
    close: async () => {
      client.close();
      await pdp.close();
      await ca.close();
    },
  };
}

if (import.meta.main) printRows('policy decision', await benchPolicyDecide());
