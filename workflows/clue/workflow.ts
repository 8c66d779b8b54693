/**
 * 问题线索 (DOMAIN §6, 国办发〔2020〕53号): 受理 → 派单 (the county's catalogue, else the 12345
 * office by hand) → 签收 or 退单 (returned within its window, re-dispatched; after the county's
 * `maxDispatches` the office's dispatch designates the handler, who cannot return it) → 办理 (the
 * lead, co-handlers verifying in parallel) → 答复 (the lead's submission) → 回访 within
 * `visitWorkingDays` → closed; unsatisfied: handled once more, then a supervisor decides. The lead
 * may open a matter from it instead of answering at once (matter.ts): the reply follows the matter.
 */
import { CancellationScope, condition, setHandler, upsertSearchAttributes } from '@temporalio/workflow';
import { clueCategoryNames, satisfactionNames, type ClueInputDraft, type ClueView } from '../../domain/clue.js';
import { departmentName } from '../../domain/departments.js';
import type { Principal } from '../../domain/principal.js';
import { clocks } from '../activities.js';
import { clone } from '../recording.js';
import { parseOrRefuse, refuse } from '../refusal.js';
import { SA } from '../../domain/search-attributes.js';
import { handleAs, type TaskEnd } from './handling.js';
import { openedByCatalogue, registerMatterHandler, replyAfterMatter } from './matter.js';
import { decideClueUpdate, decisionInputSchema, dispatchClueUpdate, dispatchInputSchema, getClueQuery, visitClueUpdate, visitInputSchema } from './messages.js';
import { ClueRun, OFFICE, now } from './run.js';

const { resolveDue } = clocks;

