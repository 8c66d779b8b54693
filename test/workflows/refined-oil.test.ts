import { describe, expect, test } from 'vitest';
import type { MatterView, Subject } from '../../domain/matter.js';
import type { ScenarioOverride } from '../../domain/scenarios/schema.js';
import { decideExtensionUpdate, getTaskQuery, requestExtensionUpdate, signUpdate } from '../../workflows/department-task.js';
import { refinedOilMatter } from '../../workflows/scenarios/refined-oil.js';
import type { MatterDriver } from '../helpers/matter-driver.js';
import { matterLauncher, matterRecords, sleepPastTimer } from '../helpers/matters.js';
import { isWorkingDay, resolveDeadline } from '../../domain/calendar/index.js';
import { useWorkflowEnv } from '../helpers/workflow-env.js';

const wf = useWorkflowEnv({ queue: 'oil' });
const { stages, recorded, publicRecord, resultVersions, penaltiesPublished } = matterRecords(wf);
const start = matterLauncher(wf, 'refined-oil', refinedOilMatter);

const station: Subject = { name: '周至县某某石化有限公司', kind: 'enterprise', creditCode: '91610124MA6TG1234X', address: '周至县某镇某路' };
const operator: Subject = { name: '李某某', kind: 'person', address: '周至县某村某组' };

async function launch(facts: Record<string, unknown>, o: { subject?: Subject; override?: ScenarioOverride } = {}) {
  return start({ subject: o.subject ?? station, facts: { township: '610124100', ...facts }, override: o.override });
}

/** Key → department of the tasks that ran, in the order they were assigned. */
const ran = (v: MatterView) => v.tasks.map((t) => [t.key, t.department, t.state]);

/** Each department of the joint visit records its checklist result. */
async function inspect(d: MatterDriver, results: Record<string, string>) {
  for (const [key, outcome] of Object.entries(results)) await d.complete(key, outcome);
}

