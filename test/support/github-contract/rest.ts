// GitHub's REST description (@octokit/openapi) as a checker: finds the operation a request names by method and
// path template, and checks its path and query parameters, its JSON body and the fake's answer with ajv.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Ajv, type ErrorObject, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { EMPTY_LAST_PARAMETER } from './allow-list.js';

/** Which published description a fake is held to: github.com's, or a GitHub Enterprise Server release's. */
export type Description = 'api.github.com' | 'ghes-3.19';

/** An operation of the description, as a request matched it. */
export interface Operation {
  /** GitHub's name for it, e.g. `pulls/create-review`. */
  id: string;
  method: string;
  /** The path template, e.g. `/repos/{owner}/{repo}/pulls/{pull_number}`. */
  template: string;
}

/** What a request looked like to the checker. */
export interface RestRequest {
  method: string;
  /** Path under the API root as sent (not decoded), without the query string. */
  path: string;
  query: Record<string, string>;
  /** Parsed JSON, raw text, or undefined when the request had no body. */
  body: unknown;
}

interface Parameter {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  schema?: object;
}

interface OpenApiOperation {
  operationId: string;
  parameters?: Array<Parameter | { $ref: string }>;
  requestBody?: { required?: boolean; content: Record<string, { schema?: object }> };
  responses: Record<string, { content?: Record<string, { schema?: object }> } | { $ref: string }>;
}

interface OpenApiDocument {
  paths: Record<string, Record<string, OpenApiOperation | unknown>>;
  components: { parameters: Record<string, Parameter>; responses: Record<string, { content?: Record<string, { schema?: object }> }> };
}

interface IndexedOperation extends Operation {
  segments: string[];
  literals: number;
  /** Pointer to the operation inside the document, for ajv's `$ref`. */
  pointer: string;
  raw: OpenApiOperation;
}

const METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
// ajv-formats is CommonJS: under ESM its function is the default export's default.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (ajv: Ajv) => Ajv;
const DOC_ID = 'github-openapi';

/** One description loaded and indexed; built once per test file, on the first request that needs it. */
export class RestContract {
  readonly description: Description;
  private readonly doc: OpenApiDocument;
  private readonly operations: IndexedOperation[] = [];
  // Request bodies and answers are checked as GitHub sends and reads JSON; parameters arrive as strings and are
  // coerced as GitHub reads them (`?per_page=100` is an integer).
  private readonly bodies: Ajv;
  private readonly params: Ajv;
  private readonly compiled = new Map<string, ValidateFunction>();

  private constructor(description: Description) {
    this.description = description;
    const require = createRequire(import.meta.url);
    const file = require.resolve(`@octokit/openapi/generated/${description}.json`);
    this.doc = JSON.parse(readFileSync(file, 'utf8')) as OpenApiDocument;
    normalizeNullable(this.doc);
    // OpenAPI 3.0 schemas carry keywords JSON Schema does not know (nullable is understood; example, discriminator
    // and x-github are not): strict mode would refuse them.
    this.bodies = withGitHubFormats(new Ajv({ strict: false, allErrors: true }));
    this.params = withGitHubFormats(new Ajv({ strict: false, allErrors: true, coerceTypes: 'array' }));
    // The whole document under one id, so the `$ref`s inside each schema resolve where GitHub wrote them.
    this.bodies.addSchema(this.doc, DOC_ID);
    this.params.addSchema(this.doc, DOC_ID);
    for (const [template, item] of Object.entries(this.doc.paths)) {
      for (const method of METHODS) {
        const raw = item[method] as OpenApiOperation | undefined;
        if (!raw) continue;
        const segments = split(template);
        this.operations.push({
          id: raw.operationId,
          method: method.toUpperCase(),
          template,
          segments,
          literals: segments.filter((s) => !isParam(s)).length,
          pointer: `/paths/${escapePointer(template)}/${method}`,
          raw,
        });
      }
    }
  }

  private static readonly loaded = new Map<Description, RestContract>();

  /** The description, parsed once per test file (13 MB of JSON: about half a second). */
  static of(description: Description): RestContract {
    let contract = RestContract.loaded.get(description);
    if (!contract) {
      contract = new RestContract(description);
      RestContract.loaded.set(description, contract);
    }
    return contract;
  }

