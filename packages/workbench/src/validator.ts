// rjsf needs a validator; its default (ajv8) compiles each schema with `new Function`, which the
// workbench's CSP forbids (no unsafe-eval) and which would run schema text as code. The host validates
// settings (TypeBox, on the server) and answers with JSON paths, shown at the field by the form. What
// rjsf still asks the validator locally — "does this value fit this subschema?" to pick a oneOf/anyOf
// branch — is answered by the small structural check below, which evaluates nothing.
import type { RJSFSchema, ValidationData, ValidatorType } from '@rjsf/utils';

function typeOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  return typeof value;
}

function fits(schema: RJSFSchema | boolean | undefined, value: unknown): boolean {
  if (schema === undefined || schema === true) return true;
  if (schema === false) return false;
  if ('const' in schema && JSON.stringify(schema.const) !== JSON.stringify(value)) return false;
  if (schema.enum && !schema.enum.some((option) => JSON.stringify(option) === JSON.stringify(value))) return false;
  if (schema.type !== undefined) {
    const types = Array.isArray(schema.type) ? schema.type : [schema.type];
    const actual = typeOf(value);
    if (!types.some((type) => type === actual || (type === 'number' && actual === 'integer'))) return false;
  }
  if (typeOf(value) === 'object' && schema.properties) {
    const object = value as Record<string, unknown>;
    for (const key of schema.required ?? []) if (!(key in object)) return false;
    for (const [key, sub] of Object.entries(schema.properties)) if (key in object && !fits(sub as RJSFSchema, object[key])) return false;
  }
  return true;
}

/** A validator for rjsf that evaluates no code: validation errors come from the host's API. */
export const serverSideValidator: ValidatorType = {
  validateFormData(): ValidationData<unknown> {
    return { errors: [], errorSchema: {} };
  },
  isValid(schema, formData) {
    return fits(schema, formData);
  },
  rawValidation() {
    return { errors: [] };
  },
};
