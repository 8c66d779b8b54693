/**
 * The evaluation report (issue 15 §3) counts what the real workflows record, not only what the
 * seeded county of evaluation-report.test.ts spells out: two department tasks worked through the
 * API on the time-skipping server, one signed, extended and answered, the other left unsigned up
 * the whole ladder (its `overdue` entry, yellow and red cards, the escalation), then read back
 * in the report.
 */
import { describe, expect, test } from 'vitest';
import { shanghaiDate } from '../../domain/calendar/index.js';
import { getTaskQuery } from '../../workflows/department-task.js';
import { callerOf } from '../helpers/api.js';
import { eventually } from '../helpers/eventually.js';
import { useWorkflowEnv } from '../helpers/workflow-env.js';

const county = '610124';
const wf = useWorkflowEnv({
  queue: 'evaluation',
  app: true,
  keys: {
    operator: { county, roles: ['operator'] },
    supervisor: { county, roles: ['supervisor'] },
    housing: { county, department: 'housing', roles: ['officer'] },
  },
});
const call = callerOf(
  () => wf.app,
  () => wf.keys,
);

/** Until the read model holds the task's last event (its row written after its timeline). */
async function recorded(workflowId: string) {
  const { lastEventSeq } = await wf.client.workflow.getHandle(workflowId).query(getTaskQuery);
  await eventually(
    async () => {
      const r = await wf.db.pool.query<{ last_seq: number }>('SELECT last_seq FROM tasks WHERE task_id = $1', [workflowId]);
      return r.rows[0]?.last_seq === lastEventSeq ? true : undefined;
    },
    { message: `the read model of ${workflowId} at seq ${lastEventSeq}` },
  );
}

describe('the evaluation report of tasks the workflows ran', () => {
  test('a task signed, extended and answered in time; another unsigned up the whole ladder', async () => {
    const from = shanghaiDate(await wf.env.currentTimeMs());
    const done = await call('operator', 'POST', '/v1/tasks', { department: 'housing', title: '处理12345工单', instructions: '' });
    const taskId = done.body.taskId as string;
    expect((await call('housing', 'POST', `/v1/tasks/${taskId}/sign`)).status).toBe(200);
    expect((await call('housing', 'POST', `/v1/tasks/${taskId}/extensions`, { workingDays: 2, reason: '需现场复核' })).status).toBe(201);
    expect((await call('supervisor', 'POST', `/v1/tasks/${taskId}/extensions/ext-1/decision`, { approve: true })).status).toBe(200);
    expect((await call('housing', 'POST', `/v1/tasks/${taskId}/submit`, { summary: '已核实并答复' })).status).toBe(200);
    expect((await call('supervisor', 'POST', `/v1/tasks/${taskId}/review`, { decision: 'accept', comment: '办结' })).status).toBe(200);

    // Market never signs: 40 calendar days hold more than the 11 working days to the last rung.
    const late = await call('operator', 'POST', '/v1/tasks', { department: 'market', title: '核查投诉', instructions: '' });
    await wf.env.sleep(40 * 86_400_000);
    const to = shanghaiDate(await wf.env.currentTimeMs());
    await recorded(done.body.workflowId as string);
    await recorded(late.body.workflowId as string);

    const res = await call('supervisor', 'GET', `/v1/reports/evaluation?county=${county}&from=${from}&to=${to}`);
    expect(res.status).toBe(200);
    const rate = (numerator: number, denominator: number) => ({ numerator, denominator, rate: denominator ? numerator / denominator : null });
    const housing = res.body.departments.find((d: { department: string }) => d.department === 'housing');
    expect(housing).toMatchObject({
      assigned: 1,
      signedOnTime: rate(1, 1),
      closedOnTime: rate(1, 1),
      overdue: 0,
      yellowCards: 0,
      extensions: { requested: 1, approved: 1 },
    });
    // (Its sign-for is judged as of the API's own clock, which time skipping does not move: left out here.)
    const market = res.body.departments.find((d: { department: string }) => d.department === 'market');
    expect(market).toMatchObject({ assigned: 1, overdue: 1, yellowCards: 1, redCards: 1, escalations: 1, closedOnTime: rate(0, 0) });
    expect(res.body.total).toMatchObject({ assigned: 2, overdue: 1, yellowCards: 1, redCards: 1, escalations: 1, extensions: { requested: 1, approved: 1 } });
    expect(res.body.overdueByWeek.reduce((n: number, w: { overdue: number }) => n + w.overdue, 0)).toBe(1);
  });
});
