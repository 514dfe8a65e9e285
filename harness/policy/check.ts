/**
 * `meshgate policy check`: least-privilege analysis of a policy directory.
 * Validates it against the mesh schema, then decides the full matrix of
 * principals (every mesh workload, the operator, unknown IDs) × actions ×
 * representative resources and contexts, and reports every permit the
 * topology does not declare, every permit looser than the mesh contract on a
 * declared edge, wildcard scopes, policies that error, and declared edges no
 * policy permits.
 */
import { isAbsolute, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DecisionRequest } from '../../services/kit/pep/decision-types.ts';
import { PolicyDirectoryError, PolicyValidationError } from '../../services/pdp/errors.ts';
import { loadMeshSchema } from '../../services/pdp/mesh-schema.ts';
import { PdpEngine } from '../../services/pdp/pdp-engine.ts';
import { compilePolicySet } from '../../services/pdp/policy-compile.ts';
import type { PolicyInfo } from '../../services/pdp/policy-compile.ts';
import { readPolicyDirectory } from '../../services/pdp/policy-directory.ts';
import { formatProblem } from '../../services/pdp/policy-problem.ts';
import type { PolicyProblem } from '../../services/pdp/policy-problem.ts';
import { DEMO_USERS, userEntities } from '../../services/pdp/user-directory.ts';
import { spiffeIdFor } from '../../services/kit/spiffe.ts';
import { declaredEdges, OPERATOR_ID, SERVICE_NAMES, TOPOLOGY } from '../../services/topology.ts';
import { plural } from '../cli/plural.ts';
import { contractViolations } from './contract-violations.ts';
import { CEILING_PROBE_USER, policySamples } from './policy-samples.ts';
import type { Sample } from './policy-samples.ts';

const PACKAGE_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const DEFAULT_POLICY_DIR = resolve(PACKAGE_ROOT, 'services/pdp/policies');

/** Principals no policy may ever permit: a workload name the mesh does not have, and a foreign trust domain. */
export const UNKNOWN_PRINCIPALS: readonly string[] = ['spiffe://meshgate.test/unknown-workload', 'spiffe://elsewhere.test/gateway'];

export type PolicyFindingKind = 'undeclared_edge' | 'overbroad_condition' | 'wildcard_principal' | 'wildcard_action' | 'evaluation_error' | 'declared_edge_not_permitted';

export interface PolicyFinding {
  kind: PolicyFindingKind;
  /** The policy concerned; null only for declared_edge_not_permitted. */
  policyId: string | null;
  file: string | null;
  line: number | null;
  column: number | null;
  message: string;
  /** (principal, action) pairs the finding covers. */
  edges: { principal: string; action: string }[];
  /** One request that shows it. */
  example?: DecisionRequest;
}

export interface PolicyCheckReport {
  dir: string;
  schemaFile: string;
  /** Valid and no findings. */
  ok: boolean;
  valid: boolean;
  problems: PolicyProblem[];
  policyVersion: string | null;
  policies: { id: string; effect: 'permit' | 'forbid'; file: string; line: number; column: number }[];
  principals: string[];
  actions: string[];
  decisions: number;
  findings: PolicyFinding[];
}

