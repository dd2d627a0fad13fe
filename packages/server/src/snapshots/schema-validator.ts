import { Ajv, type ValidateFunction } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { badRequest, unprocessable } from '../errors.js';

const DRAFT_2020 = 'https://json-schema.org/draft/2020-12/schema';

/**
 * Compiles the operator's JSON Schema (draft-07 by default, 2020-12 when its `$schema` says so).
 * A schema that does not compile is a 400; a document that does not satisfy it a 422 naming the
 * first failing location.
 */
export function compileConfigSchema(schema: Record<string, unknown>): ValidateFunction {
  const ajv = schema.$schema === DRAFT_2020 ? new Ajv2020({ allErrors: false, strict: false }) : new Ajv({ allErrors: false, strict: false });
  try {
    return ajv.compile(schema);
  } catch (err) {
    throw badRequest(`invalid JSON Schema: ${(err as Error).message}`);
  }
}

export function assertValid(validate: ValidateFunction, document: unknown): void {
  if (validate(document)) return;
  const e = validate.errors?.[0];
  throw unprocessable(`document does not match the config schema at ${e?.instancePath || '/'}: ${e?.message ?? 'invalid'}`);
}
