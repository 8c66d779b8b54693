/**
 * The OpenAPI document is the contract (issue "hostile input" §4): every status the API can answer
 * is declared with the one error body, the routes that need no key say so, a department code is
 * published as it is checked, and what Node's parser refuses gets the same error body.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { departmentNames } from '../../domain/departments.js';
import { factsSchemas } from '../../domain/scenarios/facts.js';
import { startApiHarness, type ApiHarness } from '../helpers/api.js';

let h: ApiHarness;
let doc: {
  paths: Record<
    string,
    Record<
      string,
      {
        security?: unknown[];
        responses: Record<string, { content?: Record<string, { schema: unknown }> }>;
        requestBody?: { content: Record<string, { schema: { properties: Record<string, unknown> } }> };
      }
    >
  >;
};
beforeAll(async () => {
  h = await startApiHarness();
  doc = (await h.call('GET', '/openapi.json', { as: null })).body as typeof doc;
});
afterAll(async () => h?.close());

const operations = () => Object.entries(doc.paths).flatMap(([path, ops]) => Object.entries(ops).map(([method, op]) => ({ path, method, op })));
const errorShape = { type: 'object', properties: { error: expect.objectContaining({ type: 'object', required: ['code', 'message'] }) } };

describe('the OpenAPI document', () => {
  test('every operation declares the statuses any request can get, each with the one error body', () => {
    const ops = operations();
    expect(ops.length).toBeGreaterThan(30);
    for (const { path, method, op } of ops) {
      const keyed = path.startsWith('/v1/') && !path.startsWith('/v1/public/');
      const statuses = ['400', '413', '414', '415', '431', '503', ...(keyed ? ['401', '429'] : [])];
      for (const st of statuses) {
        const schema = op.responses[st]?.content?.['application/json']?.schema;
        if (path === '/readyz' && st === '503') continue; // readiness answers 503 with its checks
        expect(schema, `${method.toUpperCase()} ${path} ${st}`).toMatchObject(errorShape);
      }
    }
  });

  test('health, the public results, a county’s published items and yearly cap need no key; everything else under /v1 does', () => {
    const openUnderV1 = ['get /v1/public/results', 'get /v1/counties/{county}/inspection-items', 'get /v1/counties/{county}/inspection-settings'];
    for (const { path, method, op } of operations()) {
      // The public list is open; the supervisors' routes behind it (versions, correct, withdraw) are not.
      // The list of items (事项清单) is open; with a key it shows more, and a bad key is 401 there too.
      const open = !path.startsWith('/v1/') || openUnderV1.includes(`${method} ${path}`);
      if (open) expect(op.security, `${method} ${path}`).toEqual([]);
      else expect(op.security, `${method} ${path}`).toBeUndefined(); // the document's default: the bearer key
    }
  });

  test('a 204 is documented with no body, as it is sent (found by the fuzz tier: DELETE /v1/webhooks said application/json)', () => {
    const noContent = operations().filter(({ op }) => op.responses['204']);
    expect(noContent.map(({ method, path }) => `${method} ${path}`)).toContain('delete /v1/webhooks/{county}/{target}');
    for (const { method, path, op } of noContent) expect(op.responses['204']!.content, `${method} ${path}`).toBeUndefined();
  });

  test('a 200 that is not JSON is documented as what it sends: the evaluation page as HTML, its CSV beside the JSON', async () => {
    const page = doc.paths['/v1/reports/evaluation.html']!.get!.responses['200']!;
    expect(Object.keys(page.content!)).toEqual(['text/html']);
    expect(page.content!['text/html']!.schema).toMatchObject({ type: 'string' });
    const report = doc.paths['/v1/reports/evaluation']!.get!.responses['200']!;
    expect(Object.keys(report.content!)).toEqual(['application/json', 'text/csv']);
    expect(report.content!['application/json']!.schema).toMatchObject({ type: 'object', required: expect.arrayContaining(['total', 'departments']) });
    // Its errors stay the one JSON error body.
    expect(doc.paths['/v1/reports/evaluation.html']!.get!.responses['403']!.content!['application/json']!.schema).toMatchObject(errorShape);
    // And the page is served as the document says.
    const res = await h.call('GET', '/v1/reports/evaluation.html?county=610124&from=2026-03-01&to=2026-03-31', { as: 'supervisor' });
    expect([res.status, res.headers['content-type']]).toEqual([200, 'text/html; charset=utf-8']);
  });

  test('GET /metrics is documented as it is sent: Prometheus text, no key, the one JSON error body', async () => {
    const op = doc.paths['/metrics']!.get!;
    expect(op.security).toEqual([]);
    expect(Object.keys(op.responses['200']!.content!)).toEqual(['text/plain']);
    expect(op.responses['200']!.content!['text/plain']!.schema).toMatchObject({ type: 'string' });
    expect(op.responses['503']!.content!['application/json']!.schema).toMatchObject(errorShape);
    const res = await h.call('GET', '/metrics', { as: null });
    expect([res.status, res.headers['content-type']]).toEqual([200, 'text/plain; version=0.0.4; charset=utf-8']);
    expect(res.text).toMatch(/^# HELP supervision_http_requests_total /m);
  });

  test('a department code is published as it is checked: the fixed codes or a township', () => {
    const department = doc.paths['/v1/tasks']!.post!.requestBody!.content['application/json']!.schema.properties.department;
    expect(department).toMatchObject({
      anyOf: [
        { type: 'string', enum: Object.keys(departmentNames) },
        { type: 'string', pattern: '^township:\\d{6,12}$' },
      ],
    });
  });
});

describe('the subjects import is published as it is read', () => {
  test('POST /v1/subjects/import takes CSV or NDJSON (no JSON), and answers the counts and the refused rows', () => {
    const op = doc.paths['/v1/subjects/import']!.post!;
    expect(Object.keys(op.requestBody!.content).sort()).toEqual(['application/x-ndjson', 'text/csv']);
    const answer = op.responses['200']!.content!['application/json']!.schema as { required: string[] };
    expect(answer.required).toEqual(expect.arrayContaining(['accepted', 'created', 'updated', 'refusedCount', 'refused', 'truncated']));
  });
});

describe('matter facts are published as checked', () => {
  test('POST /v1/matters lists each scenario’s facts schema, with what each requires', () => {
    const body = doc.paths['/v1/matters']!.post!.requestBody!.content['application/json']!.schema.properties.facts as {
      anyOf: { title: string; required?: string[]; properties: Record<string, unknown> }[];
    };
    expect(body.anyOf.map((s) => s.title).sort()).toEqual(Object.keys(factsSchemas).sort());
    const housing = body.anyOf.find((s) => s.title === 'self-built-housing')!;
    expect(housing.required).toContain('township');
    expect(Object.keys(housing.properties)).toEqual(expect.arrayContaining(['township', 'storeys', 'businessUse', 'reportedHazard', 'planningArea']));
    expect(housing.properties.planningArea).toMatchObject({ enum: ['rural', 'urban'] });
  });
});

describe('webhook targets and URLs are published as checked', () => {
  test('the target pattern admits a known department or role only; the URL pattern http(s) without credentials', async () => {
    const put = (
      doc.paths as Record<
        string,
        Record<
          string,
          {
            parameters?: { name: string; schema: { pattern?: string } }[];
            requestBody?: { content: Record<string, { schema: { properties: Record<string, { pattern?: string }> } }> };
          }
        >
      >
    )['/v1/webhooks/{county}/{target}']!.put!;
    const target = new RegExp(put.parameters!.find((p) => p.name === 'target')!.schema.pattern!);
    expect(['department:housing', 'department:township:610124100', 'role:supervisor'].map((t) => target.test(t))).toEqual([true, true, true]);
    expect(['department:aa', 'role:boss', 'housing', 'department:'].map((t) => target.test(t))).toEqual([false, false, false, false]);
    const url = new RegExp(put.requestBody!.content['application/json']!.schema.properties.url!.pattern!, 'i');
    expect(['https://hooks.example.cn/supervision', 'http://10.0.0.5:8080/x?y=1'].map((u) => url.test(u))).toEqual([true, true]);
    expect(['ftp://x.cn/', 'https://user:pw@x.cn/', 'hooks.example.cn'].map((u) => url.test(u))).toEqual([false, false, false]);
    // And the API refuses what the document refuses.
    const refused = await h.call('PUT', '/v1/webhooks/610124/department:aa', {
      as: 'supervisor',
      body: { url: 'https://user:pw@x.cn/', secret: 's'.repeat(40) },
    });
    expect(refused.status).toBe(400);
    expect((refused.body as { error: { issues: { path: string }[] } }).error.issues.map((i) => i.path)).toContain('params.target');
  });
});

describe('what Node refuses before a route runs', () => {
  test('headers over the limit: 431 with the one error body', async () => {
    await h.app.listen({ host: '127.0.0.1', port: 0 });
    const { port } = h.app.server.address() as AddressInfo;
    const res = await new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
      const req = http.get({ host: '127.0.0.1', port, path: '/healthz', headers: { 'x-filler': 'x'.repeat(20_000) } }, (r) => {
        let body = '';
        r.on('data', (c: Buffer) => (body += c.toString()));
        r.on('end', () => resolve({ status: r.statusCode ?? 0, type: String(r.headers['content-type']), body }));
      });
      req.on('error', reject);
    });
    expect(res.status).toBe(431);
    expect(res.type).toContain('application/json');
    expect(JSON.parse(res.body)).toEqual({ error: { code: 'headers_too_large', message: '请求头过大' } });
  });
});
