import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { CalendarStore, getCalendarYear, publishCalendarYear, type CalendarYearRecord } from '../../db/calendar.js';
import { resolveDeadline, timeUnitSchema, toShanghaiIso, validateCalendarYear } from '../../domain/calendar/index.js';
import { safeText } from '../../domain/text.js';
import { WorkflowIdConflictPolicy } from '@temporalio/client';
import { calendarPublication } from '../../workflows/calendar-publication.js';
import { requireRole } from '../auth.js';
import type { AppDeps } from '../app.js';
import { ApiError, errorBodySchema } from '../errors.js';
import { adminAudit, rowWaitMs } from '../plumbing.js';
import { isoDateTimeSchema, maxYear, minYear } from '../schemas.js';

const yearParams = z.object({ year: z.coerce.number().int().min(minYear).max(maxYear).describe('Calendar year, e.g. 2027') });

const yearBody = z.object({
  holidays: z
    .array(
      z.object({
        name: safeText().trim().min(1).max(40).describe('e.g. 春节'),
        from: safeText().describe('First day off, YYYY-MM-DD'),
        to: safeText().describe('Last day off, YYYY-MM-DD (inclusive)'),
      }),
    )
    .max(40),
  adjustedWorkdays: z.array(safeText()).max(40).describe('Weekend days that are working days (调休上班), YYYY-MM-DD'),
  source: safeText().trim().max(200).default('').describe('The notice it comes from, e.g. 国办发明电〔2026〕…'),
});

const yearResponse = z.object({
  year: z.number().int(),
  provisional: z.boolean().describe('True when the year is not published: only weekends are known'),
  version: z.number().int().describe('0 for the schedule shipped with the service, 1.. for versions published through the API'),
  source: z.string(),
  publishedAt: z.string().nullable(),
  publishedBy: z
    .string()
    .nullable()
    .describe('Key id of the platform administrator who published this version (null for the built-in schedule); every version is in the audit trail'),
  holidays: z.array(z.object({ name: z.string(), from: z.string(), to: z.string() })),
  adjustedWorkdays: z.array(z.string()),
});

/** A published year as the API shows it. */
const presentYear = (rec: CalendarYearRecord) => ({
  year: rec.year,
  provisional: false,
  version: rec.version,
  source: rec.source,
  publishedAt: rec.publishedAt ? toShanghaiIso(Date.parse(rec.publishedAt)) : null,
  publishedBy: rec.publishedBy,
  holidays: rec.data.holidays,
  adjustedWorkdays: rec.data.adjustedWorkdays,
});

export const calendarRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    const store = new CalendarStore(deps.pool);

    app.get(
      '/calendar/deadline',
      {
        schema: {
          summary: 'Resolve a time limit with China’s working-day calendar in force (调休 included)',
          description:
            'Working- and calendar-day limits end at 23:59:59.999 +08:00 of their last day; the start day is not counted (民法典 art. 201); a calendar-day limit ending on a non-working day moves to the next working day (art. 203); hour and minute limits run through holidays.',
          tags: ['calendar'],
          querystring: z.object({
            start: isoDateTimeSchema.describe('Start event, ISO-8601 with offset, e.g. 2026-09-30T10:00:00+08:00'),
            amount: z.coerce.number().int().min(1).max(3650),
            unit: timeUnitSchema,
          }),
          response: { 200: z.object({ dueAt: z.string(), provisional: z.boolean() }), 400: errorBodySchema, 401: errorBodySchema, 503: errorBodySchema },
        },
      },
      async (req) => {
        const due = resolveDeadline(req.query.start, { amount: req.query.amount, unit: req.query.unit, startsFrom: 'assignment' }, await store.current());
        return { dueAt: due.dueAt, provisional: due.provisional };
      },
    );

    app.get(
      '/calendar/:year',
      {
        schema: {
          summary: 'A year’s holidays and adjusted working days, as in force',
          tags: ['calendar'],
          params: yearParams,
          response: { 200: yearResponse, 400: errorBodySchema, 401: errorBodySchema, 503: errorBodySchema },
        },
      },
      async (req) => {
        const rec = await getCalendarYear(deps.pool, req.params.year);
        if (!rec) {
          return { year: req.params.year, provisional: true, version: 0, source: '', publishedAt: null, publishedBy: null, holidays: [], adjustedWorkdays: [] };
        }
        return presentYear(rec);
      },
    );

    app.put(
      '/calendar/:year',
      {
        schema: {
          summary: 'Publish or correct a year’s schedule (platform administrator); open tasks re-resolve their deadlines',
          description:
            'Validation: dates are YYYY-MM-DD inside the year; holiday ranges do not overlap and run forward; adjusted working days are Saturdays or Sundays outside any holiday.',
          tags: ['calendar'],
          params: yearParams,
          body: yearBody,
          response: {
            200: yearResponse.extend({
              recomputation: z.object({
                workflowId: z.string().describe('The workflow telling open tasks to re-resolve their deadlines'),
                finished: z.boolean(),
                tasksSignalled: z.number().int().nullable().describe('Null while it is still running'),
              }),
            }),
            400: errorBodySchema,
            401: errorBodySchema,
            403: errorBodySchema,
            503: errorBodySchema,
          },
        },
      },
      async (req) => {
        // The schedule is the State Council's, for every county: a county admin may not move other
        // counties' deadlines, only the platform's administrator publishes it.
        requireRole(req, 'platform');
        const { year } = req.params;
        const { source, ...data } = req.body;
        const checked = validateCalendarYear(year, data);
        if (!checked.ok) {
          throw new ApiError(
            400,
            'validation_failed',
            `${year} 年节假日安排不符合要求`,
            checked.issues.map((i) => ({ path: ['body', ...i.path].join('.'), message: i.message })),
          );
        }
        const rec = await adminAudit(
          deps,
          req.principal,
          (client) => publishCalendarYear(client, year, checked.value, source, req.principal.keyId),
          (r) => ({
            eventId: `calendar:${year}:v${r.version}`,
            county: req.principal.county,
            action: 'calendar.published',
            objectId: `calendar:${year}`,
            details: { version: r.version, source, holidays: checked.value.holidays.length, adjustedWorkdays: checked.value.adjustedWorkdays.length },
          }),
        );
        // A workflow tells every affected open task (durably: an API crash loses nobody); the
        // answer waits for it briefly so small counties see the count at once.
        const recomputation = `calendar:${year}:v${rec.version}`;
        const handle = await deps.temporal.workflow.start(calendarPublication, {
          taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
          workflowId: recomputation,
          args: [{ year, version: rec.version }],
          workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
          staticSummary: `${year} 年节假日安排 v${rec.version}：重新计算在办任务期限`,
        });
        // Briefly: the answer must come within the request timeout (the workflow goes on regardless).
        const done = await Promise.race([handle.result(), new Promise<undefined>((r) => setTimeout(() => r(undefined), rowWaitMs(deps.config)).unref())]);
        return {
          ...presentYear(rec),
          recomputation: { workflowId: recomputation, finished: !!done, tasksSignalled: done?.signalled ?? null },
        };
      },
    );
  };
