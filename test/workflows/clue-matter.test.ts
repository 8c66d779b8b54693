/**
 * Clue → matter (issue 13 §1) on the time-skipping server: the lead opens a matter from the clue,
 * its handling task ends with that decision (never falsely overdue however long the matter takes),
 * the matter's own steps carry the clocks meanwhile, and once the matter ends the lead's reply is a
 * step of its own, due within 3 working days of the end; then the visit-back closes the clue.
 */
import { randomUUID } from 'node:crypto';
import type { WorkflowHandle } from '@temporalio/client';
import { describe, expect, test } from 'vitest';
import { resolveDeadline } from '../../domain/calendar/index.js';
import type { ClueInputDraft } from '../../domain/clue.js';
import type { MatterInput, MatterView } from '../../domain/matter.js';
import type { Principal } from '../../domain/principal.js';
import { catalogue } from '../../domain/scenarios/catalogue.js';
import { resolveScenario } from '../../domain/scenarios/schema.js';
import { clue, getClueQuery, openMatterUpdate, visitClueUpdate } from '../../workflows/clue.js';
import { getTaskQuery, signUpdate, submitUpdate } from '../../workflows/department-task.js';
import { getMatterQuery } from '../../workflows/matter-kit.js';
import { eventually } from '../helpers/eventually.js';
import { MatterDriver } from '../helpers/matter-driver.js';
import { useWorkflowEnv, timelineTypes, updateRefusal } from '../helpers/workflow-env.js';

const wf = useWorkflowEnv({ queue: 'clue-matter' });
const county = '610124';
const officer = (department: string): Principal => ({ keyId: `k-${department}`, county, department, roles: ['officer'] });
const office = officer('gov-services');
const subject = { name: '某某培训学校', kind: 'enterprise' as const, creditCode: '91610124MA6TG0001X' };
const definition = resolveScenario(catalogue['prepaid-card'], undefined, 0);

async function start(over: Partial<ClueInputDraft> = {}) {
  return wf.client.workflow.start(clue, {
    taskQueue: wf.taskQueue,
    workflowId: `clue:${county}:2026-${randomUUID().slice(0, 8)}`,
    args: [
      {
        county,
        channel: '12345',
        ref: 'GD2026120600001',
        category: 'complaint',
        urgency: 'normal',
        content: '培训学校停课不退费',
        subject,
        dispatch: { ruleId: 'prepaid', lead: 'market', coHandlers: [] },
        ...over,
      },
    ],
  });
}
type Clue = WorkflowHandle<typeof clue>;
let seq = 0;
const openMatter = (h: Clue, actor = officer('market')) =>
  h.executeUpdate(openMatterUpdate, {
    args: [
      {
        matterId: `matter:${county}:prepaid-card:2026-${String(++seq).padStart(4, '0')}`,
        scenario: 'prepaid-card',
        facts: { trade: 'education', signal: 'store-closing' },
        definition,
        actor,
      },
    ],
  });
async function leadTask(h: Clue, n = 1) {
  const ref = await eventually(async () => (await h.query(getClueQuery)).tasks.filter((t) => t.role === 'lead')[n - 1], { message: `lead task ${n}` });
  const t = wf.client.workflow.getHandle(ref.taskId);
  await eventually(async () => (await t.query(getTaskQuery).catch(() => undefined))?.currentDeadline, { message: `${ref.taskId} assigned` });
  return t;
}
const refusal = updateRefusal;
const types = (id: string) => timelineTypes(wf.db, id);
const untilState = (h: Clue, state: string) =>
  eventually(async () => ((await h.query(getClueQuery)).state === state ? true : undefined), { message: `${h.workflowId} ${state}` });

