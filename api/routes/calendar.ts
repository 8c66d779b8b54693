import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CalendarStore, getCalendarYear, publishCalendarYear } from '../../db/calendar.js';
import { appendAudit } from '../../db/events.js';
import { inTransaction } from '../../db/pool.js';
import { resolveDeadline, timeUnitSchema, toShanghaiIso, validateCalendarYear } from '../../domain/calendar/index.js';
import { recomputeDeadlinesSignal } from '../../workflows/department-task.js';
import { requireRole } from '../auth.js';
import type { AppDeps } from '../app.js';
import { ApiError, errorBodySchema } from '../errors.js';

const yearParams = z.object({ year: z.coerce.number().int().min(1990).max(2200).describe('Calendar year, e.g. 2027') });

const yearBody = z.object({
  holidays: z
    .array(z.object({
      name: z.string().trim().min(1).max(40).describe('e.g. 春节'),
      from: z.string().describe('First day off, YYYY-MM-DD'),
      to: z.string().describe('Last day off, YYYY-MM-DD (inclusive)'),
    }))
    .max(40),
  adjustedWorkdays: z.array(z.string()).max(40).describe('Weekend days that are working days (调休上班), YYYY-MM-DD'),
  source: z.string().trim().max(200).default('').describe('The notice it comes from, e.g. 国办发明电〔2026〕…'),
});

const yearResponse = z.object({
  year: z.number().int(),
  provisional: z.boolean().describe('True when the year is not published: only weekends are known'),
  version: z.number().int().describe('0 for the schedule shipped with the service, 1.. for versions published through the API'),
  source: z.string(),
  publishedAt: z.string().nullable(),
  holidays: z.array(z.object({ name: z.string(), from: z.string(), to: z.string() })),
  adjustedWorkdays: z.array(z.string()),
});

/** Open tasks whose deadline a change to `year` can move: provisional ones, and those due in it or just after. */
async function affectedTasks(deps: AppDeps, year: number): Promise<string[]> {
  const res = await deps.pool.query<{ task_id: string }>(
    `SELECT task_id FROM tasks
      WHERE state IN ('assigned', 'signed', 'rework')
        AND (due_provisional OR extract(year FROM due_at AT TIME ZONE 'Asia/Shanghai') BETWEEN $1 AND $1 + 1)`,
    [year],
  );
  return res.rows.map((r) => r.task_id);
}

export const calendarRoutes = (deps: AppDeps): FastifyPluginAsyncZod => async (app) => {
  const store = new CalendarStore(deps.pool);

  app.get('/calendar/deadline', {
    schema: {
      summary: 'Resolve a time limit with China’s working-day calendar in force (调休 included)',
      description: 'Working- and calendar-day limits end at 23:59:59.999 +08:00 of their last day; the start day is not counted (民法典 art. 201); a calendar-day limit ending on a non-working day moves to the next working day (art. 203); hour and minute limits run through holidays.',
      tags: ['calendar'],
      querystring: z.object({
        start: z.iso.datetime({ offset: true }).describe('Start event, ISO-8601 with offset, e.g. 2026-09-30T10:00:00+08:00'),
        amount: z.coerce.number().int().min(1).max(3650),
        unit: timeUnitSchema,
      }),
      response: { 200: z.object({ dueAt: z.string(), provisional: z.boolean() }), 400: errorBodySchema, 401: errorBodySchema, 503: errorBodySchema },
    },
  }, async (req) => {
    const due = resolveDeadline(req.query.start, { amount: req.query.amount, unit: req.query.unit, startsFrom: 'assignment' }, await store.current());
    return { dueAt: due.dueAt, provisional: due.provisional };
  });

  app.get('/calendar/:year', {
    schema: {
      summary: 'A year’s holidays and adjusted working days, as in force',
      tags: ['calendar'],
      params: yearParams,
      response: { 200: yearResponse, 400: errorBodySchema, 401: errorBodySchema, 503: errorBodySchema },
    },
  }, async (req) => {
    const rec = await getCalendarYear(deps.pool, req.params.year);
    if (!rec) {
      return { year: req.params.year, provisional: true, version: 0, source: '', publishedAt: null, holidays: [], adjustedWorkdays: [] };
    }
    return {
      year: rec.year, provisional: false, version: rec.version, source: rec.source,
      publishedAt: rec.publishedAt ? toShanghaiIso(Date.parse(rec.publishedAt)) : null,
      holidays: rec.data.holidays, adjustedWorkdays: rec.data.adjustedWorkdays,
    };
  });

  app.put('/calendar/:year', {
    schema: {
      summary: 'Publish or correct a year’s schedule (admin); open tasks re-resolve their deadlines',
      description: 'Validation: dates are YYYY-MM-DD inside the year; holiday ranges do not overlap and run forward; adjusted working days are Saturdays or Sundays outside any holiday.',
      tags: ['calendar'],
      params: yearParams,
      body: yearBody,
      response: { 200: yearResponse.extend({ tasksSignalled: z.number().int() }), 400: errorBodySchema, 401: errorBodySchema, 403: errorBodySchema, 503: errorBodySchema },
    },
  }, async (req) => {
    requireRole(req, 'admin');
    const { year } = req.params;
    const { source, ...data } = req.body;
    const checked = validateCalendarYear(year, data);
    if (!checked.ok) {
      throw new ApiError(400, 'validation_failed', `${year} 年节假日安排不符合要求`,
        checked.issues.map((i) => ({ path: ['body', ...i.path].join('.'), message: i.message })));
    }
    const rec = await inTransaction(deps.pool, async (client) => {
      const r = await publishCalendarYear(client, year, checked.value, source, req.principal.keyId);
      await appendAudit(client, {
        eventId: `calendar:${year}:v${r.version}`, at: new Date().toISOString(), county: req.principal.county,
        actorKeyId: req.principal.keyId, actorDepartment: req.principal.department ?? null,
        action: 'calendar.published', objectId: `calendar:${year}`,
        details: { version: r.version, source, holidays: checked.value.holidays.length, adjustedWorkdays: checked.value.adjustedWorkdays.length },
      });
      return r;
    });
    // Tell every affected open task; recomputation is idempotent, so telling too many is harmless.
    const ids = await affectedTasks(deps, year);
    let signalled = 0;
    for (let i = 0; i < ids.length; i += 20) {
      const batch = ids.slice(i, i + 20);
      const results = await Promise.allSettled(batch.map((id) => deps.temporal.workflow.getHandle(id).signal(recomputeDeadlinesSignal, { year })));
      signalled += results.filter((r) => r.status === 'fulfilled').length;
    }
    return {
      year, provisional: false, version: rec.version, source: rec.source,
      publishedAt: rec.publishedAt ? toShanghaiIso(Date.parse(rec.publishedAt)) : null,
      holidays: rec.data.holidays, adjustedWorkdays: rec.data.adjustedWorkdays, tasksSignalled: signalled,
    };
  });
};
