/** How a task ends other than by its result: cancelled (a standalone task), or moved elsewhere (改派). */
import { departmentName } from '../../../domain/departments.js';
import type { Principal } from '../../../domain/principal.js';
import { cancelInputSchema, taskStateNames } from '../../../domain/task.js';
import { hasRole } from '../../../domain/principal.js';
import { clone } from '../../recording.js';
import { refuse } from '../../refusal.js';
import { cancelUpdate, type Reassignment } from '../messages.js';
import { now, type TaskRun } from '../run.js';
import { action } from './action.js';

export async function cancelTask(run: TaskRun, reason: string, actor?: Principal): Promise<void> {
  const { view, input } = run;
  view.state = 'cancelled';
  const at = now();
  view.closedAt = at;
  view.overdue = false;
  view.cancelled = { reason, at };
  await run.record('cancelled', `任务撤销：${reason}`, {
    ...(actor ? { actor } : {}),
    data: { reason },
    notifications: [run.notice('task.cancelled', `任务撤销：${input.title}`, `撤销原因：${reason}`, ['task-department'])],
  });
}

/** The matter moved this step to another department: the task ends, its history stays. */
export async function closeReassigned(run: TaskRun, r: Reassignment): Promise<void> {
  const { view, input } = run;
  view.state = 'reassigned';
  const at = now();
  view.closedAt = at;
  view.overdue = false;
  view.reassigned = { department: r.department, reason: r.reason, at };
  await run.record('reassigned', `改派至${departmentName(r.department)}：${r.reason}`, {
    actor: r.actor,
    data: { department: r.department, reason: r.reason },
    notifications: [
      run.notice('task.reassigned', `任务改派：${input.title}`, `此任务已改派至${departmentName(r.department)}，理由：${r.reason}。`, ['task-department']),
    ],
  });
}

export const cancel = action({
  update: cancelUpdate,
  schema: cancelInputSchema,
  check(run, { actor }) {
    const { input, info, view } = run;
    if (actor.county !== input.county || !hasRole(actor, 'supervisor', 'operator')) {
      refuse('Forbidden', '只有本县督办或运营人员可以撤销任务');
    }
    // A matter's step is not cancelled: its matter would lack the outcome it branches on.
    // Supervisors move it to another department instead (the matter's reassignTask update).
    if (info.parent) refuse('MatterTask', `此任务是事项 ${info.parent.workflowId} 的办理环节，不能撤销；如需调整请改派`);
    if (run.isTerminal()) refuse('WrongState', `任务当前状态为「${taskStateNames[view.state]}」，不能撤销`);
  },
  async act(run, { actor, reason }) {
    await cancelTask(run, reason, actor);
    return clone(run.view);
  },
});
