/**
 * A department sends a task back as outside its remit (退回), within the return window; a task that
 * works through disputes stays open instead and its matter opens the dispute (原职责划分).
 */
import { getExternalWorkflowHandle } from '@temporalio/workflow';
import { departmentName } from '../../../domain/departments.js';
import { returnInputSchema } from '../../../domain/task.js';
import { clone } from '../../recording.js';
import { refuse } from '../../refusal.js';
import { returnUpdate, stepReturnedSignal } from '../messages.js';
import { now } from '../run.js';
import { action } from './action.js';

export const returnTask = action({
  update: returnUpdate,
  schema: returnInputSchema,
  check(run, { actor, basis }) {
    const { view, input, returnWindow } = run;
    run.requireOwnDepartment(actor);
    run.requireState(['assigned', 'signed', 'rework'], '退回');
    if (input.returnable === false) refuse('NotReturnable', '此任务不能退回：由法定机关办理，或已指定承办');
    // A designation binds (DOMAIN §5): the designated department cannot send it back on the
    // grounds the dispute settled.
    const designation = view.designated ?? input.designated;
    if (designation && (basis ?? 'duties') === designation.basis) {
      refuse('Designated', `本部门已由管辖争议决定指定办理（${designation.disputeId}），不能以同一理由退回`);
    }
    if (view.disputed) refuse('WrongState', '已提出管辖异议，争议处理期间请按原职责划分继续办理');
    // Returning is for the first days only (DOMAIN §4); after that the department handles it.
    if (returnWindow && Date.now() > returnWindow.dueAtMs) {
      refuse('ReturnWindowClosed', `退回期限（${returnWindow.dueAt}）已过，请办理或申请延期`);
    }
  },
  async act(run, { actor, reason, suggestedDepartment, basis }) {
    const { view, input, info, deptName } = run;
    if (input.worksThroughDisputes && info.parent) {
      // 原职责划分: the department keeps the task, clocks running, while the dispute is settled.
      const at = now();
      view.disputed = { reason, at, ...(suggestedDepartment ? { suggestedDepartment } : {}), ...(basis ? { basis } : {}) };
      const suggestion = suggestedDepartment ? `，建议由${departmentName(suggestedDepartment)}办理` : '';
      await run.record('return.disputed', `${deptName}提出管辖异议${suggestion}；争议处理期间按原职责划分继续办理`, {
        actor,
        data: { reason, suggestedDepartment: suggestedDepartment ?? null, basis: basis ?? null },
        notifications: [
          run.notice(
            'task.disputed',
            `管辖异议：${input.title}`,
            `${deptName}认为非本部门职责（${reason}）${suggestion}。争议处理期间，${deptName}继续按原职责划分办理，期限不变。`,
            ['lead-department', 'county-supervisors'],
          ),
        ],
      });
      await getExternalWorkflowHandle(info.parent.workflowId).signal(stepReturnedSignal, {
        taskId: info.workflowId,
        department: input.department,
        reason,
        ...(suggestedDepartment ? { suggestedDepartment } : {}),
        ...(basis ? { basis } : {}),
      });
      return clone(view);
    }
    view.state = 'returned';
    const at = now();
    view.closedAt = at;
    view.overdue = false;
    view.returned = { reason, at, ...(suggestedDepartment ? { suggestedDepartment } : {}), ...(basis ? { basis } : {}) };
    const suggestion = suggestedDepartment ? `，建议由${departmentName(suggestedDepartment)}办理` : '';
    await run.record('returned', `${deptName}退回：非本部门职责${suggestion}`, {
      actor,
      data: { reason, suggestedDepartment: suggestedDepartment ?? null },
      notifications: [
        run.notice('task.returned', `任务被退回：${input.title}`, `${deptName}退回任务，理由：${reason}${suggestion}。`, [
          'lead-department',
          'county-supervisors',
        ]),
      ],
    });
    return clone(view);
  },
});
