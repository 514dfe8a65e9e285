/**
 * The policy enforcement point every workload uses. Asks the PDP (remote or
 * embedded), caches allow decisions for at most the staleness bound, drops the
 * cache when the policy version changes, and fails closed: no answer in time
 * is pdp_unavailable, an unusable answer is pdp_error, both deny.
 */
import type { DecisionRequest, DecisionResponse } from './decision-types.ts';
import { validateDecisionResponse } from './decision-types.ts';
import { systemClock } from '../clock.ts';
import type { Clock } from '../clock.ts';
import type { PolicyReason } from '../reasons.ts';
import { canonicalJson } from './canonical-json.ts';
import { DecisionCache } from './decision-cache.ts';
import type { DecisionCacheStats } from './decision-cache.ts';
import { PdpAnswerError } from './pdp-answer-error.ts';

export type DecideFn = (request: DecisionRequest, signal: AbortSignal) => Promise<DecisionResponse>;

export interface PolicyEnforcerOptions {
  decide: DecideFn;
  /** Staleness bound: a cached decision is never older than this. 0 disables caching. */
  cacheTtlMs?: number;
  cacheMaxEntries?: number;
  /** A PDP slower than this counts as unavailable. */
  timeoutMs?: number;
  /** Clock for cache ages; timeouts use real timers. */
  clock?: Clock;
  /** Breaks the control on purpose (mutation testing): unavailable/error become allow. Never set it otherwise. */
  failOpen?: boolean;
}

export interface EnforcementResult {
  allow: boolean;
  reason?: PolicyReason;
  decisionId?: string;
  policyIds: string[];
  policyVersion?: string;
  cached: boolean;
  latencySeconds: number;
  /** What went wrong reaching or reading the PDP, for logs; never holds request data. */
  detail?: string;
}

export interface PolicyEnforcerSettings {
  cacheTtlMs: number;
  cacheMaxEntries: number;
  timeoutMs: number;
  failOpen: boolean;
}

export const DEFAULT_CACHE_TTL_MS = 5_000;
export const DEFAULT_CACHE_MAX_ENTRIES = 1_000;
export const DEFAULT_PDP_TIMEOUT_MS = 250;

interface Cached {
  response: DecisionResponse;
}

export class PolicyEnforcer {
  readonly #decide: DecideFn;
  readonly #cache: DecisionCache<Cached>;
  readonly #timeoutMs: number;
  readonly #failOpen: boolean;
  #policyVersion: string | undefined;
  #versionChanges = 0;

  constructor(options: PolicyEnforcerOptions) {
    const problems: string[] = [];
    if (typeof options?.decide !== 'function') problems.push('decide must be a function (request, signal) => Promise<DecisionResponse>');
    const ttl = options?.cacheTtlMs ?? DEFAULT_CACHE_TTL_MS;
    const max = options?.cacheMaxEntries ?? DEFAULT_CACHE_MAX_ENTRIES;
    const timeout = options?.timeoutMs ?? DEFAULT_PDP_TIMEOUT_MS;
    if (typeof ttl !== 'number' || !Number.isFinite(ttl) || ttl < 0) problems.push(`cacheTtlMs must be a finite number >= 0 (got ${String(ttl)})`);
    if (!Number.isInteger(max) || max < 0) problems.push(`cacheMaxEntries must be an integer >= 0 (got ${String(max)})`);
    if (typeof timeout !== 'number' || !Number.isFinite(timeout) || timeout <= 0) problems.push(`timeoutMs must be a finite number > 0 (got ${String(timeout)})`);
    if (options?.failOpen !== undefined && typeof options.failOpen !== 'boolean') problems.push(`failOpen must be a boolean (got ${typeof options.failOpen})`);
    if (options?.clock !== undefined && typeof options.clock?.now !== 'function') problems.push('clock must have a now() method');
    if (problems.length > 0) throw new TypeError(`PolicyEnforcer: ${problems.join('; ')}`);
    this.#decide = options.decide;
    this.#cache = new DecisionCache({ maxEntries: max, ttlMs: ttl, clock: options.clock ?? systemClock });
    this.#timeoutMs = timeout;
    this.#failOpen = options.failOpen ?? false;
  }

