import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { getTimeline } from '../../db/events.js';
import { getTransferRow } from '../../db/transfers.js';
import { canSeeTransfer } from '../../db/visibility.js';
import type { TransferView } from '../../domain/transfer.js';
import { getTransferQuery } from '../../workflows/criminal-transfer.js';
import type { AppDeps } from '../app.js';
import { errorResponses, loadVisible } from '../plumbing.js';
import { presentTransfer } from '../presenters.js';
import { timelineEntrySchema, transferSchema, urlIdSchema } from '../schemas.js';

const errors = errorResponses(400, 401, 403, 404, 503);
const params = z.object({ transferId: urlIdSchema });

export const transferRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/transfers/:transferId',
      {
        schema: {
          summary: 'One criminal transfer (行刑衔接, 国务院令第310号): its step, the approval, hand-over, the police’s decision, timeline',
          tags: ['matters'],
          params,
          response: { 200: transferSchema.extend({ timeline: z.array(timelineEntrySchema) }), ...errors },
        },
      },
      async (req) => {
        const { view } = await loadVisible<TransferView>(deps, {
          urlId: req.params.transferId,
          kind: 'transfer',
          what: '移送',
          row: (id) => getTransferRow(deps.pool, id),
          live: (h) => h.query(getTransferQuery),
          canSee: (v) => canSeeTransfer(req.principal, v),
        });
        return { ...presentTransfer(view), timeline: await getTimeline(deps.pool, view.transferId) };
      },
    );
  };
