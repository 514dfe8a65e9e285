/**
 * Progress output while scenarios run. Plain lines (one per finished
 * scenario, no colour, no cursor movement) when CI=true, NO_COLOR is set or
 * the stream is not a terminal; otherwise a compact coloured live line.
 */
import type { PhaseEvent, ScenarioStartEvent } from '../scenario/engine.ts';
import { failedChecks, type Outcome, type ScenarioResult } from '../scenario/result.ts';
import type { RunReport } from './run-report.ts';
import { formatMs, formatValue } from './text.ts';
import { plural } from '../cli/plural.ts';

export type ProgressMode = 'plain' | 'live';

export interface ProgressStream {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

export interface ProgressOptions {
  stream?: ProgressStream;
  env?: Record<string, string | undefined>;
  /** Forces a mode; otherwise chosen from env and the stream. */
  mode?: ProgressMode;
  /** ANSI colour on the result lines (FORCE_COLOR, also in plain mode); defaults to the live mode. */
  colour?: boolean;
}

export interface Progress {
  readonly mode: ProgressMode;
  /** Pass straight into the engine options. */
  onScenarioStart(event: ScenarioStartEvent): void;
  onPhase(event: PhaseEvent): void;
  onScenarioEnd(result: ScenarioResult, position: { index: number; total: number }): void;
  /** Stops the live line and prints the summary. */
  finish(report: Pick<RunReport, 'summary' | 'durationMs' | 'verdict'>): void;
}

const SYMBOL: Record<Outcome, string> = { passed: '✓', failed: '✗', error: '⚠', skipped: '-' };
const COLOUR: Record<Outcome, string> = { passed: '32', failed: '31', error: '33', skipped: '2' };
const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

function truthy(value: string | undefined): boolean {
  return value !== undefined && value !== '' && value !== '0' && value.toLowerCase() !== 'false';
}

export function progressMode(env: Record<string, string | undefined>, isTTY: boolean | undefined): ProgressMode {
  if (truthy(env.CI) || (env.NO_COLOR !== undefined && env.NO_COLOR !== '') || env.TERM === 'dumb' || !isTTY) return 'plain';
  return 'live';
}

/** `✓ mtls.expired-client-cert  (123 ms)` plus indented detail lines for anything but passed. */
export function formatResultLines(result: ScenarioResult, colour = false): string[] {
  const paint = (code: string, text: string): string => (colour ? `\x1b[${code}m${text}\x1b[0m` : text);
  const head = `${paint(COLOUR[result.outcome], SYMBOL[result.outcome])} ${result.id}  ${paint('2', `(${formatMs(result.durationMs)})`)}`;
  const lines = [result.outcome === 'skipped' ? `${head}  ${paint('2', result.message ?? 'skipped')}` : head];
  if (result.outcome === 'failed') {
    for (const { kind, check } of failedChecks(result)) lines.push(`    ${kind}/${check.name}: expected ${formatValue(check.expected, 120)}, observed ${formatValue(check.observed, 120)}`);
  }
  if (result.outcome === 'error' || (result.outcome === 'failed' && result.errors.length > 0)) {
    for (const e of result.errors) lines.push(`    ${paint('33', `error (${e.phase}):`)} ${e.message}`);
  }
  return lines;
}

export function formatSummaryLine(report: Pick<RunReport, 'summary' | 'durationMs' | 'verdict'>, colour = false): string {
  const { summary: s } = report;
  const verdict = report.verdict === 'pass' ? 'PASS' : 'FAIL';
  const v = colour ? `\x1b[1;${report.verdict === 'pass' ? '32' : '31'}m${verdict}\x1b[0m` : verdict;
  return `${v}  ${plural(s.total, 'scenario')}: ${s.passed} passed, ${s.failed} failed, ${plural(s.error, 'error')}, ${s.skipped} skipped  (${formatMs(report.durationMs)})`;
}

export function createProgress(options: ProgressOptions = {}): Progress {
  const stream = options.stream ?? process.stderr;
  const mode = options.mode ?? progressMode(options.env ?? process.env, stream.isTTY);
  if (mode !== 'plain' && mode !== 'live') throw new TypeError(`createProgress: mode must be plain or live (got ${JSON.stringify(mode)})`);
  const live = mode === 'live';
  const colour = options.colour ?? live;

  let current: { id: string; phase: string; index: number; total: number; since: number } | undefined;
  let frame = 0;
  let timer: NodeJS.Timeout | undefined;

  const clear = (): void => {
    if (live) stream.write('\r\x1b[2K');
  };
  const draw = (): void => {
    if (!live || !current) return;
    const elapsed = formatMs(Date.now() - current.since);
    const text = `${SPINNER[frame++ % SPINNER.length]} [${current.index + 1}/${current.total}] ${current.id} · ${current.phase}  ${elapsed}`;
    const width = Math.max(20, (stream.columns ?? 80) - 1);
    clear();
    const shown = text.length > width ? `${text.slice(0, width - 1)}…` : text;
    stream.write(colour ? `\x1b[36m${shown}\x1b[0m` : shown);
  };
  const stopTimer = (): void => {
    if (timer) clearInterval(timer);
    timer = undefined;
  };

  return {
    mode,
    onScenarioStart(event) {
      current = { id: event.meta.id, phase: 'starting', index: event.index, total: event.total, since: Date.now() };
      if (live && !timer) {
        timer = setInterval(draw, 100);
        timer.unref();
      }
      draw();
    },
    onPhase(event) {
      if (current && current.id === event.scenarioId) current.phase = event.phase;
      draw();
    },
    onScenarioEnd(result) {
      if (current?.id === result.id) current = undefined;
      clear();
      stream.write(`${formatResultLines(result, colour).join('\n')}\n`);
      if (!current) stopTimer();
    },
    finish(report) {
      stopTimer();
      current = undefined;
      clear();
      stream.write(`${formatSummaryLine(report, colour)}\n`);
    },
  };
}
