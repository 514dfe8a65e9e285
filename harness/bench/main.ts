/**
 * `npm run bench`: what the security costs, each figure measured side by side
 * with its baseline in the same run (ratios, never absolute pass/fail).
 *   node harness/bench/main.ts [handshake] [token-verify] [policy-decide] [mesh-startup] [--json FILE]
 */
import { writeFileSync } from 'node:fs';
import { printRows, type BenchRow } from './bench-row.ts';
import { benchHandshake } from './handshake.ts';
import { benchMeshStartup } from './mesh-startup.ts';
import { benchPolicyDecide } from './policy-decide.ts';
import { benchTokenVerify } from './token-verify.ts';

const BENCHES: Record<string, { title: string; run: () => Promise<BenchRow[]> }> = {
  handshake: { title: 'mTLS handshake and request cost (baseline: plaintext HTTP keep-alive)', run: () => benchHandshake() },
  'token-verify': { title: 'access-token verification (baseline: raw ECDSA P-256 verify)', run: () => benchTokenVerify() },
  'policy-decide': { title: 'policy decision (embedded pre-parsed, re-parsed, enforcer cache hit)', run: () => benchPolicyDecide() },
  'mesh-startup': { title: 'mesh start-up until every workload is healthy over mTLS', run: () => benchMeshStartup() },
};

const args = process.argv.slice(2);
const jsonAt = args.indexOf('--json');
const jsonFile = jsonAt >= 0 ? args[jsonAt + 1] : undefined;
const names = args.filter((a, i) => !a.startsWith('--') && (jsonAt < 0 || i !== jsonAt + 1));
const unknown = names.filter((n) => !(n in BENCHES));
if (unknown.length || (jsonAt >= 0 && !jsonFile)) {
  console.error(`usage: npm run bench -- [${Object.keys(BENCHES).join('] [')}] [--json FILE]${unknown.length ? `\nunknown bench: ${unknown.join(', ')}` : ''}`);
  process.exit(2);
}
const results: Record<string, BenchRow[]> = {};
for (const name of names.length ? names : Object.keys(BENCHES)) {
  const bench = BENCHES[name]!;
  results[name] = await bench.run();
  printRows(bench.title, results[name]);
}
console.log(`\nnode ${process.version} on ${process.platform}/${process.arch}, ${(await import('node:os')).cpus().length} cores`);
if (jsonFile) writeFileSync(jsonFile, JSON.stringify({ node: process.version, results }, null, 2));
