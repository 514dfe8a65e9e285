/**
 * Shapes a wire DecisionRequest into a Cedar call, guided by the schema:
 * entity-typed attributes arrive as plain id strings and leave as entity
 * references, and the entities Cedar needs (principal, resource, referenced
 * directory users) are assembled.
 *
 * The shaper also judges the request's types against the schema in the same
 * pass, so the decision can skip Cedar's per-call request and entity
 * validation, which costs more than the evaluation itself. It judges only
 * what it fully understands (Long, String, Boolean, entity references, sets,
 * records); a schema with anything else (extension types, action groups) is
 * left to Cedar's validation (`judgesTypes` is false). The pdp-engine tests
 * hold both judges to the same verdicts.
 */
import { checkParseEntities } from '@cedar-policy/cedar-wasm/nodejs';
import type { CedarValueJson, EntityJson, EntityUidJson, SchemaJson, Type } from '@cedar-policy/cedar-wasm/nodejs';
import type { DecisionRequest, DecisionValue } from '../kit/pep/decision-types.ts';
import { describeValue } from '../kit/pep/decision-types.ts';

interface Attribute {
  shape: Shape;
  required: boolean;
}

type Shape =
  | { kind: 'Long' | 'String' | 'Boolean' }
  | { kind: 'entity'; name: string }
  | { kind: 'set'; element: Shape }
  | { kind: 'record'; attributes: Map<string, Attribute>; open: boolean }
  /** A type the shaper does not judge: the value passes through for Cedar to validate. */
  | { kind: 'unjudged' };

interface ActionShape {
  principalTypes: readonly string[];
  resourceTypes: readonly string[];
  context: Shape;
}

export interface CedarCallParts {
  principal: EntityUidJson;
  action: EntityUidJson;
  resource: EntityUidJson;
  context: Record<string, CedarValueJson>;
  entities: EntityJson[];
}

export type ShapeResult = { ok: true; parts: CedarCallParts } | { ok: false; errors: string[] };

const EMPTY_RECORD: Shape = { kind: 'record', attributes: new Map(), open: false };
const MAX_SHAPE_DEPTH = 16;

export class RequestShaper {
  readonly #actions = new Map<string, ActionShape>();
  readonly #entityShapes = new Map<string, Shape>();
  readonly #directory = new Map<string, EntityJson>();
  readonly #directoryProblems: string[] = [];
  readonly #unjudged: readonly string[];

  /** Only the schema's unnamed namespace is read: the mesh schema declares no namespace. */
  constructor(schema: SchemaJson<string>, directory: readonly EntityJson[]) {
    const ns = schema[''] ?? { entityTypes: {}, actions: {} };
    const common = ns.commonTypes ?? {};
    const unjudged = new Set<string>();
    const toShape = (t: Type<string> | undefined, depth = 0): Shape => {
      const v = t as { type: string; name?: string; element?: Type<string>; attributes?: Record<string, Type<string> & { required?: boolean }>; additionalAttributes?: boolean } | undefined;
      if (!v || depth > MAX_SHAPE_DEPTH) return unjudgedShape(unjudged, v ? `a type nested deeper than ${MAX_SHAPE_DEPTH}` : 'a missing type');
      switch (v.type) {
        case 'Long':
        case 'String':
        case 'Boolean':
          return { kind: v.type };
        case 'Entity':
          return { kind: 'entity', name: v.name! };
        case 'EntityOrCommon':
          return v.name! in common ? toShape(common[v.name!], depth + 1) : builtin(v.name!) ?? { kind: 'entity', name: v.name! };
        case 'Set':
          return { kind: 'set', element: toShape(v.element, depth + 1) };
        case 'Record': {
          const attributes = new Map(Object.entries(v.attributes ?? {}).map(([k, a]): [string, Attribute] => [k, { shape: toShape(a, depth + 1), required: a.required !== false }]));
          return { kind: 'record', attributes, open: v.additionalAttributes === true };
        }
        default:
          return v.type in common ? toShape(common[v.type], depth + 1) : unjudgedShape(unjudged, `type ${v.type}`);
      }
    };
    for (const [name, def] of Object.entries(ns.entityTypes)) {
      const shape = 'shape' in def && def.shape ? toShape(def.shape) : EMPTY_RECORD;
      this.#entityShapes.set(name, shape);
    }
    for (const [id, def] of Object.entries(ns.actions)) {
      if ((def.memberOf ?? []).length > 0) unjudged.add(`action "${id}" is in an action group`);
      this.#actions.set(id, {
        principalTypes: def.appliesTo?.principalTypes ?? [],
        resourceTypes: def.appliesTo?.resourceTypes ?? [],
        context: def.appliesTo?.context ? toShape(def.appliesTo.context) : EMPTY_RECORD,
      });
    }
    this.#unjudged = [...unjudged];
    // The directory is fixed, so it is validated against the schema once, here, rather than on each decision.
    const checked = checkParseEntities({ entities: [...directory], schema });
    if (checked.type === 'failure') this.#directoryProblems.push(...checked.errors.map((e) => `directory: ${e.message}`));
    for (const e of directory) {
      const uid = e.uid as { type: string; id: string };
      this.#directory.set(key(uid.type, uid.id), e);
    }
  }

  /** True when this shaper's checks cover everything the schema can say about a request. */
  get judgesTypes(): boolean {
    return this.#unjudged.length === 0;
  }

  /** Every way the directory does not fit the schema, as `directory: …`; [] when it fits. */
  get directoryProblems(): readonly string[] {
    return this.#directoryProblems;
  }

  /** What in the schema the shaper leaves to Cedar's validation, by name. */
  get unjudged(): readonly string[] {
    return this.#unjudged;
  }

  actions(): string[] {
    return [...this.#actions.keys()];
  }

  resourceTypes(action: string): readonly string[] {
    return this.#actions.get(action)?.resourceTypes ?? [];
  }

  /**
   * The Cedar call parts, or every reason the request cannot be put to Cedar. With `judge` false,
   * values of the wrong type are passed on for Cedar's own validation to refuse.
   */
  shape(req: DecisionRequest, judge = true): ShapeResult {
    const errors: string[] = [];
    const action = this.#actions.get(req.action);
    if (!action) errors.push(`action "${req.action}" is not in the schema`);
    else if (action.principalTypes.length === 0) errors.push(`action "${req.action}" applies to no principal type`);
    if (action && !action.resourceTypes.includes(req.resource.type)) errors.push(`resource type "${req.resource.type}" does not apply to action "${req.action}" (expected ${action.resourceTypes.join(' or ')})`);
    if (errors.length > 0) return { ok: false, errors };
    const refs = new Set<string>();
    const typeErrors = judge ? errors : [];
    const resourceShape = this.#entityShapes.get(req.resource.type) ?? EMPTY_RECORD;
    const attrs = convert(req.resource.attributes, resourceShape, `resource.attributes (${req.resource.type})`, refs, typeErrors) as Record<string, CedarValueJson>;
    const context = convert(req.context, action!.context, `context of "${req.action}"`, refs, typeErrors) as Record<string, CedarValueJson>;
    if (errors.length > 0) return { ok: false, errors };
    const principal = { type: action!.principalTypes[0]!, id: req.principal };
    const resource = { type: req.resource.type, id: req.resource.id };
    // The principal is not sent as an entity: Service has no attributes or parents, and every
    // entity Cedar is given costs parsing time on each decision.
    const entities: EntityJson[] = [{ uid: resource, attrs, parents: [] }];
    refs.delete(key(principal.type, principal.id));
    refs.delete(key(resource.type, resource.id));
    // Only directory entries the request mentions, for the same reason.
    for (const ref of refs) {
      const entity = this.#directory.get(ref);
      if (entity) entities.push(entity);
    }
    return { ok: true, parts: { principal, action: { type: 'Action', id: req.action }, resource, context, entities } };
  }
}

