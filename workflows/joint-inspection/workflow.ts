/**
 * 进一次门、查多项事 (DOMAIN §7; issue 14 §4–§5): one subject, one visit date (none when every item
 * is checked in writing or off-site), one team led by the initiator's inspectors, one checklist
 * per department, one notice to the subject (随机抽查告知书) → each department checks and records
 * its own result on its task (谁检查、谁录入), which feeds the subject's credit record → when the
 * last has recorded, the inspection has ended → the initiator publishes within 20 working days
 * (谁公开). Before the visit a later round's draw may join (`addChecks`); a recusal's re-draw
 * replaces a department's inspectors (`replaceInspectors`).
 */
import { allHandlersFinished, condition, setHandler } from '@temporalio/workflow';
import { departmentName } from '../../domain/departments.js';
import { addChecksArgsSchema, dayStartMs, mergeChecks, replaceInspectorsArgsSchema, type InspectionView } from '../../domain/inspection.js';
import type { AddChecksArgs, JointInspectionInput, ReplaceInspectorsArgs } from '../../domain/inspection-plan.js';
import { clone } from '../recording.js';
import { parseOrRefuse, refuse } from '../refusal.js';
import { recordingCancellation } from '../withdrawal.js';
import { checkOf } from './checks.js';
import { addChecksUpdate, getInspectionQuery, replaceInspectorsUpdate } from './messages.js';
import { endAndPublish } from './publication.js';
import { now, InspectionRun } from './run.js';

/** The notice's words: date, departments, items and the team by inspector id (no subject name). */
function noticeOf(run: InspectionRun, checks = run.view.checks) {
  const { view } = run;
  const when = view.visitOn ? `定于 ${view.visitOn} 进行现场联合检查，由${departmentName(view.initiator)}带队` : '以书面或非现场方式检查，不入户';
  const lines = checks.map((c) => `${departmentName(c.department)}：检查事项 ${c.items.join('、')}；检查人员 ${c.inspectors.join('、')}`);
  return `随机抽查告知书：对监管对象 ${view.subjectId} ${when}。\n${lines.join('\n')}`;
}

