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
import { painter } from '../color.ts';
import type { CommandHelp } from '../help.ts';
import { plural } from '../plural.ts';

export const runFlags = {
  tag: { type: 'string', multiple: true },
  grep: { type: 'string' },
  'report-dir': { type: 'string' },
  format: { type: 'string', default: REPORT_FORMATS.join(',') },
  mutate: { type: 'boolean', default: false },
  attach: { type: 'boolean', default: false },
  engine: { type: 'string', default: 'local' },
  state: { type: 'string' },
  'otlp-endpoint': { type: 'string' },
} as const;

export const runHelp: CommandHelp = {
  name: 'run',
  summary: 'the security gate: boot the mesh (or attach to the one `up` started), run the scenario catalog, write reports',
  usage: ['run [SCENARIO or GLOB or PLANE...] [--tag T]... [--grep RE] [--report-dir DIR] [--format LIST] [--mutate] [--engine local|compose] [--otlp-endpoint URL]', 'run --attach [--state DIR] [SCENARIO...] [--tag T]... [--grep RE] [--report-dir DIR] [--format LIST] [--mutate]'],
  description:
    'Boots the reference mesh on 127.0.0.1, measures the healthy baseline, runs every selected scenario (steady state, inject, expect, revert, steady state) and writes the reports. With no selection the whole catalog runs. Selections combine with AND; within the arguments and within --tag any one match suffices, and each must match some scenario (`meshgate list` shows ids and tags). The mesh it booted is stopped when the run ends, also on Ctrl-C (the current scenario is reverted first).',
  args: [{ flag: 'SCENARIO', text: 'a scenario id (tokens.replayed), a glob over ids (\'tokens.*\', * spans dots, ? is one character) or a plane name (mtls, tokens, policy, leaks, rotation, observability)' }],
  flags: [
    { flag: '--tag T', text: 'only scenarios carrying tag T; repeat the flag for several tags (any one suffices)' },
    { flag: '--grep RE', text: 'only scenarios whose "<id> <title>" matches the JavaScript regular expression RE' },
    { flag: '--report-dir DIR', text: 'where the reports go (default: reports/<UTC timestamp>/ in the meshgate checkout); a run without --attach keeps the mesh state (logs, spans, configs) under DIR/state/' },
    { flag: '--format LIST', text: `comma-separated report formats to write (default: all of ${REPORT_FORMATS.join(',')}): json = report.json, junit = junit.xml, sarif = results.sarif, md = summary.md, html = report.html` },
    { flag: '--mutate', text: 'mutation mode: after the scenarios, ship each known misconfiguration in turn and require some scenario to fail against it; a surviving mutant fails the run (adds about a minute)' },
    { flag: '--engine E', text: 'where the mesh booted for the run runs: local (default: processes on 127.0.0.1) or compose (one container per workload from docker-compose.yml, through podman-compose and podman, or MESHGATE_COMPOSE and MESHGATE_CONTAINER_CLI; the image is built from this checkout on first use, on MESHGATE_BASE_IMAGE or `local-node` for this machine\'s Node binary; the project is removed when the run ends)' },
    { flag: '--attach', text: 'run against the mesh `meshgate up` started instead of booting one; every revert leaves it with its settings and policy version, and it stays up' },
    { flag: '--state DIR', text: 'with --attach: the state folder of the mesh to attach to (default: .meshgate)' },
    { flag: '--otlp-endpoint URL', text: 'also forward every span of the mesh and one span per scenario to your OTLP/HTTP collector at URL (/v1/traces is appended unless given); without it OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT do the same, with OTEL_EXPORTER_OTLP_HEADERS and OTEL_EXPORTER_OTLP_PROTOCOL (http/protobuf or http/json). Not with --attach: give it to `meshgate up`' },
  ],
  examples: ['meshgate run', "meshgate run 'tokens.*' --report-dir reports/tokens", 'meshgate run mtls --tag revocation --format json,junit', 'meshgate run --engine compose --mutate', 'meshgate up && meshgate run --attach --mutate && meshgate down'],
  exitCodes: '0 every scenario passed (and every mutant was killed), 1 a scenario failed or errored or a mutant survived, 2 usage or configuration error, 130 interrupted (the current scenario was reverted)',
};

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
  const { values, positionals } = parseFlags('run', argv, runFlags, true);
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
  const engine = values.engine!;
  if (engine !== 'local' && engine !== 'compose') throw new UsageError(`meshgate run: --engine must be local or compose, not "${engine}"`);
  if (values.attach && engine !== 'local') throw new UsageError('meshgate run: --engine goes with `meshgate up` when attaching (the record says which engine runs the mesh)');
  if (values.state !== undefined && !values.attach) throw new UsageError('meshgate run: --state only goes with --attach (a run without --attach keeps its state under the report folder)');
  let otlpForwarding;
  try {
    otlpForwarding = otlpForwardingFrom(values['otlp-endpoint'], process.env);
  } catch (err) {
    throw new UsageError(`meshgate run: ${(err as Error).message}`);
  }
  if (otlpForwarding && values.attach && values['otlp-endpoint']) throw new UsageError('meshgate run: --otlp-endpoint goes with `meshgate up` when attaching (the attached mesh exports through the collector up started)');
  if (otlpForwarding && engine === 'compose') throw new UsageError('meshgate run: --otlp-endpoint (or OTEL_EXPORTER_OTLP_ENDPOINT) does not go with --engine compose: its workloads export to the compose project\'s collectors (see docker-compose.yml)');
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
    const paint = painter(io.color === true);
    const progress = createProgress({ stream: { write: (t: string) => io.stdout(t), isTTY: process.stdout.isTTY, columns: process.stdout.columns }, colour: io.color === true });
    io.stdout(`meshgate gate: ${plural(scenarios.length, 'scenario')}${values.mutate ? ' + mutation mode' : ''}; reports in ${reportDir}\n`);
    const outcome = await runGate(scenarios, {
      reportDir,
      formats,
      mutate: values.mutate!,
      ...(values.attach ? { attach: resolve(values.state ?? DEFAULT_STATE) } : otlpForwarding ? { otlpForwarding } : {}),
      ...(engine === 'compose' ? { engine } : {}),
      signal: abort.signal,
      log: (line) => io.stdout(`${line}\n`),
      progress,
      onMutantEnd: (id, killedBy, survived, error) => io.stdout(`${error ? paint.yellow('ERR ') : survived ? paint.red('SURVIVED') : paint.green('killed')} mutant ${id}${killedBy.length ? ` by ${killedBy.join(', ')}` : ''}${error ? ` — ${error}` : ''}\n`),
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
