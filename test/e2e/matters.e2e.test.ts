/**
 * A pilot matter end to end through HTTP, with real parts: Temporal dev server, PostgreSQL, the
 * worker and the API on a port. The officers of each department work their inboxes.
 */
import { randomUUID } from 'node:crypto';
import { describe, expect, test } from 'vitest';
import { createKey, type NewKey } from '../../db/keys.js';
import { eventually } from '../helpers/eventually.js';
import { useStack } from '../helpers/stack.js';

const officers = ['housing', 'natural-resources', 'township:610124100', 'market', 'commerce', 'emergency', 'sports', 'police', 'education'] as const;
const arbiters = ['justice', 'staffing-office'] as const;

const stack = useStack({
  queue: 'e2e-matters',
  keys: {
    operator: { county: '610124', roles: ['operator'] },
    supervisor: { county: '610124', roles: ['supervisor'] },
    city: { county: '610100', roles: ['supervisor'] },
    otherCounty: { county: '610122', roles: ['supervisor'] },
    'commerce-head': { county: '610124', department: 'commerce', roles: ['head'] },
    'emergency-head': { county: '610124', department: 'emergency', roles: ['head'] },
    ...Object.fromEntries(officers.map((dept): [string, NewKey] => [dept, { county: '610124', department: dept, roles: ['officer'] }])),
    ...Object.fromEntries(arbiters.map((dept): [string, NewKey] => [dept, { county: '610124', department: dept, roles: ['arbiter'] }])),
  },
});
const { call, keys } = stack;

/** Who reviews a submitted task: the officer of its lead department; a supervisor when it has none. */
/** The lead department's officer; a supervisor when there is none or the task is the lead's own (nobody reviews their own work). */
function reviewerOf(task: { leadDepartment?: string; department: string }): string {
  if (!task.leadDepartment || task.leadDepartment === task.department) return 'supervisor';
  if (!keys[task.leadDepartment]) throw new Error(`no officer key for the lead department ${task.leadDepartment}`);
  return task.leadDepartment;
}

/**
 * The department's officer finds the step in their inbox, signs and submits; the lead department's
 * officer is notified, opens the task and accepts it. Returns who reviewed.
 */
async function work(dept: string, matterId: string, key: string, outcome: string): Promise<string> {
  const task = await eventually(
    async () => {
      const detail = await call('supervisor', 'GET', `/v1/matters/${matterId}`);
      return (detail.body.tasks as { taskId: string; key: string; state: string; department: string }[] | undefined)?.find(
        (t) => t.key === key && t.state === 'assigned' && t.department === dept,
      );
    },
    { message: `${dept}'s ${key} task in ${matterId}` },
  );
  const inbox = await call(dept, 'GET', '/v1/tasks?state=assigned');
  expect(inbox.body.items.map((t: { taskId: string }) => t.taskId)).toContain(task.taskId);
  expect((await call(dept, 'POST', `/v1/tasks/${task.taskId}/sign`)).status).toBe(200);
  const submitted = await call(dept, 'POST', `/v1/tasks/${task.taskId}/submit`, { summary: `${key}: ${outcome}`, outcome });
  expect(submitted.status, JSON.stringify(submitted.body)).toBe(200);
  const reviewer = reviewerOf(submitted.body as { leadDepartment?: string; department: string });
  if (reviewer !== 'supervisor') {
    // The lead department learns of the submission from its notifications and opens the task.
    await eventually(
      async () =>
        (await call(reviewer, 'GET', `/v1/notifications?objectId=${encodeURIComponent(task.taskId)}`)).body.items.some(
          (n: { kind: string }) => n.kind === 'task.submitted',
        ),
      { message: `the task.submitted notice of ${task.taskId} to ${reviewer}` },
    );
    const opened = await call(reviewer, 'GET', `/v1/tasks/${task.taskId}`);
    expect(opened.status, JSON.stringify(opened.body)).toBe(200);
    expect(opened.body).toMatchObject({ state: 'submitted', leadDepartment: reviewer, submission: { outcome } });
  }
  const reviewed = await call(reviewer, 'POST', `/v1/tasks/${task.taskId}/review`, { decision: 'accept', comment: '同意' });
  expect(reviewed.status, JSON.stringify(reviewed.body)).toBe(200);
  expect(reviewed.body.state).toBe('completed');
  return reviewer;
}

