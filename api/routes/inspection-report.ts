/**
 * GET /v1/reports/inspections (issue 14 §5): a county's year of 双随机 inspections per plan and
 * department — planned, drawn, inspected, merged (joint share), duplicates prevented, published on
 * time — for the county's (or its city's) supervisors and auditors. Each count is defined in
 * db/inspection-reports.ts.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { inspectionReportRows, type CheckCounts } from '../../db/inspection-reports.js';
import { canReadEvaluationReport } from '../../db/visibility.js';
import { departmentName, divisionName } from '../../domain/departments.js';
import { planFrequencies, type PlanFrequency } from '../../domain/inspection-plan.js';
import { maxYear, minYear } from '../../domain/time.js';
import type { AppDeps } from '../app.js';
import { forbidden } from '../errors.js';
import { errorResponses } from '../plumbing.js';
import { rate, rateSchema, reportCountySchema } from './reports.js';

const roundsPerYear: Record<PlanFrequency, number> = { once: 1, 'half-yearly': 2, quarterly: 4, monthly: 12 };

const departmentFiguresSchema = z.object({
  department: z.string(),
  departmentName: z.string(),
  drawn: z.number().int().describe('Checks of the department in the year’s inspections of the plan (drawn, or joined into another’s visit)'),
  inspected: z.number().int().describe('Of those, checks whose result the department has recorded (谁检查、谁录入)'),
  joint: z.number().int().describe('Of those, checks in an inspection of two or more departments (进一次门、查多项事)'),
  published: z.number().int().describe('Of those, checks whose inspection’s result is published'),
  publishedOnTime: rateSchema.describe('Published within 20 working days of the end / published or past that due date (谁公开)'),
});
const planFiguresSchema = z.object({
  planId: z.string(),
  name: z.string(),
  lead: z.string(),
  frequency: z.enum(planFrequencies),
  planned: z
    .object({ rounds: z.number().int().describe('Rounds a year by its frequency'), items: z.array(z.string()).describe('Its items') })
    .describe('What the plan set out'),
  departments: z.array(departmentFiguresSchema).describe('The lead and cooperating departments, and any other that joined its checks'),
});
const reportSchema = z.object({
  county: z.string(),
  countyName: z.string(),
  year: z.number().int(),
  plans: z.array(planFiguresSchema),
  adHoc: z.array(departmentFiguresSchema).describe('Checks outside any plan (POST /v1/inspections), per department'),
  jointShare: rateSchema.describe('Inspections of two or more departments / all inspections of the year (visits merged)'),
  publishedOnTime: rateSchema.describe('Inspections published within 20 working days of their end / published or past that due date'),
  duplicatesPrevented: z.object({
    refused: z.number().int().describe('Ad-hoc inspections refused 409 `recently_inspected` in the year'),
    byDepartment: z.array(z.object({ department: z.string(), recent: z.number().int(), yearlyCap: z.number().int() })),
  }),
});

const figures = (department: string, c: CheckCounts | undefined): z.infer<typeof departmentFiguresSchema> => ({
  department,
  departmentName: departmentName(department),
  drawn: c?.drawn ?? 0,
  inspected: c?.inspected ?? 0,
  joint: c?.joint ?? 0,
  published: c?.published ?? 0,
  publishedOnTime: rate(c?.publishedOnTime ?? 0, c?.publicationDue ?? 0),
});

export const inspectionReportRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/reports/inspections',
      {
        schema: {
          summary:
            'The county’s year of 双随机 inspections per plan and department: planned, drawn, inspected, joint share, duplicates prevented, published on time',
          description:
            'Supervisors and auditors of the county or its city. An inspection counts in the year of its visit (without one, of its creation); cancelled ones are left out. `drawn` counts the checks in inspections (the rounds’ own draws and skips are theirs).',
          tags: ['reports'],
          querystring: z.object({
            county: reportCountySchema,
            year: z.coerce.number().int().min(minYear).max(maxYear).describe('The year (its plans, and inspections visited in it)'),
          }),
          response: { 200: reportSchema, ...errorResponses(400, 401, 403, 503) },
        },
      },
      async (req) => {
        const { county, year } = req.query;
        if (!canReadEvaluationReport(req.principal, county)) throw forbidden('只有本县（或上级）的督办人员和审计人员可以查看检查报告');
        const rows = await inspectionReportRows(deps.pool, county, year);
        const byPlan = (planId: string | null) => rows.checks.filter((c) => c.planId === planId);
        const plans = rows.plans.map((p) => {
          const checks = byPlan(p.planId);
          const departments = [...new Set([p.lead, ...p.cooperating, ...checks.map((c) => c.department)])];
          return {
            planId: p.planId,
            name: p.name,
            lead: p.lead,
            frequency: p.frequency,
            planned: { rounds: roundsPerYear[p.frequency], items: p.items },
            departments: departments.map((d) =>
              figures(
                d,
                checks.find((c) => c.department === d),
              ),
            ),
          };
        });
        const refused = rows.refusals.reduce((n, r) => n + r.recent + r.yearlyCap, 0);
        return {
          county,
          countyName: divisionName(county),
          year,
          plans,
          adHoc: byPlan(null).map((c) => figures(c.department, c)),
          jointShare: rate(rows.inspections.joint, rows.inspections.all),
          publishedOnTime: rate(rows.inspections.publishedOnTime, rows.inspections.publicationDue),
          duplicatesPrevented: { refused, byDepartment: rows.refusals },
        };
      },
    );
  };