export async function clue(args: ClueInputDraft): Promise<ClueView> {
  const run = new ClueRun(args);
  const { input, view } = run;
  const office = [{ county: input.county, department: OFFICE }];
  const supervisors = [{ county: input.county, role: 'supervisor' as const }];

  setHandler(getClueQuery, () => view);
  registerMatterHandler(run);
  setHandler(
    dispatchClueUpdate,
    async (raw) => {
      const { department, coHandlers, actor } = dispatchInputSchema.parse(raw);
      run.pendingDispatch = { department, coHandlers, actor };
      await condition(() => run.pendingDispatch === undefined);
      return clone(view);
    },
    {
      validator: (raw) => {
        const { actor, department, coHandlers } = parseOrRefuse(dispatchInputSchema, raw);
        run.requireOffice(actor, '派单');
        if (view.state !== 'dispatching' || run.pendingDispatch) refuse('WrongState', '线索不在待派单状态');
        if (coHandlers.includes(department))
          refuse('InvalidInput', 'coHandlers: 牵头部门不能同时为协办部门', [{ path: 'coHandlers', message: '牵头部门不能同时为协办部门' }]);
      },
    },
  );
  setHandler(
    visitClueUpdate,
    async (raw) => {
      const { satisfaction, note, actor } = visitInputSchema.parse(raw);
      run.visit = { satisfaction, note, actor };
      await condition(() => run.visit === undefined);
      return clone(view);
    },
    {
      validator: (raw) => {
        const { actor } = parseOrRefuse(visitInputSchema, raw);
        run.requireOffice(actor, '回访');
        if (view.state !== 'replied' || run.visit) refuse('WrongState', '线索尚未答复或已回访');
      },
    },
  );
  setHandler(
    decideClueUpdate,
    async (raw) => {
      const { decision, reason, actor } = decisionInputSchema.parse(raw);
      run.decision = { decision, reason, actor };
      await condition(() => run.decision === undefined);
      return clone(view);
    },
    {
      validator: (raw) => {
        const { actor } = parseOrRefuse(decisionInputSchema, raw);
        run.requireSupervisor(actor);
        if (view.state !== 'deciding' || run.decision) refuse('WrongState', '线索不在待督办决定状态');
      },
    },
  );

  type Issue = { department: string; coHandlers: string[]; returnable: boolean; matter?: NonNullable<typeof input.dispatch>['openMatter'] };
  /** 派单: by the catalogue the first time it matched, else by the office; the last one allowed designates. */
  async function dispatch(): Promise<Issue> {
    let d: { department: string; coHandlers: string[]; ruleId?: string };
    let actor: Principal | undefined;
    const matter = catalogue?.openMatter;
    if (catalogue) {
      d = { department: catalogue.lead, coHandlers: catalogue.coHandlers, ruleId: catalogue.ruleId };
      catalogue = undefined;
    } else {
      run.setState('dispatching');
      await run.record('dispatch.awaited', view.dispatches.length ? '退单，待重新派单' : '派单目录未匹配，待人工派单', {
        notifications: [{ kind: 'clue.dispatch', title: `待派单：${input.ref}`, body: `${clueCategoryNames[input.category]}线索待派单。`, recipients: office }],
      });
      await condition(() => run.pendingDispatch !== undefined);
      ({ actor, ...d } = run.pendingDispatch!);
    }
    const by = actor ? 'office' : 'catalogue';
    const designated = by === 'office' && view.dispatches.length + 1 >= input.settings.maxDispatches;
    view.dispatches.push({ ...d, by, designated, at: now() });
    await run.record(
      'dispatched',
      `派单：${departmentName(d.department)}${d.coHandlers.length ? `，协办 ${d.coHandlers.map(departmentName).join('、')}` : ''}${designated ? '（指定承办，不得退单）' : ''}`,
      {
        ...(actor ? { actor } : {}),
        data: { department: d.department, coHandlers: d.coHandlers, by, designated, ...(d.ruleId ? { ruleId: d.ruleId } : {}) },
      },
    );
    run.pendingDispatch = undefined;
    return { department: d.department, coHandlers: d.coHandlers, returnable: !designated, ...(matter ? { matter } : {}) };
  }

  upsertSearchAttributes([{ key: SA.County, value: input.county }]);
  await run.record('received', `受理${clueCategoryNames[input.category]}（${input.ref}）`, {
    data: { channel: input.channel, ref: input.ref, category: input.category, urgency: input.urgency },
  });

  let catalogue = input.dispatch;
  /** The next issue when it needs no dispatch: a task ended outside the API, or handled once more. */
  let again: Issue | undefined;
  for (;;) {
    view.rounds += 1;
    // 派单 → 办理, until the lead department keeps it and answers.
    let lead: TaskEnd;
    for (;;) {
      const issue = again ?? (await dispatch());
      again = undefined;
      view.department = issue.department;
      view.coHandlers = issue.coHandlers;
      run.setState('handling');
      // The catalogue's rule opened a matter: it is the handling, the lead replies after it (matter.ts).
      if (issue.matter && (await openedByCatalogue(run, input.dispatch!.ruleId, issue.matter))) {
        lead = await replyAfterMatter(run);
        break;
      }
      // Co-handlers verify while the lead handles; the answer waits for their findings. A lead
      // that returns it (or whose task ends outside the API) takes the co-handlers' tasks with it.
      const leading = handleAs(run, issue.department, 'lead', !issue.returnable);
      const coScope = new CancellationScope();
      const co = coScope.run(() => Promise.all(issue.coHandlers.map((d) => handleAs(run, d, 'co-handler', true))));
      void co.catch(() => undefined);
      const end = await leading;
      if (run.matterRound === view.rounds) {
        // The lead opened a matter: its task ended with that decision (however it ended), the
        // co-handlers finish verifying, and the reply is a step of its own once the matter ends.
        await co.catch(() => undefined);
        lead = await replyAfterMatter(run);
        break;
      }
      if (end.state === 'completed') {
        await co;
        lead = end;
        break;
      }
      coScope.cancel();
      await co.catch(() => undefined);
      if (end.state === 'returned') {
        view.dispatches.at(-1)!.returned = { reason: end.returned?.reason ?? '', at: now() };
        view.department = undefined;
        await run.record('returned', `${departmentName(issue.department)}退单：${end.returned?.reason ?? ''}`, {
          data: { taskId: end.taskId, reason: end.returned?.reason ?? '' },
        });
      } else {
        // Ended outside the API: issued again to the same department.
        await run.record('task.interrupted', `${departmentName(issue.department)}的任务在系统外终止，重新交办`, { data: { taskId: end.taskId } });
        again = issue;
      }
    }

    // 答复, then 回访 within its limit.
    view.reply = { summary: lead.submission?.summary ?? '', department: lead.department, at: lead.submission?.at ?? now() };
    const due = await resolveDue.executeWithOptions({ startToCloseTimeout: '10 seconds', summary: '计算回访期限' }, [
      { startMs: Date.now(), rule: { amount: input.settings.visitWorkingDays, unit: 'working_day' } },
    ]);
    view.visitDueAt = due.dueAt;
    run.setState('replied');
    await run.record('replied', `${departmentName(lead.department)}已答复，回访期限 ${due.dueAt}`, {
      data: { taskId: lead.taskId, visitDueAt: due.dueAt },
      notifications: [
        {
          kind: 'clue.replied',
          title: `待回访：${input.ref}`,
          body: `${departmentName(lead.department)}已答复，请于 ${due.dueAt} 前回访。`,
          recipients: office,
        },
      ],
    });
    if (!(await condition(() => run.visit !== undefined, Math.max(due.dueAtMs - Date.now(), 1)))) {
      await run.record('visit.overdue', `回访期限 ${due.dueAt} 已过，尚未回访`, {
        notifications: [
          { kind: 'clue.visit-overdue', title: `回访逾期：${input.ref}`, body: `回访期限 ${due.dueAt} 已过。`, recipients: [...office, ...supervisors] },
        ],
      });
      await condition(() => run.visit !== undefined);
    }
    const visit = run.visit!;
    view.visits.push({ satisfaction: visit.satisfaction, ...(visit.note ? { note: visit.note } : {}), at: now() });
    run.visit = undefined;
    const unsatisfied = visit.satisfaction === 'unsatisfied';
    if (!unsatisfied || view.rounds === 1) run.setState(unsatisfied ? 'handling' : 'closed');
    else run.setState('deciding');
    await run.record('visited', `回访：${satisfactionNames[visit.satisfaction]}${visit.note ? `（${visit.note}）` : ''}`, {
      actor: visit.actor,
      data: { satisfaction: visit.satisfaction },
      ...(view.state === 'deciding'
        ? {
            notifications: [
              { kind: 'clue.decision', title: `待督办决定：${input.ref}`, body: '再次办理后回访仍不满意，请作出决定。', recipients: supervisors },
            ],
          }
        : {}),
    });
    if (!unsatisfied) break;
    // Handled once more by the department that answered; it cannot return it now.
    again = { department: lead.department, coHandlers: view.coHandlers, returnable: false };
    if (view.state === 'deciding') {
      await condition(() => run.decision !== undefined);
      const d = run.decision!;
      view.decision = { decision: d.decision, reason: d.reason, at: now() };
      run.setState(d.decision === 'close' ? 'closed' : 'handling');
      await run.record('decided', `督办决定：${d.decision === 'close' ? '办结' : '再次办理'}（${d.reason}）`, {
        actor: d.actor,
        data: { decision: d.decision },
      });
      run.decision = undefined;
      if (d.decision === 'close') break;
    }
  }
  view.closedAt = now();
  await run.record('closed', '线索办结');
  return clone(view);
}
