/**
 * The policy decision point: evaluates a DecisionRequest against the policy
 * set in force. Each version is pre-parsed once into Cedar's cache (keyed by
 * the version hash), so a decision does not re-parse policies or schema.
 * Requests are judged against the schema by the RequestShaper; Cedar's own
 * request validation runs only for a schema the shaper cannot fully judge.
 * Policies are always validated against the schema, when a set is compiled.
 */
import { randomUUID } from 'node:crypto';
import { preparsePolicySet, statefulIsAuthorized } from '@cedar-policy/cedar-wasm/nodejs';
import type { EntityJson } from '@cedar-policy/cedar-wasm/nodejs';
import { RequestShaper } from './cedar-request.ts';
import type { DecisionRequest, DecisionResponse } from '../kit/pep/decision-types.ts';
import { validateDecisionRequest } from '../kit/pep/decision-types.ts';
import type { CompiledPolicySet } from './policy-compile.ts';
import { DEMO_USERS, userEntities } from './user-directory.ts';

/** Where the engine reads the set in force; PolicyStore is one. */
export interface PolicySource {
  current(): CompiledPolicySet;
}

export interface PdpEngineOptions {
  policies: PolicySource;
  /** Entities the PDP knows on its own (the user directory); the demo users by default. */
  entities?: readonly EntityJson[];
  newDecisionId?: () => string;
  /**
   * Who judges a request's types against the schema: the shaper (the default, when it can judge
   * the whole schema) or Cedar's request and entity validation on every call (slower; the
   * reference the tests hold the shaper to).
   */
  requestValidation?: 'shaper' | 'cedar';
}

// Cedar's pre-parsed cache lives as long as the wasm instance: one per process.
const preparsed = new Set<string>();

export class PdpEngine {
  readonly #source: PolicySource;
  readonly #entities: readonly EntityJson[];
  readonly #newId: () => string;
  readonly #byCedar: boolean;
  #shaper: { schema: string; shaper: RequestShaper } | undefined;

  constructor(options: PdpEngineOptions) {
    if (typeof options?.policies?.current !== 'function') throw new TypeError('PdpEngine: options.policies must have a current() method returning the policy set in force');
    if (options.entities !== undefined && !Array.isArray(options.entities)) throw new TypeError('PdpEngine: options.entities must be an array of Cedar entities');
    if (options.newDecisionId !== undefined && typeof options.newDecisionId !== 'function') throw new TypeError('PdpEngine: options.newDecisionId must be a function');
    if (options.requestValidation !== undefined && options.requestValidation !== 'shaper' && options.requestValidation !== 'cedar') throw new TypeError(`PdpEngine: options.requestValidation must be "shaper" or "cedar" (got ${String(options.requestValidation)})`);
    this.#source = options.policies;
    this.#entities = options.entities ?? userEntities(DEMO_USERS);
    this.#newId = options.newDecisionId ?? randomUUID;
    this.#byCedar = options.requestValidation === 'cedar';
  }

  get policyVersion(): string {
    return this.#source.current().version;
  }

  /** Never throws on a bad request: it is denied with the reasons in `errors`. */
  decide(request: DecisionRequest): DecisionResponse {
    const set = this.#source.current();
    const deny = (errors: string[]): DecisionResponse => ({ decision: 'deny', policyIds: [], errors, policyVersion: set.version, decisionId: this.#newId() });
    const invalid = validateDecisionRequest(request);
    if (invalid.length > 0) return deny(invalid.map((p) => `request: ${p}`));
    const shaper = this.#shaperFor(set);
    const byCedar = this.#byCedar || !shaper.judgesTypes;
    // Cedar checks the directory on each call it validates; otherwise the shaper checked it once.
    if (!byCedar && shaper.directoryProblems.length > 0) return deny([...shaper.directoryProblems]);
    const shaped = shaper.shape(request, !byCedar);
    if (!shaped.ok) return deny(shaped.errors.map((p) => `request: ${p}`));
    if (!preparsed.has(set.version)) {
      const answer = preparsePolicySet(set.version, { staticPolicies: { ...set.staticPolicies } });
      if (answer.type === 'failure') return deny(answer.errors.map((e) => `policy set: ${e.message}`));
      preparsed.add(set.version);
    }
    const answer = byCedar
      ? statefulIsAuthorized({ ...shaped.parts, preparsedPolicySetId: set.version, preparsedSchemaName: set.schema.name, validateRequest: true })
      : statefulIsAuthorized({ ...shaped.parts, preparsedPolicySetId: set.version, validateRequest: false });
    if (answer.type === 'failure') return deny(answer.errors.map((e) => `request: ${e.message}`));
    const { decision, diagnostics } = answer.response;
    return {
      decision,
      policyIds: [...diagnostics.reason].sort(),
      errors: diagnostics.errors.map((e) => `${e.policyId}: ${e.error.message}`),
      policyVersion: set.version,
      decisionId: this.#newId(),
    };
  }

  #shaperFor(set: CompiledPolicySet): RequestShaper {
    if (this.#shaper?.schema !== set.schema.name) this.#shaper = { schema: set.schema.name, shaper: new RequestShaper(set.schema.json, this.#entities) };
    return this.#shaper.shaper;
  }
}
