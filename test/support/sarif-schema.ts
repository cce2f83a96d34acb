// The official SARIF 2.1.0 schema (OASIS) and a validator over it, for every test that reads a SARIF log.
import { readFileSync } from 'node:fs';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';

/**
 * The OASIS Standard's schema, byte for byte: sarif-schema-2.1.0.json of SARIF 2.1.0 OS (docs.oasis-open.org,
 * sarif/v2.1.0/os/schemas/, 115,632 bytes; the same file as oasis-tcs/sarif-spec commit 5280a94, Schemata/). No
 * package on the npm registry ships it unchanged (they carry a release candidate, rtm.5, or a copy rewritten for
 * another JSON Schema draft), so it is kept here, and its hash says it was not edited.
 */
export const SCHEMA_FILE = 'test/fixtures/sarif-schema-2.1.0.json';
export const SCHEMA_SHA256 = 'ad6db49878699b091f3eeb765b6e29e92a34bad4da88664d000c923b549c3a25';
export const SCHEMA_ID = 'https://raw.githubusercontent.com/oasis-tcs/sarif-spec/master/Schemata/sarif-schema-2.1.0.json';

function validator(): ValidateFunction {
  const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as { $schema: string; $id: string };
  // ajv's strict mode stays on (its default: unknown keywords, formats and type clashes are errors). The one option
  // the official schema needs is unicodeRegExp false: its `language` pattern has a stray ']' that is no valid regular
  // expression in Unicode mode, and JSON Schema patterns are ECMA-262 expressions, where it is a literal ']'.
  const ajv = new Ajv({ allErrors: true, unicodeRegExp: false });
  // The default export at run time; NodeNext types this CommonJS module's default as the module itself.
  addFormatsModule.default(ajv);
  return ajv.compile(schema);
}

const validate = validator();

/** What the official schema finds wrong with `log`; empty when it is valid SARIF 2.1.0. */
export function sarifErrors(log: unknown): string[] {
  return validate(log) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''}`);
}

