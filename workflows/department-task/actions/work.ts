/** Signing for a task, submitting its result, and the lead's review (accept or rework). */
import { toShanghaiIso } from '../../../domain/calendar/index.js';
import { approvalBureau, departmentName } from '../../../domain/departments.js';
import { reviewInputSchema, signInputSchema, submitInputSchema } from '../../../domain/task.js';
import { clone } from '../../recording.js';
import { refuse } from '../../refusal.js';
import { install, originOf, resolve } from '../clock.js';
import { PATCH, reviewUpdate, signUpdate, submitUpdate } from '../messages.js';
import { patched } from '@temporalio/workflow';
import type { TaskRun } from '../run.js';
import { action } from './action.js';

/**
 * The reverse push of 审管衔接 (DOMAIN §6): a task that completes with a finding marked as touching
 * a licence (`touchesLicence` in its submission) tells the county's approval bureau, which may
 * change, withdraw or revoke it, and records that on the task's timeline. Told once the finding is
 * final: at the submission of a task nobody reviews, else at the lead's acceptance.
 */
async function pushLicenceFinding(run: TaskRun): Promise<void> {
  const { view, input, deptName } = run;
  const licence = view.submission?.touchesLicence;
  if (!licence || !patched(PATCH.licencePush)) return;
  const bureau = departmentName(approvalBureau);
  await run.record('licence-issue.reported', `${deptName}的办理结果涉及许可（${licence.type} ${licence.number}），已推送${bureau}`, {
    data: { licenceType: licence.type, licenceNumber: licence.number, outcome: view.submission?.outcome ?? null },
    notifications: [
      {
        kind: 'approval.licence-issue',
        title: `涉及许可的监管发现：${licence.type} ${licence.number}`,
        body: `${deptName}办理“${input.title}”时发现涉及许可（${licence.type}，编号 ${licence.number}）的问题，请依法处理（责令改正、变更、撤销或注销许可）。任务 ${view.taskId}。`,
        recipients: [{ county: input.county, department: approvalBureau }],
      },
    ],
  });
}

export const sign = action({
  update: signUpdate,
  schema: signInputSchema,
  check(run, { actor }) {
    run.requireOwnDepartment(actor);
    run.requireState(['assigned'], '签收');
  },
  async act(run, { actor }) {
    const { view, input } = run;
    // Compute first, change after: a slow clock leaves the task as it was until it has one.
    const at = Date.now();
    const { startMs, origin } = originOf(run, 'handle', input.limits.handle, at);
    const due = await resolve(run, 'handle', startMs, origin);
    ++run.clockRequests;
    view.state = 'signed';
    view.signedAt = toShanghaiIso(at);
    install(run, due);
    await run.record('signed', `${run.deptName}签收，办理期限 ${due.dueAt}`, { actor });
    return clone(view);
  },
});

export const submit = action({
  update: submitUpdate,
  schema: submitInputSchema,
  check(run, submission) {
    const { actor, outcome } = submission;
    const { input } = run;
    run.requireSubmitter(actor);
    run.requireState(['signed', 'rework'], '提交办理结果');
    if (input.outcomes && (!outcome || !input.outcomes.includes(outcome))) {
      refuse('InvalidInput', `outcome: 必须是以下之一：${input.outcomes.join(', ')}`, [
        { path: 'outcome', message: `必须是以下之一：${input.outcomes.join(', ')}` },
      ]);
    }
    run.requireContents(submission);
  },
  async act(run, { actor, ...submission }) {
    const { view, input, deptName } = run;
    const atMs = Date.now();
    if (input.review === 'none') {
      // A decision nobody in the matter reviews (the head's approval, the police's own
      // decision): the submission is final and ends the task.
      const at = toShanghaiIso(atMs);
      view.state = 'completed';
      view.submittedAt = at;
      view.closedAt = at;
      view.overdue = false;
      view.submission = { ...submission, at };
      await run.record('completed', `${deptName}作出决定，任务办结${submission.outcome ? `（${submission.outcome}）` : ''}`, {
        actor,
        data: { outcome: submission.outcome ?? null, evidence: submission.evidence?.length ?? 0, final: true },
      });
      await pushLicenceFinding(run);
      return clone(view);
    }
    // The lead's review has a clock too (DOMAIN §10): resolved before anything changes.
    const review = patched(PATCH.reviewClock) ? await resolve(run, 'review', atMs, 'submission') : undefined;
    if (review) ++run.clockRequests;
    view.state = 'submitted';
    const at = toShanghaiIso(atMs);
    view.submittedAt = at;
    view.overdue = false;
    view.submission = { ...submission, at };
    if (review) install(run, review);
    await run.record('submitted', `${deptName}提交办理结果${review ? `，审核期限 ${review.dueAt}` : ''}`, {
      actor,
      data: { outcome: submission.outcome ?? null, evidence: submission.evidence?.length ?? 0, ...(review ? { reviewDueAt: review.dueAt } : {}) },
      notifications: [
        run.notice('task.submitted', `待审核：${input.title}`, `${deptName}已提交办理结果，请${review ? `于 ${review.dueAt} 前` : ''}审核。`, [
          'lead-department',
        ]),
      ],
    });
    return clone(view);
  },
});

export const review = action({
  update: reviewUpdate,
  schema: reviewInputSchema,
  check(run, { actor }) {
    run.requireReviewer(actor);
    run.requireState(['submitted'], '审核');
  },
  async act(run, { actor, decision, comment }) {
    const { view, input } = run;
    const atMs = Date.now();
    const at = toShanghaiIso(atMs);
    if (decision === 'accept') {
      view.reviews.push({ decision, comment, at });
      view.state = 'completed';
      view.closedAt = at;
      view.overdue = false;
      await run.record('completed', `审核通过，任务办结`, { actor, data: { comment } });
      await pushLicenceFinding(run);
    } else {
      // Rework gets a fresh handling clock from the moment it is sent back.
      const due = await resolve(run, 'handle', atMs, 'rework');
      ++run.clockRequests;
      view.reviews.push({ decision, comment, at });
      view.state = 'rework';
      install(run, due);
      await run.record('rework', `退回重办，新期限 ${due.dueAt}`, {
        actor,
        data: { comment },
        notifications: [run.notice('task.rework', `退回重办：${input.title}`, `审核意见：${comment}。请于 ${due.dueAt} 前重新提交。`, ['task-department'])],
      });
    }
    return clone(view);
  },
});
