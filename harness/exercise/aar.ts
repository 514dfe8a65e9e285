/**
 * The after-action report (aar.json, the source of truth), structured as an
 * HSEEP After-Action Report / Improvement Plan. Ratings follow one rule:
 * P when every inject of the objective was detected and contained within its
 * target times, S when all were contained but one late, M when detected but
 * not contained, U when one was not detected; a facilitator's rating wins.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../mesh/state-dir.ts';
import type { ExerciseEvent, ExerciseState, InjectMeasure } from './state.ts';

export type Rating = 'P' | 'S' | 'M' | 'U';

export interface AarInject {
  id: string;
  title: string;
  correlationId: string | null;
  /** The condition the harness checks; null for a narrative-only inject. */
  containment: string | null;
  firedAt: string | null;
  detectedAt: string | null;
  alertedAt: string | null;
  acknowledgedAt: string | null;
  containedAt: string | null;
  timeToDetectMs: number | null;
  timeToAlertMs: number | null;
  timeToAcknowledgeMs: number | null;
  timeToContainMs: number | null;
  targets: { detectSeconds: number | null; containSeconds: number | null };
  blastRadius: InjectMeasure['blastRadius'];
  evidence: InjectMeasure['evidence'];
}

export interface Aar {
  schema: 'meshgate.aar/1';
  overview: { exercise: string; title: string; runId: string; startedAt: string; endedAt: string; speed: number; pausedMs: number; participants: string[]; meshEngine: string; meshgateVersion: string; interrupted: boolean; durationsIn: 'wall-clock ms' };
  objectives: Array<{ id: string; text: string; capability: string; suggestedRating: Rating; rating: Rating; overridden: boolean; why: string }>;
  injects: AarInject[];
  timeline: ExerciseEvent[];
  strengths: string[];
  areasForImprovement: string[];
  improvementPlan: Array<{ issue: string; recommendedAction: string; capability: string; owner: string | null; dueDate: string | null }>;
}

const iso = (ms: number | undefined): string | null => (ms === undefined ? null : new Date(ms).toISOString());
const since = (from: number | undefined, to: number | undefined): number | null => (from === undefined || to === undefined ? null : to - from);

export function rateInjects(injects: AarInject[]): { rating: Rating; why: string } {
  if (injects.length === 0) return { rating: 'U', why: 'no inject exercised this objective' };
  if (injects.some((i) => i.detectedAt === null)) return { rating: 'U', why: `not detected: ${injects.filter((i) => i.detectedAt === null).map((i) => i.id).join(', ')}` };
  if (injects.some((i) => i.containedAt === null)) return { rating: 'M', why: `detected but not contained: ${injects.filter((i) => i.containedAt === null).map((i) => i.id).join(', ')}` };
  const late = injects.filter((i) => (i.targets.containSeconds !== null && i.timeToContainMs! > i.targets.containSeconds * 1000) || (i.targets.detectSeconds !== null && i.timeToDetectMs! > i.targets.detectSeconds * 1000));
  if (late.length > 0) return { rating: 'S', why: `contained, past the target time: ${late.map((i) => i.id).join(', ')}` };
  return { rating: 'P', why: 'every inject detected and contained within its target times' };
}

export function buildAar(state: ExerciseState, run: { meshEngine: string; stateDir: string; interrupted: boolean }): Aar {
  const ex = state.exercise;
  const injects: AarInject[] = ex.injects.map((inject) => {
    const m = state.measure(inject.id);
    return {
      id: inject.id,
      title: inject.title,
      correlationId: m.correlationId ?? null,
      containment: inject.containment ? inject.containment.description ?? inject.containment.condition : null,
      firedAt: iso(m.firedAt),
      detectedAt: iso(m.detectedAt),
      alertedAt: iso(m.alertedAt),
      acknowledgedAt: iso(m.acknowledgedAt),
      containedAt: iso(m.containedAt),
      timeToDetectMs: since(m.firedAt, m.detectedAt),
      timeToAlertMs: since(m.firedAt, m.alertedAt),
      timeToAcknowledgeMs: since(m.firedAt, m.acknowledgedAt),
      timeToContainMs: since(m.firedAt, m.containedAt),
      targets: { detectSeconds: inject.targets?.detectSeconds ?? null, containSeconds: inject.targets?.containSeconds ?? null },
      blastRadius: m.blastRadius,
      evidence: m.evidence,
    };
  });
  const measured = injects.filter((i) => ex.injects.find((x) => x.id === i.id)!.containment);
  const objectives = ex.objectives.map((o) => {
    const mine = measured.filter((i) => ex.injects.find((x) => x.id === i.id)!.objectives?.includes(o.id));
    const suggested = rateInjects(mine);
    const override = state.overrides[o.id] as Rating | undefined;
    return { id: o.id, text: o.text, capability: o.capability, suggestedRating: suggested.rating, rating: override ?? suggested.rating, overridden: override !== undefined, why: suggested.why };
  });
  const strengths: string[] = [];
  const areas: string[] = [];
  const plan: Aar['improvementPlan'] = [];
  for (const i of measured) {
    const capability = ex.objectives.find((o) => ex.injects.find((x) => x.id === i.id)!.objectives?.includes(o.id))?.capability ?? 'Containment';
    if (i.containedAt !== null) strengths.push(`${i.id}: contained ${(i.timeToContainMs! / 1000).toFixed(1)} s after the inject, ${i.blastRadius.succeeded} malicious request${i.blastRadius.succeeded === 1 ? '' : 's'} got through meanwhile`);
    else {
      areas.push(`${i.id}: not contained before the exercise ended${i.acknowledgedAt ? ' although the team acknowledged it' : ''}; ${i.blastRadius.succeeded} malicious requests got through`);
      plan.push({ issue: `${i.title}: not contained`, recommendedAction: ex.injects.find((x) => x.id === i.id)!.containment!.description ?? 'make the containment a rehearsed runbook step', capability, owner: null, dueDate: null });
    }
    if (i.detectedAt === null) {
      areas.push(`${i.id}: no detection signal was seen`);
      plan.push({ issue: `${i.title}: not detected`, recommendedAction: 'add a log, metric or alert rule the team watches for this', capability, owner: null, dueDate: null });
    }
  }
  const participants = [...new Set(state.events.map((e) => e.by).filter((b): b is string => b !== undefined && b !== 'script' && b !== 'end'))];
  return {
    schema: 'meshgate.aar/1',
    overview: {
      exercise: ex.id,
      title: ex.title,
      runId: state.runId,
      startedAt: new Date(state.startedAtMs).toISOString(),
      endedAt: new Date(state.endedAtMs).toISOString(),
      speed: state.speed,
      pausedMs: state.pausedMs(),
      participants,
      meshEngine: run.meshEngine,
      meshgateVersion: (JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8')) as { version: string }).version,
      interrupted: run.interrupted,
      durationsIn: 'wall-clock ms',
    },
    objectives,
    injects,
    timeline: state.events,
    strengths,
    areasForImprovement: areas,
    improvementPlan: plan,
  };
}
