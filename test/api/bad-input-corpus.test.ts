/**
 * The hand-made bad-input corpus as a table test on every route (issue 12 §6, second bullet).
 *
 * Every operation comes from the app's own OpenAPI document (GET /openapi.json of the stack's
 * API), so a route added later is covered without touching this file; an operation with no case
 * fails the run. For each one the corpus generates what applies to it:
 *
 * - poison text: NUL (U+0000) and an unpaired surrogate (U+D800) in each path parameter, each
 *   query parameter and each string field of the JSON body, one at a time, in an otherwise valid
 *   body built from the documented schema (record keys too);
 * - cursors `Date.parse` accepts but PostgreSQL refuses ("0", "2026", "+275760-09-13T00:00:00Z"…),
 *   as they are and inside the API's opaque base64url-JSON cursors (api/idempotency.ts);
 * - years outside 1990–2200 in every date and time (query, path, body);
 * - ids of another kind in every id path parameter (a matter id where a task id goes…);
 * - a header over Node's limit (431 with the one error body).
 *
 * Each is sent over HTTP to the real stack (Temporal dev server, the worker as deployed,
 * PostgreSQL) with a key that may call the route and an Idempotency-Key where the route takes one.
 * Each must answer 4xx with the one error shape (api/errors.ts), naming the field where the README
 * says so, with no stack trace and nothing of the input echoed; and nothing may be written: every
 * table (row counts and contents) and every workflow (the visibility count, each run's status and
 * history length) is the same after the corpus as before it.
 */
import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { toUrlId, urlIdPattern } from '../../domain/ids.js';
import { jurisdictionDispute } from '../../workflows/jurisdiction-dispute.js';
import { eventually } from '../helpers/eventually.js';
import { useStack } from '../helpers/stack.js';

const county = '610124';
const stack = useStack({
  queue: 'bad-input-corpus',
  keys: {
    operator: { county, roles: ['operator'] },
    supervisor: { county, roles: ['supervisor'] },
    admin: { county, roles: ['admin'] },
    housing: { county, department: 'housing', roles: ['officer'] },
    agriculture: { county, department: 'agriculture', roles: ['officer'] },
    arbiter: { county, department: 'justice', roles: ['arbiter'] },
  },
});
type Who = 'operator' | 'supervisor' | 'admin' | 'housing' | 'agriculture' | 'arbiter';

const NUL = '\u0000';
const LONE = '\ud800';
const poisons = [
  { name: 'NUL', text: NUL },
  { name: 'an unpaired surrogate', text: LONE },
] as const;
/** Accepted by `Date.parse`, refused by PostgreSQL (or outside the API's years). */
const badTimes = [
  '0',
  '2026',
  '+275760-09-13T00:00:00Z',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59+08:00',
  '1989-12-31T23:59:59+08:00',
  '2201-01-01T00:00:00Z',
];
const badDates = ['0', '2026', '0000-01-01', '1989-12-31', '2201-01-01', '9999-12-31'];
const badYearNumbers = ['0', '1989', '2201', '9999', '275760'];
/** Concurrent requests at most (the API, the worker and this file share a pool of 5 connections). */
const concurrency = 8;

// ---------------------------------------------------------------- the OpenAPI document

interface Schema {
  type?: string;
  enum?: unknown[];
  anyOf?: Schema[];
  properties?: Record<string, Schema>;
  required?: string[];
  items?: Schema;
  additionalProperties?: Schema | boolean;
  minItems?: number;
  minLength?: number;
  minimum?: number;
  exclusiveMinimum?: boolean | number;
  maximum?: number;
  pattern?: string;
  format?: string;
  title?: string;
}
interface Parameter {
  in: 'path' | 'query' | 'header';
  name: string;
  required?: boolean;
  schema: Schema;
}
interface Operation {
  parameters?: Parameter[];
  requestBody?: { content: Record<string, { schema: Schema }> };
  security?: unknown[];
}
interface Op {
  /** `POST /v1/tasks/{taskId}/sign` */
  id: string;
  method: string;
  path: string;
  params: Parameter[];
  body?: Schema;
  /** A body read as a stream of rows (the subjects import): its media types, and no JSON schema. */
  streamed?: string[];
  open: boolean;
}

function operationsOf(doc: { paths: Record<string, Record<string, Operation>> }): Op[] {
  return Object.entries(doc.paths).flatMap(([p, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      id: `${method.toUpperCase()} ${p}`,
      method: method.toUpperCase(),
      path: p,
      params: op.parameters ?? [],
      ...(op.requestBody?.content['application/json'] ? { body: op.requestBody.content['application/json'].schema } : {}),
      ...(op.requestBody && !op.requestBody.content['application/json'] ? { streamed: Object.keys(op.requestBody.content) } : {}),
      open: Array.isArray(op.security) && op.security.length === 0,
    })),
  );
}

// ---------------------------------------------------------------- fixtures and who calls

/** Real objects of each kind (URL ids), made before the corpus runs. */
const ids = { task: '', matter: '', matterTask: '', supervisionOrder: '', dispute: '', transfer: '', result: '', notification: '', approval: '' };
type IdKindName = keyof typeof ids;