async function closed(matterId: string) {
  return eventually(
    async () => {
      const detail = await call('supervisor', 'GET', `/v1/matters/${matterId}`);
      return detail.body.status === 'closed' ? detail.body : undefined;
    },
    { message: `matter ${matterId} closed` },
  );
}

const launchBody = {
  scenario: 'self-built-housing',
  county: '610124',
  subject: { name: '王某某', kind: 'house', address: '周至县某镇某村' },
  facts: { township: '610124100', reportedHazard: true },
  source: { channel: '12345', ref: 'WO-2026-000123' },
};

describe('the other pilots from launch to published result', () => {
  test('refined oil: one joint visit, every department compliant, result published with the company named', async () => {
    const created = await call('operator', 'POST', '/v1/matters', {
      scenario: 'refined-oil',
      county: '610124',
      subject: { name: '某石油销售有限公司', kind: 'enterprise', creditCode: '91610124MA6TG1XK2C' },
      facts: { township: '610124100', stationKind: 'licensed-station', participants: ['safety', 'quality'] },
    });
    expect(created.status).toBe(201);
    const matterId = created.body.matterId as string;
    // The lead department (commerce) reviews the other departments' results; its own steps go to
    // the supervisors (nobody reviews their own work).
    expect([
      await work('commerce', matterId, 'inspection.lead', 'compliant'),
      await work('emergency', matterId, 'inspection.safety', 'compliant'),
      await work('market', matterId, 'inspection.quality', 'compliant'),
      await work('commerce', matterId, 'publication', 'published'),
    ]).toEqual(['supervisor', 'commerce', 'commerce', 'supervisor']);
    expect(await closed(matterId)).toMatchObject({ status: 'closed', result: { code: 'compliant' } });
    const pub = await call(undefined, 'GET', '/v1/public/results?scenario=refined-oil');
    expect(pub.body.items[0]).toMatchObject({ resultCode: 'compliant', subject: expect.stringContaining('91610124MA6TG1XK2C') });
  });

  test('refined oil: the transfer refused, the seizure runs its 30 days; the agency head extends it by 30 (行政强制法 art. 25) through HTTP', async () => {
    const created = await call('operator', 'POST', '/v1/matters', {
      scenario: 'refined-oil',
      county: '610124',
      subject: { name: '赵某某', kind: 'person' },
      facts: { township: '610124100', stationKind: 'mobile-refuelling', participants: ['safety'] },
    });
    const matterId = created.body.matterId as string;
    await work('commerce', matterId, 'inspection.lead', 'compliant');
    await work('emergency', matterId, 'inspection.safety', 'unlicensed');
    await work('emergency', matterId, 'disposal.seal', 'sealed');
    const transferId = await eventually(
      async () => (await call('supervisor', 'GET', `/v1/matters/${matterId}`)).body.transfers?.[0]?.transferId as string | undefined,
      { message: 'the transfer started' },
    );
    const running = (key: string) =>
      eventually(
        async () =>
          (await call('supervisor', 'GET', `/v1/transfers/${transferId}`)).body.tasks?.find(
            (x: { key: string; state: string }) => x.key === key && x.state === 'running',
          ) as { taskId: string } | undefined,
        { message: key },
      );
    const report = await running('transfer.report');
    // The lead (commerce) is the transferring agency; its head refuses the transfer.
    expect((await call('commerce', 'POST', `/v1/tasks/${report.taskId}/sign`)).status).toBe(200);
    expect(
      (
        await call('commerce', 'POST', `/v1/tasks/${report.taskId}/submit`, {
          summary: '报告',
          outcome: 'reported',
          caseGroup: [{ name: '甲' }, { name: '乙' }],
        })
      ).status,
    ).toBe(200);
    const approval = await running('transfer.approve');
    expect((await call('commerce', 'POST', `/v1/tasks/${approval.taskId}/sign`)).status).toBe(200);
    expect((await call('commerce-head', 'POST', `/v1/tasks/${approval.taskId}/submit`, { summary: '情节轻微，不移送', outcome: 'refuse' })).status).toBe(200);

    const seizure = await eventually(
      async () =>
        ((await call('supervisor', 'GET', `/v1/matters/${matterId}`)).body.tasks as { taskId: string; key: string; state: string }[]).find(
          (t) => t.key === 'disposal.seizure' && t.state === 'assigned',
        ),
      { message: 'the seizure step' },
    );
    const signed = await call('emergency', 'POST', `/v1/tasks/${seizure.taskId}/sign`);
    const due = signed.body.currentDeadline.dueAt as string;
    // Days, not working days.
    const inWorkingDays = await call('emergency', 'POST', `/v1/tasks/${seizure.taskId}/extensions`, { workingDays: 5, reason: '需检验' });
    expect(inWorkingDays.status).toBe(400);
    expect(inWorkingDays.body.error.issues).toEqual([{ path: 'body.days', message: '本任务按日计算延期，请填写 days' }]);
    const asked = await call('emergency', 'POST', `/v1/tasks/${seizure.taskId}/extensions`, { days: 30, reason: '涉案油品需检验，情况复杂' });
    expect(asked.status).toBe(201);
    // The lead department's officer does not decide it, nor does a supervisor: the agency's head.
    for (const who of ['commerce', 'supervisor', 'commerce-head']) {
      expect((await call(who, 'POST', `/v1/tasks/${seizure.taskId}/extensions/${asked.body.id}/decision`, { approve: true })).status).toBe(403);
    }
    const granted = await call('emergency-head', 'POST', `/v1/tasks/${seizure.taskId}/extensions/${asked.body.id}/decision`, { approve: true });
    expect(granted.status).toBe(200);
    expect(Date.parse(granted.body.newDueAt) - Date.parse(due)).toBe(30 * 86_400_000);
    expect((await call('emergency', 'GET', `/v1/tasks/${seizure.taskId}`)).body.currentDeadline.dueAt).toBe(granted.body.newDueAt);
    expect((await call('operator', 'POST', `/v1/matters/${matterId}/cancel`, { reason: '测试结束' })).status).toBe(200);
  });

  test('refined oil black station: sealed, then transferred to the police step by step (国务院令第310号) through HTTP', async () => {
    const created = await call('operator', 'POST', '/v1/matters', {
      scenario: 'refined-oil',
      county: '610124',
      subject: { name: '李某某', kind: 'person' },
      facts: { township: '610124100', stationKind: 'suspected-black-station', participants: ['safety'] },
    });
    expect(created.status).toBe(201);
    const matterId = created.body.matterId as string;
    await work('commerce', matterId, 'inspection.lead', 'unlicensed');
    await work('emergency', matterId, 'inspection.safety', 'compliant');
    await work('emergency', matterId, 'disposal.seal', 'sealed');
    const transferId = await eventually(
      async () => (await call('supervisor', 'GET', `/v1/matters/${matterId}`)).body.transfers?.[0]?.transferId as string | undefined,
      { message: 'the transfer started' },
    );

    /** The step's department signs from its inbox; `by` submits (the head for the approval). */
    const step = async (dept: string, key: string, body: Record<string, unknown>, by = dept) => {
      const t = await eventually(
        async () =>
          (await call(dept, 'GET', `/v1/transfers/${transferId}`)).body.tasks?.find(
            (x: { key: string; state: string }) => x.key === key && x.state === 'running',
          ) as { taskId: string } | undefined,
        { message: `${key} of ${transferId}` },
      );
      await eventually(
        async () =>
          (await call(dept, 'GET', '/v1/tasks?state=assigned')).body.items.some((x: { taskId: string }) => x.taskId === t.taskId) ? true : undefined,
        { message: `${key} in ${dept}'s inbox` },
      );
      expect((await call(dept, 'POST', `/v1/tasks/${t.taskId}/sign`)).status).toBe(200);
      const submitted = await call(by, 'POST', `/v1/tasks/${t.taskId}/submit`, { summary: key, ...body });
      expect(submitted.status, JSON.stringify(submitted.body)).toBe(200);
      // Final: nobody reviews the case group's report, the head's decision or the police's.
      expect(submitted.body.state).toBe('completed');
      return t.taskId;
    };
    const report = await call('commerce', 'GET', `/v1/transfers/${transferId}`);
    expect(report.body).toMatchObject({
      state: 'running',
      step: 'transfer.report',
      agency: { department: 'commerce', name: '商务局' },
      police: { department: 'police' },
    });
    await step('commerce', 'transfer.report', { outcome: 'reported', caseGroup: [{ name: '王执法', certificateNo: 'ZF-001' }, { name: '赵执法' }] });
    // Only the head approves: an officer's approval is refused.
    const approval = await eventually(
      async () =>
        (await call('commerce', 'GET', `/v1/transfers/${transferId}`)).body.tasks?.find(
          (x: { key: string; state: string }) => x.key === 'transfer.approve' && x.state === 'running',
        ) as { taskId: string } | undefined,
      { message: 'the approval' },
    );
    expect((await call('commerce', 'POST', `/v1/tasks/${approval.taskId}/sign`)).status).toBe(200);
    const byOfficer = await call('commerce', 'POST', `/v1/tasks/${approval.taskId}/submit`, { summary: '同意', outcome: 'approve' });
    expect(byOfficer.status).toBe(403);
    expect((await call('commerce-head', 'POST', `/v1/tasks/${approval.taskId}/submit`, { summary: '经审批同意移送', outcome: 'approve' })).body.state).toBe(
      'completed',
    );
    // Approved: the matter cannot be closed without the transfer (a fine never replaces it, art. 11).
    await eventually(async () => ((await call('supervisor', 'GET', `/v1/matters/${matterId}`)).body.transfers[0].approved ? true : undefined), {
      message: 'approved on the matter',
    });
    const cancel = await call('operator', 'POST', `/v1/matters/${matterId}/cancel`, { reason: '罚款结案' });
    expect(cancel.status).toBe(409);
    expect(cancel.body.error.code).toBe('transfer_pending');
    // Art. 6: the hand-over lists its materials; without them it is refused with the field.
    const handover = await eventually(
      async () =>
        (await call('commerce', 'GET', `/v1/transfers/${transferId}`)).body.tasks?.find(
          (x: { key: string; state: string }) => x.key === 'transfer.handover' && x.state === 'running',
        ) as { taskId: string } | undefined,
      { message: 'the hand-over' },
    );
    expect((await call('commerce', 'POST', `/v1/tasks/${handover.taskId}/sign`)).status).toBe(200);
    const noMaterials = await call('commerce', 'POST', `/v1/tasks/${handover.taskId}/submit`, { summary: '移送', outcome: 'transferred' });
    expect(noMaterials.status).toBe(400);
    expect(noMaterials.body.error.issues).toEqual([{ path: 'body.materials', message: '缺少 transfer-letter, investigation-report, evidence-list' }]);
    expect(
      (
        await call('commerce', 'POST', `/v1/tasks/${handover.taskId}/submit`, {
          summary: '移送',
          outcome: 'transferred',
          materials: ['transfer-letter', 'investigation-report', 'evidence-list'],
        })
      ).status,
    ).toBe(200);
    await step('police', 'transfer.police-decision', { outcome: 'filed' });
    await step('commerce', 'transfer.evidence', { outcome: 'handed-over' });
    const done = await eventually(
      async () => {
        const r = await call('police', 'GET', `/v1/transfers/${transferId}`);
        return r.body.state === 'filed' ? r.body : undefined;
      },
      { message: 'the transfer filed' },
    );
    expect(done.tasks.map((t: { key: string; department: string }) => [t.key, t.department])).toEqual([
      ['transfer.report', 'commerce'],
      ['transfer.approve', 'commerce'],
      ['transfer.handover', 'commerce'],
      ['transfer.police-decision', 'police'],
      ['transfer.evidence', 'commerce'],
    ]);
    expect(done.timeline.at(-1)).toMatchObject({ type: 'transfer.ended' });
    // Neither another department nor another county reads the transfer.
    expect((await call('market', 'GET', `/v1/transfers/${transferId}`)).status).toBe(404);
    expect((await call('otherCounty', 'GET', `/v1/transfers/${transferId}`)).status).toBe(404);
    // Need to know: the county's operator launched the matter but has no part in the criminal case.
    // It reads neither the transfer nor its steps (not in its list, 404 by id); the supervisor reads both.
    expect((await call('operator', 'GET', `/v1/transfers/${transferId}`)).status).toBe(404);
    const policeStep = done.tasks.find((t: { key: string }) => t.key === 'transfer.police-decision').taskId as string;
    expect((await call('operator', 'GET', `/v1/tasks/${policeStep}`)).status).toBe(404);
    expect((await call('supervisor', 'GET', `/v1/tasks/${policeStep}`)).status).toBe(200);
    const listed = async (who: string) =>
      (await call(who, 'GET', `/v1/tasks?matterId=${matterId}&limit=200`)).body.items.map((t: { taskId: string }) => t.taskId) as string[];
    expect((await listed('operator')).filter((id) => id.includes('~transfer:'))).toEqual([]);
    expect((await listed('supervisor')).filter((id) => id.includes('~transfer:'))).toHaveLength(5);
    // 回头看: the lead checks the sealed site again.
    await work('commerce', matterId, 'disposal.follow-up', 'closed');
    await work('commerce', matterId, 'publication', 'published');
    expect(await closed(matterId)).toMatchObject({ result: { code: 'black-station-sealed-transferred' }, transfers: [{ state: 'filed', approved: true }] });
  });

  test('prepaid card: triage to the sports bureau, mediation fails, verification finds nothing: the verification is published, the mediation not', async () => {
    const created = await call('operator', 'POST', '/v1/matters', {
      scenario: 'prepaid-card',
      county: '610124',
      subject: { name: '某健身房', kind: 'enterprise' },
      facts: { trade: 'sports', signal: 'complaint', amountYuan: 3000 },
    });
    const matterId = created.body.matterId as string;
    expect([
      await work('commerce', matterId, 'triage', 'assigned'),
      await work('sports', matterId, 'acceptance', 'accepted'),
      // Not a 12345 work order: the regulator itself tells the complainant.
      await work('sports', matterId, 'reply.acceptance', 'replied'),
      await work('sports', matterId, 'mediation', 'failed'),
      await work('sports', matterId, 'verification', 'no-violation'),
      await work('commerce', matterId, 'publication', 'published'),
      await work('sports', matterId, 'reply.outcome', 'replied'),
    ]).toEqual(['supervisor', 'commerce', 'commerce', 'commerce', 'commerce', 'supervisor', 'commerce']);
    expect(await closed(matterId)).toMatchObject({ status: 'closed', result: { code: 'no-violation' } });
    const pub = (await call(undefined, 'GET', '/v1/public/results?scenario=prepaid-card')).body.items;
    expect(pub).toEqual([expect.objectContaining({ resultCode: 'no-violation', summary: '经核查未发现违法行为', kind: 'inspection', version: 1 })]);
  });

  test('prepaid card: a complaint not accepted is not published (DOMAIN §9)', async () => {
    const created = await call('operator', 'POST', '/v1/matters', {
      scenario: 'prepaid-card',
      county: '610124',
      subject: { name: '某培训机构', kind: 'enterprise' },
      facts: { trade: 'education', signal: 'complaint', amountYuan: 2000 },
    });
    const matterId = created.body.matterId as string;
    await work('commerce', matterId, 'triage', 'assigned');
    await work('education', matterId, 'acceptance', 'rejected');
    await work('education', matterId, 'reply.acceptance', 'replied');
    const done = await closed(matterId);
    expect(done).toMatchObject({ result: { code: 'complaint-rejected' } });
    expect(done.timeline.map((e: { type: string }) => e.type)).toContain('publication.withheld');
    expect(done.tasks.map((t: { key: string }) => t.key)).not.toContain('publication');
    const items = (await call(undefined, 'GET', '/v1/public/results?scenario=prepaid-card')).body.items;
    expect(items.some((r: { resultId: string }) => r.resultId.startsWith(matterId))).toBe(false);
  });
});

