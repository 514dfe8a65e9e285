/**
 * The security gate: boot the mesh once, measure the healthy baseline, run the
 * selected scenarios (and, with --mutate, every misconfiguration against them),
 * write every report format, and stop everything, also on Ctrl-C.
 */
import { mkdirSync, readdirSync, type Dirent } from 'node:fs';
import { join } from 'node:path';
import { describeHit, LeakScanner } from '../collectors/leak-scanner.ts';
import { plantedCanaries, type Canary } from '../collectors/canaries.ts';
import { SAMPLE_CARD_NUMBER } from '../actors/payment.ts';
import { buildRunReport, type RunReport } from '../report/run-report.ts';
import { writeReports, type ReportFormat } from '../report/write.ts';
import { loadCatalog, selectScenarios, type Selection } from '../scenario/catalog.ts';
import { newRunId } from '../scenario/correlation.ts';
import type { AnyScenario } from '../scenario/define.ts';
import { runScenarios, type EngineOptions } from '../scenario/engine.ts';
import { runMutants, type MutationSummary } from '../scenario/mutation.ts';
import type { ScenarioResult } from '../scenario/result.ts';
import type { ServiceName } from '../../services/topology.ts';
import type { SecuritySettings } from '../../services/kit/workload/settings.ts';
import { LifecycleJournal } from '../engine/lifecycle-journal.ts';
import { removeStateSecrets } from '../mesh/state-secrets.ts';
import type { OtlpForwarding } from '../collectors/otlp-forwarding.ts';
import { ScenarioSpans } from './scenario-spans.ts';
import { GateSession } from './gate-session.ts';
import type { MeshContext } from './mesh-context.ts';
import { MUTANTS, type MeshMutant } from './mutants.ts';
import { BASELINE_PROBE, latencyDeltas, latencyFigures, mergeSamples } from './latency-probe.ts';
import { publishToGithubActions } from '../report/github-actions.ts';

export interface GateOptions {
  reportDir: string;
  formats: readonly ReportFormat[];
  mutate: boolean;
  signal?: AbortSignal;
  /** Settings the mesh boots with (tests use it to break a control on purpose). */
  settings?: Partial<Record<ServiceName, Partial<SecuritySettings>>>;
  scenarioDir?: string;
  /** Drive the mesh `meshgate up` runs in this state folder instead of booting one; it stays up. */
  attach?: string;
  /** Where a mesh booted for the run runs: local processes (default) or a compose project's containers. */
  engine?: 'local' | 'compose';
  /** Forward every span of the mesh and the gate to the user's collector (a mesh booted for the run). */
  otlpForwarding?: OtlpForwarding;
  /** Progress hooks handed to the engine for the gate's scenarios (not for mutation runs). */
  progress?: Pick<EngineOptions<MeshContext>, 'onScenarioStart' | 'onPhase' | 'onScenarioEnd'>;
  onMutantEnd?: (id: string, killedBy: string[], survived: boolean, error?: string) => void;
  log?: (line: string) => void;
  /** Where GITHUB_ACTIONS and GITHUB_STEP_SUMMARY are read (default process.env). */
  env?: NodeJS.ProcessEnv;
}

export interface GateOutcome {
  report: RunReport;
  written: string[];
  /** Secrets found in the written reports themselves (each a location, never the secret). */
  reportLeaks: string[];
  exitCode: 0 | 1;
}

/** Loads and filters the catalog; throws usage errors (exit 2) before anything starts. */
export async function selectGate(selection: Selection, scenarioDir?: string): Promise<AnyScenario[]> {
  const catalog = await loadCatalog(scenarioDir);
  return selectScenarios(catalog, selection);
}

