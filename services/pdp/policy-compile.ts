/**
 * Turns a map {filename: text} into a policy set Cedar can evaluate, or into
 * the complete list of problems (file, line, column, Cedar's message).
 */
import { createHash } from 'node:crypto';
import { checkParsePolicySet, policyToJson, validate } from '@cedar-policy/cedar-wasm/nodejs';
import type { ActionConstraint, PrincipalConstraint, ResourceConstraint } from '@cedar-policy/cedar-wasm/nodejs';
import { problemsFromCedar } from './cedar-diagnostics.ts';
import type { ProblemOrigin } from './cedar-diagnostics.ts';
import type { CedarSchema } from './mesh-schema.ts';
import type { PolicyProblem } from './policy-problem.ts';
import { splitStatements } from './policy-text.ts';
import { positionOfIndex } from './source-position.ts';

export const POLICY_FILE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]*\.cedar$/;
const POLICY_ID = /^[A-Za-z0-9][A-Za-z0-9._:\-]*$/;

export interface PolicyInfo {
  /** The policy's @id annotation; Cedar reports decisions with it. */
  id: string;
  effect: 'permit' | 'forbid';
  /** File label (as given by `label`) and 1-based position of the policy's first token. */
  file: string;
  line: number;
  column: number;
  text: string;
  scope: { principal: PrincipalConstraint; action: ActionConstraint; resource: ResourceConstraint };
}

export interface CompiledPolicySet {
  /** sha256 over the files sorted by name (name and content). */
  version: string;
  files: Readonly<Record<string, string>>;
  policies: readonly PolicyInfo[];
  /** Policy id → text, the form Cedar is given. */
  staticPolicies: Readonly<Record<string, string>>;
  schema: CedarSchema;
  /** Validator warnings; they do not refuse the set. */
  warnings: readonly PolicyProblem[];
}

export type CompileResult = { ok: true; set: CompiledPolicySet } | { ok: false; problems: PolicyProblem[] };

export interface CompileOptions {
  /** How a file is named in problems and findings (e.g. its path); the bare filename by default. */
  label?: (file: string) => string;
}

export function policySetVersion(files: Readonly<Record<string, string>>): string {
  const hash = createHash('sha256');
  for (const name of Object.keys(files).sort()) hash.update(name).update('\0').update(files[name]!).update('\0');
  return `sha256:${hash.digest('hex')}`;
}

