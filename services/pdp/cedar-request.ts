/**
 * Shapes a wire DecisionRequest into a Cedar call, guided by the schema:
 * entity-typed attributes arrive as plain id strings and leave as entity
 * references, and the entities Cedar needs (principal, resource, referenced
 * directory users) are assembled. Type checking proper is left to Cedar's
 * request validation, so there is one judge of what the schema allows.
 */
import type { CedarValueJson, EntityJson, EntityUidJson, SchemaJson, Type } from '@cedar-policy/cedar-wasm/nodejs';
import type { DecisionRequest, DecisionValue } from '../kit/pep/decision-types.ts';

type Shape = { kind: 'entity'; name: string } | { kind: 'set'; element: Shape } | { kind: 'record'; attributes: Map<string, Shape> } | { kind: 'plain' };

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
      const v = t as { type: string; name?: string; element?: Type<string>; attributes?: Record<string, Type<string>> };
      switch (v.type) {
        case 'Entity':
          return { kind: 'entity', name: v.name! };
        case 'EntityOrCommon':
          return v.name! in common ? toShape(common[v.name!], depth + 1) : { kind: 'entity', name: v.name! };
        case 'Set':
          return { kind: 'set', element: toShape(v.element, depth + 1) };
        case 'Record':
          return { kind: 'record', attributes: new Map(Object.entries(v.attributes ?? {}).map(([k, a]) => [k, toShape(a, depth + 1)])) };
        case 'String':
        case 'Long':
        case 'Boolean':
        case 'Extension':
          return { kind: 'plain' };
        default:
          return v.type in common ? toShape(common[v.type], depth + 1) : { kind: 'plain' };
      }
    };
    for (const [name, def] of Object.entries(ns.entityTypes)) {
      const shape = 'shape' in def ? def.shape : undefined;
      this.#entityShapes.set(name, toShape(shape));
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
    const refs = new Set<string>();
    const attrs = convert(req.resource.attributes, this.#entityShapes.get(req.resource.type) ?? { kind: 'plain' }, refs) as Record<string, CedarValueJson>;
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