/** Who may call a route (a caller the route would act for); everyone else: a supervisor. */
const callers: Record<string, Who> = {
  'POST /v1/tasks': 'operator',
  'POST /v1/matters': 'operator',
  'POST /v1/tasks/{taskId}/sign': 'housing',
  'POST /v1/tasks/{taskId}/submit': 'housing',
  'POST /v1/tasks/{taskId}/return': 'housing',
  'POST /v1/tasks/{taskId}/extensions': 'housing',
  'GET /v1/notifications': 'housing',
  'POST /v1/notifications/{id}/read': 'housing',
  'PUT /v1/calendar/{year}': 'admin',
  'PUT /v1/counties/{county}/scenarios/{id}': 'admin',
  'GET /v1/webhooks': 'admin',
  'GET /v1/webhooks/{county}/{target}': 'admin',
  'PUT /v1/webhooks/{county}/{target}': 'admin',
  'DELETE /v1/webhooks/{county}/{target}': 'admin',
  'POST /v1/disputes/{disputeId}/positions': 'agriculture',
  'POST /v1/disputes/{disputeId}/decision': 'arbiter',
  'POST /v1/approvals': 'operator',
  'PUT /v1/counties/{county}/approval-rules': 'admin',
  'PUT /v1/counties/{county}/inspection-items/{itemId}': 'admin',
  'PUT /v1/counties/{county}/inspection-settings': 'admin',
  'PUT /v1/counties/{county}/registry-settings': 'admin',
  'PUT /v1/subjects/{subjectId}': 'admin',
  'POST /v1/subjects/import': 'admin',
  'PUT /v1/inspectors/{inspectorId}': 'admin',
  // An officer of the department the body names (`agriculture`): the request reaches its validation.
  'POST /v1/inspections': 'agriculture',
  'POST /v1/inspections/{inspectionId}/results': 'agriculture',
};
const callerOf = (op: Op): Who | null => (op.open ? null : (callers[op.id] ?? 'supervisor'));

/** The object a route's id parameter names by default (a matter's step for the routes on steps). */
const idParamDefaults: Record<string, IdKindName> = {
  taskId: 'task',
  matterId: 'matter',
  disputeId: 'dispute',
  transferId: 'transfer',
  resultId: 'result',
  followUpId: 'approval',
};
const idParamOverrides: Record<string, IdKindName> = { 'POST /v1/tasks/{taskId}/reassign taskId': 'matterTask' };
/** The kinds an id parameter accepts: the others are "ids of another kind". */
const acceptedKinds: Record<string, IdKindName[]> = {
  taskId: ['task', 'matterTask', 'supervisionOrder'],
  matterId: ['matter'],
  disputeId: ['dispute'],
  transferId: ['transfer'],
  resultId: ['result'],
  followUpId: ['approval'],
};
const isIdParam = (p: Parameter) => p.in === 'path' && !p.schema.enum && (p.schema.pattern === urlIdPattern || (p.name === 'id' && !p.schema.pattern));

// ---------------------------------------------------------------- valid values from the schema

/** Good values by field name, where the schema alone does not say what a valid one is. */
const byName: Record<string, string> = {
  county,
  township: '610124100',
  scenario: 'self-built-housing',
  department: 'agriculture',
  extensionId: 'ext-1',
  year: '2031',
  target: 'department:sports',
  from: '2031-01-01',
  to: '2031-01-01',
  adjustedWorkdays: '2031-01-05',
  url: 'https://example.test/hook',
  secret: 's'.repeat(40),
  sha256: 'a'.repeat(64),
  resultCode: 'compliant',
  creditCode: '91610124MA6TG1234X',
  summary: '核查情况',
  reason: '测试理由',
  subjectId: `s-${'0'.repeat(32)}`,
  // Rounds (api/routes/rounds.ts): ids of objects that need not exist (a poisoned body is refused first).
  planId: 'plan:610124:2026-0001',
  roundId: 'plan:610124:2026-0001~round:1',
  inspectionId: 'inspection:610124:2026-0001',
};
/** Keys for records (`additionalProperties`), by the record's name. */
const recordKeys: Record<string, string> = { roles: 'lead', settings: 'maxRectificationRounds', limits: 'inspection.lead' };
/** Optional properties always sent (a matter's facts are checked by the route, per scenario). */
// `workingDays`: an extension names exactly one of workingDays or days, which the document cannot
// say (both are optional there); the base body takes the common one.
// `keywords`: a dispatch rule matches on at least one criterion, each optional in the document;
// the base rule matches on keywords.
// `model`, `indicators`: a risk model's warning names its model and carries an indicator, each
// optional in the document (a department's warning needs neither); the base warning is a model's.
// `creditCode`: an enterprise in the object registry is registered with its credit code, which
// the document cannot say (optional there: a person has none); the base subject is an enterprise.
const alwaysInclude = new Set(['facts', 'workingDays', 'keywords', 'model', 'creditCode']);
/** Arrays sent with one item though the document allows none (see `alwaysInclude`). */
const oneItem = new Set(['indicators']);
/** Strings for patterns `byName` does not cover, tried in order. */
const patternCandidates = [
  '610124',
  '610124100',
  'department:sports',
  'township:610124100',
  'housing',
  'ext-1',
  'compliant',
  'a'.repeat(64),
  'https://example.test/hook',
  'x',
];

const isStringSchema = (s: Schema): boolean =>
  s.type === 'string' || (s.enum?.every((v) => typeof v === 'string') ?? false) || (s.anyOf?.some(isStringSchema) ?? false);

/** The branch of an `anyOf` a value takes: the scenario's facts schema, else the first object, else the first. */
function branch(s: Schema): Schema {
  if (!s.anyOf) return s;
  return s.anyOf.find((b) => b.title === byName.scenario) ?? s.anyOf.find((b) => b.type === 'object') ?? s.anyOf[0]!;
}

function exampleString(s: Schema, name: string): string {
  if (s.anyOf) return exampleString(s.anyOf.find(isStringSchema) ?? s.anyOf[0]!, name);
  if (s.enum) return byName[name] !== undefined && s.enum.includes(byName[name]) ? byName[name] : String(s.enum[0]);
  // A window's dates lie in the sample year (a plan's window must: domain/inspection-plan.ts).
  if (s.format === 'date') return name === 'to' || name === 'from' ? byName[name]! : '2026-01-01';
  if (s.format === 'date-time') return '2026-03-02T09:00:00+08:00';
  const fits = (v: string) => !s.pattern || new RegExp(s.pattern).test(v);
  const named = byName[name];
  if (named !== undefined && fits(named)) return named;
  if (s.pattern) return patternCandidates.find(fits) ?? 'x';
  return '测试文本'.padEnd(s.minLength ?? 0, 'x');
}

