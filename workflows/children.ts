/**
 * Starting a child under the next id of its kind. An id is never reused, even after its run
 * closed: a second run under the same id would write its events over the first one's (the
 * timeline and inbox are keyed by it). When an id is taken (a reset parent issuing a step again,
 * a run started by hand), the parent takes the next one.
 */
import { WorkflowIdReusePolicy, startChild, type ChildWorkflowOptions } from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import { matterTaskWorkflowId } from '../domain/ids.js';
import { departmentTask, type DepartmentTaskArgs } from './department-task.js';

export const freshIdPolicy = { workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE } as const;

/** Calls `start` with `nextId()` (started with `freshIdPolicy`) until an id is free. */
export async function startUnderFreshId<H>(nextId: () => string, start: (workflowId: string) => Promise<H>): Promise<{ handle: H; workflowId: string }> {
  for (;;) {
    const workflowId = nextId();
    try {
      return { handle: await start(workflowId), workflowId };
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  }
}

/** A department task of the workflow `parentId`: `<parentId>/task:<department>:<n>`, n counted by `next`. */
export function startTaskUnderFreshId(parentId: string, department: string, next: () => number, options: Omit<TaskChildOptions, 'workflowId'>) {
  return startUnderFreshId(
    () => matterTaskWorkflowId(parentId, department, next()),
    (workflowId) => startChild(departmentTask, { ...options, workflowId, ...freshIdPolicy }),
  );
}
type TaskChildOptions = Omit<ChildWorkflowOptions, 'typeInfo' | 'args'> & { args: [DepartmentTaskArgs] };