  /** The operation `method path` names (the most literal template wins, as GitHub's router does), if any. */
  find(method: string, path: string): (Operation & { params: Record<string, string> }) | undefined {
    const actual = split(path);
    let best: { op: IndexedOperation; params: Record<string, string> } | undefined;
    for (const op of this.operations) {
      if (op.method !== method.toUpperCase()) continue;
      const emptyLast = op.segments.length === actual.length + 1 && EMPTY_LAST_PARAMETER.some((e) => e.template === op.template);
      if (op.segments.length !== actual.length && !emptyLast) continue;
      const params = match(op.segments, emptyLast ? [...actual, ''] : actual);
      if (params && (!best || op.literals > best.op.literals)) best = { op, params };
    }
    return best && { id: best.op.id, method: best.op.method, template: best.op.template, params: best.params };
  }

  /** What is wrong with a request, by GitHub's description: an empty list when nothing is. */
  checkRequest(request: RestRequest): { operation?: Operation; problems: string[] } {
    const found = this.find(request.method, request.path);
    if (!found) return { problems: [`GitHub has no operation ${request.method} ${request.path}`] };
    const op = this.indexed(found.id);
    const problems: string[] = [];
    const parameters = this.parametersOf(op);
    for (const p of parameters.filter((x) => x.in === 'path')) {
      problems.push(...this.checkValue(`${op.pointer}:path:${p.name}`, p.schema, found.params[p.name], `path parameter '${p.name}'`));
    }
    const declared = new Map(parameters.filter((x) => x.in === 'query').map((x) => [x.name, x]));
    for (const [name, value] of Object.entries(request.query)) {
      const p = declared.get(name);
      if (!p) problems.push(`query parameter '${name}' is not declared by the operation`);
      else problems.push(...this.checkValue(`${op.pointer}:query:${name}`, p.schema, value, `query parameter '${name}'`));
    }
    for (const p of declared.values()) {
      if (p.required && !(p.name in request.query)) problems.push(`required query parameter '${p.name}' is missing`);
    }
    problems.push(...this.checkBody(op, request.body));
    return { operation: found, problems };
  }

  /** What is wrong with an answer the fake gives to `operation`: its status must be declared, its JSON must fit. */
  checkResponse(operation: Operation, status: number, body: unknown, contentType: string | undefined): string[] {
    const op = this.indexed(operation.id);
    const declared = op.raw.responses[String(status)];
    if (!declared) {
      // GitHub documents the answers an operation is meant to give; errors outside that list (a 500, a 502 from a
      // proxy, a 403 of a rate limit) happen on every route and carry GitHub's basic error body.
      if (status >= 400) return isBasicError(body) ? [] : [`the ${status} answer is not GitHub's error shape ({ message, documentation_url })`];
      return [`GitHub does not answer ${status} to this operation (it declares ${Object.keys(op.raw.responses).join(', ')})`];
    }
    const response = '$ref' in declared ? this.doc.components.responses[refName(declared.$ref)]! : declared;
    const json = response.content?.['application/json'] ?? response.content?.['application/scim+json'];
    if (!json?.schema || !/json/i.test(contentType ?? '')) return [];
    const ref = '$ref' in declared ? `#/components/responses/${escapePointer(refName(declared.$ref))}` : `#${op.pointer}/responses/${status}`;
    const validate = this.compile(this.bodies, `${ref}/content/application~1json/schema`);
    return validate(body) ? [] : describe(validate.errors, 'the answer');
  }

  /**
   * The answer with the required fields the fake does not model (the many URLs and counters of a GitHub object
   * that the action never reads) filled in with neutral values, so that it has GitHub's whole shape. Fields the
   * fake gives are kept as they are: checkResponse then holds them to the description.
   */
  complete(operation: Operation, status: number, body: unknown): unknown {
    const declared = this.indexed(operation.id).raw.responses[String(status)];
    if (!declared || status >= 300 || typeof body !== 'object' || body === null) return body;
    const response = '$ref' in declared ? this.doc.components.responses[refName(declared.$ref)]! : declared;
    const schema = response.content?.['application/json']?.schema;
    return schema ? fill(this.resolve(schema), body, this.resolve) : body;
  }

  private readonly resolve = (schema: object): Schema => {
    let s = schema as Schema;
    while (typeof s.$ref === 'string') s = pointerGet(this.doc, s.$ref.slice(1)) as Schema;
    return s;
  };