function exampleNumber(s: Schema, name: string): number {
  if (name === 'year') return Number(byName.year);
  const n = s.minimum ?? 1;
  return s.exclusiveMinimum === true || (typeof s.exclusiveMinimum === 'number' && n <= s.exclusiveMinimum) ? n + 1 : n;
}

/** A minimal valid value: required properties only (and `alwaysInclude`), arrays at their minimum. */
function sample(s: Schema | undefined, name: string): unknown {
  if (!s) return '测试文本';
  if (s.anyOf) return isStringSchema(s) && !s.anyOf.some((b) => b.type === 'object') ? exampleString(s, name) : sample(branch(s), name);
  if (s.enum || s.type === 'string') return exampleString(s, name);
  if (s.type === 'integer' || s.type === 'number') return exampleNumber(s, name);
  if (s.type === 'boolean') return false;
  if (s.type === 'array') return Array.from({ length: Math.max(s.minItems ?? 0, oneItem.has(name) ? 1 : 0) }, () => sample(s.items, name));
  if (s.type === 'object' || s.properties) {
    const out: Record<string, unknown> = {};
    for (const [k, child] of Object.entries(s.properties ?? {})) {
      if (s.required?.includes(k) || alwaysInclude.has(k)) out[k] = sample(child, k);
    }
    return out;
  }
  return '测试文本';
}

type Step = string | number;
/** A string a body can be poisoned at: a value, or the key of a record entry. */
interface Leaf {
  at: Step[];
  schema: Schema;
  name: string;
  key?: true;
}

/** Every string leaf of a body schema (each property, required or not; arrays at index 0). */
function leavesOf(s: Schema | undefined, at: Step[], name: string): Leaf[] {
  if (!s) return [];
  if (isStringSchema(s) && !s.anyOf?.some((b) => b.type === 'object')) return [{ at, schema: s, name }];
  const b = branch(s);
  if (b.type === 'array') return leavesOf(b.items, [...at, 0], name);
  const out: Leaf[] = [];
  for (const [k, child] of Object.entries(b.properties ?? {})) out.push(...leavesOf(child, [...at, k], k));
  if (typeof b.additionalProperties === 'object') {
    const k = recordKeys[name] ?? 'x';
    out.push({ at: [...at, k], schema: b.additionalProperties, name: k, key: true }, ...leavesOf(b.additionalProperties, [...at, k], k));
  }
  return out;
}

/** `base` with the value at `at` (creating what leads to it, valid) replaced by `leaf(schema, name)`. */
function place(s: Schema | undefined, current: unknown, at: Step[], name: string, leaf: (s: Schema, name: string) => unknown): unknown {
  if (!s) throw new Error(`no schema at ${at.join('.')}`);
  if (at.length === 0) return leaf(s, name);
  const b = branch(s);
  const [head, ...rest] = at as [Step, ...Step[]];
  if (typeof head === 'number') {
    const arr = Array.isArray(current) && current.length ? [...current] : [sample(b.items, name)];
    arr[0] = place(b.items, arr[0], rest, name, leaf);
    return arr;
  }
  const obj = { ...((current && typeof current === 'object' ? current : sample(b, name)) as Record<string, unknown>) };
  const child = b.properties?.[head] ?? (typeof b.additionalProperties === 'object' ? b.additionalProperties : undefined);
  obj[head] = place(child, obj[head] ?? (rest.length ? sample(child, head) : undefined), rest, head, leaf);
  return obj;
}

/** The body with one leaf poisoned: its value, or (`key`) the record key it sits under. */
function poisonedBody(root: Schema, l: Leaf, poison: string): unknown {
  const base = sample(root, '');
  if (!l.key) return place(root, base, l.at, l.name, (s, n) => `${exampleString(s, n)}${poison}`);
  const recordAt = l.at.slice(0, -1);
  return place(root, base, recordAt, String(recordAt.at(-1) ?? ''), () => ({ [`${l.name}${poison}`]: sample(l.schema, l.name) }));
}

/** The body with the (date-time) value at `at` replaced by `value`. */
const bodyWith = (root: Schema, at: Step[], name: string, value: string) => place(root, sample(root, ''), at, name, () => value);

// ---------------------------------------------------------------- requests

/** A query or path value as it goes on the wire: UTF-8 percent-encoded, a lone surrogate as its WTF-8 bytes. */
const encode = (v: string) =>
  v
    .split(/(\ud800)/)
    .map((part) => (part === LONE ? '%ED%A0%80' : encodeURIComponent(part)))
    .join('');

type Expect =
  /** This status and code, naming `path` (or a path under `pathPrefix`) among the issues, every issue under it. */
  | { status: number; code: string; path?: string; pathPrefix?: string }
  /** Any 4xx with the one error shape. */
  | { status: '4xx' }
  /** What cannot reach the API as poison: anything but a 5xx (an error with the one shape). */
  | { status: 'not-5xx' }
  /** A streamed import: 200, every row refused (nothing written), each naming `field`. */
  | { status: 'rows-refused'; rows: number; field: string };

interface Case {
  category: 'poison' | 'cursor' | 'year' | 'wrong-kind' | 'header';
  op: string;
  what: string;
  method: string;
  url: string;
  who: Who | null;
  body?: string;
  /** The body's media type (JSON unless said). */
  contentType?: string;
  headers: Record<string, string>;
  expect: Expect;
  /** Texts of the input the answer must not repeat. */
  forbid: string[];
}

interface Answer {
  status: number;
  contentType: string;
  text: string;
}

/** The request a case sends for an operation: its path filled in, its required query, its body, who calls. */
interface Request {
  pathValues: Record<string, string>;
  query: Record<string, string>;
  body?: unknown;
}