export async function jointInspection(args: JointInspectionInput): Promise<InspectionView> {
  const run = new InspectionRun(args);
  const { view } = run;
  setHandler(getInspectionQuery, () => view);

  // A later round's draw joins before the visit: a new department gets its task, a present one
  // its new items. After the visit (or a first result) the visit is over: refused, nothing recorded.
  setHandler(
    addChecksUpdate,
    async (a: AddChecksArgs) => {
      const before = view.departments;
      run.setChecks(mergeChecks(view.checks, a.checks));
      const added = view.departments.filter((d) => !before.includes(d));
      await run.record('checks.added', `并入检查：${a.checks.map((c) => departmentName(c.department)).join('、')}`, {
        data: { checks: a.checks, requestedBy: a.requestedBy, newDepartments: added },
        notifications: [
          { kind: 'inspection.notice', title: `随机抽查告知书（补充）· ${run.ref}`, body: noticeOf(run, a.checks), recipients: run.departments() },
        ],
      });
      return clone(view);
    },
    {
      validator: (a: AddChecksArgs) => {
        parseOrRefuse(addChecksArgsSchema, a);
        if (view.state !== 'scheduled') refuse('WrongState', `检查已${view.stateName}，不能再并入检查事项（仅检查日前）`);
      },
    },
  );

  // A recusal (行政处罚法 art. 43): the round's logged re-draw replaces inspectors of one department.
  setHandler(
    replaceInspectorsUpdate,
    async (a: ReplaceInspectorsArgs) => {
      const check = run.check(a.department)!;
      const inspectors = [...check.inspectors.filter((i) => !a.removed.includes(i)), ...a.added];
      run.setChecks(view.checks.map((c) => (c.department === a.department ? { ...c, inspectors } : c)));
      view.recusals.push({ department: a.department, removed: a.removed, added: a.added, counter: a.counter, at: now() });
      await run.record('inspectors.replaced', `${departmentName(a.department)}检查人员回避并重新抽取：${a.removed.join('、')} → ${a.added.join('、')}`, {
        data: { department: a.department, removed: a.removed, added: a.added, counter: a.counter, requestedBy: a.requestedBy },
        notifications: [
          {
            kind: 'inspection.recusal',
            title: `检查人员变更 · ${run.ref}`,
            body: noticeOf(run, [run.check(a.department)!]),
            recipients: run.departments([a.department]),
          },
        ],
      });
      return clone(view);
    },
    {
      validator: (a: ReplaceInspectorsArgs) => {
        parseOrRefuse(replaceInspectorsArgsSchema, a);
        const check = run.check(a.department);
        if (!check) refuse('InvalidInput', `${a.department} 不参加此次检查`, [{ path: 'department', message: 'not a department of the inspection' }]);
        if (view.state !== 'scheduled' && view.state !== 'inspecting') refuse('WrongState', `检查已${view.stateName}，不能再更换检查人员`);
        if (run.recorded.has(a.department) || view.results.some((r) => r.department === a.department))
          refuse('WrongState', `${departmentName(a.department)}已录入检查结果，不能再更换检查人员`);
        if (!a.removed.every((i) => check.inspectors.includes(i)))
          refuse('InvalidInput', '回避的检查人员不在该部门的检查组中', [{ path: 'removed', message: 'not an inspector of the department' }]);
        if (a.added.some((i) => check.inspectors.includes(i) && !a.removed.includes(i)))
          refuse('InvalidInput', '新抽取的检查人员已在检查组中', [{ path: 'added', message: 'already an inspector of the department' }]);
        if (check.inspectors.length - a.removed.length + a.added.length < 2)
          refuse('InvalidInput', '每个部门至少两名检查人员', [{ path: 'added', message: 'at least 2 inspectors remain' }]);
      },
    },
  );

  await recordingCancellation(
    () => loop(run),
    async () => {
      run.setState('cancelled');
      await run.record('cancelled', '检查已撤销');
    },
  );
  await condition(allHandlersFinished);
  return clone(view);
}

async function loop(run: InspectionRun): Promise<void> {
  const { view, input } = run;
  view.noticeAt = now();
  await run.record('notice.issued', noticeOf(run).slice(0, 2000), {
    data: {
      visitOn: view.visitOn,
      initiator: view.initiator,
      departments: view.departments,
      items: view.items,
      team: view.checks.map((c) => ({ department: c.department, inspectors: c.inspectors })),
      ...(input.cause ? { cause: input.cause } : {}),
      requestedBy: input.requestedBy,
    },
    notifications: [{ kind: 'inspection.notice', title: `随机抽查告知书 · ${run.ref}`, body: noticeOf(run), recipients: run.departments() }],
  });

  // Each department's check, started as it joins; the visit day turns the state to inspecting.
  const started = new Set<string>();
  const running: Promise<void>[] = [];
  const visitMs = view.visitOn ? dayStartMs(view.visitOn) : undefined;
  for (;;) {
    for (const d of view.departments) {
      if (started.has(d)) continue;
      started.add(d);
      const check = checkOf(run, d);
      void check.catch(() => undefined); // awaited below; a cancellation ends the loop first
      running.push(check);
    }
    if (run.allRecorded()) break;
    const seen = run.checksVersion;
    const recordedCount = run.recorded.size;
    const changed = () => run.checksVersion !== seen || run.recorded.size !== recordedCount;
    if (view.state === 'scheduled' && visitMs !== undefined) {
      const untilVisit = visitMs - Date.now();
      if (untilVisit <= 0) {
        run.setState('inspecting');
        await run.record('visit.day', `检查日 ${view.visitOn}：现场联合检查`, { data: { visitOn: view.visitOn } });
        continue;
      }
      await condition(changed, untilVisit, { summary: `检查日 ${view.visitOn}` });
    } else {
      await condition(changed);
    }
  }
  await Promise.all(running);
  await endAndPublish(run);
}
