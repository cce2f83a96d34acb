// GitHub's GraphQL schema (@octokit/graphql-schema) as a checker: a document is validated as GitHub validates it,
// its variables against their declared types, connections against GitHub's pagination limits, and the fake's
// answer against the selection it answers.
import { schema } from '@octokit/graphql-schema';
import {
  buildClientSchema,
  getNamedType,
  getNullableType,
  getVariableValues,
  isAbstractType,
  isCompositeType,
  isEnumType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  Kind,
  parse,
  TypeInfo,
  validate,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLCompositeType,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
  type IntrospectionQuery,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValueNode,
} from 'graphql';

/** A document that passed the checks, kept to check the answer to it. */
export interface CheckedDocument {
  document: DocumentNode;
  operation: OperationDefinitionNode;
  variables: Record<string, unknown>;
  /** `query Name` / `mutation Name`, for messages. */
  name: string;
}

// GitHub's documented limits: every connection takes `first` or `last` between 1 and 100, and a query may ask
// for at most 500,000 nodes in all (the product of the page sizes down each path).
const MAX_PAGE = 100;
const MAX_NODES = 500_000;

let loaded: GraphQLSchema | undefined;

/**
 * The schema, built once per test file from the introspection result the package ships. Not from its SDL: that
 * file defines two fields of EnterpriseOwnerInfo twice, which graphql's SDL check refuses.
 */
export function githubSchema(): GraphQLSchema {
  if (!loaded) {
    loaded = buildClientSchema(schema.json as unknown as IntrospectionQuery);
  }
  return loaded;
}

/** What is wrong with a GraphQL request body (`{ query, variables }`); the document when it could be read. */
export function checkGraphqlRequest(body: unknown): { checked?: CheckedDocument; problems: string[] } {
  const b = (typeof body === 'object' && body !== null ? body : {}) as { query?: unknown; variables?: unknown; operationName?: unknown };
  if (typeof b.query !== 'string') return { problems: ['the body has no `query` string'] };
  if (b.variables !== undefined && (typeof b.variables !== 'object' || b.variables === null || Array.isArray(b.variables))) {
    return { problems: ['`variables` is not an object'] };
  }
  let document: DocumentNode;
  try {
    document = parse(b.query);
  } catch (error) {
    return { problems: [`the query does not parse: ${(error as Error).message}`] };
  }
  const schema = githubSchema();
  const problems = validate(schema, document).map((e) => e.message);
  const operations = document.definitions.filter((d): d is OperationDefinitionNode => d.kind === Kind.OPERATION_DEFINITION);
  const operation = typeof b.operationName === 'string' ? operations.find((o) => o.name?.value === b.operationName) : operations[0];
  if (!operation) return { problems: [...problems, 'the document has no operation to run'] };
  const name = `${operation.operation} ${operation.name?.value ?? '(anonymous)'}`;
  const given = (b.variables ?? {}) as Record<string, unknown>;
  if (problems.length > 0) return { problems };

  const declared = new Set((operation.variableDefinitions ?? []).map((v) => v.variable.name.value));
  for (const key of Object.keys(given)) if (!declared.has(key)) problems.push(`variable '$${key}' is sent but the ${name} does not declare it`);
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], given);
  if (coerced.errors) problems.push(...coerced.errors.map((e) => e.message));
  const variables = coerced.coerced ?? {};
  problems.push(...pageProblems(schema, document, variables));
  return { checked: { document, operation, variables, name }, problems };
}

/** Every connection has `first` or `last` in 1–100, and the nodes a query can ask for stay under GitHub's limit. */
function pageProblems(schema: GraphQLSchema, document: DocumentNode, variables: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const typeInfo = new TypeInfo(schema);
  const sizes: number[] = [];
  const pushed: boolean[] = [];
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field: {
        enter(node) {
          const type = typeInfo.getType();
          const named = type ? getNamedType(type) : undefined;
          const isConnection = isObjectType(named) && named.name.endsWith('Connection') && 'pageInfo' in named.getFields();
          pushed.push(isConnection);
          if (!isConnection) return;
          const arg = (n: string) => node.arguments?.find((a) => a.name.value === n)?.value;
          const size = valueOf(arg('first'), variables) ?? valueOf(arg('last'), variables);
          if (size === undefined) {
            problems.push(`the '${node.name.value}' connection has no \`first\` or \`last\` (GitHub requires one, 1–${MAX_PAGE})`);
            sizes.push(MAX_PAGE);
          } else if (!Number.isInteger(size) || (size as number) < 1 || (size as number) > MAX_PAGE) {
            problems.push(`the '${node.name.value}' connection asks for ${String(size)} nodes (GitHub allows 1–${MAX_PAGE})`);
            sizes.push(MAX_PAGE);
          } else {
            sizes.push(size as number);
          }
          const total = sizes.reduce((a, b) => a * b, 1);
          if (total > MAX_NODES) problems.push(`the query can ask for ${total} nodes through '${node.name.value}' (GitHub allows ${MAX_NODES})`);
        },
        leave() {
          if (pushed.pop()) sizes.pop();
        },
      },
    }),
  );
  return problems;
}

function valueOf(node: ValueNode | undefined, variables: Record<string, unknown>): unknown {
  if (!node) return undefined;
  if (node.kind === Kind.VARIABLE) return variables[node.name.value] ?? undefined;
  if (node.kind === Kind.INT) return Number(node.value);
  if (node.kind === Kind.NULL) return undefined;
  return Number.NaN;
}