describe('a self-built-housing matter through HTTP', () => {
  test('bad facts are a 400 with field paths and start nothing', async () => {
    const countRows = async () =>
      (await stack.db.pool.query("SELECT count(*)::int AS n FROM matters WHERE scenario = 'self-built-housing'")).rows[0].n as number;
    const countRuns = async () => (await stack.client.workflow.count(`WorkflowType = 'selfBuiltHousingMatter'`)).count;
    const [rowsBefore, runsBefore] = [await countRows(), await countRuns()];
    const res = await call(
      'operator',
      'POST',
      '/v1/matters',
      { ...launchBody, facts: { township: 'abc', storeys: 'three' } },
      { 'idempotency-key': `bad-${randomUUID()}` },
    );
    expect(res.status).toBe(400);
    expect(res.body.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(['body.facts.storeys', 'body.facts.township']);
    expect(await countRows()).toBe(rowsBefore);
    expect(await countRuns()).toBe(runsBefore);
  });

  test('launch (retried once), survey, appraisal D, evacuation, ledger closed, result published', async () => {
    const key = `launch-${randomUUID()}`;
    const first = await call('operator', 'POST', '/v1/matters', launchBody, { 'idempotency-key': key });
    const again = await call('operator', 'POST', '/v1/matters', launchBody, { 'idempotency-key': key });
    expect([first.status, again.status]).toEqual([201, 200]);
    expect(again.body.matterId).toBe(first.body.matterId);
    const matterId = first.body.matterId as string;
    expect(matterId).toMatch(/^matter:610124:self-built-housing:\d{4}-\d{4}$/);
    const runs = await stack.client.workflow.count(`WorkflowId = '${matterId}'`);
    expect(runs.count).toBe(1);

    // Housing leads the scenario: its officer reviews the other departments' results, the
    // supervisors review housing's own steps.
    expect([
      await work('township:610124100', matterId, 'survey.locality', 'hazard-suspected'),
      await work('housing', matterId, 'survey.housing', 'appraisal-needed'),
      await work('natural-resources', matterId, 'survey.planning', 'legal'),
      await work('housing', matterId, 'appraisal', 'D'),
      await work('township:610124100', matterId, 'emergency.evacuate', 'sealed'),
      await work('housing', matterId, 'emergency.follow-up', 'repaired'),
      await work('housing', matterId, 'closing.ledger', 'closed'),
      await work('housing', matterId, 'publication', 'published'),
    ]).toEqual(['housing', 'supervisor', 'housing', 'supervisor', 'housing', 'supervisor', 'supervisor', 'supervisor']);

    const detail = { body: await closed(matterId) };
    expect(detail.body).toMatchObject({ status: 'closed', stage: 'closed', result: { code: 'D-repaired' }, findings: { grade: 'D', legality: 'legal' } });
    expect(detail.body.tasks.map((t: { key: string }) => t.key)).toEqual(
      expect.arrayContaining([
        'survey.locality',
        'survey.housing',
        'survey.planning',
        'appraisal',
        'emergency.evacuate',
        'emergency.follow-up',
        'closing.ledger',
        'publication',
      ]),
    );
    expect(detail.body.timeline.map((e: { type: string }) => e.type)).toContain('published');
    expect(detail.body.temporalUiUrl).toContain(encodeURIComponent(matterId));

    // The public record, without a key and without the owner's name.
    const pub = await call(undefined, 'GET', '/v1/public/results?county=610124&scenario=self-built-housing');
    expect(pub.status).toBe(200);
    expect(pub.body.items).toHaveLength(1);
    expect(pub.body.items[0]).toMatchObject({ resultCode: 'D-repaired', scenarioName: '自建房安全', countyName: '周至县' });
    expect(JSON.stringify(pub.body)).not.toContain('王某某');
    expect((await call(undefined, 'GET', '/v1/public/results?county=610100&scenario=self-built-housing')).body.items).toHaveLength(1);

    // Lists: the county's supervisor and its city see it; another county does not; an officer
    // sees the matters their department works in.
    expect((await call('supervisor', 'GET', '/v1/matters?scenario=self-built-housing')).body.items.map((m: { matterId: string }) => m.matterId)).toEqual([
      matterId,
    ]);
    expect((await call('city', 'GET', '/v1/matters?scenario=self-built-housing')).body.items.map((m: { matterId: string }) => m.matterId)).toEqual([matterId]);
    expect((await call('otherCounty', 'GET', '/v1/matters')).body.items).toEqual([]);
    expect((await call('otherCounty', 'GET', `/v1/matters/${matterId}`)).status).toBe(404);
    expect((await call('natural-resources', 'GET', '/v1/matters')).body.items).toHaveLength(1);
    expect((await call('market', 'GET', '/v1/matters?scenario=self-built-housing')).body.items).toEqual([]);
    expect((await call('market', 'GET', `/v1/matters/${matterId}`)).status).toBe(404);
  });

  test('cancel through HTTP ends the matter and its open tasks', async () => {
    const created = await call('operator', 'POST', '/v1/matters', { ...launchBody, facts: { township: '610124100' } });
    const matterId = created.body.matterId as string;
    expect((await call('housing', 'POST', `/v1/matters/${matterId}/cancel`, { reason: 'x' })).status).toBe(403);
    const cancelled = await call('operator', 'POST', `/v1/matters/${matterId}/cancel`, { reason: '重复立案，与另一事项合并' });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', cancelled: { reason: '重复立案，与另一事项合并' } });
    expect((await call('operator', 'POST', `/v1/matters/${matterId}/cancel`, { reason: 'again' })).status).toBe(409);
    const detail = await call('supervisor', 'GET', `/v1/matters/${matterId}`);
    expect(detail.body.tasks.every((t: { state: string }) => t.state === 'cancelled')).toBe(true);
  });

  test('a task returned by housing as natural-resources’ remit: decided by the justice bureau, done by the designated department', async () => {
    const created = await call('operator', 'POST', '/v1/matters', { ...launchBody, facts: { township: '610124100' } });
    const matterId = created.body.matterId as string;
    const task = await eventually(
      async () =>
        (await call('housing', 'GET', '/v1/tasks?state=assigned')).body.items.find(
          (t: { taskId: string; title: string }) => t.taskId.startsWith(matterId) && t.title.startsWith('结构安全'),
        ) as { taskId: string } | undefined,
      { message: `housing's 结构安全 task of ${matterId}` },
    );
    const returned = await call('housing', 'POST', `/v1/tasks/${task.taskId}/return`, {
      reason: '房屋用地与规划问题属自然资源部门',
      suggestedDepartment: 'natural-resources',
      basis: 'law',
    });
    // The return opens a dispute; housing keeps the task meanwhile (原职责划分), its clock running.
    expect(returned.status).toBe(200);
    expect(returned.body).toMatchObject({
      state: 'assigned',
      disputed: { reason: '房屋用地与规划问题属自然资源部门', suggestedDepartment: 'natural-resources', basis: 'law' },
      currentDeadline: { kind: 'sign-for' },
    });
    expect((await call('housing', 'GET', '/v1/tasks?state=assigned')).body.items.map((t: { taskId: string }) => t.taskId)).toContain(task.taskId);

    // The dispute reaches the parties' lists; the other party declines too, so there is no agreement.
    const dispute = await eventually(
      async () => {
        const listed = await call('natural-resources', 'GET', '/v1/disputes?state=open');
        expect(listed.status, JSON.stringify(listed.body)).toBe(200);
        return (listed.body.items as { disputeId: string; rung: string; matterId?: string }[]).find((x) => x.matterId === matterId);
      },
      { message: `the dispute about ${matterId} in natural-resources' list` },
    );
    expect(dispute.rung).toBe('negotiation');
    expect((await call('market', 'GET', `/v1/disputes/${dispute.disputeId}`)).status).toBe(404);
    expect(
      (await call('natural-resources', 'POST', `/v1/disputes/${dispute.disputeId}/positions`, { position: 'decline', reason: '结构安全属住建部门' })).status,
    ).toBe(200);
    const detail = await eventually(
      async () => {
        const d = await call('justice', 'GET', `/v1/disputes/${dispute.disputeId}`);
        return d.body.rung === 'coordination' ? d : undefined;
      },
      { message: `dispute ${dispute.disputeId} at coordination` },
    );
    expect(detail.body).toMatchObject({ rung: 'coordination', arbiter: { department: 'justice' } });
    // Only the current arbiter decides: not the staffing office, not a party.
    expect((await call('staffing-office', 'POST', `/v1/disputes/${dispute!.disputeId}/decision`, { department: 'housing', reasoning: 'x' })).status).toBe(403);
    expect((await call('housing', 'POST', `/v1/disputes/${dispute!.disputeId}/decision`, { department: 'housing', reasoning: 'x' })).status).toBe(403);
    const decided = await call('justice', 'POST', `/v1/disputes/${dispute!.disputeId}/decision`, {
      department: 'natural-resources',
      reasoning: '涉及违法用地认定，属自然资源部门法定职责',
      legalBasis: '《土地管理法》第七十八条',
    });
    expect(decided.status).toBe(200);
    expect(decided.body.decision).toMatchObject({ department: 'natural-resources', rung: 'coordination' });

    // The designated department receives the task with fresh clocks and completes it.
    const next = await eventually(
      async () =>
        (await call('natural-resources', 'GET', '/v1/tasks?state=assigned')).body.items.find(
          (t: { taskId: string; title: string }) => t.taskId.startsWith(matterId) && t.title.startsWith('结构安全'),
        ) as { taskId: string } | undefined,
      { message: `natural-resources' 结构安全 task of ${matterId}` },
    );
    expect((await call('natural-resources', 'POST', `/v1/tasks/${next.taskId}/sign`)).status).toBe(200);
    expect((await call('natural-resources', 'POST', `/v1/tasks/${next.taskId}/submit`, { summary: '已核查', outcome: 'appraisal-needed' })).status).toBe(200);
    // Reviewed by the lead department (housing), the one that returned it.
    expect((await call('housing', 'POST', `/v1/tasks/${next.taskId}/review`, { decision: 'accept', comment: '同意' })).body.state).toBe('completed');
    const matter = await call('supervisor', 'GET', `/v1/matters/${matterId}`);
    expect(
      matter.body.tasks.filter((t: { key: string }) => t.key === 'survey.housing').map((t: { department: string; state: string }) => [t.department, t.state]),
    ).toEqual([
      ['housing', 'reassigned'],
      ['natural-resources', 'completed'],
    ]);
    await call('operator', 'POST', `/v1/matters/${matterId}/cancel`, { reason: '测试结束' });
  });

  test('scenarios: resolved for the county; an admin override changes who leads new matters', async () => {
    const list = await call('supervisor', 'GET', '/v1/scenarios');
    expect(list.body.items.map((s: { id: string }) => s.id).sort()).toEqual(['prepaid-card', 'refined-oil', 'self-built-housing']);
    const oil = await call('commerce', 'GET', '/v1/scenarios/refined-oil');
    expect(oil.body).toMatchObject({ leadDepartment: 'commerce', countyOverrideVersion: 0 });
    expect(oil.body.guide).toContain('成品油');
    keys.admin = (await createKey(stack.db.pool, { county: '610124', roles: ['admin'] })).key;
    expect((await call('supervisor', 'PUT', '/v1/counties/610124/scenarios/refined-oil', { roles: { lead: 'market' } })).status).toBe(403);
    const bad = await call('admin', 'PUT', '/v1/counties/610124/scenarios/refined-oil', { roles: { chief: 'market' }, limits: { nope: {} } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.issues.map((i: { path: string }) => i.path).sort()).toEqual(['body.limits.nope', 'body.roles.chief']);
    const put = await call('admin', 'PUT', '/v1/counties/610124/scenarios/refined-oil', { roles: { lead: 'market' } });
    expect(put.body).toMatchObject({ leadDepartment: 'market', countyOverrideVersion: 1 });
    expect((await call('commerce', 'GET', '/v1/scenarios/refined-oil')).body.leadDepartment).toBe('market');
  });

  test('the matter list pages with a cursor: every matter once, newest first; a bad cursor is a 400', async () => {
    // Three more matters of its own, so there are at least three pages of two whatever ran before.
    const mine: string[] = [];
    for (let i = 0; i < 3; i++) {
      const created = await call('operator', 'POST', '/v1/matters', { ...launchBody, facts: { township: '610124100' } });
      expect(created.status).toBe(201);
      mine.push(created.body.matterId as string);
    }
    await eventually(async () => (await stack.db.pool.query('SELECT 1 FROM matters WHERE matter_id = ANY($1)', [mine])).rowCount === mine.length, {
      message: `the read model to hold ${mine.join(', ')}`,
    });
    const all = (await call('supervisor', 'GET', '/v1/matters?limit=200')).body.items.map((m: { matterId: string }) => m.matterId);
    const inCounty = await stack.db.pool.query<{ matter_id: string }>("SELECT matter_id FROM matters WHERE county = '610124'");
    expect([...all].sort()).toEqual(inCounty.rows.map((r) => r.matter_id).sort());
    const paged: string[] = [];
    let cursor: string | null = null;
    do {
      const page = (await call('supervisor', 'GET', `/v1/matters?limit=2${cursor ? `&cursor=${cursor}` : ''}`)).body as {
        items: { matterId: string }[];
        nextCursor: string | null;
      };
      paged.push(...page.items.map((m) => m.matterId));
      cursor = page.nextCursor;
    } while (cursor);
    expect(paged).toEqual(all);
    expect((await call('supervisor', 'GET', '/v1/matters?cursor=bm90LWpzb24')).status).toBe(400);
    const open = (await call('supervisor', 'GET', '/v1/matters?status=open&limit=200')).body.items;
    expect(open.every((m: { status: string }) => m.status === 'open')).toBe(true);
  });
});