  private indexed(id: string): IndexedOperation {
    return this.operations.find((o) => o.id === id)!;
  }

  private parametersOf(op: IndexedOperation): Parameter[] {
    return (op.raw.parameters ?? []).map((p) => ('$ref' in p ? this.doc.components.parameters[refName(p.$ref)]! : p));
  }

  private checkValue(key: string, schema: object | undefined, value: string | undefined, what: string): string[] {
    if (!schema || value === undefined) return [];
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = this.params.compile(wrapInline(schema));
      this.compiled.set(key, validate);
    }
    // Coercion writes into its container: a holder object lets ajv coerce without touching the request.
    return validate({ v: value }) ? [] : describe(validate.errors?.map((e) => ({ ...e, instancePath: e.instancePath.replace(/^\/v/, '') })), what);
  }

  private checkBody(op: IndexedOperation, body: unknown): string[] {
    const content = op.raw.requestBody?.content;
    if (body === undefined) return op.raw.requestBody?.required ? ['the operation requires a body and none was sent'] : [];
    if (!content) return [`the operation takes no body, but one was sent: ${preview(body)}`];
    const json = content['application/json'];
    if (!json?.schema) return [];
    if (typeof body === 'string') return ['the body is not JSON, but the operation takes application/json'];
    const validate = this.compile(this.bodies, `#${op.pointer}/requestBody/content/application~1json/schema`);
    return validate(body) ? [] : describe(validate.errors, 'the body');
  }

  private compile(ajv: Ajv, pointer: string): ValidateFunction {
    let validate = this.compiled.get(pointer);
    if (!validate) {
      validate = ajv.compile({ $ref: `${DOC_ID}${pointer}` });
      this.compiled.set(pointer, validate);
    }
    return validate;
  }
}

// OpenAPI 3.0's `nullable: true` in JSON Schema terms, where ajv cannot take it as written: next to an `enum`
// (JSON Schema's enum would still refuse null: GitHub means null, e.g. `start_side` of a one-line comment) and
// without a `type` (ajv refuses the keyword there: `{ nullable, anyOf }` becomes an anyOf that also allows null).
function normalizeNullable(node: unknown): void {
  if (Array.isArray(node)) return node.forEach(normalizeNullable);
  if (typeof node !== 'object' || node === null) return;
  for (const value of Object.values(node)) normalizeNullable(value);
  const schema = node as Schema & Record<string, unknown>;
  if (schema.nullable !== true) return;
  if (Array.isArray(schema.enum) && !schema.enum.includes(null)) schema.enum.push(null);
  if (schema.type === undefined) {
    const rest: Record<string, unknown> = { ...schema };
    delete rest.nullable;
    for (const key of Object.keys(schema)) delete schema[key];
    Object.assign(schema, Object.keys(rest).length > 0 ? { anyOf: [rest, { type: 'null' }] } : {});
  }
}

// A parameter's schema sits inside the document but is checked on its own value: wrapped as the property of a
// holder so coercion has a container, with the document's refs still reachable through its id.
function wrapInline(schema: object): object {
  return { type: 'object', properties: { v: rebase(schema) } };
}

// `#/components/…` refs inside a schema compiled outside the document point into the document.
function rebase(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(rebase);
  if (typeof schema !== 'object' || schema === null) return schema;
  return Object.fromEntries(
    Object.entries(schema).map(([k, v]) => [k, k === '$ref' && typeof v === 'string' && v.startsWith('#') ? `${DOC_ID}${v}` : rebase(v)]),
  );
}

interface Schema {
  $ref?: string;
  type?: string;
  nullable?: boolean;
  format?: string;
  enum?: unknown[];
  required?: string[];
  properties?: Record<string, object>;
  items?: object;
  allOf?: object[];
  anyOf?: object[];
  oneOf?: object[];
}

