import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import { getDisputeRow, listDisputes } from '../../db/disputes.js';
import { getTimeline } from '../../db/tasks.js';
import { departmentName } from '../../domain/departments.js';
import { decisionBodySchema, isParty, positionBodySchema, type DisputeView } from '../../domain/dispute.js';
import { fromUrlId, toUrlId } from '../../domain/ids.js';
import { coversCounty, hasRole, type Principal } from '../../domain/principal.js';
import { safeText } from '../../domain/text.js';
import { decideDisputeUpdate, getDisputeQuery, statePositionUpdate } from '../../workflows/jurisdiction-dispute.js';
import type { AppDeps } from '../app.js';
import { ApiError, errorBodySchema, notFound } from '../errors.js';
import { decodeCursor, pageOf } from '../idempotency.js';
import { timelineEntrySchema, urlIdSchema } from '../schemas.js';
import { withUpdateDeadline } from '../temporal.js';

const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema, 409: errorBodySchema, 503: errorBodySchema };
const params = z.object({ disputeId: urlIdSchema });

const disputeSchema = z.object({
  disputeId: z.string(),
  workflowId: z.string(),
  county: z.string(),
  matterId: z.string().optional(),
  taskKey: z.string(),
  taskTitle: z.string(),
  parties: z.array(z.object({ department: z.string(), name: z.string() })),
  returnedBy: z.string(),
  reason: z.string(),
  kind: z.enum(['law', 'duties']),
  otherCounty: z.string().optional(),
  state: z.enum(['open', 'decided', 'ended']).describe('ended: closed without a decision because its matter ended'),
  rung: z.string().describe('negotiation | coordination | county-government | city'),
  rungName: z.string(),
  level: z.number().int(),
  arbiter: z.object({ county: z.string(), department: z.string().optional() }).optional(),
  dueAt: z.string().optional(),
  positions: z.array(z.object({ department: z.string(), position: z.enum(['accept', 'decline']), reason: z.string(), at: z.string() })),
  temporaryLead: z.object({ department: z.string(), by: z.string(), at: z.string(), reasoning: z.string() }).optional(),
  decision: z.object({ department: z.string(), reasoning: z.string(), legalBasis: z.string().optional(), by: z.string(), rung: z.string(), at: z.string() }).optional(),
  ended: z.object({ reason: z.string(), at: z.string() }).optional(),
  history: z.array(z.object({ rung: z.string(), from: z.string(), to: z.string().optional(), outcome: z.string().optional() })),
});

function present(v: DisputeView) {
  const { lastEventSeq: _seq, parties, ...rest } = v;
  return {
    ...rest,
    disputeId: toUrlId(v.disputeId),
    workflowId: v.disputeId,
    ...(v.matterId ? { matterId: toUrlId(v.matterId) } : {}),
    parties: parties.map((d) => ({ department: d, name: departmentName(d) })),
  };
}

/** Parties, the arbiters of its ladder, and supervisors of a covering division may see a dispute. */
function canSee(p: Principal, v: DisputeView): boolean {
  const counties = [v.county, ...(v.otherCounty ? [v.otherCounty] : [])];
  if (hasRole(p, 'supervisor') && counties.some((c) => coversCounty(p, c))) return true;
  if (isParty(v, p)) return true;
  if (hasRole(p, 'arbiter') && p.county === v.county && ['justice', 'staffing-office', 'county-government'].includes(p.department ?? '')) return true;
  return hasRole(p, 'arbiter') && p.county === `${v.county.slice(0, 4)}00`;
}

export const disputeRoutes = (deps: AppDeps): FastifyPluginAsyncZod => async (app) => {
  async function visible(p: Principal, urlId: string) {
    const workflowId = fromUrlId(urlId, 'dispute');
    if (!workflowId) throw notFound('争议');
    const handle = deps.temporal.workflow.getHandle(workflowId);
    // The record answers (it outlives Temporal's retention); a dispute too new to have written its
    // row is asked live.
    let view = await getDisputeRow(deps.pool, workflowId);
    if (!view) {
      try {
        view = await handle.query(getDisputeQuery);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw notFound('争议');
        throw err;
      }
    }
    if (!canSee(p, view)) throw notFound('争议');
    const act = async <R>(send: () => Promise<R>) => {
      try {
        return await send();
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw new ApiError(409, 'wrong_state', '争议已结束');
        throw err;
      }
    };
    return { handle, view, act };
  }

  app.get('/disputes', {
    schema: {
      summary: 'Jurisdiction disputes for the caller: as a party, as an arbiter of their ladder, or as a supervisor',
      tags: ['disputes'],
      querystring: z.object({
        state: z.enum(['open', 'decided', 'ended']).optional(),
        limit: z.coerce.number().int().min(1).max(200).default(50),
        cursor: safeText().max(400).optional(),
      }),
      response: { 200: z.object({ items: z.array(disputeSchema), nextCursor: z.string().nullable() }), ...errors },
    },
  }, async (req) => {
    const before = req.query.cursor ? decodeCursor(req.query.cursor, { createdAt: 'time', disputeId: 'string' }) as { createdAt: string; disputeId: string } : undefined;
    const rows = await listDisputes(deps.pool, req.principal, {
      ...(req.query.state ? { state: req.query.state } : {}), limit: req.query.limit + 1, ...(before ? { before } : {}),
    });
    const page = pageOf(rows, req.query.limit, (last) => ({ createdAt: last.created_at.toISOString(), disputeId: last.dispute_id }));
    return {
      items: page.rows.filter((r) => canSee(req.principal, r.view)).map((r) => present(r.view)),
      nextCursor: page.nextCursor,
    };
  });

  app.get('/disputes/:disputeId', {
    schema: {
      summary: 'One dispute: parties, positions, the current rung, its arbiter and deadline, the decision, timeline',
      tags: ['disputes'],
      params,
      response: { 200: disputeSchema.extend({ timeline: z.array(timelineEntrySchema) }), ...errors },
    },
  }, async (req) => {
    const { view } = await visible(req.principal, req.params.disputeId);
    return { ...present(view), timeline: await getTimeline(deps.pool, view.disputeId) };
  });

  app.post('/disputes/:disputeId/positions', {
    schema: {
      summary: 'A party department states its position during negotiation (accept: we act; decline: not our remit)',
      tags: ['disputes'],
      params,
      body: positionBodySchema,
      response: { 200: disputeSchema, ...errors },
    },
  }, async (req) => {
    const { handle, act } = await visible(req.principal, req.params.disputeId);
    return present(await act(() => withUpdateDeadline(deps, () => handle.executeUpdate(statePositionUpdate, { args: [{ ...req.body, actor: req.principal }] }))));
  });

  app.post('/disputes/:disputeId/decision', {
    schema: {
      summary: 'The current arbiter designates the department that acts (or, in an emergency, a temporary lead)',
      tags: ['disputes'],
      params,
      body: decisionBodySchema,
      response: { 200: disputeSchema, ...errors },
    },
  }, async (req) => {
    const { handle, act } = await visible(req.principal, req.params.disputeId);
    return present(await act(() => withUpdateDeadline(deps, () => handle.executeUpdate(decideDisputeUpdate, { args: [{ ...req.body, actor: req.principal }] }))));
  });
};
