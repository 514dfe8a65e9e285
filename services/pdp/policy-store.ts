/**
 * The PDP's policy store: one validated policy set in force, the versions
 * before it (for rollback), and an audit record for every load, update and
 * rollback. An invalid update is refused with every problem and the last good
 * set stays in force.
 */
import { systemClock } from '../kit/clock.ts';
import type { Clock } from '../kit/clock.ts';
import { POLICY_ERROR_CODES, PolicyValidationError } from './errors.ts';
import { loadMeshSchema } from './mesh-schema.ts';
import type { CedarSchema } from './mesh-schema.ts';
import { compilePolicySet, policySetVersion } from './policy-compile.ts';
import type { CompiledPolicySet } from './policy-compile.ts';
import { labelUnder, readPolicyDirectory } from './policy-directory.ts';
import { formatProblem } from './policy-problem.ts';
import type { PolicyProblem } from './policy-problem.ts';

export interface PolicyAuditRecord {
  /** ISO 8601. */
  at: string;
  event: 'policy.load' | 'policy.update' | 'policy.rollback';
  outcome: 'accepted' | 'refused' | 'unchanged';
  /** Who asked: the caller's SPIFFE ID for admin pushes, "startup" for the initial load. */
  actor: string;
  /** The version in force before. */
  previousVersion: string | null;
  /** The version in force after. */
  version: string | null;
  /** What was proposed (the refused set's hash, or the rollback target). */
  candidateVersion: string | null;
  files: string[];
  problems: PolicyProblem[];
  message?: string;
}

export interface PolicyUpdateResult {
  accepted: boolean;
  /** The version in force after the call. */
  version: string;
  previousVersion: string;
  problems: PolicyProblem[];
  audit: PolicyAuditRecord;
}

export interface PolicyVersionInfo {
  version: string;
  /** Milliseconds since the epoch. */
  activatedAt: number;
  files: string[];
  policyIds: string[];
}

export interface PolicyStoreOptions {
  schema?: CedarSchema;
  clock?: Clock;
  /** Versions kept for rollback, the one in force included. */
  historyLimit?: number;
  /** Audit records kept in memory. */
  auditLimit?: number;
  /** How files are named in problems (e.g. with their directory). */
  label?: (file: string) => string;
  actor?: string;
}

export interface UpdateOptions {
  actor?: string;
  /** Keep files not named in the update; a null text removes a file. */
  merge?: boolean;
}

export interface RollbackOptions {
  actor?: string;
  /** Roll back to this version (it must be in the history); the previous one by default. */
  toVersion?: string;
}

interface Entry {
  set: CompiledPolicySet;
  activatedAt: number;
}

export class PolicyStore {
  readonly schema: CedarSchema;
  readonly #clock: Clock;
  readonly #historyLimit: number;
  readonly #auditLimit: number;
  readonly #label: ((file: string) => string) | undefined;
  #history: Entry[] = [];
  #audit: PolicyAuditRecord[] = [];
  #auditListeners = new Set<(record: PolicyAuditRecord) => void>();
  #changeListeners = new Set<(set: CompiledPolicySet) => void>();

