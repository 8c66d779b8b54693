import { CancelledFailure, WorkflowFailedError } from '@temporalio/client';
import { describe, expect, test } from 'vitest';
import type { MatterView, Subject } from '../../domain/matter.js';
import type { ScenarioOverride } from '../../domain/scenarios/schema.js';
import { decideExtensionUpdate, getTaskQuery, requestExtensionUpdate, reviewUpdate, signUpdate, submitUpdate } from '../../workflows/department-task.js';
import { prepaidCardMatter } from '../../workflows/scenarios/prepaid-card.js';
import type { MatterDriver } from '../helpers/matter-driver.js';
import { matterLauncher, matterRecords } from '../helpers/matters.js';
import { useWorkflowEnv } from '../helpers/workflow-env.js';

const DAY = 86_400_000;
const wf = useWorkflowEnv({ queue: 'card' });
const { stages, recorded, publicRecord, resultVersions, penaltiesPublished } = matterRecords(wf);
const start = matterLauncher(wf, 'prepaid-card', prepaidCardMatter);

const gym: Subject = { name: '周至县某某健身服务有限公司', kind: 'enterprise', creditCode: '91610124MA6TH5678Y', address: '周至县某街某号' };
const tutor: Subject = { name: '王某某', kind: 'person', address: '周至县某小区某号楼' };

async function launch(facts: Record<string, unknown>, subject: Subject = gym, override?: ScenarioOverride) {
  return start({ subject, facts, source: { channel: '12345', ref: 'WO-20261122-0001' }, override });
}

const ran = (v: MatterView) => v.tasks.map((t) => [t.key, t.department, t.outcome]);

/**
 * Triage by the lead, acceptance by the sector regulator; a complainant is then told the decision
 * (the 12345 office answers the work order: `launch` says the complaint came by 12345).
 */
async function accept(d: MatterDriver, acceptance = 'accepted', complaint = true) {
  await d.complete('triage', 'assigned');
  await d.complete('acceptance', acceptance);
  if (complaint) await d.complete('reply.acceptance', 'replied');
}

/** The complainant is told the outcome, once the matter has one. */
const toldOutcome = (d: MatterDriver) => d.complete('reply.outcome', 'replied');

