/**
 * The dispute's ladder: negotiation, then the coordinating arbiter, then the common superior.
 * Each rung has a deadline (a recorded local activity) with a reminder the working day before,
 * resolved again when a year's holidays are published; an arbiter who stays silent hands the
 * dispute up. And the end of a dispute cancelled before anyone decided.
 */
import { condition } from '@temporalio/workflow';
import { departmentName } from '../../domain/departments.js';
import { disputeRungNames, type DisputeRung } from '../../domain/dispute.js';
import { clocks } from '../activities.js';
import { levelOf, now, type DisputeRun } from './run.js';

const { resolveClock } = clocks;

/** A rung's deadline from its start, with the reminder the working day before. */
const resolveRungClock = (r: DisputeRung, startMs: number) =>
  resolveClock.executeWithOptions({ startToCloseTimeout: '10 seconds', summary: `计算${disputeRungNames[r.rung]}期限` }, [
    {
      kind: 'handle',
      startMs,
      rule: r.within,
      nowMs: Date.now(),
      ladder: [{ rung: 'reminder', workingDaysAfterDeadline: -1, notify: ['task-department'] }],
    },
  ]);

/** Records the dispute opened and climbs the ladder until the dispute is decided. */
export async function climb(run: DisputeRun): Promise<void> {
  const { view, input, ladder } = run;
  await run.record('dispute.opened', `${departmentName(input.returnedBy)}退回「${input.taskTitle}」，发生管辖争议`, {
    data: { parties: input.parties, reason: input.reason, kind: input.kind },
  });

  /** Every party has declined: no agreement is possible, so negotiation ends early. */
  const deadlocked = () =>
    view.rung === 'negotiation' && input.parties.every((d) => view.positions.some((p) => p.department === d && p.position === 'decline'));
  const settledOrStuck = () => view.state !== 'open' || deadlocked();

  for (run.rungIndex = 0; view.state === 'open'; run.rungIndex = Math.min(run.rungIndex + 1, ladder.length - 1)) {
    const r = ladder[run.rungIndex]!;
    const rungStartMs = Date.now();
    // The rung is the dispute's state from now on (validators read it), its clock follows.
    const escalatedFrom = view.rung;
    view.rung = r.rung;
    view.rungName = disputeRungNames[r.rung];
    view.level = levelOf[r.rung];
    const arbiter = run.arbiterOf(r);
    if (arbiter) view.arbiter = arbiter;
    else delete view.arbiter;
    const clock = await resolveRungClock(r, rungStartMs);
    view.dueAt = clock.dueAt;
    view.history.push({ rung: r.rung, from: now() });
    const again = escalatedFrom === r.rung && view.history.length > 1;
    await run.record(again ? 'dispute.reminder' : 'dispute.rung', `${view.rungName}${again ? '逾期未决，再次督促' : '开始'}，期限 ${clock.dueAt}`, {
      data: { rung: r.rung, dueAt: clock.dueAt, arbiter: arbiter ?? null },
      notifications: [
        {
          kind: r.rung === 'negotiation' ? 'dispute.negotiation' : 'dispute.escalated',
          title: `${view.rungName}：${input.taskTitle}`,
          body:
            r.rung === 'negotiation'
              ? `${input.parties.map(departmentName).join('、')}请于 ${clock.dueAt} 前协商确定办理部门。`
              : `管辖争议提交${view.rungName}，请于 ${clock.dueAt} 前作出决定。争议原因：${input.reason}`,
          recipients: run.arbiterRecipients(r),
        },
      ],
    });
    // The rung's clock, resolved again from the rung's start when a year's holidays are
    // published while it runs (the reminder not yet sent follows the new end).
    let rungClock = clock;
    let reminded = false;
    for (;;) {
      const version = run.calendarVersion;
      const changed = () => settledOrStuck() || run.calendarVersion !== version;
      const reminder = reminded ? undefined : rungClock.rungs[0];
      const target = reminder ?? { atMs: rungClock.dueAtMs, at: rungClock.dueAt };
      const woke = await condition(changed, Math.max(target.atMs - Date.now(), 1), {
        summary: `${view.rungName}${reminder ? '提醒' : '期限'} ${target.at.slice(0, 10)}`,
      });
      if (woke && !settledOrStuck()) {
        const again = await resolveRungClock(r, rungStartMs);
        if (again.dueAt !== rungClock.dueAt) {
          view.dueAt = again.dueAt;
          await run.record('dispute.recomputed', `${view.rungName}期限因节假日安排调整：${rungClock.dueAt} → ${again.dueAt}`, {
            data: { rung: r.rung, before: rungClock.dueAt, after: again.dueAt },
          });
        }
        rungClock = again;
        continue;
      }
      if (woke || !reminder) break;
      reminded = true;
      await run.record('dispute.reminder', `${view.rungName}将于 ${rungClock.dueAt} 到期`, {
        notifications: [
          {
            kind: 'dispute.reminder',
            title: `即将到期：${input.taskTitle}`,
            body: `${view.rungName}期限 ${rungClock.dueAt}，请及时${r.rung === 'negotiation' ? '表态' : '决定'}。`,
            recipients: run.arbiterRecipients(r),
          },
        ],
      });
    }
    if (view.state === 'open') {
      const h = view.history.at(-1);
      if (h) {
        h.to = now();
        h.outcome = deadlocked() ? 'no-agreement' : 'expired';
      }
    }
  }
}

/** Cancelled before a decision: the dispute ends undecided and leaves the parties' and arbiters' lists. */
export async function endUndecided(run: DisputeRun): Promise<void> {
  const { view, input, ladder } = run;
  const at = now();
  const reason = input.matterId ? '所属事项已结束' : '争议已撤销';
  view.state = 'ended';
  view.ended = { reason, at };
  delete view.dueAt;
  const h = view.history.at(-1);
  if (h && !h.to) {
    h.to = at;
    h.outcome = 'ended';
  }
  await run.record('dispute.ended', `管辖争议终止（未作决定）：${reason}`, {
    data: { reason, rung: view.rung },
    notifications: [
      {
        kind: 'dispute.ended',
        title: `管辖争议终止：${input.taskTitle}`,
        body: `${reason}，本争议不再需要决定。`,
        recipients: [...run.partyRecipients(), ...(view.arbiter ? run.arbiterRecipients(ladder[run.rungIndex]!) : [])],
      },
    ],
  });
}