async function runMutation(session: GateSession, journal: LifecycleJournal, catalog: readonly AnyScenario[], engine: EngineOptions<MeshContext>, options: GateOptions): Promise<MutationSummary> {
  const byId = new Map(catalog.map((s) => [s.meta.id, s]));
  // A killer that names no scenario would silently fall back to the whole catalog: refuse it.
  const unknown = MUTANTS.flatMap((m) => m.killers.filter((id) => !byId.has(id)).map((id) => `${m.id} → ${id}`));
  if (unknown.length) throw new Error(`mutants name killer scenarios that do not exist: ${unknown.join(', ')}`);
  const runIdFor = (mutantId: string) => `${engine.runId}_${mutantId.replace(/\./g, '-')}`;
  return runMutants(MUTANTS, {
    ...(options.signal ? { signal: options.signal } : {}),
    apply: async (mutant) => {
      // Journaled before it acts: a run that dies with the mutant applied leaves a record to revert.
      const subject = { kind: 'mutant' as const, id: mutant.id };
      journal.enter(subject);
      const undo = await (mutant as MeshMutant).apply(session.engine).catch((err: unknown) => {
        journal.leave(subject);
        throw err;
      });
      return async () => {
        await undo();
        journal.leave(subject);
      };
    },
    run: async (mutant) => {
      // The scenarios expected to notice run first; the rest only if none of them did.
      const killers = (mutant as MeshMutant).killers.map((id) => byId.get(id)!);
      const first = await runScenarios(killers, { ...engine, runId: runIdFor(mutant.id) });
      if (first.some((r) => r.outcome === 'failed')) return first;
      for (const r of first) options.log?.(`  mutant ${mutant.id}: expected killer ${r.id} was ${r.outcome}${r.message ? ` (${r.message})` : ''}`);
      const rest = catalog.filter((s) => !killers.includes(s));
      return [...first, ...(await runScenarios(rest, { ...engine, runId: runIdFor(mutant.id), bail: false }))];
    },
    onMutantEnd: (r) => options.onMutantEnd?.(r.mutant.id, r.killedBy, r.survived, r.error),
  });
}

/**
 * Generic detectors over every file in the report folder (reports and the evidence beside them): an artifact
 * must never carry a secret. In the evidence (logs and spans a mutant made leak on purpose) a canary the run
 * planted and the sample payments' test card are harness-made fakes and not counted; in the reports
 * themselves nothing is excused.
 */
export async function scanReportFolder(reportDir: string, planted: readonly Canary[] = []): Promise<string[]> {
  const strict = new LeakScanner({});
  const evidence = new LeakScanner({ canaries: planted, allow: [SAMPLE_CARD_NUMBER] });
  const stateDir = join(reportDir, 'state');
  const hits = [];
  const files = (readdirSync(reportDir, { recursive: true, withFileTypes: true }) as Dirent[]).filter((d) => d.isFile() && !d.name.endsWith('.db'));
  for (const f of files) {
    const path = join(f.parentPath, f.name);
    if (path.startsWith(`${stateDir}/`)) hits.push(...(await evidence.scanFile(path, 'report folder')).filter((h) => h.detector !== 'canary'));
    else hits.push(...(await strict.scanFile(path, 'report folder')));
  }
  return hits.map(describeHit);
}

