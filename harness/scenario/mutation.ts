/**
 * Mutation mode: each mutant is a deliberate misconfiguration (a setting,
 * policy or code path broken the way a bad deploy would). Running the
 * scenarios against it must make at least one scenario fail; a mutant that
 * survives marks a control no scenario watches.
 */
import type { SourceRegion } from './meta.ts';
import type { ScenarioResult } from './result.ts';

export interface Mutant {
  /** Lower-case dotted/dashed id, e.g. mtls.client-auth-optional. */
  id: string;
  title: string;
  description: string;
  /** What it breaks, e.g. "requestCert: true, rejectUnauthorized: false on ledger". */
  fault: string;
  /** Where the broken setting lives (repository-relative file) for SARIF. */
  location: { uri: string; region?: SourceRegion; setting?: string };
}

export interface MutantResult {
  mutant: Mutant;
  /** Ids of the scenarios that failed with the mutant applied. */
  killedBy: string[];
  survived: boolean;
  /** The mutant could not be applied or reverted; it is neither killed nor survived. */
  error?: string;
  /** Wall time from applying the mutant to having reverted it. */
  durationMs?: number;
}

export interface MutationSummary {
  mutants: MutantResult[];
  /** killed / mutants, 0..1; 0 when there are no mutants. */
  killRate: number;
  /** Ids of surviving mutants. */
  survived: string[];
}

/**
 * Only 'failed' kills a mutant: a scenario that errors (for instance because
 * the mutant broke legitimate traffic) did not prove a security check noticed.
 */
export function mutantResult(mutant: Mutant, results: readonly ScenarioResult[]): MutantResult {
  const killedBy = results.filter((r) => r.outcome === 'failed').map((r) => r.id);
  return { mutant, killedBy, survived: killedBy.length === 0 };
}

export function mutantError(mutant: Mutant, message: string): MutantResult {
  return { mutant, killedBy: [], survived: false, error: message };
}

export function killRate(results: readonly MutantResult[]): number {
  if (results.length === 0) return 0;
  return results.filter((r) => !r.error && r.killedBy.length > 0).length / results.length;
}

export function summarizeMutation(results: readonly MutantResult[]): MutationSummary {
  return { mutants: [...results], killRate: killRate(results), survived: results.filter((r) => r.survived).map((r) => r.mutant.id) };
}

export interface MutationRunOptions {
  /** Applies the fault and returns how to undo it; when it throws it must leave nothing applied. */
  apply(mutant: Mutant, signal: AbortSignal | undefined): Promise<() => Promise<void>>;
  /** Runs the scenarios against the mutated mesh. */
  run(mutant: Mutant): Promise<readonly ScenarioResult[]>;
  signal?: AbortSignal;
  onMutantEnd?(result: MutantResult, position: { index: number; total: number }): void;
}

/** Applies each mutant in turn, runs the scenarios, always undoes the mutant. */
export async function runMutants(mutants: readonly Mutant[], options: MutationRunOptions): Promise<MutationSummary> {
  if (!Array.isArray(mutants)) throw new TypeError('runMutants: mutants must be an array');
  if (typeof options?.apply !== 'function' || typeof options.run !== 'function') throw new TypeError('runMutants: options.apply and options.run must be functions');
  const results: MutantResult[] = [];
  for (const [index, mutant] of mutants.entries()) {
    if (options.signal?.aborted) break;
    let result: MutantResult;
    let undo: (() => Promise<void>) | undefined;
    const started = performance.now();
    try {
      undo = await options.apply(mutant, options.signal);
      const runResults = await options.run(mutant);
      // A partial run proves nothing either way.
      result = options.signal?.aborted ? mutantError(mutant, 'run aborted') : mutantResult(mutant, runResults);
    } catch (error) {
      result = mutantError(mutant, `could not run: ${message(error)}`);
    }
    let reverted = true;
    if (undo) {
      try {
        await undo();
      } catch (error) {
        result = mutantError(mutant, `could not be reverted: ${message(error)}`);
        reverted = false;
      }
    }
    result.durationMs = Math.round(performance.now() - started);
    results.push(result);
    options.onMutantEnd?.(result, { index, total: mutants.length });
    // A mutant left in place would poison every later result.
    if (!reverted) break;
  }
  return summarizeMutation(results);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
