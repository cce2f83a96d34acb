// Contract: every method and field the client sends or reads exists in the pinned binary's own protocol schema.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import type { z } from 'zod';
import {
  APPROVAL_REQUESTS,
  AUTO_REVIEW_NOTIFICATIONS,
  autoApprovalReview,
  guardianWarning,
  CLIENT_METHODS,
  SERVER_NOTIFICATIONS,
  commandApprovalParams,
  fileChangeApprovalParams,
  turnNotifications,
  turnStartResult,
  threadResult,
} from '../src/base/codex/protocol.js';
import type { ApprovalDecision } from '../src/base/codex/app-server.js';
import { accountRead, deviceCodeStarted, LOGIN_METHODS, loginCompleted } from '../src/base/codex/login.js';
import { isAfterToolCall } from './support/model-server.js';
import { CODEX_BINARY, startCodexRig } from './support/codex.js';

type JsonSchema = {
  $ref?: string;
  properties?: Record<string, JsonSchema>;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  allOf?: JsonSchema[];
  items?: JsonSchema;
  enum?: unknown[];
  type?: string | string[];
};

const definitions: Record<string, JsonSchema> = {};
const params = { client: new Map<string, string>(), notification: new Map<string, string>(), server: new Map<string, string>() };
const results = new Map<string, string>();

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'codex-schema-'));
  await execa(CODEX_BINARY, ['app-server', 'generate-json-schema', '--out', dir]);
  const load = async (file: string) => JSON.parse(await readFile(join(dir, file), 'utf8')) as { oneOf: JsonSchema[]; definitions: Record<string, JsonSchema> };
  const bundle = JSON.parse(await readFile(join(dir, 'codex_app_server_protocol.v2.schemas.json'), 'utf8')) as { definitions: Record<string, JsonSchema> };
  for (const [file, map] of [['ClientRequest.json', params.client], ['ServerNotification.json', params.notification], ['ServerRequest.json', params.server]] as const) {
    const doc = await load(file);
    Object.assign(definitions, doc.definitions);
    for (const variant of doc.oneOf) {
      const method = variant.properties?.method?.enum?.[0] as string;
      const p = variant.properties?.params;
      if (p?.$ref) map.set(method, refName(p));
      else if (p) {
        definitions[`inline:${method}`] = p;
        map.set(method, `inline:${method}`);
      }
    }
  }
  for (const [name, def] of Object.entries(bundle.definitions)) definitions[name] ??= def;
  results.set('thread/start', 'ThreadStartResponse').set('thread/fork', 'ThreadForkResponse').set('turn/start', 'TurnStartResponse');
  await rm(dir, { recursive: true, force: true });
}, 60_000);

function refName(schema: JsonSchema): string {
  return schema.$ref!.split('/').at(-1)!;
}

function resolveSchema(schema: JsonSchema): JsonSchema {
  let s = schema;
  while (s.$ref) s = definitions[refName(s)] ?? {};
  return s;
}

/** The non-null alternatives of a schema, references resolved. */
function alternatives(schema: JsonSchema): JsonSchema[] {
  const s = resolveSchema(schema);
  const options = s.anyOf ?? s.oneOf;
  if (options) return options.flatMap(alternatives).filter((o) => o.type !== 'null');
  if (s.allOf) return [{ properties: Object.assign({}, ...s.allOf.map((a) => alternatives(a)[0]?.properties ?? {})) }];
  return [s];
}

/** Paths in the zod schema (what we read) that the JSON schema (what the binary sends) lacks. */
function missing(zod: z.ZodType, json: JsonSchema, path: string): string[] {
  const def = (zod as unknown as { _zod: { def: Record<string, unknown> & { type: string } } })._zod.def;
  switch (def.type) {
    case 'optional':
    case 'nullable':
      return missing(def.innerType as z.ZodType, json, path);
    case 'union': {
      const problems = (def.options as z.ZodType[]).map((o) => missing(o, json, path));
      // A union is fine when every option is; the generic catch-all option matches any object.
      return problems.flat();
    }
    case 'array': {
      const alt = alternatives(json).find((a) => a.items);
      return alt ? missing(def.element as z.ZodType, alt.items!, `${path}[]`) : [`${path} (not an array)`];
    }
    case 'object': {
      const shape = def.shape as Record<string, z.ZodType>;
      const literalType = literalOf(shape.type);
      let candidates = alternatives(json).filter((a) => a.properties);
      if (literalType) candidates = candidates.filter((a) => resolveSchema(a.properties!.type ?? {}).enum?.includes(literalType));
      if (candidates.length === 0) return [`${path}${literalType ? ` (type ${literalType})` : ''}`];
      const best = candidates
        .map((c) => Object.entries(shape).flatMap(([k, v]) => (c.properties![k] ? missing(v, c.properties![k]!, `${path}.${k}`) : [`${path}.${k}`])))
        .sort((a, b) => a.length - b.length)[0]!;
      return best;
    }
    case 'enum': {
      const allowed = new Set(alternatives(json).flatMap((a) => a.enum ?? []));
      return Object.values(def.entries as Record<string, string>).filter((v) => !allowed.has(v)).map((v) => `${path}=${v}`);
    }
    default:
      return [];
  }
}

function literalOf(zod: z.ZodType | undefined): string | undefined {
  const def = (zod as unknown as { _zod?: { def: { type: string; values?: unknown[] } } } | undefined)?._zod?.def;
  return def?.type === 'literal' ? String(def.values?.[0]) : undefined;
}