export async function runGate(scenarios: readonly AnyScenario[], options: GateOptions): Promise<GateOutcome> {
  const startedAt = new Date();
  const runId = newRunId(startedAt);
  const log = options.log ?? (() => undefined);
  const bootStarted = performance.now();
  let session: GateSession;
  if (options.attach) {
    session = await GateSession.attach(options.attach, log);
    log(`attached to the ${session.engine.kind} mesh in ${session.engine.stateDir}`);
  } else {
    const stateDir = join(options.reportDir, 'state');
    mkdirSync(stateDir, { recursive: true, mode: 0o700 });
    session = await GateSession.start({ stateDir, log, ...(options.engine ? { engine: options.engine } : {}), ...(options.settings ? { settings: options.settings } : {}), ...(options.otlpForwarding ? { forwarding: options.otlpForwarding } : {}) });
    log(`mesh up in ${Math.round(performance.now() - bootStarted)} ms (state ${stateDir})`);
  }
  const journal = new LifecycleJournal(session.engine.stateDir);
  const gateSpans = session.engine.otlpEndpoint ? new ScenarioSpans(session.engine.otlpEndpoint, runId, options.otlpForwarding?.protocol) : undefined;
  let results: ScenarioResult[] = [];
  let mutation: MutationSummary | undefined;
  let baseline: Record<string, number> = {};
  try {
    journal.begin(runId, session.engine.baseline());
    const baselineBefore = await session.latency(BASELINE_PROBE);
    const engine: EngineOptions<MeshContext> = {
      ...session.engineOptions(runId),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.progress ?? {}),
      onScenarioEnd: (result, position) => {
        gateSpans?.record(result);
        options.progress?.onScenarioEnd?.(result, position);
      },
      lifecycle: (to, scenarioId) => {
        if (to === 'injected') journal.enter({ kind: 'scenario', id: scenarioId });
        journal.move(to);
        if (to === 'steady') journal.leave({ kind: 'scenario', id: scenarioId });
      },
    };
    results = await runScenarios(scenarios, engine);
    // The baseline again after the scenarios, pooled with the first: drift during the run widens it, not biases it.
    const baselineAfter = options.signal?.aborted ? undefined : await session.latency(BASELINE_PROBE).catch(() => undefined);
    const pooled = baselineAfter ? mergeSamples(baselineBefore, baselineAfter) : baselineBefore;
    baseline = { ...latencyFigures(pooled), handshakeP50BeforeUs: latencyFigures(baselineBefore).handshakeP50Us!, requestP50BeforeUs: latencyFigures(baselineBefore).requestP50Us! };
    if (baselineAfter) Object.assign(baseline, { handshakeP50AfterUs: latencyFigures(baselineAfter).handshakeP50Us!, requestP50AfterUs: latencyFigures(baselineAfter).requestP50Us! });
    const base = Object.fromEntries(Object.entries(latencyFigures(pooled)).map(([k, v]) => [`baseline${k[0]!.toUpperCase()}${k.slice(1)}`, v]));
    for (const r of results) {
      const own = session.scenarioLatency.get(r.id);
      r.latency = { ...r.latency, ...base, ...(own ? latencyDeltas(own, pooled) : {}) };
    }
    session.scenarioLatency.clear();
    if (options.mutate && !options.signal?.aborted) {
      session.probeScenarios = false;
      const { onScenarioStart: _s, onPhase: _p, onScenarioEnd: _e, ...quiet } = engine;
      mutation = await runMutation(session, journal, await loadCatalog(options.scenarioDir), quiet, options);
    }
    // Whatever a failed revert left behind goes back to the baseline before the run lets go of the mesh.
    for (const change of await session.engine.converge()) log(`restored after the run: ${change}`);
    journal.end();
  } finally {
    await gateSpans?.close(results.every((r) => r.outcome === 'passed') ? 'pass' : 'fail').catch(() => undefined);
    await session.stop();
    // The run's own state sits beside its report: its keys, tokens and passwords do not outlive it.
    if (!options.attach) removeStateSecrets(session.engine.stateDir);
  }
  const catalogIds = (await loadCatalog(options.scenarioDir).catch(() => undefined))?.map((s) => s.meta.id);
  const input = {
    runId,
    ...(catalogIds ? { catalogIds } : {}),
    mutate: options.mutate,
    startedAt,
    finishedAt: new Date(),
    engine: session.engine.kind,
    scenarios: results,
    baseline,
    ...(mutation ? { mutation } : {}),
    aborted: options.signal?.aborted ?? false,
  };
  let report = buildRunReport(input);
  let written = await writeReports(report, options.reportDir, options.formats);
  const reportLeaks = await scanReportFolder(options.reportDir, plantedCanaries());
  if (reportLeaks.length > 0) {
    // The finding is part of the verdict: every format is written again with it.
    report = buildRunReport({ ...input, reportLeaks });
    written = await writeReports(report, options.reportDir, options.formats);
  }
  publishToGithubActions(report, options.env ?? process.env, options.log ?? ((line) => process.stdout.write(`${line}\n`)));
  return { report, written, reportLeaks, exitCode: report.exitCode };
}
