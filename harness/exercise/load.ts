/**
 * Loads exercise files: YAML parsed with `yaml`, checked against the JSON
 * Schema shipped in exercises/ (ajv, every error), then against what the
 * schema cannot say (unique ids, references, known settings). Every problem
 * names its file and path.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, relative } from 'node:path';
import { parseDocument } from 'yaml';
import { ERROR_CODES, MeshgateError } from '../errors.ts';
import { PACKAGE_ROOT } from '../mesh/state-dir.ts';
import { DEFAULT_SETTINGS } from '../../services/kit/workload/settings.ts';
import { offsetMs, type Exercise } from './exercise.ts';

const require = createRequire(import.meta.url);
// ajv is CommonJS.
const Ajv = require('ajv') as new (o: object) => { compile(schema: object): ((data: unknown) => boolean) & { errors?: Array<{ instancePath: string; message?: string; params: Record<string, unknown> }> | null } };

export const EXERCISES_DIR = join(PACKAGE_ROOT, 'exercises');
export const EXERCISE_SCHEMA_PATH = join(EXERCISES_DIR, 'exercise.schema.json');

export interface ExerciseProblem {
  file: string;
  path: string;
  message: string;
}

export class ExerciseInvalidError extends MeshgateError {
  readonly problems: ExerciseProblem[];
  constructor(problems: ExerciseProblem[]) {
    super(ERROR_CODES.usage, `${problems.length} problem${problems.length === 1 ? '' : 's'} in exercise files:\n${problems.map((p) => `  ${p.file}: ${p.path}: ${p.message}`).join('\n')}`);
    this.name = 'ExerciseInvalidError';
    this.problems = problems;
  }
}

let validator: ReturnType<InstanceType<typeof Ajv>['compile']> | undefined;
function schemaValidator() {
  validator ??= new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(EXERCISE_SCHEMA_PATH, 'utf8')) as object);
  return validator;
}

function displayPath(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel.startsWith('..') ? file : rel;
}

/** Checks one parsed exercise; returns every problem. */
export function checkExercise(value: unknown, file: string): ExerciseProblem[] {
  const problems: ExerciseProblem[] = [];
  const validate = schemaValidator();
  if (!validate(value)) {
    for (const e of validate.errors ?? []) {
      // oneOf branches each report; the summary line says which shapes are allowed.
      if (e.message === 'must match exactly one schema in oneOf') {
        problems.push({ file, path: e.instancePath || '/', message: 'must be one of: an attack ({ attack, params, ratePerSecond }), a mesh action ({ mesh, params }) or a message ({ message })' });
        continue;
      }
      if (/\/action$/.test(e.instancePath) && (e.params.additionalProperty !== undefined || e.params.missingProperty !== undefined)) continue;
      const extra = e.params.additionalProperty !== undefined ? ` ("${String(e.params.additionalProperty)}")` : e.params.allowedValues ? ` (${(e.params.allowedValues as unknown[]).join(', ')})` : '';
      problems.push({ file, path: e.instancePath || '/', message: `${e.message ?? 'is invalid'}${extra}` });
    }
    return dedupe(problems);
  }
  const exercise = value as Exercise;
  const objectiveIds = new Set(exercise.objectives.map((o) => o.id));
  const seen = new Set<string>();
  exercise.injects.forEach((inject, i) => {
    const at = `/injects/${i}`;
    if (seen.has(inject.id)) problems.push({ file, path: `${at}/id`, message: `duplicate inject id "${inject.id}"` });
    seen.add(inject.id);
    try {
      if (offsetMs(inject.at) > 15 * 60_000) problems.push({ file, path: `${at}/at`, message: 'an exercise runs within 15 minutes of exercise time' });
    } catch (err) {
      problems.push({ file, path: `${at}/at`, message: (err as Error).message });
    }
    (inject.objectives ?? []).forEach((o, j) => {
      if (!objectiveIds.has(o)) problems.push({ file, path: `${at}/objectives/${j}`, message: `names no objective of this exercise ("${o}"; objectives: ${[...objectiveIds].join(', ')})` });
    });
    const action = inject.action;
    if ('mesh' in action && action.mesh === 'redeploy') {
      const settings = (action.params?.settings ?? {}) as Record<string, unknown>;
      for (const key of Object.keys(settings)) if (!(key in DEFAULT_SETTINGS)) problems.push({ file, path: `${at}/action/params/settings/${key}`, message: 'is not a workload setting' });
    }
    if (('attack' in action || 'mesh' in action) && !inject.containment) problems.push({ file, path: at, message: 'an attack or mesh action needs a containment condition' });
  });
  return problems;
}

function dedupe(problems: ExerciseProblem[]): ExerciseProblem[] {
  const keys = new Set<string>();
  return problems.filter((p) => {
    const k = `${p.path}\u0000${p.message}`;
    if (keys.has(k)) return false;
    keys.add(k);
    return true;
  });
}

/** Reads and checks one file; the problems are returned, never thrown. */
export function readExercise(file: string): { exercise?: Exercise; problems: ExerciseProblem[] } {
  const shown = displayPath(file);
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    return { problems: [{ file: shown, path: '/', message: `cannot be read: ${(err as Error).message}` }] };
  }
  const doc = parseDocument(text);
  if (doc.errors.length > 0) return { problems: doc.errors.map((e) => ({ file: shown, path: '/', message: `YAML: ${e.message.split('\n')[0]}` })) };
  const value = doc.toJS() as unknown;
  const problems = checkExercise(value, shown);
  return problems.length === 0 ? { exercise: value as Exercise, problems } : { problems };
}

/** Every exercise file shipped in exercises/. */
export function exerciseFiles(dir = EXERCISES_DIR): string[] {
  return readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .map((f) => join(dir, f));
}

/** Loads files, throwing one error with every problem of every file. */
export function loadExercises(files: string[]): Array<{ file: string; exercise: Exercise }> {
  const loaded: Array<{ file: string; exercise: Exercise }> = [];
  const problems: ExerciseProblem[] = [];
  for (const file of files) {
    const r = readExercise(file);
    problems.push(...r.problems);
    if (r.exercise) loaded.push({ file, exercise: r.exercise });
  }
  if (problems.length > 0) throw new ExerciseInvalidError(problems);
  return loaded;
}

/** An exercise by id (from exercises/) or by file path. */
export function resolveExercise(idOrFile: string): { file: string; exercise: Exercise } {
  if (/\.ya?ml$/.test(idOrFile)) return loadExercises([idOrFile])[0]!;
  const all = loadExercises(exerciseFiles());
  const found = all.find((e) => e.exercise.id === idOrFile);
  if (!found) throw new MeshgateError(ERROR_CODES.usage, `no exercise "${idOrFile}"; exercises: ${all.map((e) => e.exercise.id).join(', ')}`);
  return found;
}