  /** Throws PolicyValidationError (every problem listed) when the initial set is invalid: there is no last good set to keep. */
  constructor(files: Readonly<Record<string, string>>, options: PolicyStoreOptions = {}) {
    const problems: string[] = [];
    if (options.historyLimit !== undefined && !(Number.isInteger(options.historyLimit) && options.historyLimit >= 2)) problems.push(`historyLimit must be an integer >= 2 (got ${String(options.historyLimit)})`);
    if (options.auditLimit !== undefined && !(Number.isInteger(options.auditLimit) && options.auditLimit >= 1)) problems.push(`auditLimit must be an integer >= 1 (got ${String(options.auditLimit)})`);
    if (problems.length > 0) throw new TypeError(`PolicyStore: ${problems.join('; ')}`);
    this.schema = options.schema ?? loadMeshSchema();
    this.#clock = options.clock ?? systemClock;
    this.#historyLimit = options.historyLimit ?? 20;
    this.#auditLimit = options.auditLimit ?? 500;
    this.#label = options.label;
    const result = compilePolicySet(files, this.schema, this.#label ? { label: this.#label } : {});
    if (!result.ok) {
      throw new PolicyValidationError(POLICY_ERROR_CODES.invalid, `policy set refused:\n${result.problems.map(formatProblem).join('\n')}`, result.problems);
    }
    this.#history.push({ set: result.set, activatedAt: this.#clock.now() });
    this.#record({ event: 'policy.load', outcome: 'accepted', actor: options.actor ?? 'startup', previousVersion: null, version: result.set.version, candidateVersion: result.set.version, files: Object.keys(files).sort(), problems: [] });
  }

  /** Loads every *.cedar file in `dir`; problems name dir/file:line:column. */
  static async fromDirectory(dir: string, options: Omit<PolicyStoreOptions, 'label'> = {}): Promise<PolicyStore> {
    const files = await readPolicyDirectory(dir);
    return new PolicyStore(files, { ...options, label: labelUnder(dir) });
  }

  current(): CompiledPolicySet {
    return this.#history.at(-1)!.set;
  }

  get version(): string {
    return this.current().version;
  }

  /** Replaces the policy set (or merges into it); refused sets change nothing. */
  update(files: Readonly<Record<string, string | null>>, options: UpdateOptions = {}): PolicyUpdateResult {
    if (files === null || typeof files !== 'object' || Array.isArray(files)) throw new TypeError('PolicyStore.update: files must be an object mapping filename to policy text');
    const previous = this.current();
    const next: Record<string, string> = options.merge ? { ...previous.files } : {};
    for (const [name, text] of Object.entries(files)) {
      if (text === null && options.merge) delete next[name];
      else next[name] = text as string;
    }
    const actor = options.actor ?? 'unknown';
    const names = Object.keys(next).sort();
    if (safeVersion(next) === previous.version) {
      return this.#result(true, previous.version, [], { event: 'policy.update', outcome: 'unchanged', actor, previousVersion: previous.version, version: previous.version, candidateVersion: previous.version, files: names, problems: [] });
    }
    const compiled = compilePolicySet(next, this.schema, this.#label ? { label: this.#label } : {});
    if (!compiled.ok) {
      return this.#result(false, previous.version, compiled.problems, { event: 'policy.update', outcome: 'refused', actor, previousVersion: previous.version, version: previous.version, candidateVersion: safeVersion(next), files: names, problems: compiled.problems });
    }
    this.#activate(compiled.set);
    return this.#result(true, previous.version, [], { event: 'policy.update', outcome: 'accepted', actor, previousVersion: previous.version, version: compiled.set.version, candidateVersion: compiled.set.version, files: names, problems: [] });
  }

  /** Puts an earlier version back in force; the versions after it leave the history. */
  rollback(options: RollbackOptions = {}): PolicyUpdateResult {
    const previous = this.current();
    const actor = options.actor ?? 'unknown';
    const names = Object.keys(previous.files).sort();
    const index = options.toVersion === undefined ? this.#history.length - 2 : this.#history.findLastIndex((e) => e.set.version === options.toVersion);
    const refuse = (message: string) =>
      this.#result(false, previous.version, [], { event: 'policy.rollback', outcome: 'refused', actor, previousVersion: previous.version, version: previous.version, candidateVersion: options.toVersion ?? null, files: names, problems: [], message });
    if (options.toVersion === undefined && index < 0) return refuse('no previous policy version to roll back to');
    if (index < 0) return refuse(`version ${options.toVersion} is not in the policy history`);
    if (index === this.#history.length - 1) return refuse(`version ${options.toVersion} is already in force`);
    this.#history.length = index + 1;
    const restored = this.#history[index]!;
    restored.activatedAt = this.#clock.now();
    for (const listener of this.#changeListeners) listener(restored.set);
    return this.#result(true, previous.version, [], { event: 'policy.rollback', outcome: 'accepted', actor, previousVersion: previous.version, version: restored.set.version, candidateVersion: restored.set.version, files: Object.keys(restored.set.files).sort(), problems: [] });
  }

  /** Versions available for rollback, oldest first; the last one is in force. */
  history(): PolicyVersionInfo[] {
    return this.#history.map((e) => ({ version: e.set.version, activatedAt: e.activatedAt, files: Object.keys(e.set.files).sort(), policyIds: e.set.policies.map((p) => p.id) }));
  }

  auditLog(): readonly PolicyAuditRecord[] {
    return [...this.#audit];
  }

  /** Called with every audit record as it is made (the PDP writes them to its audit log). */
  onAudit(listener: (record: PolicyAuditRecord) => void): () => void {
    this.#auditListeners.add(listener);
    return () => this.#auditListeners.delete(listener);
  }

  /** Called whenever a different set comes into force. */
  onChange(listener: (set: CompiledPolicySet) => void): () => void {
    this.#changeListeners.add(listener);
    return () => this.#changeListeners.delete(listener);
  }

  #activate(set: CompiledPolicySet): void {
    this.#history.push({ set, activatedAt: this.#clock.now() });
    if (this.#history.length > this.#historyLimit) this.#history.splice(0, this.#history.length - this.#historyLimit);
    for (const listener of this.#changeListeners) listener(set);
  }

  #result(accepted: boolean, previousVersion: string, problems: PolicyProblem[], audit: Omit<PolicyAuditRecord, 'at'>): PolicyUpdateResult {
    const record = this.#record(audit);
    return { accepted, version: this.current().version, previousVersion, problems, audit: record };
  }

  #record(fields: Omit<PolicyAuditRecord, 'at'>): PolicyAuditRecord {
    const record: PolicyAuditRecord = { at: new Date(this.#clock.now()).toISOString(), ...fields };
    if (record.message === undefined) delete record.message;
    this.#audit.push(record);
    if (this.#audit.length > this.#auditLimit) this.#audit.splice(0, this.#audit.length - this.#auditLimit);
    for (const listener of this.#auditListeners) listener(record);
    return record;
  }
}

function safeVersion(files: Record<string, unknown>): string | null {
  return Object.values(files).every((t) => typeof t === 'string') ? policySetVersion(files as Record<string, string>) : null;
}