export async function runPolicyCheck(dir: string = DEFAULT_POLICY_DIR): Promise<PolicyCheckReport> {
  if (typeof dir !== 'string' || dir === '') throw new TypeError('runPolicyCheck: dir must be a non-empty string');
  const schema = loadMeshSchema();
  const files = await readPolicyDirectory(dir);
  const label = (name: string) => displayPath(resolve(dir, name));
  const compiled = compilePolicySet(files, schema, { label });
  const principals = [...SERVICE_NAMES.map((s) => spiffeIdFor(s)), OPERATOR_ID, ...UNKNOWN_PRINCIPALS];
  const report: PolicyCheckReport = { dir: displayPath(resolve(dir)), schemaFile: displayPath(schema.file), ok: false, valid: compiled.ok, problems: [], policyVersion: null, policies: [], principals, actions: [], decisions: 0, findings: [] };

  const schemaActions = Object.keys(schema.json['']?.actions ?? {});
  const topologyActions = [...new Set(Object.values(TOPOLOGY).flatMap((routes) => routes.filter((r) => r.authorize).map((r) => r.action)))];
  const missing = topologyActions.filter((a) => !schemaActions.includes(a));
  const problems: PolicyProblem[] = missing.map((a) => ({ file: report.schemaFile, line: 1, column: 1, message: `topology action "${a}" (authorize: true) is not declared in the schema` }));
  if (!compiled.ok) problems.push(...compiled.problems);
  if (problems.length > 0) {
    report.valid = false;
    report.problems = problems;
    return report;
  }
  if (!compiled.ok) return report;
  const set = compiled.set;
  report.policyVersion = set.version;
  report.policies = set.policies.map((p) => ({ id: p.id, effect: p.effect, file: p.file, line: p.line, column: p.column }));
  report.actions = schemaActions;

  const users = [...DEMO_USERS, CEILING_PROBE_USER];
  const engine = new PdpEngine({ policies: { current: () => set }, entities: userEntities(users), newDecisionId: () => 'policy-check' });
  const byId = new Map(set.policies.map((p) => [p.id, p]));
  const declared = new Set(declaredEdges().map((e) => edgeKey(spiffeIdFor(e.caller), e.action)));
  const findings = new FindingSet(byId);
  const samples = policySamples(users);
  // Each action's context as the schema declares it (the transaction's claims, or nothing for kms' data-key routes).
  const contextKeys = (action: string) => {
    const context = schema.json['']?.actions[action]?.appliesTo?.context as { type?: string; attributes?: Record<string, unknown> } | undefined;
    const common = context?.type && context.type !== 'Record' ? (schema.json['']?.commonTypes?.[context.type] as { attributes?: Record<string, unknown> } | undefined) : context;
    return new Set(Object.keys(common?.attributes ?? {}));
  };
  const shapeKeys = (type: string) => {
    const def = schema.json['']?.entityTypes[type];
    const shape = def && 'shape' in def ? (def.shape as { attributes?: Record<string, unknown> } | undefined) : undefined;
    return new Set(Object.keys(shape?.attributes ?? {}));
  };

  for (const p of set.policies) {
    if (p.effect !== 'permit') continue;
    if (p.scope.principal.op === 'All' || p.scope.principal.op === 'is') findings.add('wildcard_principal', p.id, 'scope does not name its principal (any workload matches)', null);
    if (p.scope.action.op === 'All') findings.add('wildcard_action', p.id, 'scope does not name its actions (any action matches)', null);
  }

  for (const action of schemaActions) {
    const resourceTypes = schema.json['']?.actions[action]?.appliesTo?.resourceTypes ?? [];
    for (const principal of principals) {
      const isDeclared = declared.has(edgeKey(principal, action));
      let anyAllowed = false;
      for (const type of resourceTypes) {
        const keys = shapeKeys(type);
        for (const sample of samples) {
          const request = requestFor(principal, action, type, keys, contextKeys(action), sample);
          const response = engine.decide(request);
          report.decisions++;
          for (const error of response.errors) {
            const id = error.slice(0, error.indexOf(':'));
            findings.add('evaluation_error', byId.has(id) ? id : null, `evaluation error: ${error}`, { principal, action }, request);
          }
          if (response.decision !== 'allow') continue;
          anyAllowed = true;
          if (!isDeclared) {
            for (const id of response.policyIds) findings.add('undeclared_edge', id, 'permits an edge the topology does not declare', { principal, action }, request);
            continue;
          }
          for (const violation of contractViolations(action, sample, users)) {
            for (const id of response.policyIds) findings.add('overbroad_condition', id, `permits a declared edge although ${violation}`, { principal, action }, request);
          }
        }
      }
      if (isDeclared && !anyAllowed) findings.add('declared_edge_not_permitted', null, `declared edge ${principal} → ${action} is not permitted by any policy`, { principal, action });
    }
  }
  report.findings = findings.list();
  report.ok = report.findings.length === 0;
  return report;
}

function requestFor(principal: string, action: string, type: string, keys: Set<string>, contextKeys: Set<string>, s: Sample): DecisionRequest {
  const attributes: DecisionRequest['resource']['attributes'] = {};
  if (keys.has('amount')) attributes['amount'] = s.amount;
  if (keys.has('currency')) attributes['currency'] = s.currency;
  if (keys.has('owner')) attributes['owner'] = s.owner;
  if (keys.has('purpose')) attributes['purpose'] = s.keyPurpose;
  const txn: DecisionRequest['context'] = { user: s.user, scope: s.scope, purpose: s.purpose, amount: s.txnAmount, currency: s.txnCurrency };
  const context: DecisionRequest['context'] = {};
  for (const key of contextKeys) if (key in txn) context[key] = txn[key]!;
  return { principal, action, resource: { type, id: 'policy-check', attributes }, context, txn: 'policy-check' };
}

function edgeKey(principal: string, action: string): string {
  return `${principal}\u0000${action}`;
}