test('every method the client sends exists in the pinned protocol', () => {
  for (const method of CLIENT_METHODS) expect([...params.client.keys()]).toContain(method);
});

test('every notification and server request the client reads exists, with every field it reads', () => {
  for (const method of SERVER_NOTIFICATIONS) expect([...params.notification.keys()]).toContain(method);
  for (const [method, schema] of Object.entries(turnNotifications)) {
    expect(missing(schema, definitions[params.notification.get(method)!]!, method)).toEqual([]);
  }
  expect(missing(commandApprovalParams, definitions[params.server.get(APPROVAL_REQUESTS.command)!]!, 'command approval')).toEqual([]);
  expect(missing(fileChangeApprovalParams, definitions[params.server.get(APPROVAL_REQUESTS.fileChange)!]!, 'file approval')).toEqual([]);
  expect(missing(threadResult, definitions[results.get('thread/start')!]!, 'thread/start result')).toEqual([]);
  expect(missing(threadResult, definitions[results.get('thread/fork')!]!, 'thread/fork result')).toEqual([]);
  expect(missing(turnStartResult, definitions[results.get('turn/start')!]!, 'turn/start result')).toEqual([]);
});

test('the auto-review notifications the client reads exist, with every field it reads', () => {
  for (const method of [AUTO_REVIEW_NOTIFICATIONS.started, AUTO_REVIEW_NOTIFICATIONS.completed]) {
    expect(missing(autoApprovalReview, definitions[params.notification.get(method)!]!, method)).toEqual([]);
  }
  expect(missing(guardianWarning, definitions[params.notification.get(AUTO_REVIEW_NOTIFICATIONS.warning)!]!, 'guardianWarning')).toEqual([]);
});

test('every field of every message the client sent in a full session exists in the protocol', async () => {
  const sent: Array<{ method: string; params: Record<string, unknown> }> = [];
  const rig = await startCodexRig({
    onApproval: () => 'accept',
    logger: {
      info: () => {},
      warning: () => {},
      debug: (line) => {
        if (line.startsWith('rpc → ')) {
          const msg = JSON.parse(line.slice(6)) as { method?: string; params?: Record<string, unknown> };
          if (msg.method) sent.push({ method: msg.method, params: msg.params ?? {} });
        }
      },
    },
  });
  try {
    rig.model.respond((req) => (isAfterToolCall(req) ? { message: '{"ok":true}' } : { exec: 'true' }));
    const thread = await rig.server.startThread({
      model: 'gpt-5.4', cwd: rig.workdir, sandbox: 'read-only', approvalPolicy: 'untrusted', approvalsReviewer: 'user',
      baseInstructions: 'base', developerInstructions: 'dev', config: {},
    });
    const schema = { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'], additionalProperties: false };
    await thread.run('go', { outputSchema: schema, effort: 'low', model: 'gpt-5.4', timeoutMs: 60_000 });
    const fork = await thread.fork({ sandbox: 'read-only' });
    await rig.server.resumeThread(fork.id);
    rig.model.respond(() => ({ message: 'slow', delayMs: 5_000 }));
    await fork.run('slow', { timeoutMs: 300 });
  } finally {
    await rig.close();
  }
  const methods = new Set(sent.map((m) => m.method));
  expect([...methods].sort()).toEqual(expect.arrayContaining(['initialize', 'thread/start', 'turn/start', 'thread/fork', 'thread/resume', 'turn/interrupt']));
  for (const { method, params: p } of sent) {
    if (method === 'initialized') continue;
    const def = resolveSchema(definitions[params.client.get(method)!] ?? {});
    expect({ method, unknown: Object.keys(p).filter((k) => !def.properties?.[k]) }).toEqual({ method, unknown: [] });
  }
}, 60_000);

test('the device-code login (mode login): its methods, the answers and the notification it reads, field by field', () => {
  for (const method of [LOGIN_METHODS.start, LOGIN_METHODS.cancel, LOGIN_METHODS.read]) expect([...params.client.keys()]).toContain(method);
  const start = resolveSchema(definitions[params.client.get(LOGIN_METHODS.start)!]!);
  expect(alternatives(start).some((a) => resolveSchema(a.properties?.type ?? {}).enum?.includes('chatgptDeviceCode'))).toBe(true);
  expect(Object.keys(resolveSchema(definitions[params.client.get(LOGIN_METHODS.cancel)!]!).properties ?? {})).toContain('loginId');
  expect(missing(loginCompleted, definitions[params.notification.get(LOGIN_METHODS.completed)!]!, LOGIN_METHODS.completed)).toEqual([]);
  expect(missing(deviceCodeStarted, definitions.LoginAccountResponse!, 'account/login/start result')).toEqual([]);
  expect(missing(accountRead, definitions.GetAccountResponse!, 'account/read result')).toEqual([]);
});

test('the decisions the client answers approvals with exist in the pinned protocol', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'codex-schema-'));
  try {
    await execa(CODEX_BINARY, ['app-server', 'generate-json-schema', '--out', dir]);
    for (const file of ['CommandExecutionRequestApprovalResponse.json', 'FileChangeRequestApprovalResponse.json']) {
      const doc = JSON.parse(await readFile(join(dir, file), 'utf8')) as JsonSchema & { definitions: Record<string, JsonSchema> };
      Object.assign(definitions, doc.definitions);
      const decisions = alternatives(doc.properties!.decision!).flatMap((a) => a.enum ?? []);
      const answered: ApprovalDecision[] = ['accept', 'decline'];
      expect({ file, missing: answered.filter((d) => !decisions.includes(d)) }).toEqual({ file, missing: [] });
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}, 60_000);
