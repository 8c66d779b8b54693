import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { WorkflowNotFoundError } from '@temporalio/client';
import { z } from 'zod';
import { getTransferRow } from '../../db/transfers.js';
import { getTimeline } from '../../db/tasks.js';
import { departmentName } from '../../domain/departments.js';
import { fromUrlId, toUrlId } from '../../domain/ids.js';
import { coversCounty, hasRole, type Principal } from '../../domain/principal.js';
import { transferMaterialSchema } from '../../domain/transfer-materials.js';
import { transferStepKeys, type TransferView } from '../../domain/transfer.js';
import { getTransferQuery } from '../../workflows/criminal-transfer.js';
import type { AppDeps } from '../app.js';
import { errorBodySchema, notFound } from '../errors.js';
import { timelineEntrySchema, urlIdSchema } from '../schemas.js';

const errors = { 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema, 404: errorBodySchema, 503: errorBodySchema };
const params = z.object({ transferId: urlIdSchema });
const step = z.enum([...transferStepKeys, 'ended']);

const transferSchema = z.object({
  transferId: z.string(),
  workflowId: z.string(),
  matterId: z.string(),
  county: z.string(),
  scenario: z.string(),
  agency: z.object({ department: z.string(), name: z.string() }).describe('The administrative agency that transfers'),
  police: z.object({ department: z.string(), name: z.string() }),
  reason: z.string(),
  state: z.enum(['running', 'refused', 'filed', 'not-filed', 'cancelled']),
  step: step.describe('The step under way (国务院令第310号), `ended` once it ended'),
  stepName: z.string(),
  caseGroup: z.array(z.object({ name: z.string(), certificateNo: z.string().optional() })).optional(),
  reportedAt: z.string().optional(),
  approval: z.object({ decision: z.enum(['approve', 'refuse']), reason: z.string(), at: z.string() }).optional(),
  handedOver: z.object({ at: z.string(), materials: z.array(transferMaterialSchema) }).optional(),
  forwarded: z.array(z.object({ organ: z.string(), county: z.string().optional(), at: z.string(), withinHours: z.boolean().describe('Forwarded within 24 hours of the receipt (art. 7)') })),
  policeDecision: z.object({ decision: z.enum(['filed', 'not-filed']), reason: z.string(), at: z.string(), county: z.string() }).optional(),
  reconsideration: z.object({ requestedAt: z.string(), decision: z.enum(['filed', 'not-filed']).optional(), decidedAt: z.string().optional() }).optional(),
  procuratorateSuggestedAt: z.string().optional(),
  evidenceHandedOverAt: z.string().optional(),
  tasks: z.array(z.object({ taskId: z.string(), key: step, department: z.string(), county: z.string(), state: z.string(), outcome: z.string().optional() })),
  createdAt: z.string(),
  closedAt: z.string().optional(),
  cancelled: z.object({ reason: z.string(), at: z.string() }).optional(),
});

function present(v: TransferView) {
  const { lastEventSeq: _seq, agency, police, ...rest } = v;
  return {
    ...rest,
    transferId: toUrlId(v.transferId),
    workflowId: v.transferId,
    matterId: toUrlId(v.matterId),
    agency: { department: agency, name: departmentName(agency) },
    police: { department: police, name: departmentName(police) },
    tasks: v.tasks.map((t) => ({ ...t, taskId: toUrlId(t.taskId) })),
  };
}

/**
 * The agency and the police of the transfer (their officers and heads, in the counties it runs
 * in), and the supervisors of a covering division: a criminal case's file is need to know.
 */
function canSee(p: Principal, v: TransferView): boolean {
  const counties = [v.county, ...v.tasks.map((t) => t.county)];
  if (hasRole(p, 'supervisor') && counties.some((c) => coversCounty(p, c))) return true;
  if (p.department === v.agency && p.county === v.county) return true;
  return p.department === v.police && v.tasks.some((t) => t.department === v.police && t.county === p.county);
}

export const transferRoutes = (deps: AppDeps): FastifyPluginAsyncZod => async (app) => {
  app.get('/transfers/:transferId', {
    schema: {
      summary: 'One criminal transfer (行刑衔接, 国务院令第310号): its step, the approval, hand-over, the police’s decision, timeline',
      tags: ['matters'],
      params,
      response: { 200: transferSchema.extend({ timeline: z.array(timelineEntrySchema) }), ...errors },
    },
  }, async (req) => {
    const workflowId = fromUrlId(req.params.transferId, 'transfer');
    if (!workflowId) throw notFound('移送');
    // The record answers (it outlives Temporal's retention); one too new to have a row is asked live.
    let view = await getTransferRow(deps.pool, workflowId);
    if (!view) {
      try {
        view = await deps.temporal.workflow.getHandle(workflowId).query(getTransferQuery);
      } catch (err) {
        if (err instanceof WorkflowNotFoundError) throw notFound('移送');
        throw err;
      }
    }
    if (!canSee(req.principal, view)) throw notFound('移送');
    return { ...present(view), timeline: await getTimeline(deps.pool, view.transferId) };
  });
};