  settings(): PolicyEnforcerSettings {
    return { cacheTtlMs: this.#cache.ttlMs, cacheMaxEntries: this.#cache.maxEntries, timeoutMs: this.#timeoutMs, failOpen: this.#failOpen };
  }

  /** The staleness bound, in seconds, for reports. */
  get stalenessBoundSeconds(): number {
    return this.#cache.ttlMs / 1000;
  }

  /** The policy version last learned (from a response or onPolicyVersion). */
  get policyVersion(): string | undefined {
    return this.#policyVersion;
  }

  cacheStats(): DecisionCacheStats & { versionChanges: number } {
    return { ...this.#cache.stats(), versionChanges: this.#versionChanges };
  }

  /** Tells the enforcer which policy version is in force; a different one drops every cached decision. */
  onPolicyVersion(version: string): void {
    if (typeof version !== 'string' || version === '') throw new TypeError(`PolicyEnforcer.onPolicyVersion: version must be a non-empty string (got ${typeof version === 'string' ? '""' : typeof version})`);
    this.#learnVersion(version);
  }

  async enforce(request: DecisionRequest): Promise<EnforcementResult> {
    const started = performance.now();
    const seconds = () => (performance.now() - started) / 1000;
    // Cedar sees neither the transaction id nor the trace ids, and the policy compiler refuses
    // policies that name a resource by id, so the key is what can change a decision.
    const key = canonicalJson([request.principal, request.action, request.resource.type, request.resource.attributes, request.context]);
    const hit = this.#cache.get(key);
    if (hit && hit.response.policyVersion === this.#policyVersion) return this.#fromResponse(hit.response, true, seconds());

    const controller = new AbortController();
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<'timeout'>((resolve) => {
      timer = setTimeout(() => resolve('timeout'), this.#timeoutMs);
    });
    let outcome: DecisionResponse | 'timeout';
    try {
      outcome = await Promise.race([this.#decide(request, controller.signal), timedOut]);
    } catch (error) {
      clearTimeout(timer);
      const reason: PolicyReason = error instanceof PdpAnswerError ? 'pdp_error' : 'pdp_unavailable';
      return this.#failure(reason, describeError(error), seconds());
    }
    clearTimeout(timer);
    if (outcome === 'timeout') {
      controller.abort();
      return this.#failure('pdp_unavailable', `no decision within ${this.#timeoutMs} ms`, seconds());
    }
    const problems = validateDecisionResponse(outcome);
    if (problems.length > 0) return this.#failure('pdp_error', `bad decision response: ${problems.join('; ')}`, seconds());
    this.#learnVersion(outcome.policyVersion);
    if (outcome.errors.length > 0) {
      const result = this.#failure('pdp_error', `PDP reported ${outcome.errors.length} error(s)`, seconds());
      result.decisionId = outcome.decisionId;
      result.policyVersion = outcome.policyVersion;
      return result;
    }
    // Only allows are cached: every refusal is decided, and logged, by the PDP itself.
    if (outcome.decision === 'allow') this.#cache.set(key, { response: outcome });
    return this.#fromResponse(outcome, false, seconds());
  }

  #learnVersion(version: string): void {
    if (version === this.#policyVersion) return;
    if (this.#policyVersion !== undefined) this.#versionChanges++;
    this.#policyVersion = version;
    this.#cache.clear();
  }

  #fromResponse(response: DecisionResponse, cached: boolean, latencySeconds: number): EnforcementResult {
    const result: EnforcementResult = {
      allow: response.decision === 'allow',
      decisionId: response.decisionId,
      policyIds: [...response.policyIds],
      policyVersion: response.policyVersion,
      cached,
      latencySeconds,
    };
    if (!result.allow) result.reason = 'pdp_denied';
    return result;
  }

  #failure(reason: PolicyReason, detail: string, latencySeconds: number): EnforcementResult {
    return { allow: this.#failOpen, reason, policyIds: [], cached: false, latencySeconds, detail };
  }
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    const cause = (error as { cause?: { code?: unknown } }).cause?.code;
    return [error.name, typeof code === 'string' ? code : typeof cause === 'string' ? cause : undefined, error.message].filter(Boolean).join(': ');
  }
  return String(error);
}