/** Groups findings by (kind, policy, message) and collects the edges each covers. */
class FindingSet {
  readonly #byKey = new Map<string, PolicyFinding>();
  readonly #policies: Map<string, PolicyInfo>;
  constructor(policies: Map<string, PolicyInfo>) {
    this.#policies = policies;
  }
  add(kind: PolicyFindingKind, policyId: string | null, message: string, edge: { principal: string; action: string } | null, example?: DecisionRequest): void {
    const key = `${kind}\u0000${policyId ?? ''}\u0000${message}`;
    let finding = this.#byKey.get(key);
    if (!finding) {
      const p = policyId === null ? undefined : this.#policies.get(policyId);
      finding = { kind, policyId, file: p?.file ?? null, line: p?.line ?? null, column: p?.column ?? null, message, edges: [] };
      if (example) finding.example = example;
      this.#byKey.set(key, finding);
    }
    if (edge && !finding.edges.some((e) => e.principal === edge.principal && e.action === edge.action)) finding.edges.push(edge);
  }
  list(): PolicyFinding[] {
    const order: PolicyFindingKind[] = ['undeclared_edge', 'wildcard_principal', 'wildcard_action', 'overbroad_condition', 'evaluation_error', 'declared_edge_not_permitted'];
    return [...this.#byKey.values()].sort((a, b) => order.indexOf(a.kind) - order.indexOf(b.kind) || (a.file ?? '').localeCompare(b.file ?? '') || (a.line ?? 0) - (b.line ?? 0));
  }
}

function displayPath(abs: string): string {
  const rel = relative(process.cwd(), abs);
  return rel === '' ? '.' : rel.startsWith('..') || isAbsolute(rel) ? abs : rel;
}

export interface CommandIo {
  stdout: { write(chunk: string): unknown };
  stderr: { write(chunk: string): unknown };
}

export const POLICY_CHECK_USAGE = `usage: meshgate policy check [--policies DIR] [--json]

Validates the policy directory against the mesh schema and reports every
permit the topology does not declare.

  --policies DIR  policy directory (default: services/pdp/policies in the package)
  --json          print the report as JSON
  -h, --help      show this help

exit codes: 0 clean, 1 findings, 2 usage or configuration error (invalid policies included)
`;

/** `meshgate policy check`; argv is what follows "policy check". */
export async function policyCheckCommand(argv: string[], io: CommandIo): Promise<number> {
  if (!Array.isArray(argv) || !argv.every((a) => typeof a === 'string')) throw new TypeError('policyCheckCommand: argv must be an array of strings');
  if (typeof io?.stdout?.write !== 'function' || typeof io?.stderr?.write !== 'function') throw new TypeError('policyCheckCommand: io must have stdout and stderr with write()');
  const errors: string[] = [];
  let dir: string | undefined;
  let json = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h' || arg === '--help') {
      io.stdout.write(POLICY_CHECK_USAGE);
      return 0;
    } else if (arg === '--json') json = true;
    else if (arg === '--policies' || arg.startsWith('--policies=')) {
      const value = arg === '--policies' ? argv[++i] : arg.slice('--policies='.length);
      if (value === undefined || value === '' || (arg === '--policies' && value.startsWith('--'))) errors.push('--policies needs a directory');
      else if (dir !== undefined) errors.push('--policies given more than once');
      else dir = value;
    } else if (arg.startsWith('-')) errors.push(`unknown option ${arg}`);
    else errors.push(`unexpected argument ${JSON.stringify(arg)}`);
  }
  if (errors.length > 0) {
    io.stderr.write(`meshgate policy check: ${errors.join('; ')}\n\n${POLICY_CHECK_USAGE}`);
    return 2;
  }
  let report: PolicyCheckReport;
  try {
    report = await runPolicyCheck(dir === undefined ? DEFAULT_POLICY_DIR : resolve(dir));
  } catch (error) {
    if (error instanceof PolicyDirectoryError) {
      io.stderr.write(`meshgate policy check: ${error.message} [${error.code}]\n`);
      return 2;
    }
    if (error instanceof PolicyValidationError) {
      io.stderr.write(`meshgate policy check: ${plural(error.problems.length, 'problem')} [${error.code}]\n${error.problems.map((p) => `  ${formatProblem(p)}\n`).join('')}`);
      return 2;
    }
    throw error;
  }
  if (json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  if (!report.valid) {
    io.stderr.write(`meshgate policy check: ${report.dir}: ${plural(report.problems.length, 'problem')}, policies refused\n${report.problems.map((p) => `  ${formatProblem(p)}\n`).join('')}`);
    return 2;
  }
  if (!json) io.stdout.write(renderText(report));
  return report.ok ? 0 : 1;
}

function renderText(report: PolicyCheckReport): string {
  const lines = [`policy check ${report.dir}: ${plural(report.policies.length, 'policy', 'policies')}, version ${report.policyVersion}, ${plural(report.decisions, 'decision')} over ${plural(report.principals.length, 'principal')} × ${plural(report.actions.length, 'action')}`];
  for (const f of report.findings) {
    const where = f.file === null ? '(topology)' : `${f.file}:${f.line}:${f.column}`;
    const id = f.policyId === null ? '' : ` [${f.policyId}]`;
    lines.push(`${where}: ${f.kind}${id} ${f.message}`);
    for (const e of f.edges.slice(0, 12)) lines.push(`    ${e.principal} → ${e.action}`);
    if (f.edges.length > 12) lines.push(`    … and ${f.edges.length - 12} more`);
  }
  lines.push(report.ok ? 'clean: every permit matches a declared edge within the mesh contract' : plural(report.findings.length, 'finding'));
  return `${lines.join('\n')}\n`;
}
