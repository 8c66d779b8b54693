/**
 * 风险预警 (DOMAIN §6, 晋政办发〔2023〕39号 item 13): pushed to the departments responsible (the
 * county's catalogue, resolved by the API) → 核查 by each, on the level's clock from the push
 * (red 1, orange 3, yellow 5, blue 10 working days) → for a major warning (red, orange) a joint
 * review of the departments concerned (跨部门综合研判), held by the county's supervisors → 处置 by
 * the departments that confirmed it (or those the review names), each of which may ask for a
 * matter or a joint inspection → 反馈 to the issuer. It closes only with the feedback; each step
 * has a clock: the departments' through their tasks' ladders (handling.ts), the review's and the
 * feedback's a deadline whose passing is told to the supervisors (as the 12345 visit-back's).
 */
import { recordingCancellation } from '../withdrawal.js';
import { allHandlersFinished, condition, setHandler } from '@temporalio/workflow';
import { departmentInCounty, departmentName } from '../../domain/departments.js';
import type { NotificationDraft } from '../../domain/events.js';
import { needsJointReview, type RiskWarningInputDraft, type RiskWarningView } from '../../domain/risk-warning.js';
import { clocks } from '../activities.js';
import { clone } from '../recording.js';
import { parseOrRefuse, refuse } from '../refusal.js';
import { stepOf } from './handling.js';
import {
  disposalOutcome,
  feedbackInputSchema,
  feedbackRiskWarningUpdate,
  getRiskWarningQuery,
  reviewInputSchema,
  reviewRiskWarningUpdate,
} from './messages.js';
import { RiskWarningRun, now } from './run.js';

const { resolveDue } = clocks;
const names = (ds: readonly string[]) => ds.map(departmentName).join('、');

export async function riskWarning(args: RiskWarningInputDraft): Promise<RiskWarningView> {
  const run = new RiskWarningRun(args);
  const { input, view } = run;

  setHandler(getRiskWarningQuery, () => view);
  setHandler(
    reviewRiskWarningUpdate,
    async (raw) => {
      const { conclusion, disposers, jointInspection, actor } = reviewInputSchema.parse(raw);
      run.review = { conclusion, disposers, jointInspection: jointInspection ?? false, actor };
      await condition(() => run.review === undefined);
      return clone(view);
    },
    {
      validator: (raw) => {
        const { actor, disposers } = parseOrRefuse(reviewInputSchema, raw);
        run.requireSupervisor(actor);
        if (view.state !== 'reviewing' || run.review) refuse('WrongState', '风险预警不在待综合研判状态');
        const outside = (disposers ?? []).filter((d) => !departmentInCounty(d, input.county));
        if (outside.length) refuse('InvalidInput', `disposers: ${outside.join(', ')} 不属本县`, [{ path: 'disposers', message: '乡镇不属本县' }]);
      },
    },
  );
  setHandler(
    feedbackRiskWarningUpdate,
    async (raw) => {
      const { summary, actor } = feedbackInputSchema.parse(raw);
      run.feedback = { summary, actor };
      await condition(() => run.feedback === undefined);
      return clone(view);
    },
    {
      validator: (raw) => {
        const { actor } = parseOrRefuse(feedbackInputSchema, raw);
        run.requireIssuer(actor);
        // The loop closes only with feedback, and feedback only on what was verified and disposed of.
        if (view.state !== 'awaiting-feedback' || run.feedback) refuse('WrongState', '风险预警尚未核查处置完毕，或已反馈');
      },
    },
  );

  // Withdrawn (the Temporal UI, or an API to come): recorded, its open tasks cancelled with it
  // (REQUEST_CANCEL), and the run ends as Cancelled.
  await recordingCancellation(
    () => loop(run),
    async () => {
      run.setState('cancelled');
      view.closedAt = now();
      await run.record('cancelled', '风险预警已撤销');
    },
  );
  await condition(allHandlersFinished);
  return clone(view);
}

