/** The mesh's Cedar schema: its text, a name for Cedar's pre-parsed cache, and its types for request shaping. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { checkParseSchema, preparseSchema, schemaToJsonWithResolvedTypes } from '@cedar-policy/cedar-wasm/nodejs';
import type { SchemaJson } from '@cedar-policy/cedar-wasm/nodejs';
import { problemsFromCedar } from './cedar-diagnostics.ts';
import { POLICY_ERROR_CODES, PolicyValidationError } from './errors.ts';
import { formatProblem } from './policy-problem.ts';

export const MESH_SCHEMA_FILE = fileURLToPath(new URL('./schema/mesh.cedarschema', import.meta.url));

export interface CedarSchema {
  file: string;
  text: string;
  /** Content hash; the key under which Cedar keeps the pre-parsed schema. */
  name: string;
  /** The schema as JSON with entity and common types resolved. */
  json: SchemaJson<string>;
}

/** Parses a schema; an unparsable one throws PolicyValidationError listing every problem with file:line. */
export function parseSchema(text: string, file: string): CedarSchema {
  if (typeof text !== 'string') throw new TypeError(`parseSchema: text must be a string (got ${typeof text})`);
  if (typeof file !== 'string' || file === '') throw new TypeError('parseSchema: file must be a non-empty string');
  const fail = (errors: Parameters<typeof problemsFromCedar>[0]): never => {
    const problems = problemsFromCedar(errors, { file, fileText: text, sliceText: text, sliceStart: 0 });
    throw new PolicyValidationError(POLICY_ERROR_CODES.schemaInvalid, `schema ${file} is invalid:\n${problems.map(formatProblem).join('\n')}`, problems);
  };
  const parsed = checkParseSchema(text);
  if (parsed.type === 'failure') return fail(parsed.errors);
  const json = schemaToJsonWithResolvedTypes(text);
  if (json.type === 'failure') return fail(json.errors);
  const name = `schema-${createHash('sha256').update(text).digest('hex').slice(0, 32)}`;
  const pre = preparseSchema(name, text);
  if (pre.type === 'failure') return fail(pre.errors);
  return { file, text, name, json: json.json };
}

let meshSchema: CedarSchema | undefined;

/** The reference mesh schema, read and parsed once per process. */
export function loadMeshSchema(): CedarSchema {
  meshSchema ??= parseSchema(readFileSync(MESH_SCHEMA_FILE, 'utf8'), MESH_SCHEMA_FILE);
  return meshSchema;
}

/** Reads and parses a schema file (for `policy check --schema` style use and tests). */
export function loadSchemaFile(file: string): CedarSchema {
  return parseSchema(readFileSync(file, 'utf8'), file);
}