function urlOf(op: Op, r: Request): string {
  const p = op.path.replace(/\{(\w+)\}/g, (_m, name: string) => encode(r.pathValues[name] ?? ''));
  const q = Object.entries(r.query)
    .map(([k, v]) => `${encodeURIComponent(k)}=${encode(v)}`)
    .join('&');
  return q ? `${p}?${q}` : p;
}

function baseRequest(op: Op): Request {
  const pathValues: Record<string, string> = {};
  const query: Record<string, string> = {};
  for (const p of op.params) {
    if (p.in === 'path') {
      if (isIdParam(p)) {
        const kind = idParamOverrides[`${op.id} ${p.name}`] ?? idParamDefaults[p.name] ?? (p.name === 'id' ? 'notification' : 'task');
        pathValues[p.name] = ids[kind];
      } else pathValues[p.name] = String(sample(p.schema, p.name));
    }
    if (p.in === 'query' && p.required) query[p.name] = String(sample(p.schema, p.name));
  }
  return { pathValues, query, ...(op.body ? { body: sample(op.body, '') } : {}) };
}

function makeCase(op: Op, category: Case['category'], what: string, r: Request, expect: Expect, forbid: string[] = []): Case {
  const takesKey = op.params.some((p) => p.in === 'header' && p.name === 'idempotency-key');
  return {
    category,
    op: op.id,
    what,
    method: op.method,
    url: urlOf(op, r),
    who: callerOf(op),
    ...(r.body !== undefined && category !== 'header' ? { body: JSON.stringify(r.body) } : {}),
    headers: {
      ...(takesKey ? { 'idempotency-key': `corpus-${randomUUID()}` } : {}),
      ...(category === 'header' ? { 'x-filler': 'x'.repeat(20_000) } : {}),
    },
    expect,
    forbid: forbid.filter((f) => f.length >= 6),
  };
}

/** How a value appears when echoed: as it is, and JSON-escaped (a NUL as \u0000, a surrogate as \ud800). */
const echoes = (v: string) => [v, JSON.stringify(v).slice(1, -1)];

const cursorOf = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');

/**
 * The fields of each list's cursor (api/routes/*: `decodeCursor`), checked against a cursor the
 * API hands out where the fixtures fill two pages. A route taking a cursor must be listed.
 */
const cursorShapes: Record<string, Record<string, 'time' | 'time-or-null' | 'string' | 'digits'>> = {
  '/v1/tasks': { dueAt: 'time-or-null', taskId: 'string' },
  '/v1/matters': { createdAt: 'time', matterId: 'string' },
  '/v1/notifications': { createdAt: 'time', id: 'string' },
  '/v1/disputes': { createdAt: 'time', disputeId: 'string' },
  '/v1/public/results': { publishedAt: 'time', resultId: 'string' },
  '/v1/audit': { id: 'digits' },
  '/v1/webhooks': { county: 'string', kind: 'string', value: 'string' },
  '/v1/clues': { receivedAt: 'time', clueId: 'string' },
  '/v1/risk-warnings': { createdAt: 'time', warningId: 'string' },
  '/v1/approvals': { receivedAt: 'time', followUpId: 'string' },
  '/v1/inspectors': { inspectorId: 'string' },
  '/v1/plans': { planId: 'string' },
  '/v1/inspections': { createdAt: 'time', inspectionId: 'string' },
};
const goodCursorField = { time: '2026-03-02T01:00:00.000Z', 'time-or-null': '2026-03-02T01:00:00.000Z', string: 'x', digits: '1' } as const;