describe('prepaidCardMatter', () => {
  test('rejected at acceptance: complaint handling is not published (DOMAIN §9); the record says why', async () => {
    const d = await launch({ trade: 'education', signal: 'complaint' }, tutor);
    await accept(d, 'rejected');
    const v = await d.handle.result();

    expect(v).toMatchObject({
      status: 'closed',
      stage: 'closed',
      result: { code: 'complaint-rejected' },
      findings: { acceptance: 'rejected', sectorRegulator: 'education' },
      withheld: { reason: '投诉处理结果不属于公开范围' },
    });
    expect(v.published).toBeUndefined();
    // The complainant is told the rejection (and nothing more: it is the outcome).
    expect(ran(v)).toEqual([
      ['triage', 'commerce', 'assigned'],
      ['acceptance', 'education', 'rejected'],
      ['reply.acceptance', 'gov-services', 'replied'],
    ]);
    expect(await stages(v.matterId)).toEqual(['triage', 'acceptance']);
    const pub = await wf.db.pool.query('SELECT 1 FROM public_results WHERE matter_id = $1', [v.matterId]);
    expect(pub.rows).toEqual([]);
    await recorded(v.matterId, 'publication.withheld', 1);
  });

  test('mediated: the gym’s regulator (sports) accepts and mediates; an enterprise is named in the public record', async () => {
    const d = await launch({ trade: 'sports', signal: 'store-closing', amountYuan: 36_000, consumers: 12 });
    await accept(d, 'accepted', false);
    await d.complete('mediation', 'agreed');
    const v = await d.handle.result();

    expect(v).toMatchObject({
      result: { code: 'mediated' },
      findings: { signal: 'store-closing', acceptance: 'accepted', mediation: 'agreed' },
      withheld: { reason: '调解结果不属于公开范围' },
    });
    expect(ran(v)).toEqual([
      ['triage', 'commerce', 'assigned'],
      ['acceptance', 'sports', 'accepted'],
      ['mediation', 'sports', 'agreed'],
    ]);
    // Mediation is not published (DOMAIN §9).
    expect(await stages(v.matterId)).toEqual(['triage', 'acceptance', 'mediation']);
    expect((await wf.db.pool.query('SELECT 1 FROM public_results WHERE matter_id = $1', [v.matterId])).rows).toEqual([]);
  });

  test('mediation failed → verification, extended when complex (10 + 5 working days) → no violation', async () => {
    const d = await launch({ trade: 'education', signal: 'complaint' });
    await accept(d);
    await d.complete('mediation', 'failed');
    // The case is complex: the regulator asks for more time before the 15-working-day deadline.
    const t = await d.waitFor('verification');
    const task = wf.client.workflow.getHandle(t.taskId);
    const officer = d.officer('education');
    await task.executeUpdate(signUpdate, { args: [{ actor: officer }] });
    const before = (await task.query(getTaskQuery)).currentDeadline!.dueAt;
    for (const workingDays of [10, 5]) {
      const ext = await task.executeUpdate(requestExtensionUpdate, { args: [{ actor: officer, workingDays, reason: '涉及多家门店，情况复杂' }] });
      await task.executeUpdate(decideExtensionUpdate, { args: [{ actor: d.officer('commerce'), extensionId: ext.id, approve: true }] });
    }
    const extended = await task.query(getTaskQuery);
    expect(extended.extensions.map((e) => [e.workingDays, e.status])).toEqual([
      [10, 'approved'],
      [5, 'approved'],
    ]);
    expect(Date.parse(extended.currentDeadline!.dueAt)).toBeGreaterThan(Date.parse(before) + 15 * DAY);
    await task.executeUpdate(submitUpdate, { args: [{ actor: officer, summary: '核查未发现违法行为', outcome: 'no-violation' }] });
    await task.executeUpdate(reviewUpdate, { args: [{ actor: d.supervisor(), decision: 'accept', comment: '同意' }] });
    await d.complete('publication', 'published');
    await toldOutcome(d);
    const v = await d.handle.result();

    expect(v).toMatchObject({ result: { code: 'no-violation' }, findings: { mediation: 'failed', verification: 'no-violation' } });
    expect(ran(v).slice(1)).toEqual([
      ['acceptance', 'education', 'accepted'],
      ['reply.acceptance', 'gov-services', 'replied'],
      ['mediation', 'education', 'failed'],
      ['verification', 'education', 'no-violation'],
      ['publication', 'commerce', 'published'],
      ['reply.outcome', 'gov-services', 'replied'],
    ]);
    expect(v.tasks.some((t) => t.key.startsWith('disposal.'))).toBe(false);
    expect(await stages(v.matterId)).toEqual(['triage', 'acceptance', 'mediation', 'verification', 'publication']);
    // The public reads the verification, not the mediation before it.
    expect(await publicRecord(v.matterId)).toMatchObject({ result_code: 'no-violation', summary: '经核查未发现违法行为' });
  });

  test('the complainant is told the acceptance within 7 working days of the complaint, and the outcome; by the 12345 office for a work order, by the regulator otherwise', async () => {
    const d = await launch({ trade: 'sports', signal: 'complaint' });
    await d.complete('triage', 'assigned');
    await d.complete('acceptance', 'accepted');
    // The reply runs beside the matter: mediation starts at once, and the reply is the 12345 office's.
    const told = await d.waitFor('reply.acceptance');
    expect(told.department).toBe('gov-services');
    await d.waitFor('mediation');
    await d.complete('reply.acceptance', 'replied');
    const reply = await wf.client.workflow.getHandle(told.taskId).query(getTaskQuery);
    const acceptanceTask = (await d.view()).tasks.find((t) => t.key === 'acceptance')!;
    const acceptance = await wf.client.workflow.getHandle(acceptanceTask.taskId).query(getTaskQuery);
    // Both clocks count from the complaint (消费者权益保护法 art. 46): the same 7-working-day end.
    const handleDue = (t: typeof reply) => t.deadlines.find((x) => x.kind === 'handle')?.dueAt;
    expect(handleDue(reply)).toBeDefined();
    expect(handleDue(reply)).toBe(handleDue(acceptance));
    expect(reply.instructions).toContain('消费者权益保护法第四十六条');
    await d.complete('mediation', 'agreed');
    const outcome = await d.waitFor('reply.outcome');
    expect(outcome.department).toBe('gov-services');
    expect((await wf.client.workflow.getHandle(outcome.taskId).query(getTaskQuery)).title).toBe('告知投诉人处理结果（经调解，经营者与消费者达成协议）');
    await d.complete('reply.outcome', 'replied');
    const v = await d.handle.result();
    expect(v.result?.code).toBe('mediated');
    expect(ran(v).map(([k]) => k)).toEqual(['triage', 'acceptance', 'reply.acceptance', 'mediation', 'reply.outcome']);

    // A complaint that came another way is answered by the regulator itself; a store closing tells nobody.
    const online = await start({ subject: gym, facts: { trade: 'education', signal: 'complaint' }, source: { channel: 'online' } });
    await online.complete('triage', 'assigned');
    await online.complete('acceptance', 'rejected');
    expect((await online.waitFor('reply.acceptance')).department).toBe('education');
    await online.complete('reply.acceptance', 'replied');
    expect((await online.handle.result()).result?.code).toBe('complaint-rejected');
  });

  test('the triage is a decision: the lead names another regulator, who then accepts and handles the complaint', async () => {
    const d = await launch({ trade: 'commerce', signal: 'complaint' });
    const t = await d.waitFor('triage');
    const h = wf.client.workflow.getHandle(t.taskId);
    const lead = d.officer('commerce');
    await h.executeUpdate(signUpdate, { args: [{ actor: lead }] });
    // A bad code is refused with its field.
    const bad = await h
      .executeUpdate(submitUpdate, { args: [{ actor: lead, summary: '分办', outcome: 'assigned', namedDepartment: 'nowhere' as never }] })
      .catch((e: unknown) => e);
    expect(bad).toBeInstanceOf(Error);
    const submitted = await h.executeUpdate(submitUpdate, {
      args: [{ actor: lead, summary: '该预付卡为美容美发服务，分办至市场监管', outcome: 'assigned', namedDepartment: 'market' }],
    });
    await h.executeUpdate(reviewUpdate, { args: [{ actor: d.reviewer(submitted), decision: 'accept', comment: '同意' }] });
    const acceptance = await d.waitFor('acceptance');
    expect(acceptance.department).toBe('market');
    await recorded(d.handle.workflowId, 'role.assigned', 1);
    expect((await d.view()).findings.sectorRegulator).toBe('market');
    await d.handle.cancel();
  });

  test('mediation agreed but violation clues found: verified anyway; a county’s penalty authority for the trade decides', async () => {
    const d = await launch({ trade: 'culture-tourism', signal: 'complaint' }, gym, {
      roles: { 'penalty:culture-tourism': 'urban-management', 'regulator:culture-tourism': 'culture-tourism' },
    });
    await accept(d);
    await d.complete('mediation', 'agreed-violation-suspected');
    await d.complete('verification', 'violation');
    const penalty = await d.waitFor('disposal.penalty');
    expect(penalty.department).toBe('urban-management');
    await d.complete('publication', 'published');
    await d.complete('disposal.sector', 'corrected');
    await d.complete('disposal.penalty', 'decided');
    await toldOutcome(d);
    const v = await d.handle.result();
    expect(v).toMatchObject({ result: { code: 'disposed' }, findings: { mediation: 'agreed', verification: 'violation' } });
    expect(await penaltiesPublished(v.matterId)).toEqual([['urban-management', '综合行政执法局依法作出行政处罚决定（联合处置：行政处罚）']]);
  });

  test('violation → the sector regulator and market dispose in parallel → disposed', async () => {
    const d = await launch({ trade: 'culture-tourism', signal: 'complaint' });
    await accept(d);
    await d.complete('mediation', 'failed');
    await d.complete('verification', 'violation');
    await d.waitFor('disposal.sector');
    await d.waitFor('disposal.penalty');
    const open = (await d.view()).tasks.filter((t) => t.state === 'running').map((t) => [t.key, t.department]);
    // The verification ended the check: its publication runs alongside the disposal.
    expect(open).toEqual([
      ['publication', 'commerce'],
      ['disposal.sector', 'culture-tourism'],
      ['disposal.penalty', 'market'],
    ]);
    // Either may finish first.
    await d.complete('disposal.penalty', 'decided');
    await d.complete('disposal.sector', 'corrected');
    await d.complete('publication', 'published');
    await toldOutcome(d);
    const v = await d.handle.result();

    expect(v).toMatchObject({ result: { code: 'disposed' }, findings: { verification: 'violation', correction: 'corrected', penalty: 'decided' } });
    expect(v.tasks.some((t) => t.key.startsWith('transfer.'))).toBe(false);
    expect(await stages(v.matterId)).toEqual(['triage', 'acceptance', 'mediation', 'verification', 'disposal', 'publication']);
    expect((await publicRecord(v.matterId)).inspected_by.sort()).toEqual(['commerce', 'culture-tourism', 'market']);
    expect(await penaltiesPublished(v.matterId)).toEqual([['market', '市场监督管理局依法作出行政处罚决定（联合处置：行政处罚）']]);
    // market filed its case (立案) before deciding: its 90 days count from the filing.
    await recorded(v.matterId, 'case.filed', 1);
    const penaltyTask = v.tasks.find((t) => t.key === 'disposal.penalty')!;
    const deadline = (await wf.client.workflow.getHandle(penaltyTask.taskId).query(getTaskQuery)).deadlines.find((x) => x.kind === 'handle');
    expect(deadline?.countsFrom?.event).toBe('previous-step');
  });

  test('fraud → joint disposal and transfer to the police at once; the police file the case', async () => {
    const d = await launch({ trade: 'sports', signal: 'complaint' });
    await accept(d);
    await d.complete('mediation', 'failed');
    await d.complete('verification', 'fraud');
    // The transfer's 3-day clock does not wait behind the disposal.
    await d.waitFor('disposal.sector');
    await d.waitFor('disposal.penalty');
    await d.waitForStep('transfer.report');
    await d.transferCase('approve', 'filed');
    await d.complete('disposal.sector', 'not-corrected');
    await d.complete('disposal.penalty', 'decided');
    await d.complete('publication', 'published');
    await toldOutcome(d);
    const v = await d.handle.result();

    expect(v).toMatchObject({
      status: 'closed',
      result: { code: 'transferred-to-police' },
      findings: { verification: 'fraud', criminalTransfer: 'filed', correction: 'not-corrected', penalty: 'decided' },
    });
    // The regulator that verified the case reports and hands it over; the police decide.
    const byKey = Object.fromEntries(v.tasks.map((t) => [t.key, t.department]));
    expect(byKey).toMatchObject({ 'disposal.sector': 'sports', 'disposal.penalty': 'market' });
    const transfer = await d.transfer();
    expect(transfer).toMatchObject({ agency: 'sports', police: 'police', state: 'filed', reason: '涉嫌诈骗（卷款跑路）' });
    expect(transfer.tasks.map((t) => [t.key, t.department])).toEqual([
      ['transfer.report', 'sports'],
      ['transfer.approve', 'sports'],
      ['transfer.handover', 'sports'],
      ['transfer.police-decision', 'police'],
      ['transfer.evidence', 'sports'],
    ]);
    expect(await stages(v.matterId)).toEqual(['triage', 'acceptance', 'mediation', 'verification', 'disposal', 'criminal-transfer', 'publication']);
    const opened = await wf.db.pool.query("SELECT data FROM timeline_events WHERE workflow_id = $1 AND type = 'criminal-transfer.opened'", [v.matterId]);
    expect(opened.rows[0].data).toMatchObject({ reason: '涉嫌诈骗（卷款跑路）', transferId: transfer.transferId, agency: 'sports', police: 'police' });
    // The police took the case over; they inspected nothing, and the transfer is not published.
    const pub = await publicRecord(v.matterId);
    expect(pub.inspected_by).not.toContain('police');
    expect(pub).toMatchObject({ result_code: 'disposed', summary: '经核查存在违法行为，已责令改正、核查资金存管并作出行政处罚' });
  });

  test('absconding issuer with a violation is handled as fraud; the police do not file', async () => {
    const d = await launch({ trade: 'education', signal: 'absconding' });
    await accept(d, 'accepted', false);
    await d.complete('mediation', 'failed');
    await d.complete('verification', 'violation');
    await d.complete('disposal.sector', 'not-corrected');
    await d.complete('disposal.penalty', 'decided');
    await d.transferCase('approve', 'not-filed');
    await d.complete('publication', 'published');
    const v = await d.handle.result();
    expect(v).toMatchObject({
      result: { code: 'transferred-not-filed' },
      findings: { signal: 'absconding', verification: 'violation', criminalTransfer: 'not-filed' },
    });
    expect((await d.transfer()).agency).toBe('education');
  });

  test('fraud, but the transfer is refused at approval: disposal only', async () => {
    const d = await launch({ trade: 'transport', signal: 'complaint' });
    await accept(d);
    await d.complete('mediation', 'failed');
    await d.complete('verification', 'fraud');
    await d.transferCase('refuse');
    await d.complete('disposal.sector', 'corrected');
    await d.complete('disposal.penalty', 'decided');
    await d.complete('publication', 'published');
    await toldOutcome(d);
    const v = await d.handle.result();
    expect(v).toMatchObject({ result: { code: 'disposed-not-transferred' }, findings: { criminalTransfer: 'refused' } });
    const transfer = await d.transfer();
    expect(transfer).toMatchObject({ agency: 'transport', state: 'refused', approval: { decision: 'refuse' } });
    expect(transfer.tasks.map((t) => t.key)).toEqual(['transfer.report', 'transfer.approve']);
  });

  test('the sector regulator follows the trade: sports → sports, education → education', async () => {
    const [sports, education] = await Promise.all([launch({ trade: 'sports', signal: 'complaint' }), launch({ trade: 'education', signal: 'complaint' })]);
    for (const d of [sports, education]) await d.complete('triage', 'assigned');
    expect((await sports.waitFor('acceptance')).department).toBe('sports');
    expect((await education.waitFor('acceptance')).department).toBe('education');
    // The lead (commerce) triages and names the regulator in the task's title.
    const triage = (await sports.view()).tasks.find((t) => t.key === 'triage')!;
    expect((await wf.client.workflow.getHandle(triage.taskId).query(getTaskQuery)).title).toContain('体育局');
    expect((await education.view()).findings).toMatchObject({ sectorRegulator: 'education' });
    await Promise.all([sports.handle.cancel(), education.handle.cancel()]);
  });

  test('an overdue acceptance task climbs the ladder while the matter waits for it', async () => {
    const d = await launch({ trade: 'sports', signal: 'complaint' });
    await d.complete('triage', 'assigned');
    const t = await d.waitFor('acceptance');
    await wf.env.sleep(12 * DAY);
    const task = await wf.client.workflow.getHandle(t.taskId).query(getTaskQuery);
    expect(task.overdue).toBe(true);
    expect(task.escalations.map((e) => e.rung)).toEqual(expect.arrayContaining(['chase', 'yellow-card', 'red-card']));
    await recorded(t.taskId, 'ladder.red-card', 1); // the read model follows the task's history
    const row = await wf.db.pool.query('SELECT escalation_level FROM tasks WHERE task_id = $1', [t.taskId]);
    expect(row.rows[0].escalation_level).toBeGreaterThanOrEqual(4);
    // The matter neither moves on nor gives up: it still waits for the acceptance decision.
    const v = await d.view();
    expect(v).toMatchObject({ status: 'open', stage: 'acceptance' });
    expect(v.tasks.filter((x) => x.key === 'acceptance').map((x) => x.state)).toEqual(['running']);
    await d.complete('acceptance', 'accepted');
    await d.waitFor('mediation');
    await d.handle.cancel();
  });

  test('cancelling the run ends the matter as cancelled, with its open task', async () => {
    const d = await launch({ trade: 'commerce', signal: 'complaint' });
    await d.complete('triage', 'assigned');
    const t = await d.waitFor('acceptance');
    await d.handle.cancel();
    const err = await d.handle.result().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkflowFailedError);
    expect((err as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    const childErr = await wf.client.workflow
      .getHandle(t.taskId)
      .result()
      .catch((e: unknown) => e);
    expect((childErr as WorkflowFailedError).cause).toBeInstanceOf(CancelledFailure);
    await recorded(d.handle.workflowId, 'cancelled', 1);
    const row = await wf.db.pool.query('SELECT status, view FROM matters WHERE matter_id = $1', [d.handle.workflowId]);
    expect(row.rows[0].status).toBe('cancelled');
    expect((row.rows[0].view as MatterView).tasks.map((x) => [x.key, x.state])).toEqual([
      ['triage', 'completed'],
      ['acceptance', 'cancelled'],
    ]);
    const pub = await wf.db.pool.query('SELECT 1 FROM public_results WHERE matter_id = $1', [d.handle.workflowId]);
    expect(pub.rows).toHaveLength(0);
  });
});