// A neutral value for a field the fake does not model: null where GitHub may send null, else the smallest value
// of the field's type (an empty string or list, 0, false, the first of an enum, an object of its own required fields).
function fill(schema: Schema, given: unknown, resolve: (s: object) => Schema): unknown {
  if (schema.allOf) return schema.allOf.reduce<unknown>((value, b) => fill(resolve(b), value, resolve), given);
  const alternatives = schema.oneOf ?? schema.anyOf;
  if (alternatives) {
    const branch = pickBranch(alternatives.map(resolve), given);
    return branch ? fill(branch, given, resolve) : given;
  }
  if (given === undefined) {
    if (schema.nullable) return null;
    if (schema.enum) return schema.enum[0];
    switch (schema.type) {
      case 'string':
        return schema.format === 'date-time' ? '2026-01-01T00:00:00Z' : schema.format === 'uri' ? 'https://github.com/' : schema.format === 'email' ? 'nobody@example.com' : '';
      case 'integer':
      case 'number':
        return 0;
      case 'boolean':
        return false;
      case 'array':
        return [];
      case 'object':
        given = {};
        break;
      default:
        return schema.properties ? fill({ ...schema, type: 'object' }, undefined, resolve) : null;
    }
  }
  if (Array.isArray(given)) return schema.items ? given.map((item) => fill(resolve(schema.items!), item, resolve)) : given;
  if (typeof given !== 'object' || given === null || !schema.properties) return given;
  const object: Record<string, unknown> = { ...(given as Record<string, unknown>) };
  for (const [key, property] of Object.entries(schema.properties)) {
    if (key in object) object[key] = fill(resolve(property), object[key], resolve);
    else if (schema.required?.includes(key)) object[key] = fill(resolve(property), undefined, resolve);
  }
  return object;
}

// The alternative a value is meant to be: a list for a list; for an object, the one whose `type` property names the
// value's `type` (a file, a symlink, a submodule), else the first object.
function pickBranch(branches: Schema[], given: unknown): Schema | undefined {
  if (given === undefined) return branches[0];
  if (Array.isArray(given)) return branches.find((b) => b.type === 'array');
  if (typeof given !== 'object' || given === null) return undefined;
  const kind = (given as { type?: unknown }).type;
  const objects = branches.filter((b) => b.type === 'object' || b.properties);
  const typeEnum = (b: Schema) => (b.properties?.type as Schema | undefined)?.enum;
  return objects.find((b) => typeEnum(b)?.includes(kind)) ?? objects.find((b) => !typeEnum(b)) ?? objects[0];
}

function pointerGet(doc: unknown, pointer: string): unknown {
  return pointer
    .split('/')
    .slice(1)
    .reduce<unknown>((node, part) => (node as Record<string, unknown>)[part.replace(/~1/g, '/').replace(/~0/g, '~')], doc);
}

// GitHub's own formats: `repo.nwo` is owner/name; `timestamp` is not used in answers the fake gives.
function withGitHubFormats(ajv: Ajv): Ajv {
  addFormats(ajv);
  ajv.addFormat('repo.nwo', /^[^/\s]+\/[^/\s]+$/);
  ajv.addFormat('timestamp', true);
  return ajv;
}

function describe(errors: ErrorObject[] | null | undefined, what: string): string[] {
  // allErrors reports every branch of an anyOf/oneOf; the first few say enough.
  return (errors ?? []).slice(0, 5).map((e) => `${what}${e.instancePath ? ` at ${e.instancePath}` : ''} ${e.message ?? e.keyword}${e.keyword === 'enum' ? ` (${JSON.stringify(e.params.allowedValues)})` : ''}${e.keyword === 'additionalProperties' ? ` ('${String(e.params.additionalProperty)}')` : ''}`);
}

function isBasicError(body: unknown): boolean {
  return typeof body === 'object' && body !== null && typeof (body as { message?: unknown }).message === 'string';
}

function preview(body: unknown): string {
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

function refName(ref: string): string {
  return ref.slice(ref.lastIndexOf('/') + 1);
}

function escapePointer(segment: string): string {
  return segment.replace(/~/g, '~0').replace(/\//g, '~1').replace(/[{}]/g, encodeURIComponent);
}

function split(path: string): string[] {
  return path.split('/').filter((s) => s.length > 0);
}

function decode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function isParam(segment: string): boolean {
  return segment.startsWith('{') && segment.endsWith('}');
}

// A template segment `{name}` matches one segment of the raw path: Octokit encodes a slash inside a parameter
// (`contents/{path}`, `git/ref/{ref}`) as %2F, so the path is matched before it is decoded.
function match(template: string[], actual: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (const [i, segment] of template.entries()) {
    if (isParam(segment)) params[segment.slice(1, -1)] = decode(actual[i]!);
    else if (segment !== actual[i]) return undefined;
  }
  return params;
}
