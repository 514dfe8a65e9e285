/**
 * The facilitator console: on a terminal, the timeline with what fired and
 * what comes next, live detection status per inject, and one key per
 * facilitator action. It only reads the exercise state and queues actions.
 */
import { offsetMs } from './exercise.ts';
import type { ExerciseControl } from './runner.ts';
import { upcoming } from './runner.ts';

const KEYS = '[1-9] select inject  [n] fire it now  [p] pause/resume  [h] hint  [a] acknowledge  [d] decision  [r] rate  [q] end';
const RATINGS = ['P', 'S', 'M', 'U'] as const;

/** What the facilitator is typing, and what Enter does with it. */
interface Prompt {
  label: string;
  text: string;
  /** Returns a problem to show, or undefined when the input was taken. */
  enter(text: string): string | undefined;
}
const clear = '\x1b[H\x1b[2J';
const mark = (ms: number | undefined, since: number | undefined): string => (ms === undefined || since === undefined ? '·' : `${((ms - since) / 1000).toFixed(1)}s`);

export interface ConsoleView {
  /** The inject the facilitator selected; actions are about it. */
  selected?: string | undefined;
  prompt?: Prompt | undefined;
  /** The last problem with the facilitator's input. */
  problem?: string | undefined;
}

export function renderConsole(control: ExerciseControl, view: ConsoleView = {}): string {
  const { state } = control;
  const ex = state.exercise;
  const now = state.exerciseMs();
  const about = view.selected ?? current(control);
  const lines = [`${ex.title}`, `exercise ${ex.id}  speed ${state.speed}x  exercise time +${Math.floor(now / 1000)}s${state.paused ? '  PAUSED' : ''}`, ''];
  lines.push('   inject                      at      status      detect  alert   ack     contain  reached');
  ex.injects.forEach((inject, i) => {
    const m = state.measure(inject.id);
    const status = m.containedAt ? 'contained' : m.firedAt ? (inject.containment ? 'ACTIVE' : 'fired') : 'next';
    const reached = Object.values(m.blastRadius.reached).reduce((a, b) => a + b, 0);
    const key = i < 9 ? String(i + 1) : ' ';
    lines.push(`${inject.id === about ? '>' : ' '}${key} ${inject.id.padEnd(27)} ${inject.at.padEnd(7)} ${status.padEnd(11)} ${mark(m.detectedAt, m.firedAt).padEnd(7)} ${mark(m.alertedAt, m.firedAt).padEnd(7)} ${mark(m.acknowledgedAt, m.firedAt).padEnd(7)} ${mark(m.containedAt, m.firedAt).padEnd(8)} ${reached}`);
  });
  const next = upcoming(ex, state)[0];
  lines.push('', next ? `next: ${next.id} in ${Math.max(0, Math.ceil((offsetMs(next.at) - now) / state.speed / 1000))}s` : 'next: none (press q to end)');
  lines.push('', 'objectives:');
  for (const o of ex.objectives) {
    const rating = state.overrides[o.id];
    lines.push(`  ${o.id.padEnd(28)} ${rating ? `rated ${rating} by the facilitator` : 'rating from the measurements'}`);
  }
  lines.push('', 'recent:');
  for (const e of state.events.slice(-6)) lines.push(`  +${Math.floor(e.exerciseMs / 1000)}s ${e.type}${e.inject ? ` ${e.inject}` : ''}${e.by ? ` by ${e.by}` : ''}${e.detail ? `: ${e.detail.slice(0, 60)}` : ''}`);
  lines.push('');
  if (view.problem) lines.push(`! ${view.problem}`);
  lines.push(view.prompt ? `${view.prompt.label}: ${view.prompt.text}` : KEYS);
  return lines.join('\n') + '\n';
}

/** The latest fired inject with a containment: what actions are about until the facilitator selects one. */
function current(control: ExerciseControl): string | undefined {
  const fired = control.state.measures().filter((m) => m.firedAt !== undefined && control.state.exercise.injects.find((i) => i.id === m.id)?.containment);
  return fired.sort((a, b) => b.firedAt! - a.firedAt!)[0]?.id;
}