function key(type: string, id: string): string {
  return `${type}\u0000${id}`;
}

function builtin(name: string): Shape | undefined {
  return name === 'Long' || name === 'String' || name === 'Boolean' ? { kind: name } : undefined;
}

function unjudgedShape(unjudged: Set<string>, what: string): Shape {
  unjudged.add(what);
  return { kind: 'unjudged' };
}

const TYPE_NAMES = { Long: 'a Long (integer)', String: 'a string', Boolean: 'a boolean' } as const;

/** Converts a value to Cedar JSON, adding a problem naming `path` for each value the shape does not admit. */
function convert(value: DecisionValue, shape: Shape, path: string, refs: Set<string>, errors: string[]): CedarValueJson {
  switch (shape.kind) {
    case 'Long':
      if (typeof value !== 'number' || !Number.isInteger(value)) errors.push(`${path} must be ${TYPE_NAMES.Long} (got ${describeValue(value)})`);
      return value as CedarValueJson;
    case 'String':
    case 'Boolean':
      if (typeof value !== shape.kind.toLowerCase()) errors.push(`${path} must be ${TYPE_NAMES[shape.kind]} (got ${describeValue(value)})`);
      return value as CedarValueJson;
    case 'entity':
      if (typeof value !== 'string') {
        errors.push(`${path} must be a ${shape.name} id (got ${describeValue(value)})`);
        return value as CedarValueJson;
      }
      refs.add(key(shape.name, value));
      return { __entity: { type: shape.name, id: value } };
    case 'set':
      if (!Array.isArray(value)) {
        errors.push(`${path} must be a set (got ${describeValue(value)})`);
        return value as CedarValueJson;
      }
      return value.map((v, i) => convert(v, shape.element, `${path}[${i}]`, refs, errors));
    case 'record': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        errors.push(`${path} must be a record (got ${describeValue(value)})`);
        return value as CedarValueJson;
      }
      const out: Record<string, CedarValueJson> = {};
      for (const [name, attribute] of shape.attributes) if (attribute.required && !(name in value)) errors.push(`${path} lacks the attribute "${name}" the schema requires`);
      for (const [name, v] of Object.entries(value)) {
        const attribute = shape.attributes.get(name);
        if (attribute) out[name] = convert(v, attribute.shape, `${path}.${name}`, refs, errors);
        else {
          if (!shape.open) errors.push(`${path} has an attribute "${name}" the schema does not declare`);
          out[name] = v as CedarValueJson;
        }
      }
      return out;
    }
    case 'unjudged':
      return value as CedarValueJson;
  }
}
