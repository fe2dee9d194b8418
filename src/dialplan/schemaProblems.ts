import { createRequire } from 'node:module';
import type { Ajv as AjvClass, ErrorObject } from 'ajv';
import { DIALPLAN_FILE_SCHEMA } from './schema.js';
import type { Problem } from './problem.js';
import type { SourceFile } from './sourceFile.js';
import { VALIDATOR_OPTIONS } from './validatorOptions.js';

interface Validate {
  (data: unknown): boolean;
  errors?: ErrorObject[] | null;
}

type Which = keyof typeof VALIDATOR_OPTIONS;

/**
 * `npm run build` compiles the schema into standalone code next to this module (scripts/build-validators.mjs);
 * compiling it here instead costs a quarter of a second at every start. Running from source, or when the
 * built code was made from another version of the schema, ajv compiles it on first use.
 */
function loadValidator(which: Which): Validate {
  const require = createRequire(import.meta.url);
  try {
    const built = require(`./schemaValidator.${which}.generated.cjs`) as Validate & { schemaJson: string };
    if (built.schemaJson === JSON.stringify(DIALPLAN_FILE_SCHEMA)) return built;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'MODULE_NOT_FOUND') throw error;
  }
  const { Ajv } = require('ajv') as { Ajv: typeof AjvClass };
  return new Ajv(VALIDATOR_OPTIONS[which]).compile(DIALPLAN_FILE_SCHEMA);
}

const validators: Partial<Record<Which, Validate>> = {};
const validator = (which: Which): Validate => (validators[which] ??= loadValidator(which));

/** What a pattern-checked field should look like, in an admin's words. */
const SHAPES: Record<string, string> = {
  ext: 'an extension of 2 to 8 digits, quoted: "2001"',
  user: 'a lower-case user id such as "asmith"',
  ddi: 'an E.164 number such as "+441707284000"',
  from: 'a date such as 2026-03-01 or a time such as 2026-03-01T09:00Z',
  until: 'a date such as 2026-03-01 or a time such as 2026-03-01T09:00Z',
  number: 'digits, optionally after "+"',
  prefix: 'digits, optionally after "+"',
  country: 'an ISO country code such as GB',
  outsidePrefix: 'one or two digits',
  areaCode: 'an area code such as "212"',
  endOfDay: 'a time such as 19:00',
  callingCode: 'a country calling code such as "44"',
  lock: 'a feature code such as *51',
  unlock: 'a feature code such as *52',
  changePin: 'a feature code such as *53',
  mainNumber: 'an E.164 number such as "+441707284000"',
  emergencyTrunk: 'a SIP next hop such as sip:pbx.example.ac.uk:5060 (no user part)',
  internal: 'a SIP next hop such as sip:pbx.example.ac.uk:5060 (no user part)',
  external: 'a SIP next hop such as sip:pbx.example.ac.uk:5060 (no user part)',
  email: 'an e-mail address such as security@example.ac.uk',
};

const CHOICES: Record<string, string> = {
  for: 'must be "everyone" or a map of users, extensions and/or classes',
  recorded: 'must be true, false or { notice: <notice id> }',
};

function pathOf(error: ErrorObject): (string | number)[] {
  return error.instancePath
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^\d+$/.test(s) ? Number(s) : s));
}

function describe(error: ErrorObject, path: (string | number)[]): string {
  const field = String(path.filter((p) => typeof p === 'string').at(-1) ?? 'file');
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties':
      return `unknown key "${String(params.additionalProperty)}"`;
    case 'required':
      return `${field} is missing "${String(params.missingProperty)}"`;
    case 'type':
      return params.type === 'string' && typeof error.data === 'number'
        ? `${field} must be a quoted string ("${String(error.data)}"), or leading zeros are lost`
        : `${field} must be ${String(params.type)}`;
    case 'enum':
      return `"${String(error.data)}" is not allowed here; choose one of: ${(params.allowedValues as unknown[]).join(', ')}`;
    case 'pattern':
      return `"${String(error.data)}" is not ${SHAPES[field] ?? `of the form ${String(params.pattern)}`}`;
    case 'oneOf':
    case 'anyOf':
      if (CHOICES[field]) return `${field} ${CHOICES[field]}`;
      if (path[0] === 'grants') return 'a grant needs worldwide, countries or prefixes';
      return 'an entry needs exactly one of "number" or "prefix"';
    default:
      return `${field} ${error.message ?? 'is not valid'}`;
  }
}

/** True when `data`, a file's content or a part of it in a file's shape, has the shape the schema requires. */
export function hasSchemaShape(data: unknown): boolean {
  return validator('quick')(data);
}

/** Checks one file's shape; problems point at the offending key or value. */
export function schemaProblems(file: SourceFile): Problem[] {
  if (file.data === undefined || file.data === null) return [];
  // Valid files, the usual case, take the quick validator; a failing file is checked again for every problem.
  if (validator('quick')(file.data)) return [];
  const thorough = validator('thorough');
  if (thorough(file.data)) return [];
  const errors = thorough.errors ?? [];
  // A failed oneOf/anyOf also reports why each branch failed; its own message says it better.
  const branchPaths = errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf').map((e) => e.schemaPath);
  return errors
    .filter((e) => !branchPaths.some((b) => e.schemaPath !== b && e.schemaPath.startsWith(`${b}/`)))
    .map((error) => {
      const path = pathOf(error);
      const keyPath = error.keyword === 'additionalProperties' ? [...path, String((error.params as { additionalProperty: string }).additionalProperty)] : path;
      return { where: file.at(keyPath, error.keyword === 'additionalProperties'), message: describe(error, path) };
    });
}
