/**
 * JSON that crosses a boundary — a file another program wrote, a child process's output, a
 * student's program's stats — is parsed here and checked against a schema (valibot) before any
 * code trusts its shape. One way, used everywhere: `parseJson(text, Schema, 'what it is')` returns
 * the typed value or throws one JsonShapeError line naming the first field that is wrong.
 */
import * as v from 'valibot';
import { AvsockError } from './errors.ts';

/** JSON that does not parse, or parses to the wrong shape. */
export class JsonShapeError extends AvsockError {
  constructor(message: string) {
    super('E_JSON_SHAPE', message);
  }
}

/** A number that may have been NaN when written: JSON.stringify writes NaN and ±Infinity as null. */
export const jsonNumber = v.pipe(
  v.nullable(v.number()),
  v.transform((n) => n ?? Number.NaN),
);

/** A schema for values of type T (so a schema written beside an interface is checked against it). */
export type Schema<T> = v.GenericSchema<unknown, T>;

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return `"${value.length > 40 ? `${value.slice(0, 40)}…` : value}"`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${JSON.stringify(value) ?? typeof value}`;
}

/** Checks an already-parsed value; throws a JsonShapeError naming `what` and the first wrong field. */
export function checkShape<T>(value: unknown, schema: Schema<T>, what: string): T {
  const result = v.safeParse(schema, value);
  if (result.success) return result.output;
  const issue = result.issues[0];
  const path = issue.path?.map((p) => (typeof p.key === 'number' ? `[${p.key}]` : `.${String(p.key)}`)).join('') ?? '';
  const where = `${what}${path ? ` ${path.replace(/^\./, '')}` : ''}`;
  if (issue.input === undefined) throw new JsonShapeError(`${where}: missing`);
  throw new JsonShapeError(`${where}: expected ${issue.expected ?? 'something else'}, got ${describe(issue.input)}`);
}

/** Parses JSON text and checks its shape; throws a one-line JsonShapeError otherwise. */
export function parseJson<T>(text: string, schema: Schema<T>, what: string): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new JsonShapeError(`${what} is not JSON (${(error as Error).message})`);
  }
  return checkShape(value, schema, what);
}
