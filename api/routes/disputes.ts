import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { getDisputeRow, listDisputes } from '../../db/disputes.js';
import { getTimeline } from '../../db/events.js';
import { canSeeDispute } from '../../db/visibility.js';
import { decisionBodySchema, positionBodySchema, type DisputeView } from '../../domain/dispute.js';
import type { Principal } from '../../domain/principal.js';
import { decideDisputeUpdate, getDisputeQuery, statePositionUpdate } from '../../workflows/jurisdiction-dispute.js';
import type { AppDeps } from '../app.js';
import { ApiError } from '../errors.js';
import { act, cursorOf, errorResponses, keysetPage, loadVisible, pageQuery } from '../plumbing.js';
import { presentDispute } from '../presenters.js';
import { disputeSchema, timelineEntrySchema, urlIdSchema } from '../schemas.js';

const errors = errorResponses(400, 401, 403, 404, 409, 503);
const params = z.object({ disputeId: urlIdSchema });

export const disputeRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    async function visible(p: Principal, urlId: string) {
      const { handle, view } = await loadVisible<DisputeView>(deps, {
        urlId,
        kind: 'dispute',
        what: '争议',
        row: (id) => getDisputeRow(deps.pool, id),
        live: (h) => h.query(getDisputeQuery),
        canSee: (v) => canSeeDispute(p, v),
      });
      return { handle, view, send: <R>(update: () => Promise<R>) => act(deps, update, () => new ApiError(409, 'wrong_state', '争议已结束')) };
    }

    app.get(
      '/disputes',
      {
        schema: {
          summary: 'Jurisdiction disputes for the caller: as a party, as an arbiter of their ladder, or as a supervisor',
          tags: ['disputes'],
          querystring: z.object({
            state: z.enum(['open', 'decided', 'ended']).optional(),
            ...pageQuery(),
          }),
          response: { 200: z.object({ items: z.array(disputeSchema), nextCursor: z.string().nullable() }), ...errors },
        },
      },
      async (req) => {
        const before = cursorOf(req.query.cursor, { createdAt: 'time', disputeId: 'string' });
        // Who may see which dispute is decided in SQL (db/visibility.ts), before paging.
        const rows = await listDisputes(deps.pool, req.principal, {
          ...(req.query.state ? { state: req.query.state } : {}),
          limit: req.query.limit + 1,
          ...(before ? { before } : {}),
        });
        const page = keysetPage(rows, req.query.limit, (last) => last.cursor);
        return { items: page.rows.map((r) => presentDispute(r.view)), nextCursor: page.nextCursor };
      },
    );

    app.get(
      '/disputes/:disputeId',
      {
        schema: {
          summary: 'One dispute: parties, positions, the current rung, its arbiter and deadline, the decision, timeline',
          tags: ['disputes'],
          params,
          response: { 200: disputeSchema.extend({ timeline: z.array(timelineEntrySchema) }), ...errors },
        },
      },
      async (req) => {
        const { view } = await visible(req.principal, req.params.disputeId);
        return { ...presentDispute(view), timeline: await getTimeline(deps.pool, view.disputeId) };
      },
    );

    app.post(
      '/disputes/:disputeId/positions',
      {
        schema: {
          summary: 'A party department states its position during negotiation (accept: we act; decline: not our remit)',
          tags: ['disputes'],
          params,
          body: positionBodySchema,
          response: { 200: disputeSchema, ...errors },
        },
      },
      async (req) => {
        const { handle, send } = await visible(req.principal, req.params.disputeId);
        return presentDispute(await send(() => handle.executeUpdate(statePositionUpdate, { args: [{ ...req.body, actor: req.principal }] })));
      },
    );

    app.post(
      '/disputes/:disputeId/decision',
      {
        schema: {
          summary: 'The current arbiter designates the department that acts (or, in an emergency, a temporary lead)',
          tags: ['disputes'],
          params,
          body: decisionBodySchema,
          response: { 200: disputeSchema, ...errors },
        },
      },
      async (req) => {
        const { handle, send } = await visible(req.principal, req.params.disputeId);
        return presentDispute(await send(() => handle.executeUpdate(decideDisputeUpdate, { args: [{ ...req.body, actor: req.principal }] })));
      },
    );
  };
