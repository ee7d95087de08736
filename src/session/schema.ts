/** The session schema's validators (schema/session.schema.json), compiled once, by definition name. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Ajv as AjvType, ValidateFunction } from 'ajv';
import { packageRoot } from '../package-info.js';

let ajv: AjvType | undefined;

/** The schema has no definition of that name (a record type genwatt does not know). */
export class NoDefinitionError extends Error {}
const validators = new Map<string, ValidateFunction>();

/**
 * The validator of a definition (`reading`, `sampleRecord`, …), or of the whole document (null).
 * `T` names the type the definition describes: a value it accepts is that type from then on.
 */
export async function validator<T = unknown>(def: string | null): Promise<ValidateFunction<T>> {
  const key = def ?? '';
  const hit = validators.get(key);
  if (hit) return hit as ValidateFunction<T>;
  if (!ajv) {
    const { Ajv } = await import('ajv');
    // Without Ajv's code optimisation pass: compiling the session schema takes ~60 ms instead of ~110 ms
    // (a quarter of a short report's CPU), and validating is as fast (300,000 sample records ~25 ms either way).
    ajv = new Ajv({ allErrors: false, strict: false, code: { optimize: false } });
    ajv.addSchema(JSON.parse(readFileSync(join(packageRoot(), 'schema/session.schema.json'), 'utf8')), 'session');
  }
  const fn = ajv.getSchema(def ? `session#/definitions/${def}` : 'session');
  if (!fn) throw new NoDefinitionError(`schema has no definition ${def}`);
  validators.set(key, fn);
  return fn as ValidateFunction<T>;
}

/** The first error of the last validation, in words. */
export function describeErrors(fn: ValidateFunction<unknown>): string {
  const e = fn.errors?.[0];
  if (!e) return 'does not match the session schema';
  return `${e.instancePath || '(top level)'} ${e.message ?? 'is invalid'}`;
}
