/**
 * 行刑衔接 as its own workflow (国务院令第310号), driven through a refined-oil matter on the
 * time-skipping server: who may act at each step, what each step must carry, the clocks counted
 * from the event each article names, in calendar days not moved past holidays and laddered in
 * hours, the police forwarding, reconsideration and the procuratorate, and a matter that cannot be
 * cancelled once the transfer is approved (art. 11).
 */
import { WorkflowUpdateFailedError, type WorkflowHandle } from '@temporalio/client';
import { describe, expect, test } from 'vitest';
import type { Principal } from '../../domain/principal.js';
import type { Subject } from '../../domain/matter.js';
import { shanghaiDate, toShanghaiIso } from '../../domain/calendar/index.js';
import { getTaskQuery, returnUpdate, signUpdate, submitUpdate } from '../../workflows/department-task.js';
import { cancelMatterUpdate } from '../../workflows/matter-kit.js';
import { getTransferQuery } from '../../workflows/criminal-transfer.js';
import { refinedOilMatter } from '../../workflows/scenarios/refined-oil.js';
import type { MatterDriver } from '../helpers/matter-driver.js';
import { matterLauncher, skipTime } from '../helpers/matters.js';
import { eventually } from '../helpers/eventually.js';
import { useWorkflowEnv } from '../helpers/workflow-env.js';

const wf = useWorkflowEnv({ queue: 'transfer' });
const start = matterLauncher(wf, 'refined-oil', refinedOilMatter);
const HOUR = 3_600_000;

const station: Subject = { name: '周至县某某石化有限公司', kind: 'enterprise', creditCode: '91610124MA6TG1234X' };
const commerce: Principal = { keyId: 'k-commerce', county: '610124', department: 'commerce', roles: ['officer'] };
const head: Principal = { keyId: 'k-commerce-head', county: '610124', department: 'commerce', roles: ['head'] };
const police: Principal = { keyId: 'k-police', county: '610124', department: 'police', roles: ['officer'] };
const operator: Principal = { keyId: 'k-operator', county: '610124', roles: ['operator'] };

/** A black station found by the lead: sealed, then the transfer starts. */
async function toTransfer(): Promise<MatterDriver> {
  const d = await start({ subject: station, facts: { township: '610124100', stationKind: 'suspected-black-station', participants: ['safety'] } });
  await d.complete('inspection.lead', 'unlicensed');
  await d.complete('inspection.safety', 'compliant');
  await d.complete('disposal.seal', 'sealed');
  return d;
}

async function refusal(run: () => Promise<unknown>): Promise<{ type?: string; details?: unknown[] }> {
  const err = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(WorkflowUpdateFailedError);
  return (err as WorkflowUpdateFailedError).cause as { type?: string; details?: unknown[] };
}

const task = (taskId: string) => wf.client.workflow.getHandle(taskId);
const deadline = async (taskId: string, kind: 'sign-for' | 'handle') => (await task(taskId).query(getTaskQuery)).deadlines.find((x) => x.kind === kind)!;
/** The end of the 3rd calendar day after `iso`, not moved to a working day. */
const endOfThirdDay = (iso: string) => {
  const day = new Date(`${shanghaiDate(Date.parse(iso))}T00:00:00Z`);
  day.setUTCDate(day.getUTCDate() + 3);
  return `${day.toISOString().slice(0, 10)}T23:59:59.999+08:00`;
};

async function transferEvents(d: MatterDriver): Promise<string[]> {
  const t = await d.transfer();
  const rows = await wf.db.pool.query('SELECT type FROM timeline_events WHERE workflow_id = $1 ORDER BY seq', [t.transferId]);
  return rows.rows.map((r) => r.type as string);
}

async function settled(d: MatterDriver, state: string) {
  return eventually(
    async () => {
      const t = await d.transfer();
      return t.state === state ? t : undefined;
    },
    { timeoutMs: 15_000, message: `the transfer to end ${state}` },
  );
}

