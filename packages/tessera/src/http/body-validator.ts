import { Ajv } from 'ajv';
import type { ValidateFunction } from 'ajv';
import { TesseraError } from '../errors.js';

/**
 * Validates request bodies against the route schemas, the same way in every adapter. Strict:
 * no type coercion (a number is not an email) and no silent removal of unknown fields (a
 * misspelt field is an error, not ignored). Messages name the field, never echo its value.
 */
const ajv = new Ajv({ allErrors: false, coerceTypes: false, removeAdditional: false, useDefaults: false, strict: true });
const compiled = new WeakMap<object, ValidateFunction>();

/** Throws `invalid_request` when `body` does not match `schema`. */
export function validateBody(schema: object, body: unknown): void {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(schema, validate);
  }
  if (validate(body ?? {})) return;
  const e = validate.errors?.[0];
  // An unknown field's name is input: it is not echoed. Known field names come from the schema.
  if (e?.keyword === 'additionalProperties') throw new TesseraError('invalid_request', { message: 'The body has a field this endpoint does not accept.' });
  const field = e?.instancePath ? e.instancePath.slice(1) : (e?.params as { missingProperty?: string } | undefined)?.missingProperty;
  throw new TesseraError('invalid_request', { message: field ? `${field} ${e?.message ?? 'is invalid'}.` : `The body ${e?.message ?? 'is invalid'}.` });
}
