/**
 * Shapes a wire DecisionRequest into a Cedar call, guided by the schema:
 * entity-typed attributes arrive as plain id strings and leave as entity
 * references, and the entities Cedar needs (principal, resource, referenced
 * directory users) are assembled. The request is checked against the schema
 * here, once, in TypeScript (types, required and unknown attributes, Long
 * range): Cedar's own request validation re-parses the schema's types on every
 * call, which was a third of an embedded decision. Policies are still validated
 * by Cedar against the schema when they are pushed.
 */
import type { CedarValueJson, EntityJson, EntityUidJson, SchemaJson, Type } from '@cedar-policy/cedar-wasm/nodejs';
import type { DecisionRequest, DecisionValue } from '../kit/pep/decision-types.ts';

type Shape =
  | { kind: 'entity'; name: string }
  | { kind: 'set'; element: Shape }
  | { kind: 'record'; attributes: Map<string, Shape>; required: ReadonlySet<string> }
  | { kind: 'long' }
  | { kind: 'string' }
  | { kind: 'boolean' }
  /** An extension type (decimal, ipaddr, datetime): passed to Cedar, which parses it. */
  | { kind: 'plain' };

/** Cedar's Long is a signed 64-bit integer; beyond 2^53 a JSON number is no longer exact, so refuse it. */
const LONG_LIMIT = Number.MAX_SAFE_INTEGER;

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

export class RequestShaper {
  readonly #actions = new Map<string, ActionShape>();
  readonly #entityShapes = new Map<string, Shape>();
  readonly #directory = new Map<string, EntityJson>();

