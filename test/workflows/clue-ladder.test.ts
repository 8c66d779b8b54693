/**
 * A clue's handling clock and its supervision ladder on the time-skipping server (issue 13 §1:
 * "the category's clock and the supervision ladder"): a complaint signed for and not answered in
 * 15 working days climbs 提醒 → 催办 → 黄牌 → 红牌 while the clue waits; the read model lists the
 * clue as overdue; the late answer still becomes the reply.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { listClues } from '../../db/clues.js';
import type { Principal } from '../../domain/principal.js';
import { clue, getClueQuery, visitClueUpdate } from '../../workflows/clue.js';
import { getTaskQuery, signUpdate, submitUpdate } from '../../workflows/department-task.js';
import { eventually } from '../helpers/eventually.js';
import { settle } from '../helpers/history.js';
import { useWorkflowEnv } from '../helpers/workflow-env.js';

const wf = useWorkflowEnv({ queue: 'clue-ladder' });
const county = '610124';
const DAY = 86_400_000;
const officer = (department: string): Principal => ({ keyId: `k-${department}`, county, department, roles: ['officer'] });
const supervisor: Principal = { keyId: 'k-sup', county, roles: ['supervisor'] };
const recipients = async (id: string, kind: string) =>
  (
    await wf.db.pool.query<{ department: string | null; role: string | null }>(
      'SELECT department, role FROM notifications WHERE object_id = $1 AND kind = $2 ORDER BY department NULLS LAST, role',
      [id, kind],
    )
  ).rows.map((r) => r.department ?? r.role);

describe('a clue’s handling clock', () => {
  test('a complaint not answered in 15 working days of sign-for climbs the ladder; the clue is listed overdue; the late answer is still its reply', async () => {
    const h = await wf.client.workflow.start(clue, {
      taskQueue: wf.taskQueue,
      workflowId: `clue:${county}:2026-${randomUUID().slice(0, 8)}`,
      args: [
        {
          county,
          channel: '12345',
          ref: 'GD2026120600001',
          category: 'complaint',
          urgency: 'normal',
          content: '某培训机构停课不退费',
          dispatch: { ruleId: 'school', lead: 'education', coHandlers: [] },
        },
      ],
    });
    const ref = await eventually(async () => (await h.query(getClueQuery)).tasks[0], { message: 'the lead task' });
    const t = wf.client.workflow.getHandle(ref.taskId);
    await eventually(async () => (await t.query(getTaskQuery).catch(() => undefined))?.currentDeadline, { message: 'assigned' });
    await t.executeUpdate(signUpdate, { args: [{ actor: officer('education') }] });
    const signed = await eventually(async () => {
      const v = await t.query(getTaskQuery);
      return v.currentDeadline?.kind === 'handle' ? v : undefined;
    });
    // 15 working days counted from the sign-for (DOMAIN §6: complaint / report).
    expect(signed.currentDeadline).toMatchObject({ kind: 'handle', countsFrom: { event: 'sign-for' } });
    const dueAt = Date.parse(signed.currentDeadline!.dueAt);
    const signedAt = Date.parse(signed.currentDeadline!.countsFrom!.at);
    // At least 15 weekdays (3 weeks) and at most 15 working days plus a long holiday.
    expect(dueAt - signedAt).toBeGreaterThanOrEqual(21 * DAY - DAY);
    expect(dueAt - signedAt).toBeLessThan(35 * DAY);

    // Day by day (holidays move the rungs) until the red card: 5 working days past the deadline.
    for (let i = 0; i < 60; i++) {
      await wf.env.sleep(DAY);
      if ((await t.query(getTaskQuery)).escalations.some((e) => e.rung === 'red-card')) break;
    }
    const v = await t.query(getTaskQuery);
    expect(v.overdue).toBe(true);
    expect(v.escalations.map((e) => e.rung)).toEqual(['reminder', 'chase', 'yellow-card', 'red-card']);
    // Each rung after the deadline it counts from: chase the next working day, red five working days on.
    const at = (rung: string) => Date.parse(v.escalations.find((e) => e.rung === rung)!.firedAt);
    expect(at('reminder')).toBeLessThan(dueAt);
    expect(at('chase')).toBeGreaterThan(dueAt);
    expect(at('red-card') - dueAt).toBeGreaterThanOrEqual(5 * DAY);
    await settle(t);
    await eventually(async () => (await recipients(ref.taskId, 'ladder.red-card')).length > 0, { message: 'the red card recorded' });
    expect(await recipients(ref.taskId, 'ladder.chase')).toEqual(['education']);
    // A clue's task has no lead department: the yellow card goes to the supervisors in its place.
    expect(await recipients(ref.taskId, 'ladder.yellow-card')).toEqual(['education', 'supervisor']);
    expect(await recipients(ref.taskId, 'ladder.red-card')).toEqual(['county-government', 'supervisor']);

    // The supervisors' list shows it overdue; the clue still waits for its answer.
    const listed = await listClues(wf.db.pool, supervisor, { overdue: true, limit: 10 });
    expect(listed.map((r) => r.view.view.clueId)).toContain(h.workflowId);
    expect((await h.query(getClueQuery)).state).toBe('handling');

    // The late answer is the reply; the office visits back and the clue closes.
    await t.executeUpdate(submitUpdate, { args: [{ actor: officer('education'), summary: '已责令退费' }] });
    await eventually(async () => ((await h.query(getClueQuery)).state === 'replied' ? true : undefined), { message: 'replied' });
    await h.executeUpdate(visitClueUpdate, { args: [{ actor: officer('gov-services'), satisfaction: 'basically' }] });
    const end = await h.result();
    expect(end.state).toBe('closed');
    expect(end.reply).toMatchObject({ summary: '已责令退费', department: 'education' });
  });
});
