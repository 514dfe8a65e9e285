/** The JSON run report: the source of truth every other format is rendered from. */
import { createHash } from 'node:crypto';
import { cleanLatency, type LatencyFigures } from '../scenario/latency.ts';
import type { MutationSummary } from '../scenario/mutation.ts';
import type { Outcome, ScenarioResult } from '../scenario/result.ts';
import { exitCodeFor, gatePassed } from './exit-code.ts';
import { readToolInfo, type ToolInfo } from './tool.ts';

export const REPORT_SCHEMA_VERSION = 1;

export type Verdict = 'pass' | 'fail';

export interface RunSummary {
  total: number;
  passed: number;
  failed: number;
  error: number;
  skipped: number;
}

/**
 * What the run covered. A run of part of the catalog (a selection) or in mutation mode must not be
 * mistaken for the full catalog by a consumer that closes findings absent from a later run.
 */
export interface RunScope {
  /** Scenarios in the whole catalog. */
  catalogScenarios: number;
  /** Every catalog scenario was selected. */
  fullCatalog: boolean;
  mutation: boolean;
  /** Stable name of what ran: catalog, catalog+mutation, selection-<sha256 of the ids, 12 hex>[+mutation]. */
  category: string;
}

export interface RunReport {
  schemaVersion: typeof REPORT_SCHEMA_VERSION;
  tool: ToolInfo;
  runId: string;
  startedAt: string;
  finishedAt: string;
  durationMs: number;
  verdict: Verdict;
  /** The run was interrupted (SIGINT); such a run never passes. */
  aborted: boolean;
  environment: { node: string; platform: string; engine: string };
  /** Latency of the unmodified mesh, same keys as each scenario's latency. */
  baseline: LatencyFigures;
  summary: RunSummary;
  scenarios: ScenarioResult[];
  mutation?: MutationSummary;
  scope: RunScope;
  /** Secrets found in the written reports themselves (each a location, never the secret); any fails the run. */
  reportLeaks: string[];
  exitCode: 0 | 1;
}

export interface RunReportInput {
  runId: string;
  startedAt: Date | string | number;
  finishedAt: Date | string | number;
  /** Launcher that ran the mesh, e.g. local or compose. */
  engine: string;
  scenarios: ScenarioResult[];
  baseline?: LatencyFigures;
  mutation?: MutationSummary;
  aborted?: boolean;
  reportLeaks?: string[];
  tool?: ToolInfo;
  environment?: Partial<RunReport['environment']>;
  /** Ids of the whole catalog; without it the run counts as a selection. */
  catalogIds?: readonly string[];
  /** The run was in mutation mode (also when no mutant got to run). */
  mutate?: boolean;
}

function toDate(value: Date | string | number, field: string, problems: string[]): Date {
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) problems.push(`${field} must be a date, an ISO string or epoch milliseconds (got ${JSON.stringify(value)})`);
  return date;
}

export function summarize(scenarios: readonly Pick<ScenarioResult, 'outcome'>[]): RunSummary {
  const count = (o: Outcome): number => scenarios.filter((s) => s.outcome === o).length;
  return { total: scenarios.length, passed: count('passed'), failed: count('failed'), error: count('error'), skipped: count('skipped') };
}

export function runScope(ran: readonly string[], catalogIds: readonly string[] | undefined, mutation: boolean): RunScope {
  const ranSet = new Set(ran);
  const fullCatalog = catalogIds !== undefined && catalogIds.length > 0 && catalogIds.every((id) => ranSet.has(id));
  const base = fullCatalog ? 'catalog' : `selection-${createHash('sha256').update([...ranSet].sort().join('\n')).digest('hex').slice(0, 12)}`;
  return { catalogScenarios: catalogIds?.length ?? ranSet.size, fullCatalog, mutation, category: mutation ? `${base}+mutation` : base };
}

export function buildRunReport(input: RunReportInput): RunReport {
  const problems: string[] = [];
  if (input === null || typeof input !== 'object') throw new TypeError('buildRunReport: input must be an object');
  if (typeof input.runId !== 'string' || input.runId === '') problems.push('runId must be a non-empty string');
  if (typeof input.engine !== 'string' || input.engine === '') problems.push('engine must be a non-empty string');
  if (!Array.isArray(input.scenarios)) problems.push('scenarios must be an array of scenario results');
  const started = toDate(input.startedAt, 'startedAt', problems);
  const finished = toDate(input.finishedAt, 'finishedAt', problems);
  if (problems.length > 0) throw new TypeError(`buildRunReport: ${problems.join('; ')}`);

  const aborted = input.aborted ?? input.scenarios.some((s) => s.aborted === true);
  const reportLeaks = input.reportLeaks ?? [];
  const gate = { scenarios: input.scenarios, aborted, reportLeaks, ...(input.mutation ? { mutation: input.mutation } : {}) };
  const report: RunReport = {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: input.tool ?? readToolInfo(),
    runId: input.runId,
    startedAt: started.toISOString(),
    finishedAt: finished.toISOString(),
    durationMs: Math.max(0, finished.getTime() - started.getTime()),
    verdict: gatePassed(gate) ? 'pass' : 'fail',
    aborted,
    environment: {
      node: input.environment?.node ?? process.version,
      platform: input.environment?.platform ?? `${process.platform}-${process.arch}`,
      engine: input.environment?.engine ?? input.engine,
    },
    baseline: cleanLatency(input.baseline ?? {}),
    summary: summarize(input.scenarios),
    scenarios: input.scenarios,
    scope: runScope(input.scenarios.map((s) => s.id), input.catalogIds, input.mutate ?? input.mutation !== undefined),
    reportLeaks,
    exitCode: exitCodeFor(gate),
  };
  if (input.mutation) report.mutation = input.mutation;
  return report;
}