function corpusOf(ops: Op[]): Case[] {
  const cases: Case[] = [];
  for (const op of ops) {
    const base = baseRequest(op);
    const refused = (where: string): Expect => ({ status: 400, code: 'validation_failed', path: where });

    // Poison text in path and query parameters.
    for (const p of op.params.filter((x) => x.in === 'path' || x.in === 'query')) {
      const good = p.in === 'path' ? base.pathValues[p.name]! : String(sample(p.schema, p.name));
      for (const poison of poisons) {
        const value = `${good}${poison.text}`;
        const r: Request =
          p.in === 'path' ? { ...base, pathValues: { ...base.pathValues, [p.name]: value } } : { ...base, query: { ...base.query, [p.name]: value } };
        const where = `${p.in === 'path' ? 'params' : 'querystring'}.${p.name}`;
        // A URL cannot carry a lone surrogate: its WTF-8 bytes (%ED%A0%80) are invalid UTF-8, which
        // the router refuses in a path and the query parser keeps as the literal text `%ED%A0%80`.
        const expect: Expect = poison.text === NUL ? refused(where) : p.in === 'path' ? { status: '4xx' } : { status: 'not-5xx' };
        cases.push(makeCase(op, 'poison', `${poison.name} in ${where}`, r, expect, echoes(value)));
      }
    }
    // Poison text in each string of the body (values and record keys).
    if (op.body) {
      for (const leaf of leavesOf(op.body, [], '')) {
        const where = ['body', ...leaf.at].join('.');
        for (const poison of poisons) {
          const body = poisonedBody(op.body, leaf, poison.text);
          const expect: Expect = leaf.key
            ? { status: 400, code: 'validation_failed', pathPrefix: ['body', ...leaf.at.slice(0, -1)].join('.') }
            : refused(where);
          cases.push(
            makeCase(
              op,
              'poison',
              `${poison.name} in ${leaf.key ? `the key of ${where}` : where}`,
              { ...base, body },
              expect,
              echoes(`${leaf.key ? leaf.name : exampleString(leaf.schema, leaf.name)}${poison.text}`),
            ),
          );
        }
      }
    }

    // Cursors.
    if (op.params.some((p) => p.in === 'query' && p.name === 'cursor')) {
      const withCursor = (what: string, cursor: string) =>
        cases.push(makeCase(op, 'cursor', what, { ...base, query: { ...base.query, cursor } }, refused('querystring.cursor'), [cursor]));
      for (const t of badTimes) {
        withCursor(`cursor ${JSON.stringify(t)} as it is`, t);
        withCursor(`cursor ${JSON.stringify(t)} base64url-encoded`, cursorOf(t));
      }
      const shape = cursorShapes[op.path];
      if (shape) {
        const good = Object.fromEntries(Object.entries(shape).map(([k, kind]) => [k, goodCursorField[kind]]));
        for (const [field, kind] of Object.entries(shape)) {
          const bad = kind === 'time' || kind === 'time-or-null' ? badTimes : poisons.map((x) => `x${x.text}`);
          for (const v of bad) withCursor(`cursor ${JSON.stringify({ ...good, [field]: v })}`, cursorOf({ ...good, [field]: v }));
        }
      }
    }

    // Years out of bounds: dates and times in the query, a year in the path, times in the body.
    for (const p of op.params.filter((x) => x.in === 'path' || x.in === 'query')) {
      const where = `${p.in === 'path' ? 'params' : 'querystring'}.${p.name}`;
      const values =
        p.schema.format === 'date'
          ? badDates
          : p.schema.format === 'date-time'
            ? badTimes
            : p.name === 'year' && p.schema.type === 'integer'
              ? badYearNumbers
              : [];
      for (const v of values) {
        const r: Request = p.in === 'path' ? { ...base, pathValues: { ...base.pathValues, [p.name]: v } } : { ...base, query: { ...base.query, [p.name]: v } };
        cases.push(makeCase(op, 'year', `${where}=${v}`, r, refused(where), [v]));
      }
    }
    if (op.body) {
      for (const leaf of leavesOf(op.body, [], '').filter((l) => !l.key && (l.schema.format === 'date-time' || l.schema.format === 'date'))) {
        const where = ['body', ...leaf.at].join('.');
        for (const v of leaf.schema.format === 'date' ? badDates : badTimes) {
          cases.push(makeCase(op, 'year', `${where}=${v}`, { ...base, body: bodyWith(op.body, leaf.at, leaf.name, v) }, refused(where), [v]));
        }
      }
    }

    // Ids of another kind in id path parameters: 404, as for an id that does not exist.
    for (const p of op.params.filter(isIdParam)) {
      // A notification id is not a workflow id: a workflow id parameter refuses it as malformed (400).
      const accepted = acceptedKinds[p.name] ?? (p.name === 'id' ? ['notification'] : []);
      const others = (Object.keys(ids) as IdKindName[]).filter((k) => !accepted.includes(k) && (k !== 'notification' || p.schema.pattern !== urlIdPattern));
      for (const kind of others) {
        cases.push(
          makeCase(
            op,
            'wrong-kind',
            `a ${kind} id in params.${p.name}`,
            { ...base, pathValues: { ...base.pathValues, [p.name]: ids[kind] } },
            { status: 404, code: 'not_found' },
          ),
        );
      }
    }

    // A streamed import: poison in a row refuses the row (200, nothing written), in the header the request.
    if (op.streamed) cases.push(...importCases(op));

    // A header over Node's limit (16 KiB).
    cases.push(makeCase(op, 'header', 'a 20 kB header', base, { status: 431, code: 'headers_too_large' }));
  }
  return cases;
}

/** A subject as an import row takes it, valid. */
const importRow: Record<string, string | string[]> = {
  name: '测试商店',
  kind: 'other',
  county,
  township: '610124100',
  trade: 'retail',
  creditGrade: 'B',
  address: '测试地址',
  tags: ['测试标签'],
  creditReason: '测试理由',
};
const csvOf = (row: Record<string, string | string[]>) =>
  `${Object.keys(row).join(',')}\n${Object.values(row)
    .map((v) => (Array.isArray(v) ? v.join(';') : v))
    .join(',')}\n`;

/**
 * The import reads rows, not a JSON body: each string field of a row poisoned (NDJSON: NUL and a
 * lone surrogate, as JSON escapes; CSV: NUL, since UTF-8 cannot carry a lone surrogate) is that
 * row refused by its field, with 200 and nothing written; a poisoned CSV column name is 400.
 */
function importCases(op: Op): Case[] {
  const cases: Case[] = [];
  const who = callerOf(op);
  for (const media of op.streamed ?? []) {
    for (const field of ['name', 'township', 'trade', 'address', 'tags', 'creditReason']) {
      for (const poison of poisons) {
        if (media === 'text/csv' && poison.text === LONE) continue;
        const value = Array.isArray(importRow[field]) ? [`${(importRow[field] as string[])[0]}${poison.text}`] : `${importRow[field] as string}${poison.text}`;
        const row = { ...importRow, [field]: value };
        cases.push({
          category: 'poison',
          op: op.id,
          what: `${poison.name} in the ${media} row's ${field}`,
          method: op.method,
          url: op.path,
          who,
          body: media === 'text/csv' ? csvOf(row) : `${JSON.stringify(row)}\n`,
          contentType: media,
          headers: {},
          expect: { status: 'rows-refused', rows: 1, field: field === 'tags' ? 'tags.0' : field },
          forbid: echoes(Array.isArray(value) ? value[0]! : value),
        });
      }
    }
    if (media === 'text/csv') {
      const header = `name,kind,county,township,trade,creditGrade,colour${NUL}\n测试商店,other,${county},610124100,retail,B,x\n`;
      cases.push({
        category: 'poison',
        op: op.id,
        what: 'NUL in a CSV column name',
        method: op.method,
        url: op.path,
        who,
        body: header,
        contentType: media,
        headers: {},
        expect: { status: 400, code: 'validation_failed', path: 'body.header' },
        forbid: echoes(`colour${NUL}`),
      });
    }
  }
  return cases;
}

