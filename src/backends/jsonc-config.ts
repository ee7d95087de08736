/**
 * Config and plan files: JSON with comments, checked against a schema of schema/. An error names the
 * file, the line (and for a syntax error the column) and the field.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../package-info.js';

/** 1-based line and column of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < text.length; i++)
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  return { line, column: Math.max(1, Math.min(offset, text.length) - start + 1) };
}

const lineOf = (text: string, offset: number) => lineColumn(text, offset).line;

/** `/presets/1/command` → `presets[1].command` */
export function fieldName(pointer: string): string {
  return pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((acc, p) => (/^\d+$/.test(p) ? `${acc}[${p}]` : acc ? `${acc}.${p}` : p), '');
}

/** Parses JSON with comments; throws an Error naming the file and line. */
export async function parseJsonc(text: string, file: string): Promise<unknown> {
  const { parse, printParseErrorCode } = await import('jsonc-parser');
  const errors: import('jsonc-parser').ParseError[] = [];
  const data: unknown = parse(text, errors, { allowTrailingComma: true });
  if (errors.length) {
    const at = lineColumn(text, errors[0].offset);
    throw new Error(`${file} line ${at.line} column ${at.column}: not valid JSON (${printParseErrorCode(errors[0].error)})`);
  }
  return data;
}

/**
 * Validates `data` (parsed from `text`) against a schema of schema/, or one of its definitions
 * (`part`: data found at `at` in the file); the error names the file, line and field.
 */
export async function validateAgainst(data: unknown, text: string, file: string, schemaName: string, part?: { definition: string; at: string }): Promise<void> {
  const { parseTree, findNodeAtLocation } = await import('jsonc-parser');
  const { Ajv } = await import('ajv');
  const ajv = new Ajv({ allErrors: false, strict: false });
  ajv.addSchema(JSON.parse(readFileSync(join(packageRoot(), 'schema', schemaName), 'utf8')) as object, schemaName);
  const validate = ajv.getSchema(part ? `${schemaName}#/definitions/${part.definition}` : schemaName)!;
  if (validate(data)) return;
  const e = validate.errors![0];
  let pointer = (part?.at ?? '') + e.instancePath;
  let what = e.message ?? 'is invalid';
  if (e.keyword === 'required') {
    pointer += `/${(e.params as { missingProperty: string }).missingProperty}`;
    what = 'is missing';
  } else if (e.keyword === 'additionalProperties') {
    pointer += `/${(e.params as { additionalProperty: string }).additionalProperty}`;
    what = 'is not a known field';
  }
  const path = pointer
    .split('/')
    .slice(1)
    .map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  let node = findNodeAtLocation(parseTree(text)!, path);
  for (let k = path.length - 1; !node && k >= 0; k--) node = findNodeAtLocation(parseTree(text)!, path.slice(0, k));
  const line = node ? ` line ${lineOf(text, node.offset)}` : '';
  throw new Error(`${file}${line}: ${fieldName(pointer) || '(top level)'} ${what}`);
}