/** What is wrong with the fake's answer to a checked document: fields it did not select, missing ones, wrong kinds. */
export function checkGraphqlResponse(checked: CheckedDocument, body: unknown): string[] {
  if (typeof body !== 'object' || body === null) return ['the answer is not a JSON object'];
  const { data, errors } = body as { data?: unknown; errors?: unknown };
  const problems: string[] = [];
  if (errors !== undefined && !(Array.isArray(errors) && errors.every((e) => typeof (e as { message?: unknown })?.message === 'string'))) {
    problems.push('`errors` is not a list of objects with a `message`');
  }
  if (data === undefined || data === null) return errors === undefined ? [...problems, 'the answer has neither `data` nor `errors`'] : problems;
  const schema = githubSchema();
  const root = checked.operation.operation === 'mutation' ? schema.getMutationType() : schema.getQueryType();
  const fragments = new Map(
    checked.document.definitions
      .filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION)
      .map((f) => [f.name.value, f]),
  );
  // With errors, GitHub nulls what failed even where the schema says non-null (null propagation stops at a field).
  const walker = new AnswerWalker(schema, fragments, errors !== undefined, problems);
  walker.walk(root!, checked.operation.selectionSet, data, 'data');
  return problems;
}

class AnswerWalker {
  constructor(
    private readonly schema: GraphQLSchema,
    private readonly fragments: Map<string, FragmentDefinitionNode>,
    private readonly nullsAllowed: boolean,
    private readonly problems: string[],
  ) {}

  walk(type: GraphQLOutputType, selections: SelectionSetNode | undefined, value: unknown, path: string): void {
    if (value === null) {
      if (isNonNullType(type) && !this.nullsAllowed) this.problems.push(`${path} is null, but ${String(type)} is non-null`);
      return;
    }
    const inner = getNullableType(type);
    if (isListType(inner)) {
      if (!Array.isArray(value)) return void this.problems.push(`${path} is not a list (${String(inner)})`);
      value.forEach((item, i) => this.walk(inner.ofType, selections, item, `${path}[${i}]`));
      return;
    }
    if (isEnumType(inner)) {
      if (!inner.getValues().some((v) => v.name === value)) this.problems.push(`${path} is ${JSON.stringify(value)}, not a ${inner.name}`);
      return;
    }
    if (isScalarType(inner)) return this.scalar(inner.name, value, path);
    if (!isCompositeType(inner)) return;
    if (typeof value !== 'object' || Array.isArray(value)) return void this.problems.push(`${path} is not an object (${inner.name})`);
    const object = value as Record<string, unknown>;
    const concrete = this.concreteType(inner, object, path);
    const expected = new Map<string, { name: string; selections?: SelectionSetNode }>();
    this.collect(inner, concrete, selections, expected);
    for (const [key, field] of expected) {
      if (!(key in object)) {
        this.problems.push(`${path}.${key} is missing`);
        continue;
      }
      if (field.name === '__typename') {
        if (typeof object[key] !== 'string') this.problems.push(`${path}.${key} is not a type name`);
        continue;
      }
      const owner = concrete ?? inner;
      const def = 'getFields' in owner ? owner.getFields()[field.name] : undefined;
      if (def) this.walk(def.type, field.selections, object[key], `${path}.${key}`);
    }
    for (const key of Object.keys(object)) if (!expected.has(key)) this.problems.push(`${path}.${key} is not selected by the query`);
  }

  // An interface or union answers as one of its object types: __typename says which, when the query asked for it.
  private concreteType(type: GraphQLCompositeType, object: Record<string, unknown>, path: string): GraphQLObjectType | undefined {
    if (isObjectType(type)) return type;
    const typename = object.__typename;
    if (typeof typename !== 'string') return undefined;
    const named = this.schema.getType(typename);
    if (!isObjectType(named) || !isAbstractType(type) || !this.schema.isSubType(type, named)) {
      this.problems.push(`${path}.__typename '${typename}' is not a ${type.name}`);
      return undefined;
    }
    return named;
  }

  private collect(
    type: GraphQLCompositeType,
    concrete: GraphQLObjectType | undefined,
    selections: SelectionSetNode | undefined,
    into: Map<string, { name: string; selections?: SelectionSetNode }>,
  ): void {
    for (const s of selections?.selections ?? []) {
      if (s.kind === Kind.FIELD) {
        into.set(s.alias?.value ?? s.name.value, { name: s.name.value, ...(s.selectionSet ? { selections: s.selectionSet } : {}) });
        continue;
      }
      const fragment = s.kind === Kind.FRAGMENT_SPREAD ? this.fragments.get(s.name.value) : s;
      if (!fragment) continue;
      const condition = fragment.typeCondition ? this.schema.getType(fragment.typeCondition.name.value) : type;
      // Without __typename an abstract answer cannot say which fragment applies: every fragment's fields may appear.
      const applies = !concrete || !condition || condition === concrete || (isAbstractType(condition) && this.schema.isSubType(condition, concrete));
      if (applies) this.collect(type, concrete, fragment.selectionSet, into);
    }
  }

  private scalar(name: string, value: unknown, path: string): void {
    const ok =
      name === 'Int' ? Number.isInteger(value)
      : name === 'Float' ? typeof value === 'number'
      : name === 'Boolean' ? typeof value === 'boolean'
      : name === 'ID' ? typeof value === 'string' || Number.isInteger(value)
      // String and GitHub's custom scalars (DateTime, URI, GitObjectID, HTML, …) travel as strings.
      : typeof value === 'string';
    if (!ok) this.problems.push(`${path} is ${JSON.stringify(value)}, not a ${name}`);
  }
}