describe('a clue that opens a matter', () => {
  test('the lead opens a matter; its task ends with the decision; the matter’s steps are clocked; its end starts a reply step due in 3 working days; reply, visit, closed', async () => {
    const h = await start();
    const first = await leadTask(h);
    // Only the lead department opens it.
    expect(await refusal(openMatter(h, officer('commerce')))).toBe('Forbidden');
    const opened = await openMatter(h);
    expect(opened.state).toBe('in-matter');
    expect(opened.matter).toMatchObject({ scenario: 'prepaid-card', state: 'running' });
    const matterId = opened.matter!.matterId;
    // One matter per clue.
    expect(await refusal(openMatter(h))).toBe('WrongState');
    // The lead's handling task ends with the decision (as the API submits it).
    await first.executeUpdate(signUpdate, { args: [{ actor: officer('market') }] });
    await first.executeUpdate(submitUpdate, { args: [{ actor: officer('market'), summary: `转立综合监管事项办理（${matterId}）` }] });

    // The matter is one like POST /v1/matters starts: its scenario's workflow, the clue's child, naming the clue.
    const matter = wf.client.workflow.getHandle<(input: MatterInput) => Promise<MatterView>>(matterId);
    const described = await matter.describe();
    expect([described.type, described.parentExecution?.workflowId]).toEqual(['prepaidCardMatter', h.workflowId]);
    expect((await eventually(() => matter.query(getMatterQuery))).clueId).toBe(h.workflowId);

    // 40 days pass (beyond the complaint's 15 working days): the clue's task is done in time, nothing
    // of the clue is overdue; the wait is the matter's, whose step is chased by its own ladder.
    await wf.env.sleep('40 days');
    const waiting = await h.query(getClueQuery);
    expect([waiting.state, waiting.tasks.map((t) => [t.role, t.state])]).toEqual(['in-matter', [['lead', 'completed']]]);
    const firstView = await first.query(getTaskQuery);
    expect([firstView.state, firstView.overdue, firstView.escalations]).toEqual(['completed', false, []]);
    const driver = new MatterDriver(wf.client, matter, county);
    const triage = await driver.waitFor('triage');
    expect((await wf.client.workflow.getHandle(triage.taskId).query(getTaskQuery)).escalations.map((e) => e.rung)).toContain('chase');

    await driver.complete('triage', 'assigned');
    await driver.complete('acceptance', 'rejected');
    const ended = await matter.result();
    expect(ended.result?.code).toBe('complaint-rejected');

    // The reply: a new step of the lead's, within 3 working days of the matter's end.
    const replyTask = await leadTask(h, 2);
    const assigned = await replyTask.query(getTaskQuery);
    expect([assigned.title, assigned.department, assigned.currentDeadline?.kind]).toEqual(['答复：投诉（GD2026120600001）', 'market', 'sign-for']);
    expect(assigned.instructions).toContain('事项办结：投诉不予受理');
    await replyTask.executeUpdate(signUpdate, { args: [{ actor: officer('market') }] });
    const signed = await eventually(async () => {
      const v = await replyTask.query(getTaskQuery);
      return v.currentDeadline?.kind === 'handle' ? v : undefined;
    });
    expect(signed.currentDeadline).toMatchObject({
      countsFrom: { event: 'previous-step', at: ended.closedAt },
      dueAt: resolveDeadline(Date.parse(ended.closedAt!), { amount: 3, unit: 'working_day' }).dueAt,
    });
    const inMatter = await h.query(getClueQuery);
    expect([inMatter.state, inMatter.matter?.state, inMatter.matter?.result?.code, inMatter.matter?.endedAt]).toEqual([
      'handling',
      'closed',
      'complaint-rejected',
      ended.closedAt,
    ]);

    await replyTask.executeUpdate(submitUpdate, { args: [{ actor: officer('market'), summary: '经立案核查，投诉不予受理，已告知理由' }] });
    await untilState(h, 'replied');
    expect((await h.query(getClueQuery)).reply).toMatchObject({ summary: '经立案核查，投诉不予受理，已告知理由', department: 'market' });
    await h.executeUpdate(visitClueUpdate, { args: [{ actor: office, satisfaction: 'basically' }] });
    expect((await h.result()).state).toBe('closed');
    await eventually(async () => (await types(h.workflowId)).at(-1) === 'closed', { message: 'closed recorded' });
    expect(await types(h.workflowId)).toEqual([
      'received',
      'dispatched',
      'task.assigned',
      'matter.opened',
      'matter.ended',
      'task.assigned',
      'replied',
      'visited',
      'closed',
    ]);
    const told = await wf.db.pool.query<{ kind: string }>("SELECT kind FROM notifications WHERE object_id = $1 AND kind LIKE 'clue.matter%'", [h.workflowId]);
    expect(told.rows.map((r) => r.kind)).toEqual(['clue.matter-opened']);
  });

  test('a clue without a subject cannot open one; the matter outlives a cancelled clue', async () => {
    const bare = await start({ subject: undefined });
    await leadTask(bare);
    expect(await refusal(openMatter(bare))).toBe('NoSubject');
    expect((await bare.query(getClueQuery)).state).toBe('handling');
    await bare.cancel();

    const h = await start();
    const t = await leadTask(h);
    const { matter } = await openMatter(h);
    await t.executeUpdate(signUpdate, { args: [{ actor: officer('market') }] });
    await t.executeUpdate(submitUpdate, { args: [{ actor: officer('market'), summary: '转立事项' }] });
    // Cancelled while it waits for the matter: the clue ends cancelled, the matter runs on.
    await eventually(async () => ((await h.query(getClueQuery)).tasks[0]?.state === 'completed' ? true : undefined), { message: 'waiting for the matter' });
    await h.cancel();
    expect(await h.result().then(String, (e: Error) => e.constructor.name)).toBe('WorkflowFailedError');
    expect((await h.describe()).status.name).toBe('CANCELLED');
    expect(await types(h.workflowId)).not.toContain('matter.ended');
    const m = wf.client.workflow.getHandle(matter!.matterId);
    expect((await m.describe()).status.name).toBe('RUNNING');
    await m.terminate('test over');
  });

  test('a dispatch rule opens the matter at dispatch: no handling task, the lead replies after the matter; a rule whose matter cannot open leaves the clue to the lead', async () => {
    const matterId = `matter:${county}:prepaid-card:2026-${String(++seq).padStart(4, '0')}`;
    const facts = { trade: 'education', signal: 'store-closing' };
    const h = await start({
      dispatch: { ruleId: 'prepaid', lead: 'market', coHandlers: [], openMatter: { scenario: 'prepaid-card', matterId, facts, definition } },
    });
    await untilState(h, 'in-matter');
    const v = await h.query(getClueQuery);
    expect([v.tasks, v.matter?.matterId, v.department]).toEqual([[], matterId, 'market']);
    const matter = wf.client.workflow.getHandle<(input: MatterInput) => Promise<MatterView>>(matterId);
    const driver = new MatterDriver(wf.client, matter, county);
    await driver.complete('triage', 'assigned');
    await driver.complete('acceptance', 'rejected');
    const reply = await leadTask(h, 1);
    await reply.executeUpdate(signUpdate, { args: [{ actor: officer('market') }] });
    await reply.executeUpdate(submitUpdate, { args: [{ actor: officer('market'), summary: '投诉不予受理，已说明理由' }] });
    await untilState(h, 'replied');
    await h.executeUpdate(visitClueUpdate, { args: [{ actor: office, satisfaction: 'satisfied' }] });
    await h.result();
    await eventually(async () => (await types(h.workflowId)).at(-1) === 'closed', { message: 'closed recorded' });
    expect(await types(h.workflowId)).toEqual(['received', 'dispatched', 'matter.opened', 'matter.ended', 'task.assigned', 'replied', 'visited', 'closed']);
    const told = await wf.db.pool.query<{ department: string }>(
      "SELECT department FROM notifications WHERE object_id = $1 AND kind = 'clue.matter-opened' ORDER BY department",
      [h.workflowId],
    );
    expect(told.rows.map((r) => r.department)).toEqual(['gov-services', 'market']);

    const refused = await start({
      dispatch: { ruleId: 'prepaid', lead: 'market', coHandlers: [], openMatter: { scenario: 'prepaid-card', refused: '事项 facts 不全：trade' } },
    });
    await leadTask(refused, 1);
    expect((await refused.query(getClueQuery)).state).toBe('handling');
    await eventually(async () => ((await types(refused.workflowId)).includes('task.assigned') ? true : undefined), { message: 'the handling task recorded' });
    expect(await types(refused.workflowId)).toEqual(['received', 'dispatched', 'matter.not-opened', 'task.assigned']);
    await refused.cancel();
  });
});
