/**
 * Issue 12 §5: an Idempotency-Key is bound to the request's content, not to how its JSON was
 * spelled. The same body with its keys in another order (at any depth) is the same request (200,
 * the same object); another body is still 409 `idempotency_key_reused`; and a key reserved before
 * bodies were hashed canonically still matches its request.
 */
import { createHash, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { requestHashes, reserveWorkflowId } from '../../api/idempotency.js';
import { startApiHarness, type ApiHarness } from '../helpers/api.js';

let h: ApiHarness;
beforeAll(async () => {
  h = await startApiHarness();
});
afterAll(async () => {
  await h?.close();
});

/** JSON text as written, key order included (a client's serialiser decides it). */
const asWritten = (entries: [string, unknown][]) => `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`;

describe('the same body, its keys in another order', () => {
  test('POST /v1/tasks: 201, then 200 with the same task', async () => {
    // (The body's own fields come out of validation in the schema's order; this guards it anyway.)
    const headers = { 'idempotency-key': `canonical-task-${randomUUID()}` };
    const title = `键序不同的同一请求 ${randomUUID().slice(0, 8)}`;
    const first = await h.call('POST', '/v1/tasks', {
      as: 'operator',
      headers,
      payload: asWritten([
        ['department', 'housing'],
        ['leadDepartment', 'commerce'],
        ['title', title],
        ['instructions', '现场核查'],
      ]),
    });
    expect(first.status, first.text).toBe(201);
    const again = await h.call('POST', '/v1/tasks', {
      as: 'operator',
      headers,
      payload: asWritten([
        ['instructions', '现场核查'],
        ['title', title],
        ['leadDepartment', 'commerce'],
        ['department', 'housing'],
      ]),
    });
    expect(again.status, again.text).toBe(200);
    expect(again.body.workflowId).toBe(first.body.workflowId);
    const rows = await h.db.pool.query('SELECT count(*)::int AS n FROM tasks WHERE title = $1', [title]);
    expect(rows.rows[0].n).toBe(1);
  });

  test('POST /v1/matters, nested objects reordered too: 201, then 200 with the same matter', async () => {
    const headers = { 'idempotency-key': `canonical-matter-${randomUUID()}` };
    const first = await h.call('POST', '/v1/matters', {
      as: 'operator',
      headers,
      payload: asWritten([
        ['scenario', 'self-built-housing'],
        ['county', '610124'],
        ['subject', { name: '某村民自建房', kind: 'house', address: '某镇某村' }],
        ['facts', { township: '610124100', reportedHazard: true, storeys: 4 }],
        ['source', { channel: '12345', ref: 'WO-1' }],
      ]),
    });
    expect(first.status, first.text).toBe(201);
    const again = await h.call('POST', '/v1/matters', {
      as: 'operator',
      headers,
      payload: asWritten([
        ['source', { ref: 'WO-1', channel: '12345' }],
        ['facts', { storeys: 4, reportedHazard: true, township: '610124100' }],
        ['subject', { address: '某镇某村', kind: 'house', name: '某村民自建房' }],
        ['county', '610124'],
        ['scenario', 'self-built-housing'],
      ]),
    });
    expect(again.status, again.text).toBe(200);
    expect(again.body.workflowId).toBe(first.body.workflowId);
  });

  test('another body under the same key is still 409 idempotency_key_reused (values and array order count)', async () => {
    const headers = { 'idempotency-key': `canonical-other-${randomUUID()}` };
    const body = { department: 'housing', title: `不同内容 ${randomUUID().slice(0, 8)}`, instructions: 'a' };
    expect((await h.call('POST', '/v1/tasks', { as: 'operator', headers, body })).status).toBe(201);
    const other = await h.call('POST', '/v1/tasks', { as: 'operator', headers, body: { ...body, instructions: 'b' } });
    expect(other.status, other.text).toBe(409);
    expect(other.body.error.code).toBe('idempotency_key_reused');

    const matterHeaders = { 'idempotency-key': `canonical-array-${randomUUID()}` };
    const matter = (participants: string[]) => ({
      scenario: 'refined-oil',
      county: '610124',
      subject: { name: '某加油站', kind: 'enterprise' },
      facts: { township: '610124100', stationKind: 'licensed-station', participants },
    });
    expect((await h.call('POST', '/v1/matters', { as: 'operator', headers: matterHeaders, body: matter(['safety', 'quality']) })).status).toBe(201);
    const swapped = await h.call('POST', '/v1/matters', { as: 'operator', headers: matterHeaders, body: matter(['quality', 'safety']) });
    expect(swapped.status, swapped.text).toBe(409);
  });

  test('a key reserved under the earlier, as-written hash still matches the same request', async () => {
    // The hash the API stored before (sha256 of JSON.stringify of the parsed body), as a key reserved
    // by the previous version would hold it; record keys are not sorted by the parser.
    const body = { scenario: 'prepaid-card', facts: { trade: 'sports', signal: 'complaint' } };
    const key = `legacy-hash-${randomUUID()}`;
    const scope = 'test:legacy';
    const legacy = createHash('sha256').update(JSON.stringify(body)).digest('hex');
    expect(requestHashes(body).asWritten).toBe(legacy);
    expect(requestHashes(body).canonical).not.toBe(legacy);
    await h.db.pool.query('INSERT INTO idempotency_keys (scope, key, request_hash, resource_id) VALUES ($1, $2, $3, $4)', [
      scope,
      key,
      legacy,
      'task:610124:housing:2026-9999',
    ]);
    const newId = async () => 'task:610124:housing:2026-9998';
    expect(await reserveWorkflowId(h.db.pool, { scope, key, body, newId })).toEqual({ workflowId: 'task:610124:housing:2026-9999', created: false });
    await expect(reserveWorkflowId(h.db.pool, { scope, key, body: { ...body, scenario: 'refined-oil' }, newId })).rejects.toMatchObject({
      statusCode: 409,
      code: 'idempotency_key_reused',
    });
  });
});