async function loop(run: RiskWarningRun): Promise<void> {
  const { input, view } = run;
  const { settings } = input;
  const days = settings.verificationWorkingDays[input.level];
  const told = settings.toldAtPush[input.level].flatMap((a) => run.audience(a));
  // Each department hears of its task from the task; the level decides who else is told.
  await run.record('pushed', `${run.ref}：推送${names(input.departments)}核查，期限 ${days} 个工作日`, {
    data: {
      level: input.level,
      source: input.source,
      departments: input.departments,
      ...(input.ruleId ? { ruleId: input.ruleId } : {}),
      ...(input.trade ? { trade: input.trade } : {}),
      ...(input.township ? { township: input.township } : {}),
    },
    ...(told.length
      ? {
          notifications: [
            {
              kind: 'risk-warning.pushed',
              title: `${run.ref}`,
              body: `${run.ref}已推送${names(input.departments)}核查，核查期限 ${days} 个工作日。`,
              recipients: told,
            },
          ],
        }
      : {}),
  });
  if (input.campaign) {
    const c = input.campaign;
    await run.record('campaign.suggested', `建议开展专项整治：乡镇 ${c.township} ${c.trade} 行业 ${c.windowDays} 日内 ${c.warningIds.length} 条预警`, {
      data: { trade: c.trade, township: c.township, windowDays: c.windowDays, warningIds: c.warningIds },
      notifications: [
        {
          kind: 'risk-warning.campaign',
          title: `专项整治建议：${c.trade}（乡镇 ${c.township}）`,
          body: `乡镇 ${c.township} ${c.trade} 行业 ${c.windowDays} 日内已有 ${c.warningIds.length} 条风险预警（${c.warningIds.join('、')}），建议开展专项整治。`,
          recipients: run.supervisors(),
        },
      ],
    });
  }

  // 核查: every department at once, each on its own task.
  const verified = await Promise.all(
    input.departments.map(async (department) => {
      const end = await stepOf(run, 'verification', department, run.pushedAtMs);
      const confirmed = end.submission?.outcome === 'confirmed';
      const findings = end.submission?.findings;
      view.verifications.push({ department, taskId: end.taskId, confirmed, ...(findings ? { findings } : {}), at: end.submission?.at ?? now() });
      await run.record('verified', `${departmentName(department)}核查${confirmed ? '属实' : '不实'}`, { data: { taskId: end.taskId, department, confirmed } });
      return { department, confirmed };
    }),
  );
  let disposers = verified.filter((v) => v.confirmed).map((v) => v.department);

  // 跨部门综合研判, for a major warning, before any disposal.
  if (needsJointReview(settings, input.level)) {
    run.setState('reviewing');
    const due = await resolveDue.executeWithOptions({ startToCloseTimeout: '10 seconds', summary: '计算综合研判期限' }, [
      { startMs: Date.now(), rule: { amount: settings.reviewWorkingDays, unit: 'working_day' } },
    ]);
    view.reviewDueAt = due.dueAt;
    await run.record('review.awaited', `核查完毕（属实 ${disposers.length} / ${verified.length}），待跨部门综合研判，期限 ${due.dueAt}`, {
      data: { reviewDueAt: due.dueAt, confirmed: disposers },
      notifications: [
        {
          kind: 'risk-warning.review',
          title: `待综合研判：${run.ref}`,
          body: `${run.ref}核查完毕，请于 ${due.dueAt} 前组织${names(input.departments)}跨部门综合研判。`,
          recipients: [...run.supervisors(), ...run.departments(input.departments)],
        },
      ],
    });
    if (!(await condition(() => run.review !== undefined, Math.max(due.dueAtMs - Date.now(), 1)))) {
      await run.record('review.overdue', `综合研判期限 ${due.dueAt} 已过，尚未研判`, {
        notifications: [
          {
            kind: 'risk-warning.review-overdue',
            title: `综合研判逾期：${run.ref}`,
            body: `${run.ref}综合研判期限 ${due.dueAt} 已过。`,
            recipients: [...run.supervisors(), ...run.audience('county-government')],
          },
        ],
      });
      await condition(() => run.review !== undefined);
    }
    const r = run.review!;
    disposers = r.disposers ?? disposers;
    view.jointReview = { conclusion: r.conclusion, disposers, jointInspection: r.jointInspection, at: now() };
    await run.record('reviewed', `跨部门综合研判：${disposers.length ? `由${names(disposers)}处置` : '无需处置'}${r.jointInspection ? '，开展联合检查' : ''}`, {
      actor: r.actor,
      data: { disposers, jointInspection: r.jointInspection },
      ...(r.jointInspection
        ? {
            notifications: [
              {
                kind: 'risk-warning.joint-inspection',
                title: `联合检查：${run.ref}`,
                body: `经跨部门综合研判，${run.ref}由${names(disposers.length ? disposers : input.departments)}开展联合检查（进一次门、查多项事）。`,
                recipients: [...run.supervisors(), ...run.departments(disposers.length ? disposers : input.departments)],
              },
            ],
          }
        : {}),
    });
    run.review = undefined;
  }

  // 处置: the departments that confirmed it (or those the review named), at once.
  if (disposers.length) {
    run.setState('disposing');
    const from = Date.now();
    await Promise.all(
      disposers.map(async (department) => {
        const end = await stepOf(run, 'disposal', department, from);
        const { openMatter, jointInspection } = disposalOutcome(end.submission?.outcome);
        view.disposals.push({
          department,
          taskId: end.taskId,
          measures: end.submission?.summary ?? '',
          openMatter,
          jointInspection,
          at: end.submission?.at ?? now(),
        });
        const asks: NotificationDraft[] = [
          ...(openMatter
            ? [
                {
                  kind: 'risk-warning.matter-requested',
                  title: `提请开启综合监管事项：${run.ref}`,
                  body: `${departmentName(department)}处置${run.ref}时提请开启综合监管事项（综合监管一件事）。`,
                  recipients: [{ county: input.county, role: 'operator' }, ...run.supervisors()],
                },
              ]
            : []),
          ...(jointInspection
            ? [
                {
                  kind: 'risk-warning.joint-inspection',
                  title: `提请联合检查：${run.ref}`,
                  body: `${departmentName(department)}处置${run.ref}时提请联合检查（进一次门、查多项事）。`,
                  recipients: run.supervisors(),
                },
              ]
            : []),
        ];
        await run.record(
          'disposed',
          `${departmentName(department)}处置完毕${openMatter ? '，提请开启综合监管事项' : ''}${jointInspection ? '，提请联合检查' : ''}`,
          {
            data: { taskId: end.taskId, department, openMatter, jointInspection },
            ...(asks.length ? { notifications: asks } : {}),
          },
        );
      }),
    );
  } else {
    await run.record('disposal.skipped', '核查均不属实，无需处置');
  }

  // 反馈: the loop closes only when the issuer side has it.
  run.setState('awaiting-feedback');
  const due = await resolveDue.executeWithOptions({ startToCloseTimeout: '10 seconds', summary: '计算反馈期限' }, [
    { startMs: Date.now(), rule: { amount: settings.feedbackWorkingDays, unit: 'working_day' } },
  ]);
  view.feedbackDueAt = due.dueAt;
  await run.record('feedback.awaited', `核查处置完毕，待反馈预警发布方，期限 ${due.dueAt}`, {
    data: { feedbackDueAt: due.dueAt },
    notifications: [
      { kind: 'risk-warning.feedback', title: `待反馈：${run.ref}`, body: `${run.ref}已核查处置完毕，请于 ${due.dueAt} 前反馈。`, recipients: run.issuer() },
    ],
  });
  if (!(await condition(() => run.feedback !== undefined, Math.max(due.dueAtMs - Date.now(), 1)))) {
    await run.record('feedback.overdue', `反馈期限 ${due.dueAt} 已过，尚未反馈`, {
      notifications: [
        {
          kind: 'risk-warning.feedback-overdue',
          title: `反馈逾期：${run.ref}`,
          body: `${run.ref}反馈期限 ${due.dueAt} 已过。`,
          recipients: [...run.issuer(), ...run.supervisors()],
        },
      ],
    });
    await condition(() => run.feedback !== undefined);
  }
  const f = run.feedback!;
  view.feedback = { summary: f.summary, at: now() };
  run.setState('closed');
  view.closedAt = now();
  await run.record('fed-back', '已反馈预警发布方', { actor: f.actor });
  run.feedback = undefined;
  await run.record('closed', '风险预警闭环办结');
}