async function send(c: Case): Promise<Answer> {
  const headers: Record<string, string> = { ...c.headers };
  if (c.who) headers.authorization = `Bearer ${stack.keys[c.who]}`;
  if (c.body !== undefined) headers['content-type'] = c.contentType ?? 'application/json';
  if (c.category === 'header') {
    // Through node:http: the header goes out as it is, and Node's parser on the other side refuses it.
    const { hostname, port } = new URL(stack.base);
    return new Promise<Answer>((resolve, reject) => {
      const req = http.request({ host: hostname, port, method: c.method, path: c.url, headers, timeout: 20_000 }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, contentType: String(res.headers['content-type'] ?? ''), text }));
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new Error('no answer within 20 s')));
      req.on('error', reject);
      req.end();
    });
  }
  const res = await fetch(`${stack.base}${c.url}`, {
    method: c.method,
    headers,
    ...(c.body !== undefined ? { body: c.body } : {}),
    signal: AbortSignal.timeout(20_000),
  });
  return { status: res.status, contentType: res.headers.get('content-type') ?? '', text: await res.text() };
}

/** What is wrong with an answer, or nothing. */
function problems(c: Case, a: Answer): string[] {
  const out: string[] = [];
  let body: unknown;
  try {
    body = JSON.parse(a.text);
  } catch {
    body = undefined;
  }
  if (c.category === 'header') {
    if (a.status !== 431) out.push(`status ${a.status}, expected 431`);
    if (JSON.stringify(body) !== JSON.stringify({ error: { code: 'headers_too_large', message: '请求头过大' } })) out.push('not the standard 431 body');
    return out;
  }
  const e = c.expect;
  if (a.status >= 500) out.push(`status ${a.status}: a server error`);
  else if (e.status === '4xx' && (a.status < 400 || a.status >= 500)) out.push(`status ${a.status}, expected 4xx`);
  else if (typeof e.status === 'number' && a.status !== e.status) out.push(`status ${a.status}, expected ${e.status}`);
  if (e.status === 'rows-refused') {
    if (a.status !== 200) out.push(`status ${a.status}, expected 200 with the rows refused`);
    const b = body as { accepted?: unknown; refusedCount?: unknown; refused?: { issues: { path: string; message: string }[] }[] } | undefined;
    if (b?.accepted !== 0 || b.refusedCount !== e.rows)
      out.push(`accepted ${String(b?.accepted)}, refused ${String(b?.refusedCount)}: expected 0 and ${e.rows}`);
    const named = b?.refused?.flatMap((r) => r.issues.map((i) => i.path)) ?? [];
    if (named.join() !== e.field) out.push(`refused rows name ${named.join(', ')}, expected ${e.field}`);
    const echoedRow = (t: string) => t.includes(NUL) || /\\u0000|\\ud[89ab][0-9a-f]{2}|\ufffd/i.test(JSON.stringify(t));
    if (echoedRow(a.text)) out.push('echoes the poison');
    for (const f of c.forbid) if (a.text.includes(f)) out.push(`echoes the input ${JSON.stringify(f)}`);
    return out;
  }
  if (a.status < 400) return out; // (only `not-5xx` cases may get here without a complaint)

  // The one error shape: { error: { code, message, issues? } }, issues [{ path, message }].
  const err = (body as { error?: { code?: unknown; message?: unknown; issues?: unknown } } | undefined)?.error;
  if (!a.contentType.includes('application/json')) out.push(`content-type ${a.contentType}`);
  if (!body || typeof body !== 'object' || Object.keys(body).join() !== 'error' || !err || typeof err !== 'object') {
    out.push('not the one error shape { error: { code, message } }');
    return out;
  }
  if (typeof err.code !== 'string' || !err.code) out.push('error.code is not a string');
  if (typeof err.message !== 'string' || !err.message) out.push('error.message is not a string');
  const extra = Object.keys(err).filter((k) => !['code', 'message', 'issues'].includes(k));
  if (extra.length) out.push(`error has ${extra.join(', ')}`);
  const issues = err.issues;
  if (
    issues !== undefined &&
    (!Array.isArray(issues) ||
      issues.some(
        (i: unknown) =>
          !i ||
          typeof i !== 'object' ||
          Object.keys(i).sort().join() !== 'message,path' ||
          typeof (i as { path: unknown }).path !== 'string' ||
          typeof (i as { message: unknown }).message !== 'string',
      ))
  ) {
    out.push('error.issues is not [{ path, message }]');
  }
  if (typeof e.status === 'number' && err.code !== e.code) out.push(`code ${String(err.code)}, expected ${e.code}`);
  const paths = Array.isArray(issues) ? issues.map((i: { path?: unknown }) => String(i.path)) : [];
  if ('path' in e && e.path) {
    if (!paths.includes(e.path)) out.push(`issues do not name ${e.path}`);
    const others = paths.filter((p) => p !== e.path && !p.startsWith(`${e.path}.`));
    if (others.length) out.push(`issues also name ${others.join(', ')} (the valid rest of the request was refused)`);
  }
  if ('pathPrefix' in e && e.pathPrefix && !paths.some((p) => p === e.pathPrefix || p.startsWith(`${e.pathPrefix}.`))) {
    out.push(`issues do not name anything under ${e.pathPrefix}`);
  }
  // Nothing internal, nothing of the input.
  if (/at .*\.(ts|js):\d+|node_modules|SQLSTATE|PostgreSQL|syntax|invalid input syntax/i.test(a.text)) out.push('leaks internals');
  const echoed = (t: string) => t.includes(NUL) || /\\u0000|\\ud[89ab][0-9a-f]{2}|\ufffd/i.test(JSON.stringify(t));
  if (typeof err.message === 'string' && echoed(err.message)) out.push('echoes the poison in error.message');
  const echoedIn = paths.filter(echoed);
  if (echoedIn.length) out.push(`echoes the poison in error.issues[].path (${echoedIn.map((x) => JSON.stringify(x)).join(', ')})`);
  else if (echoed(a.text)) out.push('echoes the poison');
  for (const f of c.forbid) if (a.text.includes(f)) out.push(`echoes the input ${JSON.stringify(f)}`);
  return out;
}

