import { resolve } from 'node:path';
import { defaultReportDir, parseReportFormats, REPORT_FORMATS, type ReportFormat } from '../../report/write.ts';
import { runGate, selectGate } from '../../gate/run-gate.ts';
import { createProgress } from '../../report/progress.ts';
import type { CommandIo } from '../io.ts';
import { parseFlags } from '../parse.ts';
import { UsageError } from '../usage-error.ts';
import type { Selection } from '../../scenario/select.ts';
import { DEFAULT_STATE } from '../mesh-record.ts';
import { otlpForwardingFrom } from '../../collectors/otlp-forwarding.ts';
import { EXIT_CODES, exitCodeOf } from '../../errors.ts';

export const runHelp = 'run [SCENARIO or GLOB...] [--tag T] [--grep RE] [--report-dir DIR] [--format json,junit,sarif,md,html] [--mutate] [--attach [--state DIR]]\n                                 boot the mesh (or attach to the one `up` started), run the gate catalog, write reports (exit 0 pass, 1 fail)';

function selectionFrom(positionals: string[], values: { tag?: string[]; grep?: string }): Selection {
  const selection: Selection = {};
  if (positionals.length) selection.patterns = positionals;
  if (values.tag?.length) selection.tags = values.tag;
  if (values.grep) {
    try {
      selection.grep = new RegExp(values.grep);
    } catch {
      throw new UsageError(`meshgate run: --grep: "${values.grep}" is not a regular expression`);
    }
  }
  return selection;
}

export async function runCommand(argv: string[], io: CommandIo): Promise<number> {
  const { values, positionals } = parseFlags(
    'run',
    argv,
    { tag: { type: 'string', multiple: true }, grep: { type: 'string' }, 'report-dir': { type: 'string' }, format: { type: 'string', default: REPORT_FORMATS.join(',') }, mutate: { type: 'boolean', default: false }, attach: { type: 'boolean', default: false }, state: { type: 'string' }, 'otlp-endpoint': { type: 'string' } },
    true,
  );
  let formats: ReportFormat[];
  try {
    formats = parseReportFormats(values.format!);
  } catch (err) {
    throw new UsageError(`meshgate run: --format: ${(err as Error).message}`);
  }
  let scenarios;
  try {
    scenarios = await selectGate(selectionFrom(positionals, values));
  } catch (err) {
    if (exitCodeOf(err) === EXIT_CODES.usage || err instanceof TypeError) throw new UsageError(`meshgate run: ${(err as Error).message}`);
    throw err;
  }
  if (values.state !== undefined && !values.attach) throw new UsageError('meshgate run: --state only goes with --attach (a run without --attach keeps its state under the report folder)');
  let otlpForwarding;
  try {
    otlpForwarding = otlpForwardingFrom(values['otlp-endpoint'], process.env);
  } catch (err) {
    throw new UsageError(`meshgate run: ${(err as Error).message}`);
  }
  if (otlpForwarding && values.attach && values['otlp-endpoint']) throw new UsageError('meshgate run: --otlp-endpoint goes with `meshgate up` when attaching (the attached mesh exports through the collector up started)');
  const reportDir = resolve(values['report-dir'] ?? defaultReportDir());
  const abort = new AbortController();
  let interrupts = 0;
  const onSigint = (): void => {
    interrupts += 1;
    if (interrupts === 1) {
      io.stderr('\ninterrupted: reverting the current scenario and stopping the mesh (Ctrl-C again to force)\n');
      abort.abort();
    } else process.exit(130);
  };
  process.on('SIGINT', onSigint);
  process.on('SIGTERM', onSigint);
  try {
    const progress = createProgress({ stream: { write: (t: string) => io.stdout(t), isTTY: process.stdout.isTTY, columns: process.stdout.columns } });
    io.stdout(`meshgate gate: ${scenarios.length} scenarios${values.mutate ? ' + mutation mode' : ''}; reports in ${reportDir}\n`);
    const outcome = await runGate(scenarios, {
      reportDir,
      formats,
      mutate: values.mutate!,
      ...(values.attach ? { attach: resolve(values.state ?? DEFAULT_STATE) } : otlpForwarding ? { otlpForwarding } : {}),
      signal: abort.signal,
      log: (line) => io.stdout(`${line}\n`),
      progress,
      onMutantEnd: (id, killedBy, survived, error) => io.stdout(`${error ? 'ERR ' : survived ? 'SURVIVED' : 'killed'} mutant ${id}${killedBy.length ? ` by ${killedBy.join(', ')}` : ''}${error ? ` — ${error}` : ''}\n`),
    });
    progress.finish(outcome.report);
    if (outcome.report.mutation) io.stdout(`mutation: kill rate ${Math.round(outcome.report.mutation.killRate * 100)}%${outcome.report.mutation.survived.length ? `; survived: ${outcome.report.mutation.survived.join(', ')}` : ''}\n`);
    for (const leak of outcome.reportLeaks) io.stderr(`secret in a report: ${leak}\n`);
    for (const path of outcome.written) io.stdout(`  ${path}\n`);
    // An interrupted run is neither a pass nor a failed control: CI can tell them apart.
    return outcome.report.aborted ? EXIT_CODES.interrupted : outcome.exitCode;
  } finally {
    process.off('SIGINT', onSigint);
    process.off('SIGTERM', onSigint);
  }
}
