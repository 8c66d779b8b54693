/**
 * The inspection round on the time-skipping server with its real activities and PostgreSQL: the
 * seed recorded before the snapshot, the snapshot and the draw stored (not in history), the counts
 * per grade pinned for a fixture registry, one inspection launched per drawn subject, a yearly cap
 * and recent inspections leaving subjects out with their reasons, and the round closing at the end
 * of the plan's window.
 */
import { describe, expect, test } from 'vitest';
import { putInspectionSettings } from '../../db/inspection-settings.js';
import { inTransaction } from '../../db/sql.js';
import { snapshotHash, verifyDraw, type DrawResult } from '../../domain/draw.js';
import { inspectionRound } from '../../workflows/inspection-round.js';
import { eventually } from '../helpers/eventually.js';
import { skipTime, timers } from '../helpers/matters.js';
import { insertInspectors, insertItem, insertPlan, insertSubjects, subjectIdOf } from '../helpers/plans.js';
import { useWorkflowEnv } from '../helpers/workflow-env.js';

const county = '610124';
const wf = useWorkflowEnv({ queue: 'wf-inspection-round' });

describe('inspectionRound', () => {
  test('a round that draws nobody launches nothing and closes at the end of the plan’s window', async () => {
    // First in the file: the next test launches jointInspections, whose own clocks would also fire
    // as this test moves the server's time.
    const db = wf.db.pool;
    const today = new Date((await wf.env.currentTimeMs()) + 8 * 3_600_000).toISOString().slice(0, 10); // the server's day in China time
    const year = Number(today.slice(0, 4));
    const planId = `plan:${county}:${year}-0009`;
    await insertPlan(db, {
      planId,
      county,
      year,
      name: '无对象的计划',
      lead: 'market',
      cooperating: [],
      items: ['food-safety'],
      target: { trades: ['mining'] },
      ratios: { A: 0.05, B: 0.2, C: 0.5, D: 1 },
      frequency: 'once',
      window: { from: today, to: today },
    });
    const roundId = `${planId}/round:1`;
    const h = await wf.client.workflow.start(inspectionRound, { taskQueue: wf.taskQueue, workflowId: roundId, args: [{ planId, requestedBy: 'k-test' }] });
    await timers(h, 1);
    expect((await db.query('SELECT state FROM rounds WHERE round_id = $1', [roundId])).rows[0].state).toBe('launched');
    await skipTime(wf.env, 2 * 86_400_000);
    expect(await h.result()).toEqual({ drawn: 0, started: 0, merged: 0 });
    expect((await db.query('SELECT state FROM rounds WHERE round_id = $1', [roundId])).rows[0].state).toBe('closed');
  });

  test('seed, snapshot, draw, launch: each stored once, history holding counts only', async () => {
    const db = wf.db.pool;
    const today = new Date((await wf.env.currentTimeMs()) + 8 * 3_600_000).toISOString().slice(0, 10); // the server's day in China time
    const year = Number(today.slice(0, 4));
    await insertItem(db, { county, itemId: 'food-safety', lead: 'market', cooperating: ['commerce'] });
    await insertSubjects(db, county, { A: 4, B: 5, C: 6, D: 3 });
    await insertInspectors(db, county, 'market', 3);
    await insertInspectors(db, county, 'commerce', 2);
    // The county caps inspections at 2 a year: D 1 had 2 already; C 1 was inspected for the item a week ago.
    await inTransaction(db, (client) => putInspectionSettings(client, { county, yearlyCap: 2, by: 'k-test' }));
    const past = (n: number, subject: string, on: string) =>
      db.query(
        `INSERT INTO inspections (inspection_id, county, subject_id, initiator, departments, items, inspector_ids, checks, visit_on, state, ended_on, created_at, last_seq, view)
         VALUES ($1, $2, $3, 'market', '{market}', '{food-safety}', '{I-market-1,I-market-2}', '[]', $4, 'published', $4, now(), 1, '{}')`,
        [`inspection:${county}:${year}-900${n}`, county, subject, on],
      );
    const weekAgo = new Date(Date.parse(`${today}T00:00:00Z`) - 7 * 86_400_000).toISOString().slice(0, 10);
    await past(1, subjectIdOf('D', 1), `${year}-01-05`);
    await past(2, subjectIdOf('D', 1), `${year}-01-06`);
    await past(3, subjectIdOf('C', 1), weekAgo < `${year}-01-01` ? `${year}-01-01` : weekAgo);
    const planId = `plan:${county}:${year}-0001`;
    await insertPlan(db, {
      planId,
      county,
      year,
      name: '测试计划',
      lead: 'market',
      cooperating: ['commerce'],
      items: ['food-safety'],
      target: {},
      ratios: { A: 0.05, B: 0.2, C: 0.5, D: 1 },
      frequency: 'once',
      window: { from: today, to: today },
    });

    const roundId = `${planId}/round:1`;
    const h = await wf.client.workflow.start(inspectionRound, { taskQueue: wf.taskQueue, workflowId: roundId, args: [{ planId, requestedBy: 'k-test' }] });
    const row = await eventually(async () => (await db.query("SELECT * FROM rounds WHERE round_id = $1 AND state = 'launched'", [roundId])).rows[0], {
      message: 'the round launched',
      timeoutMs: 30_000,
    });
    expect(row.seeded_at.getTime()).toBeLessThanOrEqual(row.snapshot_at.getTime());
    expect(row.published_value).toBe(`${planId}|${today}`);
    expect(row.snapshot_hash).toBe(snapshotHash(row.snapshot));
    expect(row.snapshot.subjects).toHaveLength(18);
    expect(row.snapshot.inspectors).toHaveLength(5);
    const result = row.result as DrawResult;
    expect(result.grades).toEqual({
      A: { eligible: 4, planned: 1, drawn: 1 },
      B: { eligible: 5, planned: 1, drawn: 1 },
      C: { eligible: 5, planned: 3, drawn: 3 },
      D: { eligible: 2, planned: 2, drawn: 2 },
    });
    expect(result.skipped).toEqual([
      { subjectId: subjectIdOf('C', 1), reason: 'recently-inspected:food-safety' },
      { subjectId: subjectIdOf('D', 1), reason: 'yearly-cap' },
    ]);
    expect(verifyDraw(row.snapshot, row.draw_plan, result, { roundId, publishedValue: row.published_value })).toEqual({ reproduced: true });
    const launches = (await db.query('SELECT kind, delivered FROM round_launches WHERE round_id = $1', [roundId])).rows;
    expect(launches).toEqual(Array(7).fill({ kind: 'started', delivered: true }));

    // History holds counts, never the snapshot or the draw.
    const history = JSON.stringify((await h.fetchHistory()).events);
    expect(history).not.toContain(subjectIdOf('A', 1));
    expect(history.length).toBeLessThan(60_000);

    // Open for recusals until the window's end: its one timer is that wait.
    expect((await h.describe()).status.name).toBe('RUNNING');
  }, 90_000);
});
