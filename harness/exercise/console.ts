/**
 * The facilitator console: on a terminal, the timeline with what fired and
 * what comes next, live detection status per inject, and one key per
 * facilitator action. It only reads the exercise state and queues actions.
 */
import { offsetMs } from './exercise.ts';
import type { ExerciseControl } from './runner.ts';
import { upcoming } from './runner.ts';

const KEYS = '[n] next inject now  [p] pause/resume  [h] hint  [a] acknowledge  [d] decision  [q] end';
const clear = '\x1b[H\x1b[2J';
const mark = (ms: number | undefined, since: number | undefined): string => (ms === undefined || since === undefined ? '·' : `${((ms - since) / 1000).toFixed(1)}s`);

export function renderConsole(control: ExerciseControl, input: string | undefined): string {
  const { state } = control;
  const ex = state.exercise;
  const now = state.exerciseMs();
  const lines = [`${ex.title}`, `exercise ${ex.id}  speed ${state.speed}x  exercise time +${Math.floor(now / 1000)}s${state.paused ? '  PAUSED' : ''}`, ''];
  lines.push('inject                      at      status      detect  alert   ack     contain  reached');
  for (const inject of ex.injects) {
    const m = state.measure(inject.id);
    const status = m.containedAt ? 'contained' : m.firedAt ? (inject.containment ? 'ACTIVE' : 'fired') : 'next';
    const reached = Object.values(m.blastRadius.reached).reduce((a, b) => a + b, 0);
    lines.push(`${inject.id.padEnd(27)} ${inject.at.padEnd(7)} ${status.padEnd(11)} ${mark(m.detectedAt, m.firedAt).padEnd(7)} ${mark(m.alertedAt, m.firedAt).padEnd(7)} ${mark(m.acknowledgedAt, m.firedAt).padEnd(7)} ${mark(m.containedAt, m.firedAt).padEnd(8)} ${reached}`);
  }
  const next = upcoming(ex, state)[0];
  lines.push('', next ? `next: ${next.id} in ${Math.max(0, Math.ceil((offsetMs(next.at) - now) / state.speed / 1000))}s` : 'next: none (press q to end)');
  lines.push('', 'recent:');
  for (const e of state.events.slice(-6)) lines.push(`  +${Math.floor(e.exerciseMs / 1000)}s ${e.type}${e.inject ? ` ${e.inject}` : ''}${e.by ? ` by ${e.by}` : ''}${e.detail ? `: ${e.detail.slice(0, 60)}` : ''}`);
  lines.push('', input !== undefined ? `decision (who: what, Enter to record): ${input}` : KEYS);
  return lines.join('\n') + '\n';
}

/** The latest fired inject: what hint, acknowledge and decision are about. */
function current(control: ExerciseControl): string | undefined {
  const fired = control.state.measures().filter((m) => m.firedAt !== undefined && control.state.exercise.injects.find((i) => i.id === m.id)?.containment);
  return fired.sort((a, b) => b.firedAt! - a.firedAt!)[0]?.id;
}

/** Drives a console on this terminal until the exercise ends; returns a stop function. */
export function attachConsole(control: ExerciseControl, stdin: NodeJS.ReadStream, write: (text: string) => void): () => void {
  let input: string | undefined;
  const draw = () => write(clear + renderConsole(control, input));
  const hinted = new Map<string, number>();
  const onData = (chunk: Buffer) => {
    for (const ch of chunk.toString('utf8')) {
      if (input !== undefined) {
        if (ch === '\r' || ch === '\n') {
          const [who, ...what] = input.split(':');
          const inject = current(control);
          control.act({ do: 'note', ...(inject ? { inject } : {}), by: what.length ? who!.trim() : 'facilitator', what: (what.length ? what.join(':') : input).trim() });
          input = undefined;
        } else if (ch === '\x7f') input = input.slice(0, -1);
        else if (ch === '\x03' || ch === '\x1b') input = undefined;
        else input += ch;
        continue;
      }
      const inject = current(control);
      if (ch === 'n') control.act({ do: 'trigger' });
      else if (ch === 'p') control.act({ do: 'pause', by: 'facilitator' });
      else if (ch === 'h' && inject) {
        const hints = control.state.exercise.injects.find((i) => i.id === inject)?.hints ?? [];
        const n = hinted.get(inject) ?? 0;
        if (n < hints.length) control.act({ do: 'hint', inject, what: hints[n]!, by: 'facilitator' });
        hinted.set(inject, n + 1);
      } else if (ch === 'a' && inject) control.act({ do: 'acknowledge', inject, by: 'team' });
      else if (ch === 'd') input = '';
      else if (ch === 'q' || ch === '\x03') control.act({ do: 'end' });
    }
    draw();
  };
  stdin.setRawMode?.(true);
  stdin.resume();
  stdin.on('data', onData);
  const timer = setInterval(draw, 250);
  draw();
  return () => {
    clearInterval(timer);
    stdin.off('data', onData);
    stdin.setRawMode?.(false);
    stdin.pause();
    write(clear + renderConsole(control, undefined));
  };
}