/** `objective=R` or `N=R` (N the objective's number in the list), R one of P S M U. */
function ratingPrompt(control: ExerciseControl): Prompt {
  const objectives = control.state.exercise.objectives;
  return {
    label: `rating (${objectives.map((o, i) => `${i + 1}=${o.id}`).join(', ')}; e.g. 1=S, Enter to record)`,
    text: '',
    enter: (text) => {
      const m = /^\s*([^=\s]+)\s*=\s*([PSMUpsmu])\s*$/.exec(text);
      if (!m) return `"${text}" is not objective=rating (rating one of ${RATINGS.join(' ')})`;
      const objective = /^\d+$/.test(m[1]!) ? objectives[Number(m[1]) - 1]?.id : objectives.find((o) => o.id === m[1])?.id;
      if (!objective) return `no objective "${m[1]}" (known: ${objectives.map((o) => o.id).join(', ')})`;
      control.act({ do: 'rate', objective, rating: m[2]!.toUpperCase() as (typeof RATINGS)[number], by: 'facilitator' });
      return undefined;
    },
  };
}

/** Drives a console on this terminal until the exercise ends; returns a stop function. */
export function attachConsole(control: ExerciseControl, stdin: NodeJS.ReadStream, write: (text: string) => void): () => void {
  const view: ConsoleView = {};
  const draw = () => write(clear + renderConsole(control, view));
  const hinted = new Map<string, number>();
  const injects = control.state.exercise.injects;
  const onData = (chunk: Buffer) => {
    for (const ch of chunk.toString('utf8')) {
      const prompt = view.prompt;
      if (prompt) {
        if (ch === '\r' || ch === '\n') {
          view.problem = prompt.enter(prompt.text);
          if (view.problem === undefined) view.prompt = undefined;
          else prompt.text = '';
        } else if (ch === '\x7f') prompt.text = prompt.text.slice(0, -1);
        else if (ch === '\x03' || ch === '\x1b') view.prompt = undefined;
        else prompt.text += ch;
        continue;
      }
      view.problem = undefined;
      const inject = view.selected ?? current(control);
      if (ch >= '1' && ch <= '9') {
        const chosen = injects[Number(ch) - 1];
        if (chosen) view.selected = chosen.id;
        else view.problem = `no inject ${ch} (the exercise has ${injects.length})`;
      } else if (ch === 'n') {
        // The selected inject if it is still to fire, else the next one on the timeline.
        const chosen = view.selected && !control.state.measure(view.selected).firedAt ? view.selected : undefined;
        control.act({ do: 'trigger', ...(chosen ? { inject: chosen } : {}), by: 'facilitator' });
      } else if (ch === 'p') control.act({ do: 'pause', by: 'facilitator' });
      else if (ch === 'h' && inject) {
        const hints = injects.find((i) => i.id === inject)?.hints ?? [];
        const n = hinted.get(inject) ?? 0;
        if (n < hints.length) control.act({ do: 'hint', inject, what: hints[n]!, by: 'facilitator' });
        else view.problem = `${inject} has no more hints`;
        hinted.set(inject, n + 1);
      } else if (ch === 'a' && inject) control.act({ do: 'acknowledge', inject, by: 'team' });
      else if (ch === 'd') {
        view.prompt = {
          label: `decision about ${inject ?? 'the exercise'} (who: what, Enter to record)`,
          text: '',
          enter: (text) => {
            const [who, ...what] = text.split(':');
            control.act({ do: 'note', ...(inject ? { inject } : {}), by: what.length ? who!.trim() : 'facilitator', what: (what.length ? what.join(':') : text).trim() });
            return undefined;
          },
        };
      } else if (ch === 'r') view.prompt = ratingPrompt(control);
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
    write(clear + renderConsole(control, {}));
  };
}
