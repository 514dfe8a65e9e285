/** A facilitator script: timed facilitator actions, in exercise time, played unattended. */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { ERROR_CODES, MeshgateError } from '../errors.ts';
import { offsetMs, type Exercise } from './exercise.ts';

export type ScriptActionKind = 'pause' | 'resume' | 'trigger' | 'hint' | 'note' | 'acknowledge' | 'revoke-cert' | 'revoke-signing-key' | 'rollback-policy' | 'redeploy-baseline' | 'rate' | 'end';
const KINDS: readonly ScriptActionKind[] = ['pause', 'resume', 'trigger', 'hint', 'note', 'acknowledge', 'revoke-cert', 'revoke-signing-key', 'rollback-policy', 'redeploy-baseline', 'rate', 'end'];
const RATINGS = ['P', 'S', 'M', 'U'] as const;

export interface ScriptAction {
  at: string;
  atMs: number;
  do: ScriptActionKind;
  inject?: string;
  objective?: string;
  rating?: (typeof RATINGS)[number];
  /** Pause length in wall-clock seconds. */
  for?: number;
  by?: string;
  what?: string;
  why?: string;
}

/** Reads and checks a script against the exercise it drives; every problem at once. */
export function readFacilitatorScript(file: string, exercise: Exercise): ScriptAction[] {
  const problems: string[] = [];
  let raw: unknown;
  try {
    raw = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new MeshgateError(ERROR_CODES.usage, `${file}: ${(err as Error).message.split('\n')[0]}`);
  }
  if (!Array.isArray(raw)) throw new MeshgateError(ERROR_CODES.usage, `${file}: /: must be a list of facilitator actions`);
  const injects = new Set(exercise.injects.map((i) => i.id));
  const objectives = new Set(exercise.objectives.map((o) => o.id));
  const actions: ScriptAction[] = [];
  raw.forEach((item: Record<string, unknown>, i) => {
    const at = `/${i}`;
    if (typeof item !== 'object' || item === null) return void problems.push(`${at}: must be an object`);
    let atMs = 0;
    try {
      atMs = offsetMs(String(item.at));
    } catch (err) {
      problems.push(`${at}/at: ${(err as Error).message}`);
    }
    if (!KINDS.includes(item.do as ScriptActionKind)) problems.push(`${at}/do: must be one of ${KINDS.join(', ')} (got ${JSON.stringify(item.do)})`);
    if (item.inject !== undefined && !injects.has(String(item.inject))) problems.push(`${at}/inject: names no inject of ${exercise.id} (${JSON.stringify(item.inject)})`);
    if (['acknowledge', 'trigger', 'hint', 'revoke-cert'].includes(String(item.do)) && item.inject === undefined && item.do !== 'trigger') problems.push(`${at}/inject: ${String(item.do)} names the inject it is about`);
    if (item.do === 'pause' && (typeof item.for !== 'number' || item.for <= 0)) problems.push(`${at}/for: a pause lasts a positive number of wall-clock seconds`);
    if (item.do === 'rate') {
      if (!objectives.has(String(item.objective))) problems.push(`${at}/objective: names no objective of ${exercise.id} (${JSON.stringify(item.objective)})`);
      if (!RATINGS.includes(item.rating as 'P')) problems.push(`${at}/rating: must be one of ${RATINGS.join(', ')}`);
    }
    actions.push({ ...(item as object), at: String(item.at), atMs } as ScriptAction);
  });
  if (problems.length > 0) throw new MeshgateError(ERROR_CODES.usage, `${problems.length} problem${problems.length === 1 ? '' : 's'} in ${file}:\n${problems.map((p) => `  ${file}: ${p}`).join('\n')}`);
  return actions.sort((a, b) => a.atMs - b.atMs);
}
