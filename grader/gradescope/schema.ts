/**
 * The part of JSON Schema that results.schema.json uses (type, enum, required, properties,
 * additionalProperties: false, items, minimum, anyOf), so a results.json can be checked against
 * Gradescope's published format without a schema library.
 */
export interface Schema {
  type?: string | string[];
  enum?: unknown[];
  required?: string[];
  properties?: Record<string, Schema>;
  additionalProperties?: boolean;
  items?: Schema;
  minimum?: number;
  anyOf?: Schema[];
}

function typeOf(v: unknown): string {
  if (Array.isArray(v)) return 'array';
  if (v === null) return 'null';
  return typeof v;
}

/** Every way `value` breaks `schema`, each as `path: what`; [] when it conforms. */
export function schemaErrors(schema: Schema, value: unknown, path = '$'): string[] {
  const errors: string[] = [];
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    const t = typeOf(value);
    if (!types.includes(t) && !(t === 'number' && types.includes('integer') && Number.isInteger(value))) return [`${path}: ${t}, expected ${types.join(' or ')}`];
  }
  if (schema.enum && !schema.enum.includes(value)) errors.push(`${path}: ${JSON.stringify(value)} is not one of ${schema.enum.map((e) => JSON.stringify(e)).join(', ')}`);
  if (schema.minimum !== undefined && typeof value === 'number' && value < schema.minimum) errors.push(`${path}: ${value} < ${schema.minimum}`);
  if (typeOf(value) === 'object') {
    const obj = value as Record<string, unknown>;
    for (const key of schema.required ?? []) if (!(key in obj)) errors.push(`${path}: missing ${key}`);
    for (const [key, v] of Object.entries(obj)) {
      const sub = schema.properties?.[key];
      if (sub) errors.push(...schemaErrors(sub, v, `${path}.${key}`));
      else if (schema.additionalProperties === false) errors.push(`${path}: unknown key ${key}`);
    }
  }
  if (schema.items && Array.isArray(value)) value.forEach((v, i) => errors.push(...schemaErrors(schema.items!, v, `${path}[${i}]`)));
  if (schema.anyOf && !schema.anyOf.some((s) => schemaErrors(s, value, path).length === 0)) errors.push(`${path}: matches none of anyOf (${schema.anyOf.map((s) => schemaErrors(s, value, path).join('; ')).join(' | ')})`);
  return errors;
}
