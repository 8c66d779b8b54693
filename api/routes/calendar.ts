import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { defaultCalendar, resolveDeadline, timeUnitSchema } from '../../domain/calendar/index.js';
import type { AppDeps } from '../app.js';
import { errorBodySchema } from '../errors.js';

export const calendarRoutes = (_deps: AppDeps): FastifyPluginAsyncZod => async (app) => {
  app.get('/calendar/deadline', {
    schema: {
      summary: 'Resolve a time limit with China’s working-day calendar (调休 included)',
      description: 'Working- and calendar-day limits end at 23:59:59.999 +08:00 of their last day; the start day is not counted (民法典 art. 201); a calendar-day limit ending on a non-working day moves to the next working day (art. 203).',
      tags: ['calendar'],
      querystring: z.object({
        start: z.iso.datetime({ offset: true }).describe('Start event, ISO-8601 with offset, e.g. 2026-09-30T10:00:00+08:00'),
        amount: z.coerce.number().int().min(1).max(3650),
        unit: timeUnitSchema,
      }),
      response: {
        200: z.object({ dueAt: z.string(), provisional: z.boolean() }),
        400: errorBodySchema, 401: errorBodySchema,
      },
    },
  }, async (req) => {
    const due = resolveDeadline(req.query.start, { amount: req.query.amount, unit: req.query.unit, startsFrom: 'assignment' }, defaultCalendar);
    return { dueAt: due.dueAt, provisional: due.provisional };
  });
};