export function compilePolicySet(files: Readonly<Record<string, string>>, schema: CedarSchema, options: CompileOptions = {}): CompileResult {
  if (files === null || typeof files !== 'object' || Array.isArray(files)) throw new TypeError('compilePolicySet: files must be an object mapping filename to policy text');
  const label = options.label ?? ((f: string) => f);
  const problems: PolicyProblem[] = [];
  const policies: PolicyInfo[] = [];
  const firstById = new Map<string, PolicyInfo>();
  const origins = new Map<string, ProblemOrigin>();
  const resourceTypes = resourceTypesOf(schema);

  for (const name of Object.keys(files).sort()) {
    const text = files[name];
    const file = label(name);
    if (!POLICY_FILE_NAME.test(name)) problems.push({ file, line: 1, column: 1, message: `file name "${name}" is not allowed: use letters, digits, ".", "_" or "-" and end in .cedar (no directories)` });
    if (typeof text !== 'string') {
      problems.push({ file, line: 1, column: 1, message: `content must be a string (got ${text === null ? 'null' : typeof text})` });
      continue;
    }
    for (const statement of splitStatements(text)) {
      const origin: ProblemOrigin = { file, fileText: text, sliceText: statement.text, sliceStart: statement.start };
      const at = positionOfIndex(text, statement.start);
      const parsed = checkParsePolicySet({ staticPolicies: statement.text });
      if (parsed.type === 'failure') {
        problems.push(...problemsFromCedar(parsed.errors, origin));
        continue;
      }
      const json = policyToJson(statement.text);
      if (json.type === 'failure') {
        problems.push(...problemsFromCedar(json.errors, origin));
        continue;
      }
      const id = json.json.annotations?.['id'];
      if (id === undefined) {
        problems.push({ file, ...at, message: 'policy has no @id("...") annotation; every policy needs one so decisions can name it' });
        continue;
      }
      if (!POLICY_ID.test(id)) {
        problems.push({ file, ...at, policyId: id, message: `@id "${id}" is not allowed: use letters, digits, ".", "_", ":" or "-"` });
        continue;
      }
      const named = resourcesNamedById(json.json, resourceTypes);
      if (named.length > 0) {
        problems.push({ file, ...at, policyId: id, message: `policy names ${named.map((e) => `${e.type}::"${e.id}"`).join(', ')}: a policy may decide on a resource's attributes, not on its id (enforcers cache a decision for every resource of the same shape)` });
        continue;
      }
      const info: PolicyInfo = {
        id,
        effect: json.json.effect,
        file,
        ...at,
        text: statement.text,
        scope: { principal: json.json.principal, action: json.json.action, resource: json.json.resource },
      };
      const first = firstById.get(id);
      if (first) {
        problems.push({ file, ...at, policyId: id, message: `duplicate @id "${id}" (first at ${first.file}:${first.line}:${first.column})` });
        continue;
      }
      firstById.set(id, info);
      origins.set(id, { ...origin, policyId: id });
      policies.push(info);
    }
  }

  const staticPolicies: Record<string, string> = {};
  for (const p of policies) staticPolicies[p.id] = p.text;
  const warnings: PolicyProblem[] = [];
  if (policies.length > 0) {
    const answer = validate({ schema: schema.text, policies: { staticPolicies }, validationSettings: { mode: 'strict' } });
    if (answer.type === 'failure') {
      problems.push(...problemsFromCedar(answer.errors, { file: schema.file, fileText: schema.text, sliceText: schema.text, sliceStart: 0 }));
    } else {
      for (const e of answer.validationErrors) problems.push(...locate(e.policyId, e.error));
      for (const w of answer.validationWarnings) warnings.push(...locate(w.policyId, w.error));
    }
  }
  if (problems.length > 0) return { ok: false, problems: sortProblems(problems) };
  return { ok: true, set: { version: policySetVersion(files), files: { ...files }, policies, staticPolicies, schema, warnings } };

  function locate(policyId: string, error: Parameters<typeof problemsFromCedar>[0][number]): PolicyProblem[] {
    const origin = origins.get(policyId);
    if (!origin) return [{ file: '(policy set)', line: 1, column: 1, policyId, message: error.message }];
    return problemsFromCedar([error], { ...origin, policyId });
  }
}

function sortProblems(problems: PolicyProblem[]): PolicyProblem[] {
  return problems.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : a.line - b.line || a.column - b.column));
}

/** Every entity type some action applies to as its resource. */
function resourceTypesOf(schema: CedarSchema): Set<string> {
  const types = new Set<string>();
  for (const ns of Object.values(schema.json)) for (const action of Object.values(ns.actions ?? {})) for (const t of action.appliesTo?.resourceTypes ?? []) types.add(t);
  return types;
}

/** Entity literals of a resource type anywhere in a policy's JSON form (scope or condition). */
function resourcesNamedById(node: unknown, resourceTypes: Set<string>, found: Array<{ type: string; id: string }> = []): Array<{ type: string; id: string }> {
  if (Array.isArray(node)) for (const child of node) resourcesNamedById(child, resourceTypes, found);
  else if (node !== null && typeof node === 'object') {
    const { type, id } = node as { type?: unknown; id?: unknown };
    if (typeof type === 'string' && typeof id === 'string' && resourceTypes.has(type)) found.push({ type, id });
    for (const child of Object.values(node)) resourcesNamedById(child, resourceTypes, found);
  }
  return found;
}
