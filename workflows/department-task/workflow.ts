import { recordingCancellation } from '../withdrawal.js';
import { allHandlersFinished, condition, continueAsNew, patched, setHandler, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import type { ZodType } from 'zod';
import { SA } from '../../domain/search-attributes.js';
import type { TaskResult } from '../../domain/task.js';
import { parseOrRefuse } from '../refusal.js';
import { fireDue, nextDailyChase, nextWake, recompute, startClock } from './clock.js';
import { cancel, cancelTask, closeReassigned } from './actions/end.js';
import { decideExtension, requestExtension } from './actions/extension.js';
import { returnTask } from './actions/return.js';
import { review, sign, submit } from './actions/work.js';
import type { TaskAction } from './actions/action.js';
import { designatedSignal, getTaskQuery, PATCH, reassignSignal, recomputeDeadlinesSignal, type DepartmentTaskArgs } from './messages.js';
import { TaskRun } from './run.js';

/**
 * One department's clocked duty (部门任务). Owns its sign-for and handling deadlines and the
 * supervision ladder; every human action is an Update validated synchronously, so a wrong state,
 * a wrong department or bad input is refused without leaving a trace in history.
 */
export async function departmentTask(args: DepartmentTaskArgs): Promise<TaskResult> {
  const run = new TaskRun(args);
  const { input, info, view } = run;

  // ---- handlers: registered before the first await ----
  let queueTail: Promise<void> = Promise.resolve();
  /** Waits for the actions accepted before this one; resolves to the release of this one's turn. */
  function turn(): Promise<() => void> {
    let release!: () => void;
    const previous = queueTail;
    queueTail = new Promise<void>((r) => {
      release = r;
    });
    return previous.then(() => release);
  }
  /** The validator parses and checks; the handler runs on parsed input, checked again in its turn. */
  function register<Ret, S extends ZodType>({ update, schema, check, act }: TaskAction<Ret, S>) {
    setHandler(
      update,
      async (raw) => {
        const a = schema.parse(raw);
        if (!run.initialized) {
          // An action that arrives while the task is still being assigned waits for the assignment
          // to be recorded (so the timeline stays in order), then is checked again.
          await condition(() => run.initialized);
          check(run, a);
        }
        if (!patched(PATCH.serialActions)) return act(run, a);
        // One action at a time, in the order accepted: the timeline shows them in that order, and
        // each is checked again against the state the one before it left.
        const release = await turn();
        try {
          check(run, a);
          return await act(run, a);
        } finally {
          release();
        }
      },
      {
        validator: (raw) => check(run, parseOrRefuse(schema, raw)),
      },
    );
  }
  register(sign);
  register(submit);
  register(review);
  register(returnTask);
  register(requestExtension);
  register(decideExtension);
  register(cancel);
  setHandler(getTaskQuery, () => view);
  setHandler(recomputeDeadlinesSignal, () => {
    run.recomputeRequested = true;
  });
  setHandler(reassignSignal, (r) => {
    if (!run.isTerminal()) run.reassignment ??= r;
  });
  setHandler(designatedSignal, (d) => {
    view.designated = d;
    delete view.disputed;
  });

  await recordingCancellation(
    async () => {
      if (!args.carried) {
        upsertSearchAttributes([
          { key: SA.County, value: input.county },
          { key: SA.Department, value: input.department },
          ...(input.leadDepartment ? [{ key: SA.LeadDepartment, value: input.leadDepartment }] : []),
          ...(input.matterId ? [{ key: SA.MatterId, value: input.matterId }] : []),
          ...(input.scenario ? [{ key: SA.Scenario, value: input.scenario }] : []),
        ]);
        const due = await startClock(run, 'sign-for', Date.now(), 'assignment');
        await run.record('assigned', `派单至${run.deptName}，签收期限 ${due.dueAt}`, {
          ...(input.assignedBy ? { actor: input.assignedBy } : {}),
          data: { title: input.title },
          notifications: [run.notice('task.assigned', `新任务：${input.title}`, `请于 ${due.dueAt} 前签收。`, ['task-department'])],
        });
        run.initialized = true;
      } else {
        run.publishState();
      }

      while (!run.isTerminal()) {
        if (run.reassignment) {
          // Actions accepted before the reassignment finish first, so the timeline keeps their order.
          await condition(allHandlersFinished);
          if (!run.isTerminal()) await closeReassigned(run, run.reassignment);
          break;
        }
        if (workflowInfo().continueAsNewSuggested) {
          await condition(allHandlersFinished);
          await continueAsNew<typeof departmentTask>({
            ...args,
            carried: {
              view,
              ...(run.clock ? { clock: run.clock } : {}),
              fired: [...run.fired],
              lastChaseMs: run.lastChaseMs,
              recomputeRequested: run.recomputeRequested,
              ...(run.returnWindow ? { returnWindow: run.returnWindow } : {}),
            },
          });
        }
        if (run.recomputeRequested) {
          run.recomputeRequested = false;
          await recompute(run);
          continue;
        }
        const version = run.clockVersion;
        const seq = view.lastEventSeq;
        const active = run.activeClock();
        const chaseAtMs = active ? await nextDailyChase(run, active) : undefined;
        if (run.clockVersion !== version || view.lastEventSeq !== seq || run.isTerminal()) continue;
        const wake = nextWake(run, chaseAtMs);
        const changed = () =>
          run.isTerminal() || run.clockVersion !== version || view.lastEventSeq !== seq || run.recomputeRequested || run.reassignment !== undefined;
        if (wake) {
          const woke = await condition(changed, Math.max(wake.atMs - Date.now(), 1), { summary: wake.summary });
          if (!woke) await fireDue(run, chaseAtMs);
        } else {
          await condition(changed);
        }
      }
    },
    async () => {
      // The parent matter closed (or someone cancelled the run).
      if (!run.isTerminal()) await cancelTask(run, '所属事项已关闭');
    },
  );

  await condition(allHandlersFinished);
  return {
    taskId: info.workflowId,
    department: input.department,
    state: view.state as TaskResult['state'],
    ...(view.signedAt ? { signedAt: view.signedAt } : {}),
    ...(view.submission ? { submission: view.submission } : {}),
    ...(view.returned ? { returned: view.returned } : {}),
    ...(view.reassigned ? { reassigned: view.reassigned } : {}),
  };
}
