/**
 * How a dispute is decided: a party's accept in negotiation (协商一致), or the arbiter of the
 * current rung's decision; and, at any time, an arbiter's temporary lead in an emergency, signalled
 * to the parent matter at once. Each Update's validator refuses synchronously (no trace in history).
 */
import { getExternalWorkflowHandle, setHandler } from '@temporalio/workflow';
import { departmentName } from '../../domain/departments.js';
import { decisionInputSchema, disputeParties, isParty, positionInputSchema } from '../../domain/dispute.js';
import { hasRole, type Principal } from '../../domain/principal.js';
import { clone } from '../recording.js';
import { parseOrRefuse, refuse } from '../refusal.js';
import { decideDisputeUpdate, statePositionUpdate, temporaryLeadSignal } from './messages.js';
import { now, type DisputeRun } from './run.js';

/** The dispute is decided: the designated department is the result the parent matter acts on. */
export async function decide(
  run: DisputeRun,
  d: { department: string; reasoning: string; legalBasis?: string | undefined },
  by: string,
  actor?: Principal,
): Promise<void> {
  const { view, input } = run;
  view.state = 'decided';
  view.decision = { department: d.department, reasoning: d.reasoning, ...(d.legalBasis ? { legalBasis: d.legalBasis } : {}), by, rung: view.rung, at: now() };
  const h = view.history.at(-1);
  if (h) {
    h.to = now();
    h.outcome = 'decided';
  }
  await run.record('dispute.decided', `指定管辖：${departmentName(d.department)}（${view.rungName}）`, {
    ...(actor ? { actor } : {}),
    data: { department: d.department, reasoning: d.reasoning, legalBasis: d.legalBasis ?? null, rung: view.rung },
    notifications: [
      {
        kind: 'dispute.decided',
        title: `管辖争议已决定：${input.taskTitle}`,
        body: `由${departmentName(d.department)}办理。理由：${d.reasoning}${d.legalBasis ? `；依据：${d.legalBasis}` : ''}`,
        // The designated department of its own county (a party's, across counties), else of this one.
        recipients: [
          ...run.partyRecipients(),
          { county: disputeParties(input).find((x) => x.department === d.department)?.county ?? input.county, department: d.department },
          { county: input.county, role: 'supervisor' },
        ],
      },
    ],
  });
}

/** A party states its position in negotiation; the first accept decides the dispute. */
export function handlePositions(run: DisputeRun): void {
  const { view, input } = run;
  setHandler(
    statePositionUpdate,
    async (raw) => {
      const { actor, position, reason } = positionInputSchema.parse(raw);
      const department = actor.department!;
      const decides = position === 'accept' && view.state === 'open' && !run.deciding;
      if (decides) run.deciding = true;
      view.positions = [...view.positions.filter((p) => p.department !== department), { department, position, reason, at: now() }];
      await run.record('dispute.position', `${departmentName(department)}表态：${position === 'accept' ? '由本部门办理' : '非本部门职责'}`, {
        actor,
        data: { position, reason },
      });
      if (decides) await decide(run, { department, reasoning: `协商一致：${reason}` }, 'negotiation', actor);
      return clone(view);
    },
    {
      validator: (raw) => {
        const { actor } = parseOrRefuse(positionInputSchema, raw);
        // A party is a department of a county: the same department code of the other county is not it.
        if (!isParty(input, actor) || !hasRole(actor, 'officer')) refuse('Forbidden', '只有争议当事部门可以表态');
        if (view.state !== 'open' || run.deciding) refuse('WrongState', '争议已决定');
        if (view.rung !== 'negotiation') refuse('WrongState', `协商期已过，争议已提交${view.rungName}`);
      },
    },
  );
}

/** An arbiter decides (the current rung's), or designates a temporary lead (any rung's). */
export function handleDecisions(run: DisputeRun): void {
  const { view, input, info, ladder } = run;
  setHandler(
    decideDisputeUpdate,
    async (raw) => {
      const { actor, department, reasoning, legalBasis, temporary } = decisionInputSchema.parse(raw);
      if (!temporary) run.deciding = true;
      if (temporary) {
        view.temporaryLead = { department, by: actor.department ?? actor.county, at: now(), reasoning };
        await run.record('dispute.temporary-lead', `紧急情况：指定${departmentName(department)}临时牵头`, {
          actor,
          data: { department, reasoning },
          notifications: [
            {
              kind: 'dispute.temporary-lead',
              title: `临时牵头：${input.taskTitle}`,
              body: `争议期间由${departmentName(department)}临时牵头办理。${reasoning}`,
              recipients: [{ county: input.county, department }, ...run.partyRecipients()],
            },
          ],
        });
        if (input.matterId) {
          await getExternalWorkflowHandle(input.matterId).signal(temporaryLeadSignal, { disputeId: info.workflowId, department, reasoning });
        }
      } else {
        await decide(run, { department, reasoning, legalBasis }, actor.department ?? actor.county, actor);
      }
      return clone(view);
    },
    {
      validator: (raw) => {
        const { actor, temporary } = parseOrRefuse(decisionInputSchema, raw);
        if (view.state !== 'open' || run.deciding) refuse('WrongState', '争议已决定');
        // The rung the dispute shows (set with the loop's step, before its clock is resolved).
        const current = ladder.find((l) => l.rung === view.rung)!;
        // A temporary lead may come from any arbiter of the ladder at any time (no gap in
        // supervision); the decision itself only from the arbiter of the current rung.
        const allowed = temporary ? ladder.some((l) => run.isArbiter(actor, l)) : run.isArbiter(actor, current);
        if (!allowed) refuse('Forbidden', temporary ? '只有本争议的协调或决定机关可以指定临时牵头' : `当前由${view.rungName}决定，您无权作出决定`);
      },
    },
  );
}
