/**
 * The matter's handlers, registered as it opens (before any await): its query, the signals of
 * its children and the calendar, and the cancel and reassign updates with their validators.
 */
import { condition, getExternalWorkflowHandle, setHandler } from '@temporalio/workflow';
import { departmentName } from '../../domain/departments.js';
import { coversCounty, hasRole } from '../../domain/principal.js';
import { reassignSignal, recomputeDeadlinesSignal, stepReturnedSignal } from '../department-task.js';
import { temporaryLeadSignal } from '../jurisdiction-dispute.js';
import { transferApprovedSignal } from '../criminal-transfer.js';
import { clone } from '../recording.js';
import { parseOrRefuse, refuse } from '../refusal.js';
import { cancelMatterInputSchema, cancelMatterUpdate, getMatterQuery, reassignTaskInputSchema, reassignTaskUpdate } from './messages.js';
import type { MatterRun } from './run.js';

export function registerHandlers(m: MatterRun) {
  const { view, input } = m;
  setHandler(getMatterQuery, () => view);
  // A year's holidays were published: the matter's own waits (a rectification period, a step the
  // law ends by itself) re-resolve from their start. Tasks and disputes do their own.
  setHandler(recomputeDeadlinesSignal, () => {
    m.calendarVersion += 1;
  });
  setHandler(stepReturnedSignal, (r) => {
    if (view.tasks.some((t) => t.taskId === r.taskId)) m.stepReturns.set(r.taskId, r);
  });
  setHandler(transferApprovedSignal, ({ transferId }) => {
    const ref = view.transfers?.find((t) => t.transferId === transferId);
    if (ref) ref.approved = true;
  });
  setHandler(temporaryLeadSignal, ({ disputeId, department, reasoning }) => {
    m.temporaryLeads.set(disputeId, { department, reasoning });
  });
  // Accepting the cancel is immediate; winding down (children cancelled, the event recorded)
  // follows in the run. Callers wait for the run to end (the API does) to see `cancelled`.
  setHandler(
    cancelMatterUpdate,
    (raw) => {
      const { actor, reason } = cancelMatterInputSchema.parse(raw);
      m.cancelRequest = { reason, actor };
      m.scope.cancel();
      return Promise.resolve(clone(view));
    },
    {
      validator: (raw) => {
        const { actor } = parseOrRefuse(cancelMatterInputSchema, raw);
        if (actor.county !== input.county || !hasRole(actor, 'operator', 'supervisor')) refuse('Forbidden', '只有本县运营或督办人员可以撤销事项');
        if (view.status !== 'open' || m.cancelRequest) refuse('WrongState', '事项已结束，不能撤销');
        // A fine never replaces a transfer, nor does closing the matter (国务院令第310号 art. 11).
        if (view.transfers?.some((t) => t.state === 'running' && t.approved)) {
          refuse('TransferPending', '已批准移送公安机关的案件，移送程序结束前不能撤销事项（国务院令第310号第11条）');
        }
      },
    },
  );

  setHandler(
    reassignTaskUpdate,
    async (raw) => {
      const { taskId, department, reason, actor } = reassignTaskInputSchema.parse(raw);
      const ref = view.tasks.find((t) => t.taskId === taskId)!;
      m.reassigning.set(taskId, actor);
      try {
        await getExternalWorkflowHandle(taskId).signal(reassignSignal, { department, reason, actor });
      } catch {
        m.reassigning.delete(taskId);
        refuse('WrongState', '任务已结束，不能改派');
      }
      // The task may have ended some other way meanwhile (accepted, returned): then nothing moves.
      await condition(() => ref.state !== 'running');
      if (ref.state !== 'reassigned') {
        m.reassigning.delete(taskId);
        refuse('WrongState', '任务已在改派前结束，未改派');
      }
      await condition(() => view.tasks.some((t) => t.replaces === taskId));
      const next = view.tasks.find((t) => t.replaces === taskId)!;
      return { taskId: next.taskId, department: next.department };
    },
    {
      validator: (raw) => {
        const { actor, taskId, department } = parseOrRefuse(reassignTaskInputSchema, raw);
        if (!coversCounty(actor, input.county) || !hasRole(actor, 'supervisor')) refuse('Forbidden', '只有本县或上级督办人员可以改派事项任务');
        if (view.status !== 'open' || m.cancelRequest) refuse('WrongState', '事项已结束，不能改派');
        const ref = view.tasks.find((t) => t.taskId === taskId);
        if (!ref) refuse('NotFound', '事项中没有此任务');
        if (ref.state !== 'running' || m.reassigning.has(taskId)) refuse('WrongState', '任务已结束或正在改派，不能改派');
        if (ref.department === department)
          refuse('InvalidInput', `department: 此任务已由${departmentName(department)}办理`, [
            { path: 'department', message: `此任务已由${departmentName(department)}办理` },
          ]);
      },
    },
  );
}
