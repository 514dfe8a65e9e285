/**
 * Validation of scenario modules as loaded from files (unknown shape). Every
 * problem is reported, each with its file and field.
 */
import { CONTROL_KINDS, PLANES, SEVERITIES } from './meta.ts';
import type { ScenarioProblem } from './errors.ts';

export const SCENARIO_ID = /^[a-z][a-z0-9-]*(\.[a-z0-9][a-z0-9-]*)+$/;
const TAG = /^[a-z0-9][a-z0-9-]*$/;
const MAX_TIMEOUT_MS = 30 * 60_000;

const META_KEYS = new Set(['id', 'title', 'plane', 'severity', 'threat', 'tags', 'control', 'timeoutMs']);
const CONTROL_KEYS = new Set(['kind', 'location', 'region', 'description']);
const SPEC_KEYS = new Set(['meta', 'steadyState', 'inject', 'expect', 'revert', 'file']);

export interface ValidateWhere {
  /** Display path, prefixed to every problem. */
  file?: string;
  /** The plane folder the file sits in; the id's plane must match it. */
  folder?: string;
}

function got(value: unknown): string {
  if (value === undefined) return 'missing';
  if (typeof value === 'string') return `got ${JSON.stringify(value.length > 60 ? `${value.slice(0, 57)}...` : value)}`;
  if (typeof value === 'function') return 'got a function';
  if (Array.isArray(value)) return 'got an array';
  if (value === null) return 'got null';
  return typeof value === 'object' ? 'got an object' : `got ${String(value)}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A repository-relative path: no scheme, no leading slash, no `..`, forward slashes. */
export function isRelativeRepoPath(value: string): boolean {
  if (value === '' || value.startsWith('/') || value.includes('\\') || /^[a-z][a-z0-9+.-]*:/i.test(value)) return false;
  return value.split('/').every((segment) => segment !== '' && segment !== '..' && segment !== '.');
}

/** Validates a scenario object (defineScenario's argument or a module's `scenario` export). */
export function validateScenario(value: unknown, where: ValidateWhere = {}): ScenarioProblem[] {
  const problems: ScenarioProblem[] = [];
  const add = (field: string, message: string): void => {
    problems.push(where.file === undefined ? { field, message } : { file: where.file, field, message });
  };
  if (!isRecord(value)) {
    add('(scenario)', `must be an object made with defineScenario (${got(value)})`);
    return problems;
  }
  for (const key of Object.keys(value)) if (!SPEC_KEYS.has(key)) add(key, `unknown field (allowed: ${[...SPEC_KEYS].filter((k) => k !== 'file').join(', ')})`);
  for (const fn of ['inject', 'expect'] as const) if (typeof value[fn] !== 'function') add(fn, `must be a function (${got(value[fn])})`);
  for (const fn of ['steadyState', 'revert'] as const) if (value[fn] !== undefined && typeof value[fn] !== 'function') add(fn, `must be a function when present (${got(value[fn])})`);

  const meta = value.meta;
  if (!isRecord(meta)) {
    add('meta', `must be an object (${got(meta)})`);
    return problems;
  }
  for (const key of Object.keys(meta)) if (!META_KEYS.has(key)) add(`meta.${key}`, `unknown field (allowed: ${[...META_KEYS].join(', ')})`);

  const planeOk = typeof meta.plane === 'string' && (PLANES as readonly string[]).includes(meta.plane);
  if (!planeOk) add('meta.plane', `must be one of ${PLANES.join(', ')} (${got(meta.plane)})`);
  if (planeOk && where.folder !== undefined && meta.plane !== where.folder) add('meta.plane', `must match the folder "${where.folder}" (got ${JSON.stringify(meta.plane)})`);

  if (typeof meta.id !== 'string' || !SCENARIO_ID.test(meta.id)) {
    add('meta.id', `must be a dotted lower-case id like "tokens.replay-other-workload" (${got(meta.id)})`);
  } else {
    const prefix = meta.id.split('.')[0]!;
    if (planeOk && prefix !== meta.plane) add('meta.id', `must start with its plane "${String(meta.plane)}." (got ${JSON.stringify(meta.id)})`);
    if (where.folder !== undefined && prefix !== where.folder) add('meta.id', `must start with its folder "${where.folder}." (got ${JSON.stringify(meta.id)})`);
  }

  if (typeof meta.severity !== 'string' || !(SEVERITIES as readonly string[]).includes(meta.severity)) add('meta.severity', `must be one of ${SEVERITIES.join(', ')} (${got(meta.severity)})`);
  textField(meta.title, 'meta.title', 120, add);
  textField(meta.threat, 'meta.threat', 400, add);

  if (!Array.isArray(meta.tags)) {
    add('meta.tags', `must be an array of tags (${got(meta.tags)})`);
  } else {
    const seen = new Set<string>();
    meta.tags.forEach((tag: unknown, i: number) => {
      if (typeof tag !== 'string' || !TAG.test(tag)) add(`meta.tags[${i}]`, `must be a lower-case tag like "replay" (${got(tag)})`);
      else if (seen.has(tag)) add(`meta.tags[${i}]`, `duplicate tag "${tag}"`);
      else seen.add(tag);
    });
  }

  if (meta.timeoutMs !== undefined && !(Number.isInteger(meta.timeoutMs) && (meta.timeoutMs as number) > 0 && (meta.timeoutMs as number) <= MAX_TIMEOUT_MS)) {
    add('meta.timeoutMs', `must be a whole number of milliseconds in 1..${MAX_TIMEOUT_MS} (${got(meta.timeoutMs)})`);
  }

  if (meta.control !== undefined) validateControl(meta.control, add);
  return problems;
}

function textField(value: unknown, field: string, max: number, add: (field: string, message: string) => void): void {
  if (typeof value !== 'string' || value.trim() === '') add(field, `must be a non-empty string (${got(value)})`);
  else if (/[\r\n]/.test(value)) add(field, 'must be a single line');
  else if (value.length > max) add(field, `must be at most ${max} characters (got ${value.length})`);
}

function validateControl(control: unknown, add: (field: string, message: string) => void): void {
  if (!isRecord(control)) {
    add('meta.control', `must be an object { kind, location, description } (${got(control)})`);
    return;
  }
  for (const key of Object.keys(control)) if (!CONTROL_KEYS.has(key)) add(`meta.control.${key}`, `unknown field (allowed: ${[...CONTROL_KEYS].join(', ')})`);
  if (typeof control.kind !== 'string' || !(CONTROL_KINDS as readonly string[]).includes(control.kind)) add('meta.control.kind', `must be one of ${CONTROL_KINDS.join(', ')} (${got(control.kind)})`);
  if (typeof control.location !== 'string' || !isRelativeRepoPath(control.location)) add('meta.control.location', `must be a repository-relative file path like services/pdp/policies/ledger.cedar (${got(control.location)})`);
  textField(control.description, 'meta.control.description', 400, add);
  if (control.region !== undefined) {
    const region = control.region;
    if (!isRecord(region)) {
      add('meta.control.region', `must be an object { startLine, endLine? } (${got(region)})`);
    } else {
      const start = region.startLine;
      if (!Number.isInteger(start) || (start as number) < 1) add('meta.control.region.startLine', `must be a line number >= 1 (${got(start)})`);
      if (region.endLine !== undefined && (!Number.isInteger(region.endLine) || (Number.isInteger(start) && (region.endLine as number) < (start as number)))) {
        add('meta.control.region.endLine', `must be a line number >= startLine (${got(region.endLine)})`);
      }
    }
  }
}

/** Validates a module namespace: it must export `scenario`. */
export function validateScenarioModule(mod: unknown, where: ValidateWhere & { file: string }): ScenarioProblem[] {
  if (!isRecord(mod) || !('scenario' in mod)) {
    const hint = isRecord(mod) && 'default' in mod ? ' (found a default export; use `export const scenario = defineScenario(...)`)' : '';
    return [{ file: where.file, field: '(module)', message: `must export \`scenario\`${hint}` }];
  }
  return validateScenario(mod.scenario, where);
}

/** One problem per repeated id, naming the file that has it first. */
export function findDuplicateIds(entries: readonly { id: string; file: string }[]): ScenarioProblem[] {
  const first = new Map<string, string>();
  const problems: ScenarioProblem[] = [];
  for (const { id, file } of entries) {
    const earlier = first.get(id);
    if (earlier === undefined) first.set(id, file);
    else problems.push({ file, field: 'meta.id', message: `duplicate id "${id}" (also in ${earlier})` });
  }
  return problems;
}
