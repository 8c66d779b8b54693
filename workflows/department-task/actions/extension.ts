/**
 * Asking for more time (申请延期) and deciding it: by the lead (or a supervisor), or for a seizure
 * by the agency's own head in calendar days (行政强制法 art. 25).
 */
import { hasRole } from '../../../domain/principal.js';
import { extensionDecisionInputSchema, extensionInputSchema, taskStateNames, type ExtensionView } from '../../../domain/task.js';
import { clone } from '../../recording.js';
import { refuse } from '../../refusal.js';
import { startClock } from '../clock.js';
import { decideExtensionUpdate, requestExtensionUpdate } from '../messages.js';
import { now } from '../run.js';
import { action } from './action.js';

export const requestExtension = action({
  update: requestExtensionUpdate,
  schema: extensionInputSchema,
  check(run, { actor, workingDays, days }) {
    const { view, input, inDays, unitWord } = run;
    // The length in the task's unit: `days` for a task counted in calendar days, else `workingDays`.
    const field = inDays ? 'days' : 'workingDays';
    const asked = inDays ? days : workingDays;
    if (asked === undefined) {
      const problem = inDays ? '本任务按日计算延期，请填写 days' : '本任务按工作日计算延期，请填写 workingDays';
      refuse('InvalidInput', `${field}: ${problem}`, [{ path: field, message: problem }]);
    }
    const approved = view.extensions.filter((e) => e.status === 'approved').reduce((n, e) => n + e.workingDays, 0);
    if (approved + asked > input.maxExtensionWorkingDays) {
      const problem = `超过本任务可延期的上限（共 ${input.maxExtensionWorkingDays} ${unitWord}，已批准 ${approved} ${unitWord}）`;
      refuse('InvalidInput', `${field}: ${problem}`, [{ path: field, message: problem }]);
    }
    run.requireOwnDepartment(actor);
    run.requireState(['signed', 'rework'], '申请延期');
    const active = run.activeClock();
    if (!active || Date.now() >= active.dueAtMs) refuse('DeadlinePassed', '办理期限已过，不能申请延期');
    if (view.extensions.some((e) => e.status === 'pending')) refuse('ExtensionPending', '已有待审批的延期申请');
  },
  async act(run, { actor, workingDays, days, reason }) {
    const { view, input, inDays, unitWord, deptName } = run;
    const asked = (inDays ? days : workingDays)!;
    const ext: ExtensionView = {
      id: `ext-${view.extensions.length + 1}`,
      workingDays: asked,
      ...(inDays ? { days: asked } : {}),
      reason,
      requestedAt: now(),
      status: 'pending',
    };
    view.extensions.push(ext);
    // Who decides is told: the department's own head for a head-approved extension, else the lead.
    await run.record('extension.requested', `${deptName}申请延期 ${asked} ${unitWord}`, {
      actor,
      data: { extensionId: ext.id, workingDays: asked, ...(inDays ? { days: asked } : {}), reason },
      notifications: [
        run.notice(
          'task.extension-requested',
          `延期申请：${input.title}`,
          `${deptName}申请延期 ${asked} ${unitWord}，理由：${reason}。${run.byHead ? '须经本机关负责人批准。' : ''}`,
          [run.byHead ? 'task-department' : 'lead-department'],
        ),
      ],
    });
    return clone(ext);
  },
});

export const decideExtension = action({
  update: decideExtensionUpdate,
  schema: extensionDecisionInputSchema,
  check(run, { actor, extensionId }) {
    const { view, input } = run;
    // 行政强制法 art. 25: a seizure's extension is the agency's head's (行政机关负责人) to grant.
    if (run.byHead) {
      if (actor.county !== input.county || actor.department !== input.department || !hasRole(actor, 'head')) refuse('Forbidden', '延期须经本机关负责人批准');
    } else run.requireReviewer(actor);
    const ext = view.extensions.find((e) => e.id === extensionId);
    if (!ext) refuse('NotFound', `没有延期申请 ${extensionId}`);
    if (ext.status !== 'pending') refuse('WrongState', '该延期申请已审批');
    if (run.isTerminal()) refuse('WrongState', `任务当前状态为「${taskStateNames[view.state]}」，不能审批延期`);
  },
  async act(run, { actor, extensionId, approve, comment }) {
    const { view, input, clock } = run;
    const ext = view.extensions.find((e) => e.id === extensionId)!;
    ext.status = approve ? 'approved' : 'rejected';
    ext.decidedAt = now();
    if (comment) ext.comment = comment;
    if (approve && clock?.kind === 'handle') {
      ext.previousDueAt = clock.dueAt;
      const moved = run.inDays
        ? await startClock(run, 'handle', clock.startMs, clock.origin ?? 'sign-for', clock.extraWorkingDays ?? 0, {
            extraCalendarDays: (clock.extraCalendarDays ?? 0) + ext.workingDays,
          })
        : await startClock(run, 'handle', clock.startMs, clock.origin ?? 'sign-for', (clock.extraWorkingDays ?? 0) + ext.workingDays);
      ext.newDueAt = moved.dueAt;
    }
    await run.record(approve ? 'extension.approved' : 'extension.rejected', approve ? `同意延期，新期限 ${ext.newDueAt ?? '—'}` : '不同意延期', {
      actor,
      data: { extensionId, comment: comment ?? null, newDueAt: ext.newDueAt ?? null },
      notifications: [
        run.notice(
          'task.extension-decided',
          `延期${approve ? '已批准' : '未批准'}：${input.title}`,
          approve ? `办理期限延至 ${ext.newDueAt ?? ''}。` : `延期申请未获批准${comment ? `：${comment}` : ''}。`,
          ['task-department'],
        ),
      ],
    });
    return clone(ext);
  },
});