async function inBatches<T, R>(items: T[], n: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i]!);
      }
    }),
  );
  return out;
}

// ---------------------------------------------------------------- what "nothing was written" means

/** Every table the migrations create, and any other table of the schema. */
function migrationTables(): string[] {
  const dir = fileURLToPath(new URL('../../db/migrations', import.meta.url));
  return readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .flatMap((f) => [...readFileSync(path.join(dir, f), 'utf8').matchAll(/CREATE TABLE (?:IF NOT EXISTS )?"?(\w+)"?/gi)].map((m) => m[1]!));
}

async function dbSnapshot(): Promise<Record<string, { rows: number; content: string }>> {
  const listed = await stack.db.pool.query<{ table_name: string }>(
    "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE'",
  );
  const tables = [...new Set([...migrationTables(), ...listed.rows.map((r) => r.table_name)])].sort();
  const res = await stack.db.pool.query<{ t: string; n: number; h: string }>(
    tables
      .map((t) => `SELECT '${t}' AS t, count(*)::int AS n, md5(coalesce(string_agg(md5(x::text), ',' ORDER BY md5(x::text)), '')) AS h FROM "${t}" x`)
      .join(' UNION ALL '),
  );
  return Object.fromEntries(res.rows.map((r) => [r.t, { rows: r.n, content: r.h }]));
}

/** The visibility count, and each run's status and history length (an Update or signal would add events). */
async function temporalSnapshot(): Promise<{ count: number; runs: Record<string, string> }> {
  const { count } = await stack.client.workflow.count();
  const runs: Record<string, string> = {};
  for await (const w of stack.client.workflow.list()) {
    const d = await stack.client.workflow.getHandle(w.workflowId, w.runId).describe();
    runs[`${w.workflowId} (${w.runId})`] = `${d.status.name}, ${d.historyLength} events`;
  }
  return { count, runs };
}

const snapshot = async () => ({ db: await dbSnapshot(), temporal: await temporalSnapshot() });
type Snapshot = Awaited<ReturnType<typeof snapshot>>;

/** Waits until nothing changes for a second (the fixtures' workflows done writing, visibility caught up). */
async function settled(): Promise<Snapshot> {
  let last = await snapshot();
  let stableSince = Date.now();
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 250));
    const now = await snapshot();
    if (JSON.stringify(now) !== JSON.stringify(last)) {
      last = now;
      stableSince = Date.now();
    } else if (Date.now() - stableSince >= 1_000) return now;
  }
  throw new Error('the database or Temporal did not settle');
}

// ---------------------------------------------------------------- the run

let ops: Op[] = [];
let corpus: Case[] = [];
let before: Snapshot;
const results = new Map<Case, { answer?: Answer; problems: string[] }>();
const started = Date.now();

beforeAll(async () => {
  const call = async (who: Who, method: string, url: string, body?: unknown) => {
    const res = await stack.call(who, method, url, body);
    expect(res.status, `${method} ${url}: ${JSON.stringify(res.body)}`).toBeLessThan(300);
    return res.body;
  };
  // Two standalone tasks, a matter with its steps, a supervision order on it.
  ids.task = (await call('operator', 'POST', '/v1/tasks', { department: 'housing', title: '核查自建房安全隐患', instructions: '' })).taskId as string;
  await call('operator', 'POST', '/v1/tasks', { department: 'housing', title: '复核', instructions: '' });
  // An approval follow-up (its check is a task of the market bureau).
  ids.approval = (
    await call('operator', 'POST', '/v1/approvals', {
      event: 'filing',
      licence: { type: 'food-business', number: 'BA-0001' },
      subject: { name: '某小吃店', kind: 'individual-business' },
      county,
      competentDepartment: 'market',
    })
  ).followUpId as string;
  const matter = await call('operator', 'POST', '/v1/matters', {
    scenario: 'self-built-housing',
    county,
    subject: { name: '某村自建房', kind: 'house' },
    facts: { township: '610124100' },
  });
  ids.matter = matter.matterId as string;
  const matterWorkflowId = matter.workflowId as string;
  ids.matterTask = await eventually(
    async () => {
      const d = await stack.call('supervisor', 'GET', `/v1/matters/${ids.matter}`);
      return d.body?.tasks?.[0]?.taskId as string | undefined;
    },
    { message: 'a step of the matter', timeoutMs: 30_000 },
  );
  ids.supervisionOrder = (
    await call('supervisor', 'POST', `/v1/matters/${ids.matter}/supervision-orders`, { department: 'market', instruction: '核查', dueInWorkingDays: 3 })
  ).taskId as string;
  // A jurisdiction dispute (started as a matter's step would start it), and a transfer id of the matter.
  const disputeId = `matter:${county}:self-built-housing:2026-8888/dispute:1`;
  await stack.client.workflow.start(jurisdictionDispute, {
    taskQueue: stack.taskQueue,
    workflowId: disputeId,
    args: [
      {
        county,
        taskKey: 'survey.planning',
        taskTitle: '规划与用地合法性核查',
        parties: ['natural-resources', 'agriculture'],
        returnedBy: 'natural-resources',
        reason: '宅基地审批属农业农村部门',
      },
    ],
  });
  ids.dispute = toUrlId(disputeId);
  ids.transfer = toUrlId(`${matterWorkflowId}/transfer:1`);
  await eventually(async () => ((await stack.db.pool.query('SELECT 1 FROM disputes WHERE dispute_id = $1', [disputeId])).rowCount ? true : undefined), {
    message: 'the dispute in the read model',
  });
  // Two published results (as the matter would publish them), with their first versions.
  for (const [n, suffix] of ['result', 'result-2'].entries()) {
    const resultId = `${matterWorkflowId}/${suffix}`;
    await stack.db.pool.query(
      `INSERT INTO public_results (result_id, matter_id, county, scenario, subject_label, result_code, summary, inspected_by, published_at)
       VALUES ($1, $2, $3, 'self-built-housing', '某村自建房', 'compliant', '经核查未发现安全隐患', '{housing}', now() - $4 * interval '1 hour')`,
      [resultId, matterWorkflowId, county, n + 1],
    );
    await stack.db.pool.query(
      `INSERT INTO public_result_versions (result_id, version, change, result_code, summary, subject_label, by_whom, at)
       VALUES ($1, 1, 'published', 'compliant', '经核查未发现安全隐患', '某村自建房', 'lead', now())`,
      [resultId],
    );
  }
  ids.result = toUrlId(`${matterWorkflowId}/result`);
  // Two webhook endpoints, inactive (no deliveries run while the corpus does).
  for (const target of ['department:sports', 'department:tax']) {
    await call('admin', 'PUT', `/v1/webhooks/${county}/${target}`, { url: 'https://example.test/hook', secret: 's'.repeat(40), active: false });
  }
  ids.notification = await eventually(
    async () =>
      (
        await stack.db.pool.query<{ id: string }>("SELECT id FROM notifications WHERE county = $1 AND department = 'housing' ORDER BY created_at LIMIT 1", [
          county,
        ])
      ).rows[0]?.id,
    { message: 'a notification for housing' },
  );

  const doc = await fetch(`${stack.base}/openapi.json`).then((r) => r.json() as Promise<{ paths: Record<string, Record<string, Operation>> }>);
  ops = operationsOf(doc);
  corpus = corpusOf(ops);
  before = await settled();
}, 150_000);

