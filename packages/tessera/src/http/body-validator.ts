import { Ajv } from 'ajv';
import type { ErrorObject, ValidateFunction } from 'ajv';
import { TesseraError } from '../errors.js';

/**
 * Validates request bodies and query strings against the route schemas, the same way in every
 * adapter. Strict: no type coercion (a number is not an email) and no silent removal of
 * unknown fields (a misspelt field is an error, not ignored). Messages name the field, never
 * echo its value.
 */
const ajv = new Ajv({ allErrors: false, coerceTypes: false, removeAdditional: false, useDefaults: false, strict: true });
const compiled = new WeakMap<object, ValidateFunction>();

function firstError(schema: object, value: unknown): ErrorObject | undefined | null {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  if (validate(value)) return null;
  return validate.errors?.[0];
}

/** Throws `invalid_request` when `body` does not match `schema`. */
export function validateBody(schema: object, body: unknown): void {
  const e = firstError(schema, body ?? {});
  if (e === null) return;
  // An unknown field's name is input: it is not echoed. Known field names come from the schema.
  if (e?.keyword === 'additionalProperties') throw new TesseraError('invalid_request', { message: 'The body has a field this endpoint does not accept.' });
  const field = e?.instancePath ? e.instancePath.slice(1) : (e?.params as { missingProperty?: string } | undefined)?.missingProperty;
  throw new TesseraError('invalid_request', { message: field ? `${field} ${e?.message ?? 'is invalid'}.` : `The body ${e?.message ?? 'is invalid'}.` });
}

/**
 * Throws `invalid_request` when a query (each parameter a string, or an array when repeated)
 * does not match `schema`, whose properties are strings described by their `description`.
 */
export function validateQuery(schema: { properties?: Record<string, { description?: string }> }, query: unknown): void {
  const e = firstError(schema, query ?? {});
  if (e === null) return;
  if (e?.keyword === 'additionalProperties') throw new TesseraError('invalid_request', { message: 'The query has a parameter this endpoint does not accept.' });
  const field = e?.instancePath.split('/')[1] ?? '';
  const description = schema.properties?.[field]?.description;
  if (e?.keyword === 'type') throw new TesseraError('invalid_request', { message: `The query parameter ${field} must be given once.` });
  throw new TesseraError('invalid_request', { message: description ? `The query parameter ${field} must be ${description}.` : 'The query is malformed.' });
}