describe('refinedOilMatter', () => {
  test('black station: the visit confirms unlicensed trading → sealed → transferred, the police file the case', async () => {
    const d = await launch({ stationKind: 'suspected-black-station' }, { subject: operator });
    await inspect(d, { 'inspection.lead': 'unlicensed', 'inspection.safety': 'unlicensed', 'inspection.quality': 'violation' });
    const seal = await d.waitFor('disposal.seal');
    // Sealing is a matter of hours: sign for within 2 hours of assignment.
    const sealView = await wf.client.workflow.getHandle(seal.taskId).query(getTaskQuery);
    expect(Date.parse(sealView.currentDeadline!.dueAt) - Date.parse(sealView.assignedAt)).toBeLessThanOrEqual(2 * 3_600_000 + 1000);
    await d.complete('disposal.seal', 'sealed');
    await d.transferCase('approve', 'filed');
    // The police have the unlicensed trading; market's own finding (quality) is still penalised.
    await d.complete('penalty.quality', 'decided');
    // The seized goods went with the case; the sealed site is checked again (回头看).
    await d.complete('disposal.follow-up', 'closed');
    await d.complete('publication', 'published');
    const v = await d.handle.result();

    expect(v).toMatchObject({
      status: 'closed',
      stage: 'closed',
      result: { code: 'black-station-sealed-transferred', summary: expect.stringContaining('黑加油站点') },
      findings: {
        stationKind: 'suspected-black-station',
        verdict: 'unlicensed',
        seal: 'sealed',
        criminalTransfer: 'filed',
        'inspection.lead': 'unlicensed',
        'inspection.safety': 'unlicensed',
        'inspection.quality': 'violation',
      },
    });
    // The publication step starts when the check ends (its 20 working days count from there).
    expect(ran(v)).toEqual([
      ['inspection.lead', 'commerce', 'completed'],
      ['inspection.safety', 'emergency', 'completed'],
      ['inspection.quality', 'market', 'completed'],
      ['publication', 'commerce', 'completed'],
      ['disposal.seal', 'emergency', 'completed'],
      ['penalty.quality', 'market', 'completed'],
      ['disposal.follow-up', 'commerce', 'completed'],
    ]);
    expect(v.findings).toMatchObject({ seizure: 'handed-to-police', followUp: 'closed' });
    // A filed case is the police's now: no administrative penalty in place of the transfer for
    // the unlicensed trading (commerce, emergency), but the quality violation is market's to decide.
    expect(v.tasks.filter((t) => t.key.startsWith('penalty.')).map((t) => t.key)).toEqual(['penalty.quality']);
    expect(await stages(v.matterId)).toEqual(['inspection', 'disposal', 'criminal-transfer', 'rectification', 'publication']);
    // The investigation under way is not published: the public reads the seizure only.
    const pub = await publicRecord(v.matterId);
    expect(pub).toMatchObject({ result_code: 'black-station-sealed', summary: '黑加油站点：无证经营成品油，已依法查封取缔', version: 1, published_by: 'lead' });
    expect(JSON.stringify(pub)).not.toContain('李某某');
    expect(JSON.stringify(pub)).not.toContain('公安');
    expect(JSON.stringify(pub)).not.toContain('某村');
    // The police took the case over; they inspected nothing (and an open investigation is not published).
    expect(pub.inspected_by.sort()).toEqual(['commerce', 'emergency', 'market']);
    // The transfer is a child workflow of its own, step by step (国务院令第310号).
    expect(v.transfers).toEqual([{ transferId: `${v.matterId}/transfer:1`, state: 'filed', approved: true }]);
  });

  test('a complex seizure is extended by up to 30 days, granted by the agency’s head only (行政强制法 art. 25)', async () => {
    const d = await launch({ stationKind: 'mobile-refuelling', participants: ['safety'] }, { subject: operator });
    await inspect(d, { 'inspection.lead': 'compliant', 'inspection.safety': 'unlicensed' });
    await d.complete('disposal.seal', 'sealed');
    await d.transferCase('refuse');
    const seizure = await d.waitFor('disposal.seizure');
    const task = wf.client.workflow.getHandle(seizure.taskId);
    const officer = d.officer(seizure.department);
    const signed = await task.executeUpdate(signUpdate, { args: [{ actor: officer }] });
    const before = signed.currentDeadline!.dueAt;
    // Counted in days, not working days; at most 30.
    const inWorkingDays = await task
      .executeUpdate(requestExtensionUpdate, { args: [{ actor: officer, workingDays: 10, reason: '涉案油品需检验' }] })
      .catch((e: unknown) => e);
    expect(String((inWorkingDays as Error).cause ?? inWorkingDays)).toContain('请填写 days');
    const tooLong = await task
      .executeUpdate(requestExtensionUpdate, { args: [{ actor: officer, days: 31, reason: '涉案油品需检验' }] })
      .catch((e: unknown) => e);
    expect(tooLong).toBeInstanceOf(Error);
    const ext = await task.executeUpdate(requestExtensionUpdate, { args: [{ actor: officer, days: 30, reason: '涉案油品需检验，情况复杂' }] });
    expect(ext).toMatchObject({ days: 30, workingDays: 30, status: 'pending' });
    // Not the lead department's reviewer, not a supervisor: the agency's own head.
    for (const actor of [
      d.officer('commerce'),
      d.supervisor(),
      officer,
      { keyId: 'k-other-head', county: '610124', department: 'commerce', roles: ['head' as const] },
    ]) {
      const refused = await task.executeUpdate(decideExtensionUpdate, { args: [{ actor, extensionId: ext.id, approve: true }] }).catch((e: unknown) => e);
      expect(String((refused as Error).cause ?? refused)).toContain('延期须经本机关负责人批准');
    }
    const head = { keyId: 'k-head', county: '610124', department: seizure.department, roles: ['head' as const] };
    const approved = await task.executeUpdate(decideExtensionUpdate, { args: [{ actor: head, extensionId: ext.id, approve: true }] });
    expect(approved).toMatchObject({ status: 'approved', previousDueAt: before });
    // Thirty days later, to the minute, through any holiday.
    expect(Date.parse(approved.newDueAt!) - Date.parse(before)).toBe(30 * 86_400_000);
    expect((await task.query(getTaskQuery)).currentDeadline!.dueAt).toBe(approved.newDueAt);
    await recorded(seizure.taskId, 'extension.approved', 1);
    await d.handle.terminate('test done');
  });

  test('mobile refuelling: the transfer is refused at approval → the departments that found it penalise', async () => {
    const d = await launch({ stationKind: 'mobile-refuelling', participants: ['safety', 'tax'] }, { subject: operator });
    await inspect(d, { 'inspection.lead': 'compliant', 'inspection.safety': 'unlicensed', 'inspection.tax': 'violation' });
    await d.complete('disposal.seal', 'sealed');
    await d.transferCase('refuse');
    // Not transferred: the seizure ends by a decision within its 30 days (行政强制法 art. 25).
    const seizure = await d.waitFor('disposal.seizure');
    const sealedAt = (await wf.client.workflow.getHandle((await d.view()).tasks.find((t) => t.key === 'disposal.seal')!.taskId).query(getTaskQuery)).closedAt!;
    await d.complete('disposal.seizure', 'confiscated');
    const limit = (await wf.client.workflow.getHandle(seizure.taskId).query(getTaskQuery)).deadlines.find((x) => x.kind === 'handle')!;
    expect(limit).toMatchObject({
      dueAt: resolveDeadline(Date.parse(sealedAt), { amount: 30, unit: 'calendar_day' }).dueAt,
      countsFrom: { event: 'previous-step' },
    });
    await d.complete('disposal.follow-up', 'closed');
    await d.waitFor('penalty.safety');
    await d.waitFor('penalty.tax');
    await d.complete('penalty.safety', 'decided');
    await d.complete('penalty.tax', 'decided');
    await d.complete('publication', 'published');
    const v = await d.handle.result();

    expect(v.result).toEqual({ code: 'black-station-sealed-not-transferred', summary: expect.stringContaining('流动加油') });
    expect(v.findings).toMatchObject({ verdict: 'unlicensed', criminalTransfer: 'refused', penalisedBy: 'safety,tax' });
    const keys = v.tasks.map((t) => t.key);
    expect(keys).not.toContain('transfer.handover');
    expect(keys).not.toContain('transfer.police-decision');
    expect(keys.filter((k) => k.startsWith('penalty.')).sort()).toEqual(['penalty.safety', 'penalty.tax']);
    expect(await stages(v.matterId)).toEqual(['inspection', 'disposal', 'criminal-transfer', 'rectification', 'publication']);
    const pub = await publicRecord(v.matterId);
    expect(JSON.stringify(pub)).not.toContain('李某某');
    expect(pub.inspected_by).not.toContain('police');
  });

  test('own tank: transferred but the police do not file → administrative penalty', async () => {
    const d = await launch({ stationKind: 'own-tank', participants: ['safety'] });
    await inspect(d, { 'inspection.lead': 'unlicensed', 'inspection.safety': 'compliant' });
    await d.complete('disposal.seal', 'sealed');
    await d.transferCase('approve', 'not-filed');
    await d.complete('disposal.seizure', 'released');
    await d.complete('disposal.follow-up', 'reopened');
    await d.complete('penalty.lead', 'decided');
    await d.complete('publication', 'published');
    const v = await d.handle.result();

    expect(v.result?.code).toBe('black-station-sealed-not-filed');
    expect(v.findings).toMatchObject({
      stationKind: 'own-tank',
      verdict: 'unlicensed',
      criminalTransfer: 'not-filed',
      penalisedBy: 'lead',
      seizure: 'released',
      followUp: 'reopened',
    });
    expect(v.tasks.filter((t) => t.key.startsWith('penalty.')).map((t) => [t.key, t.department])).toEqual([['penalty.lead', 'commerce']]);
    expect(await stages(v.matterId)).toEqual(['inspection', 'disposal', 'criminal-transfer', 'rectification', 'publication']);
  });

  test('licensed station, violations found by two departments: only those two penalise, in parallel; follow-up fails twice → not rectified (bounded)', async () => {
    const d = await launch({ stationKind: 'licensed-station', participants: ['safety', 'quality', 'tax'] });
    await inspect(d, { 'inspection.lead': 'compliant', 'inspection.safety': 'compliant', 'inspection.quality': 'violation', 'inspection.tax': 'violation' });
    // Both decisions are open at the same time: parallel, not one after the other.
    await d.waitFor('penalty.quality');
    await d.waitFor('penalty.tax');
    const open = (await d.view()).tasks.filter((t) => t.state === 'running').map((t) => [t.key, t.department]);
    // (and the publication of the check's result, on its own 20-working-day clock)
    expect(open).toEqual([
      ['publication', 'commerce'],
      ['penalty.quality', 'market'],
      ['penalty.tax', 'tax'],
    ]);
    // The lead publishes the check's result now, within its 20 working days of the check.
    await d.complete('publication', 'published');
    // The decision orders correction within 10 days: the first follow-up comes after that.
    await d.complete('penalty.quality', 'decided', { rectifyWithinDays: 10 });
    await d.complete('penalty.tax', 'decided');
    // The period is a calendar-day limit like any other: recorded, ending 23:59:59.999 +08:00 of
    // its last day, moved to the next working day when that is a rest day (民法典 art. 203).
    const period = async (n: number) => {
      await recorded(d.handle.workflowId, 'rectification.period', n);
      const rows = await wf.db.pool.query("SELECT at, data FROM timeline_events WHERE workflow_id = $1 AND type = 'rectification.period' ORDER BY seq", [
        d.handle.workflowId,
      ]);
      const r = rows.rows[n - 1]!;
      return {
        days: r.data.days as number,
        dueAt: r.data.dueAt as string,
        expected: resolveDeadline(r.at.getTime(), { amount: r.data.days, unit: 'calendar_day' }).dueAt,
      };
    };
    // 立案 is on the record, and each penalty's 90 days (行政处罚法 art. 60) count from it.
    const filed = await wf.db.pool.query("SELECT at, data FROM timeline_events WHERE workflow_id = $1 AND type = 'case.filed' ORDER BY seq", [
      d.handle.workflowId,
    ]);
    expect(filed.rows.map((r) => r.data.department)).toEqual(['market', 'tax']);
    for (const [i, key] of ['penalty.quality', 'penalty.tax'].entries()) {
      const taskId = (await d.view()).tasks.find((t) => t.key === key)!.taskId;
      const handle = (await wf.client.workflow.getHandle(taskId).query(getTaskQuery)).deadlines.find((x) => x.kind === 'handle')!;
      const filedAt = (filed.rows[i].at as Date).getTime();
      expect(handle).toMatchObject({ dueAt: resolveDeadline(filedAt, { amount: 90, unit: 'calendar_day' }).dueAt, countsFrom: { event: 'previous-step' } });
    }
    const first = await period(1);
    expect(first).toEqual({ days: 10, dueAt: first.expected, expected: expect.stringMatching(/T23:59:59\.999\+08:00$/) });
    expect(isWorkingDay(first.dueAt.slice(0, 10))).toBe(true);
    expect((await d.view()).tasks.some((t) => t.key === 'reinspection')).toBe(false);
    // Timer 1 is the publication deadline (20 working days from the end of the check).
    await sleepPastTimer(wf.env, d.handle, 2);
    await d.complete('reinspection', 'not-rectified');
    // Second round: the catalogue's default period (15 days).
    const second = await period(2);
    expect(second).toEqual({ days: 15, dueAt: second.expected, expected: expect.stringMatching(/T23:59:59\.999\+08:00$/) });
    await sleepPastTimer(wf.env, d.handle, 3);
    await d.complete('reinspection', 'not-rectified');
    const v = await d.handle.result();

    expect(v).toMatchObject({
      status: 'closed',
      result: { code: 'violations-penalised-not-rectified' },
      findings: {
        verdict: 'violation',
        penalisedBy: 'quality,tax',
        rectification: 'not-rectified',
        rectificationRounds: 2,
        'inspection.quality': 'violation',
        'inspection.tax': 'violation',
      },
    });
    expect(v.tasks.filter((t) => t.key.startsWith('penalty.')).map((t) => t.key)).toEqual(['penalty.quality', 'penalty.tax']);
    expect(v.tasks.filter((t) => t.key === 'reinspection').map((t) => [t.department, t.outcome])).toEqual([
      ['commerce', 'not-rectified'],
      ['commerce', 'not-rectified'],
    ]);
    expect(v.tasks.some((t) => t.key === 'disposal.seal' || t.key.startsWith('transfer.'))).toBe(false);
    expect(await stages(v.matterId)).toEqual(['inspection', 'rectification', 'reinspection', 'rectification', 'reinspection', 'publication']);
    const pub = await publicRecord(v.matterId);
    // An enterprise is named, with its credit code.
    expect(pub.subject_label).toBe('周至县某某石化有限公司（91610124MA6TG1234X）');
    expect(pub.inspected_by.sort()).toEqual(['commerce', 'emergency', 'market', 'tax']);
    // The check's result, then the final one in its place (the public list shows the latest).
    expect(await resultVersions(v.matterId)).toEqual([
      ['violations-found', 'published', 'lead'],
      ['violations-penalised-not-rectified', 'updated', 'system'],
    ]);
    // Each penalty decision is published by itself, at the decision.
    expect(await penaltiesPublished(v.matterId)).toEqual([
      ['market', '市场监督管理局依法作出行政处罚决定（质量计量违法处罚决定）'],
      ['tax', '税务局依法作出行政处罚决定（税收违法处理决定）'],
    ]);
  });

  test('all compliant: one joint visit, one task per participant with the same visit note, then published', async () => {
    const d = await launch({ stationKind: 'licensed-station', participants: ['safety', 'quality', 'tax', 'ecology'] });
    const keys = ['inspection.lead', 'inspection.safety', 'inspection.quality', 'inspection.tax', 'inspection.ecology'];
    const assigned = await Promise.all(keys.map((k) => d.waitFor(k)));
    expect(assigned.map((t) => t.department)).toEqual(['commerce', 'emergency', 'market', 'tax', 'ecology']);
    const titles = await Promise.all(assigned.map(async (t) => (await wf.client.workflow.getHandle(t.taskId).query(getTaskQuery)).title));
    const notes = titles.map((t) => /（(联合检查 [^）]+)）$/.exec(t)?.[1]);
    expect(notes[0]).toBe(`联合检查 ${d.handle.workflowId.split(':').pop()}`);
    expect(new Set(notes).size).toBe(1);
    await inspect(d, Object.fromEntries(keys.map((k) => [k, 'compliant'])));
    await d.complete('publication', 'published');
    const v = await d.handle.result();

    expect(v).toMatchObject({ status: 'closed', result: { code: 'compliant' }, findings: { verdict: 'compliant', stationKind: 'licensed-station' } });
    expect(v.tasks.map((t) => t.key)).toEqual([...keys, 'publication']);
    expect(await resultVersions(v.matterId)).toEqual([['compliant', 'published', 'lead']]);
    expect(await stages(v.matterId)).toEqual(['inspection', 'publication']);
    const joint = await wf.db.pool.query("SELECT data FROM timeline_events WHERE workflow_id = $1 AND type = 'joint-inspection'", [v.matterId]);
    expect(joint.rows).toHaveLength(1);
    const pub = await publicRecord(v.matterId);
    expect(pub).toMatchObject({ result_code: 'compliant', subject_label: expect.stringContaining('91610124MA6TG1234X') });
  });

  test('a suspected black station the visit finds licensed and compliant is not sealed', async () => {
    const d = await launch({ stationKind: 'suspected-black-station' });
    await inspect(d, { 'inspection.lead': 'compliant', 'inspection.safety': 'compliant', 'inspection.quality': 'compliant' });
    await d.complete('publication', 'published');
    const v = await d.handle.result();
    expect(v.result?.code).toBe('compliant');
    expect(v.findings).toMatchObject({ stationKind: 'suspected-black-station', verdict: 'compliant' });
    expect(await stages(v.matterId)).toEqual(['inspection', 'publication']);
  });

  test('a county where market leads: the lead’s checks, penalty, follow-up and publication go to market; rectified', async () => {
    const d = await launch({ stationKind: 'licensed-station', participants: ['safety'] }, { override: { roles: { lead: 'market' } } });
    expect((await d.waitFor('inspection.lead')).department).toBe('market');
    expect((await d.view()).leadDepartment).toBe('market');
    await inspect(d, { 'inspection.lead': 'violation', 'inspection.safety': 'compliant' });
    await d.complete('penalty.lead', 'decided');
    await recorded(d.handle.workflowId, 'rectification.period', 1);
    const p = await wf.db.pool.query("SELECT data FROM timeline_events WHERE workflow_id = $1 AND type = 'rectification.period'", [d.handle.workflowId]);
    expect(p.rows[0].data.days).toBe(15); // the catalogue's default period
    await sleepPastTimer(wf.env, d.handle, 2);
    await d.complete('reinspection', 'rectified');
    await d.complete('publication', 'published');
    const v = await d.handle.result();

    expect(v).toMatchObject({
      leadDepartment: 'market',
      result: { code: 'violations-penalised-rectified' },
      findings: { verdict: 'violation', penalisedBy: 'lead', rectification: 'rectified', rectificationRounds: 1 },
    });
    expect(ran(v)).toEqual([
      ['inspection.lead', 'market', 'completed'],
      ['inspection.safety', 'emergency', 'completed'],
      ['publication', 'market', 'completed'],
      ['penalty.lead', 'market', 'completed'],
      ['reinspection', 'market', 'completed'],
    ]);
    expect(await stages(v.matterId)).toEqual(['inspection', 'rectification', 'reinspection', 'publication']);
    const row = await wf.db.pool.query('SELECT lead_department, status FROM matters WHERE matter_id = $1', [v.matterId]);
    expect(row.rows[0]).toEqual({ lead_department: 'market', status: 'closed' });
  });
});