describe('criminalTransfer', () => {
  test('the report needs two officers, the approval the head; clocks count from the report and the approval, not moved past holidays', async () => {
    const d = await toTransfer();
    const report = await d.waitForStep('transfer.report');
    const r = task(report.taskId);
    await r.executeUpdate(signUpdate, { args: [{ actor: commerce }] });
    // Art. 5: a case group of at least two officers.
    const one = await refusal(() =>
      r.executeUpdate(submitUpdate, { args: [{ actor: commerce, summary: '报告', outcome: 'reported', caseGroup: [{ name: '王执法' }] }] }),
    );
    expect(one).toMatchObject({ type: 'InvalidInput', details: [[{ path: 'caseGroup', message: '须列明专案组至少2名执法人员' }]] });
    // A statutory step is not sent back: the police forward instead (art. 7).
    expect(await refusal(() => r.executeUpdate(returnUpdate, { args: [{ actor: commerce, reason: '非本部门' }] }))).toMatchObject({ type: 'NotReturnable' });
    await r.executeUpdate(submitUpdate, {
      args: [
        {
          actor: commerce,
          summary: '报告',
          outcome: 'reported',
          caseGroup: [
            { name: '王执法', certificateNo: 'ZF-001' },
            { name: '赵执法', certificateNo: 'ZF-002' },
          ],
        },
      ],
    });
    const reportedAt = (await task(report.taskId).query(getTaskQuery)).closedAt!;

    const approve = await d.waitForStep('transfer.approve');
    const a = task(approve.taskId);
    await a.executeUpdate(signUpdate, { args: [{ actor: commerce }] });
    // Art. 5: 3 days from the report (the report's end, not the sign-for), calendar days, the end not moved.
    expect(await deadline(approve.taskId, 'handle')).toMatchObject({
      dueAt: endOfThirdDay(reportedAt),
      countsFrom: { event: 'previous-step', at: reportedAt },
    });
    // Only the head decides.
    expect(await refusal(() => a.executeUpdate(submitUpdate, { args: [{ actor: commerce, summary: '批准', outcome: 'approve' }] }))).toMatchObject({
      type: 'Forbidden',
    });
    await a.executeUpdate(submitUpdate, { args: [{ actor: head, summary: '经审批，同意移送', outcome: 'approve' }] });
    // The head's decision is final: no review step.
    const approved = await a.query(getTaskQuery);
    expect(approved).toMatchObject({ state: 'completed', reviews: [], submission: { outcome: 'approve', summary: '经审批，同意移送' } });

    // Art. 5, 6: hand-over within 24 hours of the approval, with the listed materials.
    const handover = await d.waitForStep('transfer.handover');
    const h = task(handover.taskId);
    await h.executeUpdate(signUpdate, { args: [{ actor: commerce }] });
    expect((await deadline(handover.taskId, 'handle')).dueAt).toBe(toShanghaiIso(Date.parse(approved.closedAt!) + 24 * HOUR));
    const noLetter = await refusal(() =>
      h.executeUpdate(submitUpdate, {
        args: [{ actor: commerce, summary: '移送', outcome: 'transferred', materials: ['investigation-report', 'evidence-list'] }],
      }),
    );
    expect(noLetter).toMatchObject({ type: 'InvalidInput', details: [[{ path: 'materials', message: '缺少 transfer-letter' }]] });
    await h.executeUpdate(submitUpdate, {
      args: [
        { actor: commerce, summary: '移送', outcome: 'transferred', materials: ['transfer-letter', 'investigation-report', 'evidence-list', 'expert-opinion'] },
      ],
    });
    const handedOverAt = (await h.query(getTaskQuery)).closedAt!;

    // Art. 7, 8: the police sign within 24 hours; decide within 3 days of the receipt.
    const decision = await d.waitForStep('transfer.police-decision');
    // The case reaches the police with its assignment to them, at the hand-over.
    const delivered = await task(decision.taskId).query(getTaskQuery);
    expect(Date.parse(delivered.assignedAt) - Date.parse(handedOverAt)).toBeLessThan(5_000);
    expect((await deadline(decision.taskId, 'sign-for')).dueAt).toBe(toShanghaiIso(Date.parse(delivered.assignedAt) + 24 * HOUR));
    const p = task(decision.taskId);
    await p.executeUpdate(signUpdate, { args: [{ actor: police }] });
    const receivedAt = (await p.query(getTaskQuery)).signedAt!;
    expect(await deadline(decision.taskId, 'handle')).toMatchObject({ dueAt: endOfThirdDay(receivedAt), countsFrom: { event: 'sign-for', at: receivedAt } });
    // Without review: the agency (its lead) does not review the police's decision.
    await p.executeUpdate(submitUpdate, { args: [{ actor: police, summary: '有犯罪事实，决定立案', outcome: 'filed' }] });
    // Art. 12: evidence within 3 days of the filing notice.
    const evidence = await d.waitForStep('transfer.evidence');
    const filedAt = (await p.query(getTaskQuery)).closedAt!;
    await task(evidence.taskId).executeUpdate(signUpdate, { args: [{ actor: commerce }] });
    expect(await deadline(evidence.taskId, 'handle')).toMatchObject({ dueAt: endOfThirdDay(filedAt), countsFrom: { event: 'previous-step', at: filedAt } });
    await task(evidence.taskId).executeUpdate(submitUpdate, { args: [{ actor: commerce, summary: '已移交', outcome: 'handed-over' }] });

    const t = await settled(d, 'filed');
    expect(t).toMatchObject({
      state: 'filed',
      step: 'ended',
      agency: 'commerce',
      police: 'police',
      reason: '非法经营（无证经营成品油）',
      caseGroup: [
        { name: '王执法', certificateNo: 'ZF-001' },
        { name: '赵执法', certificateNo: 'ZF-002' },
      ],
      approval: { decision: 'approve', reason: '经审批，同意移送' },
      handedOver: { materials: ['transfer-letter', 'investigation-report', 'evidence-list', 'expert-opinion'] },
      policeDecision: { decision: 'filed', county: '610124' },
      forwarded: [],
    });
    expect(t.tasks.map((x) => [x.key, x.department, x.state])).toEqual([
      ['transfer.report', 'commerce', 'completed'],
      ['transfer.approve', 'commerce', 'completed'],
      ['transfer.handover', 'commerce', 'completed'],
      ['transfer.police-decision', 'police', 'completed'],
      ['transfer.evidence', 'commerce', 'completed'],
    ]);
    expect(await transferEvents(d)).toEqual([
      'transfer.opened',
      'transfer.task-assigned',
      'transfer.reported',
      'transfer.task-assigned',
      'transfer.approved',
      'transfer.task-assigned',
      'transfer.handed-over',
      'transfer.task-assigned',
      'transfer.filed',
      'transfer.task-assigned',
      'transfer.evidence-handed-over',
      'transfer.ended',
    ]);
    await d.complete('disposal.follow-up', 'closed');
    await d.complete('publication', 'published');
    expect((await d.handle.result()).result?.code).toBe('black-station-sealed-transferred');
  });

  test('a step is laddered in hours: the approval overdue is chased the same night, not three working days later', async () => {
    const d = await toTransfer();
    await d.step('transfer.report', 'reported');
    const approve = await d.waitForStep('transfer.approve');
    await task(approve.taskId).executeUpdate(signUpdate, { args: [{ actor: commerce }] });
    const due = Date.parse((await deadline(approve.taskId, 'handle')).dueAt);
    // Yellow card 2 hours after the deadline (an hour-scale ladder), red 4 hours after.
    await skipTime(wf.env, due - (await wf.env.currentTimeMs()) + 4 * HOUR + 60_000);
    const v = await eventually(
      async () => {
        const x = await task(approve.taskId).query(getTaskQuery);
        return x.escalations.some((e) => e.rung === 'red-card') ? x : undefined;
      },
      { timeoutMs: 15_000, message: 'the red card' },
    );
    expect(v.overdue).toBe(true);
    const fired = v.escalations.filter((e) => e.deadline === 'handle').map((e) => [e.rung, Date.parse(e.firedAt) - due]);
    expect(fired.map(([rung]) => rung)).toEqual(['reminder', 'chase', 'yellow-card', 'red-card']);
    // Each rung at its hour (the firing instants are the workflow's timers: exact to the second).
    const offset = Object.fromEntries(fired.map(([rung, ms]) => [rung, Math.round(Number(ms) / 60_000)]));
    expect(offset).toMatchObject({ chase: 0, 'yellow-card': 120, 'red-card': 240 });
  });

  test('the police forward to the organ with jurisdiction; that organ decides, the agency is told', async () => {
    const d = await toTransfer();
    await d.step('transfer.report', 'reported');
    await d.step('transfer.approve', 'approve');
    await d.step('transfer.handover', 'transferred');
    const first = await d.waitForStep('transfer.police-decision');
    const p = task(first.taskId);
    await p.executeUpdate(signUpdate, { args: [{ actor: police }] });
    const noWhere = await refusal(() => p.executeUpdate(submitUpdate, { args: [{ actor: police, summary: '不属本机关管辖', outcome: 'forwarded' }] }));
    expect(noWhere).toMatchObject({ type: 'InvalidInput', details: [[{ path: 'forwardedTo' }]] });
    await p.executeUpdate(submitUpdate, {
      args: [{ actor: police, summary: '不属本机关管辖', outcome: 'forwarded', forwardedTo: { county: '610118', organ: '西安市公安局鄠邑分局' } }],
    });
    // The organ with jurisdiction (another county) gets the step, with its own clocks.
    const second = await d.waitForStep('transfer.police-decision');
    expect(second).toMatchObject({ department: 'police', county: '610118' });
    await d.step('transfer.police-decision', 'filed');
    await d.step('transfer.evidence', 'handed-over');
    const t = await settled(d, 'filed');
    expect(t.forwarded).toEqual([{ organ: '西安市公安局鄠邑分局', county: '610118', at: expect.any(String), withinHours: true }]);
    expect(t.policeDecision).toMatchObject({ decision: 'filed', county: '610118' });
    const told = await wf.db.pool.query("SELECT department AS recipient_department FROM notifications WHERE object_id = $1 AND kind = 'transfer.forwarded'", [
      t.transferId,
    ]);
    expect(told.rows.map((r) => r.recipient_department).sort()).toEqual(['commerce', null]);
  });

  test('not filed → reconsideration upheld → the procuratorate asked to supervise; the agency then penalises (art. 9, 10)', async () => {
    const d = await toTransfer();
    await d.step('transfer.report', 'reported');
    await d.step('transfer.approve', 'approve');
    await d.step('transfer.handover', 'transferred');
    await d.step('transfer.police-decision', 'not-filed', { summary: '犯罪事实显著轻微' });
    await d.step('transfer.reconsider', 'reconsideration');
    await d.step('transfer.reconsideration', 'not-filed');
    await d.step('transfer.supervision', 'procuratorate');
    const t = await settled(d, 'not-filed');
    expect(t).toMatchObject({
      policeDecision: { decision: 'not-filed', reason: '犯罪事实显著轻微' },
      reconsideration: { decision: 'not-filed' },
      procuratorateSuggestedAt: expect.any(String),
    });
    const told = await wf.db.pool.query(
      "SELECT department AS recipient_department FROM notifications WHERE object_id = $1 AND kind = 'transfer.procuratorate-suggested'",
      [t.transferId],
    );
    expect(told.rows.map((r) => r.recipient_department)).toContain('procuratorate');
    await d.complete('disposal.seizure', 'confiscated');
    await d.complete('disposal.follow-up', 'closed');
    await d.complete('penalty.lead', 'decided');
    await d.complete('publication', 'published');
    const v = await d.handle.result();
    expect(v).toMatchObject({ result: { code: 'black-station-sealed-not-filed' }, findings: { criminalTransfer: 'not-filed' } });
  });

  test('reconsideration → the police file after all → evidence handed over', async () => {
    const d = await toTransfer();
    await d.step('transfer.report', 'reported');
    await d.step('transfer.approve', 'approve');
    await d.step('transfer.handover', 'transferred');
    await d.step('transfer.police-decision', 'not-filed');
    await d.step('transfer.reconsider', 'reconsideration');
    await d.step('transfer.reconsideration', 'filed');
    await d.step('transfer.evidence', 'handed-over');
    expect(await settled(d, 'filed')).toMatchObject({ reconsideration: { decision: 'filed' } });
    await d.complete('disposal.follow-up', 'closed');
    await d.complete('publication', 'published');
    expect((await d.handle.result()).result?.code).toBe('black-station-sealed-transferred');
  });

  test('once approved, the matter cannot be cancelled (art. 11); before, a cancel ends the transfer on the record', async () => {
    const approved = await toTransfer();
    await approved.step('transfer.report', 'reported');
    await approved.step('transfer.approve', 'approve');
    await approved.waitForStep('transfer.handover');
    await eventually(async () => ((await approved.view()).transfers?.[0]?.approved ? true : undefined), {
      timeoutMs: 10_000,
      message: 'the matter to learn of the approval',
    });
    const refused = await refusal(() => approved.handle.executeUpdate(cancelMatterUpdate, { args: [{ actor: operator, reason: '改为罚款结案' }] }));
    expect(refused).toMatchObject({ type: 'TransferPending' });

    const early = await toTransfer();
    await early.waitForStep('transfer.report');
    await early.handle.executeUpdate(cancelMatterUpdate, { args: [{ actor: operator, reason: '重复立案' }] });
    const v = await early.handle.result();
    expect(v.status).toBe('cancelled');
    const t = await (wf.client.workflow.getHandle(v.transfers![0]!.transferId) as WorkflowHandle).query(getTransferQuery).catch(() => undefined);
    const row = await wf.db.pool.query('SELECT state FROM transfers WHERE transfer_id = $1', [v.transfers![0]!.transferId]);
    expect(row.rows[0]?.state ?? t?.state).toBe('cancelled');
    expect((await transferEvents(early)).at(-1)).toBe('transfer.ended');
  });
});