  /** Only the schema's unnamed namespace is read: the mesh schema declares no namespace. */
  constructor(schema: SchemaJson<string>, directory: readonly EntityJson[]) {
    const ns = schema[''] ?? { entityTypes: {}, actions: {} };
    const common = ns.commonTypes ?? {};
    const toShape = (t: Type<string> | undefined, depth = 0): Shape => {
      if (!t || depth > 16) return { kind: 'plain' };
      const v = t as { type: string; name?: string; element?: Type<string>; attributes?: Record<string, Type<string> & { required?: boolean }> };
      switch (v.type) {
        case 'Entity':
          return { kind: 'entity', name: v.name! };
        case 'EntityOrCommon':
          return v.name! in common ? toShape(common[v.name!], depth + 1) : { kind: 'entity', name: v.name! };
        case 'Set':
          return { kind: 'set', element: toShape(v.element, depth + 1) };
        case 'Record': {
          const attributes = Object.entries(v.attributes ?? {});
          return { kind: 'record', attributes: new Map(attributes.map(([k, a]) => [k, toShape(a, depth + 1)])), required: new Set(attributes.filter(([, a]) => a.required !== false).map(([k]) => k)) };
        }
        case 'String':
          return { kind: 'string' };
        case 'Long':
          return { kind: 'long' };
        case 'Boolean':
          return { kind: 'boolean' };
        case 'Extension':
          return { kind: 'plain' };
        default:
          return v.type in common ? toShape(common[v.type], depth + 1) : { kind: 'plain' };
      }
    };
    for (const [name, def] of Object.entries(ns.entityTypes)) {
      const shape = 'shape' in def ? def.shape : undefined;
      this.#entityShapes.set(name, shape ? toShape(shape) : { kind: 'record', attributes: new Map(), required: new Set() });
    }
    for (const [id, def] of Object.entries(ns.actions)) {
      this.#actions.set(id, {
        principalTypes: def.appliesTo?.principalTypes ?? [],
        resourceTypes: def.appliesTo?.resourceTypes ?? [],
        context: toShape(def.appliesTo?.context),
      });
    }
    for (const e of directory) {
      const uid = e.uid as { type: string; id: string };
      this.#directory.set(key(uid.type, uid.id), e);
    }
  }

  actions(): string[] {
    return [...this.#actions.keys()];
  }

  resourceTypes(action: string): readonly string[] {
    return this.#actions.get(action)?.resourceTypes ?? [];
  }

  /** The Cedar call parts, or every reason the request cannot be put to Cedar. */
  shape(req: DecisionRequest): { ok: true; parts: CedarCallParts } | { ok: false; errors: string[] } {
    const errors: string[] = [];
    const action = this.#actions.get(req.action);
    if (!action) errors.push(`action "${req.action}" is not in the schema`);
    const principalType = action?.principalTypes[0] ?? 'Service';
    if (action && !action.resourceTypes.includes(req.resource.type)) errors.push(`resource type "${req.resource.type}" does not apply to action "${req.action}" (expected ${action.resourceTypes.join(' or ')})`);
    if (errors.length > 0) return { ok: false, errors };
    const resourceShape = this.#entityShapes.get(req.resource.type) ?? { kind: 'plain' };
    conform(req.resource.attributes, resourceShape, `resource ${req.resource.type} attributes`, errors);
    conform(req.context, action!.context, 'context', errors);
    if (errors.length > 0) return { ok: false, errors };
    const refs = new Set<string>();
    const attrs = convert(req.resource.attributes, resourceShape, refs) as Record<string, CedarValueJson>;
    const context = convert(req.context, action!.context, refs) as Record<string, CedarValueJson>;
    const principal = { type: principalType, id: req.principal };
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

/** Every way `value` does not have the schema type `shape`, pushed onto `errors` with its path. */
function conform(value: DecisionValue, shape: Shape, path: string, errors: string[]): void {
  const got = (): string => (Array.isArray(value) ? 'a set' : value === null ? 'null' : typeof value === 'object' ? 'a record' : `${typeof value} ${JSON.stringify(value)}`);
  switch (shape.kind) {
    case 'string':
      if (typeof value !== 'string') errors.push(`${path} must be a String (got ${got()})`);
      return;
    case 'boolean':
      if (typeof value !== 'boolean') errors.push(`${path} must be a Boolean (got ${got()})`);
      return;
    case 'long':
      if (typeof value !== 'number' || !Number.isSafeInteger(value)) errors.push(`${path} must be a Long, an integer within ±${LONG_LIMIT} (got ${got()})`);
      return;
    case 'entity':
      if (typeof value !== 'string' || value === '') errors.push(`${path} must be the id of a ${shape.name} (got ${got()})`);
      return;
    case 'set':
      if (!Array.isArray(value)) errors.push(`${path} must be a Set (got ${got()})`);
      else value.forEach((v, i) => conform(v, shape.element, `${path}[${i}]`, errors));
      return;
    case 'record': {
      if (value === null || typeof value !== 'object' || Array.isArray(value)) {
        errors.push(`${path} must be a record (got ${got()})`);
        return;
      }
      for (const key of shape.required) if (!(key in value)) errors.push(`${path}.${key} is required by the schema`);
      for (const [key, v] of Object.entries(value)) {
        const inner = shape.attributes.get(key);
        if (inner) conform(v, inner, `${path}.${key}`, errors);
        else errors.push(`${path}.${key} is not in the schema`);
      }
      return;
    }
    case 'plain':
      return;
  }
}

function convert(value: DecisionValue, shape: Shape, refs: Set<string>): CedarValueJson {
  if (shape.kind === 'entity' && typeof value === 'string') {
    refs.add(key(shape.name, value));
    return { __entity: { type: shape.name, id: value } };
  }
  if (shape.kind === 'set' && Array.isArray(value)) return value.map((v) => convert(v, shape.element, refs));
  if (shape.kind === 'record' && value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const out: Record<string, CedarValueJson> = {};
    for (const [k, v] of Object.entries(value)) out[k] = convert(v, shape.attributes.get(k) ?? { kind: 'plain' }, refs);
    return out;
  }
  return value as CedarValueJson;
}
