/**
 * The disputes list decides who sees what in SQL, before paging: a page never comes back short
 * while `nextCursor` is set (issue 8 §4). Before, a caller the database query let through but the
 * route's own check did not (a justice bureau officer, who is no arbiter) got pages with fewer
 * items than `limit`, or none, with a cursor to more.
 */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { upsertDisputeView } from '../../db/disputes.js';
import { createKey } from '../../db/keys.js';
import type { DisputeView } from '../../domain/dispute.js';
import { startApiHarness, type ApiHarness, type ApiResponse } from '../helpers/api.js';

let h: ApiHarness;
let justiceOfficer: string;

const dispute = (n: number, parties: string[]): DisputeView => ({
  disputeId: `dispute:610124:paging-${n}`,
  county: '610124',
  taskKey: 'survey.planning',
  taskTitle: `第 ${n} 件`,
  parties,
  returnedBy: parties[0]!,
  reason: '非本部门职责',
  kind: 'duties',
  state: 'open',
  rung: 'negotiation',
  rungName: '部门协商',
  level: 0,
  positions: [],
  history: [{ rung: 'negotiation', from: '2026-03-02T09:00:00+08:00' }],
  lastEventSeq: 1,
});

beforeAll(async () => {
  h = await startApiHarness();
  justiceOfficer = (await createKey(h.db.pool, { county: '610124', department: 'justice', roles: ['officer'], label: 'justice officer' })).key;
  // Newest first: 4 (justice not a party), 3 (a party), 2 (not), 1 (a party).
  for (const [n, parties] of [
    [1, ['housing', 'justice']],
    [2, ['housing', 'market']],
    [3, ['justice', 'market']],
    [4, ['market', 'housing']],
  ] as const) {
    await upsertDisputeView(h.db.pool, dispute(n, [...parties]));
    await h.db.pool.query('UPDATE disputes SET created_at = $2 WHERE dispute_id = $1', [`dispute:610124:paging-${n}`, `2026-03-0${n}T09:00:00+08:00`]);
  }
});
afterAll(async () => h?.close());

async function allPages(authorization: string, limit: number) {
  const pages: { items: { disputeId: string }[]; nextCursor: string | null }[] = [];
  let cursor: string | null = null;
  do {
    const res: ApiResponse = await h.call('GET', `/v1/disputes?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`, { as: { authorization } });
    expect(res.status).toBe(200);
    pages.push(res.body);
    cursor = res.body.nextCursor;
  } while (cursor && pages.length < 10);
  return pages;
}

describe('GET /v1/disputes pages', () => {
  test('a page with a next cursor is full: what the caller may not see is left out before paging', async () => {
    const pages = await allPages(`Bearer ${justiceOfficer}`, 2);
    for (const p of pages) if (p.nextCursor !== null) expect(p.items).toHaveLength(2);
    expect(pages.flatMap((p) => p.items.map((d) => d.disputeId))).toEqual(['dispute:610124:paging-3', 'dispute:610124:paging-1']);
    expect(pages.at(-1)!.nextCursor).toBeNull();
  });

  test('a supervisor pages through all of them, newest first', async () => {
    const pages = await allPages(`Bearer ${h.keys.supervisor}`, 3);
    expect(pages.map((p) => p.items.length)).toEqual([3, 1]);
    expect(pages.flatMap((p) => p.items.map((d) => d.disputeId))).toEqual([4, 3, 2, 1].map((n) => `dispute:610124:paging-${n}`));
  });
});