afterAll(() => {
  const counts = new Map<string, number>();
  for (const c of corpus) counts.set(c.category, (counts.get(c.category) ?? 0) + 1);
  const byCategory = [...counts].map(([k, n]) => `${k} ${n}`).join(', ');
  const through = corpus
    .filter((c) => c.expect.status !== 'rows-refused' && (results.get(c)?.answer?.status ?? 0) < 300 && results.get(c)?.answer)
    .map((c) => `${c.method} ${c.url}`);
  const rowsRefused = corpus.filter((c) => c.expect.status === 'rows-refused' && results.get(c)?.answer?.status === 200).length;
  console.info(
    `bad-input corpus: ${ops.length} operations, ${corpus.length} cases (${byCategory}), ${((Date.now() - started) / 1000).toFixed(1)} s; import rows refused with 200: ${rowsRefused}; answered 2xx (a lone surrogate a URL cannot carry): ${through.length}${through.length ? `\n  ${through.join('\n  ')}` : ''}`,
  );
});

describe('the bad-input corpus on every operation of the OpenAPI document', () => {
  test('the document lists the operations, and every one of them gets cases', () => {
    expect(ops.length).toBeGreaterThan(30);
    const covered = new Set(corpus.map((c) => c.op));
    expect(ops.filter((op) => !covered.has(op.id)).map((op) => op.id)).toEqual([]);
    expect(covered.size).toBe(ops.length);
    // A route that takes a cursor has its cursor's fields listed (so its keyed cursors are tried too).
    expect(ops.filter((op) => op.params.some((p) => p.name === 'cursor') && !cursorShapes[op.path]).map((op) => op.id)).toEqual([]);
  });

  test('the cursor shapes are those the API hands out', async () => {
    for (const [p, shape] of Object.entries(cursorShapes)) {
      const op = ops.find((o) => o.method === 'GET' && o.path === p);
      if (!op) continue;
      const res = await fetch(`${stack.base}${p}?limit=1`, { headers: op.open ? {} : { authorization: `Bearer ${stack.keys[callerOf(op)!]}` } });
      const next = ((await res.json()) as { nextCursor?: string | null }).nextCursor;
      if (!next) continue; // one page only: nothing handed out to compare with
      expect(Object.keys(JSON.parse(Buffer.from(next, 'base64url').toString('utf8')) as object).sort(), p).toEqual(Object.keys(shape).sort());
    }
  });

  test.each(['poison', 'cursor', 'year', 'wrong-kind', 'header'] as const)(
    '%s cases: 4xx, the one error shape, nothing echoed',
    async (category) => {
      const cases = corpus.filter((c) => c.category === category);
      expect(cases.length).toBeGreaterThan(0);
      await inBatches(cases, concurrency, async (c) => {
        try {
          const answer = await send(c);
          results.set(c, { answer, problems: problems(c, answer) });
        } catch (err) {
          results.set(c, { problems: [`no answer: ${(err as Error).message}`] });
        }
      });
      const failing = cases.flatMap((c) => {
        const r = results.get(c)!;
        return r.problems.length
          ? [
              {
                case: `${c.method} ${c.url}${c.body !== undefined ? ` body ${c.body}` : ''} as ${c.who ?? 'anyone'} (${c.op}: ${c.what})`,
                got: r.answer ? `${r.answer.status} ${r.answer.text.slice(0, 600)}` : 'nothing',
                problems: r.problems,
              },
            ]
          : [];
      });
      expect(failing).toEqual([]);
    },
    120_000,
  );

  test('nothing was written: every table and every workflow as before the corpus', async () => {
    await new Promise((r) => setTimeout(r, 500)); // anything a request started would be writing by now
    const after = await settled();
    expect(after.db).toEqual(before.db);
    expect(after.temporal.count).toBe(before.temporal.count);
    expect(after.temporal.runs).toEqual(before.temporal.runs);
  }, 90_000);
});
