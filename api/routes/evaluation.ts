/**
 * 考核: the evaluation report of a county's departments (周政办发〔2024〕13号 §四, issue 15 §3) as
 * JSON, CSV, and a printable page for the county's circular (通报). The counts are read in
 * db/evaluation-reports.ts (where each is defined exactly), beside the clue figures of
 * db/clue-reports.ts in the same snapshot; here they become rates, JSON, CSV or the page
 * (api/evaluation-page.ts).
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import type { ClueCounts } from '../../db/clue-reports.js';
import { evaluationReportCounts, zeroEvaluationCounts, type EvaluationCounts } from '../../db/evaluation-reports.js';
import { canReadEvaluationReport } from '../../db/visibility.js';
import { toShanghaiIso } from '../../domain/calendar/index.js';
import { departmentName, divisionName } from '../../domain/departments.js';
import type { Principal } from '../../domain/principal.js';
import type { AppDeps } from '../app.js';
import { forbidden } from '../errors.js';
import { renderEvaluationPage } from '../evaluation-page.js';
import { csvField, errorResponses, reportPeriod, reportPeriodQuery, wantsCsv } from '../plumbing.js';
import { clueFigures, clueFiguresSchema, rate, rateSchema, reportCountySchema } from './reports.js';

const errors = errorResponses(400, 401, 403, 503);
const count = (what: string) => z.number().int().describe(what);

export const evaluationFiguresSchema = z.object({
  assigned: count('交办任务数: tasks assigned to the department during the period'),
  signedOnTime: rateSchema.describe(
    '按时签收率: tasks signed for (or returned) by the sign-for deadline / tasks assigned in the period whose sign-for is settled (signed, returned, or unsigned past the deadline)',
  ),
  closedOnTime: rateSchema.describe(
    '按期办结率: tasks submitted by the handling deadline in force (extensions and rework included) / tasks settled in the period: submitted in time then, or whose deadline passed then unanswered (returned, cancelled and reassigned tasks left out)',
  ),
  overdue: count(
    '超期件数: tasks that fell overdue during the period for the first time on the department’s deadlines (sign-for or handling; a review deadline is the reviewing lead department’s)',
  ),
  yellowCards: count('黄牌: yellow cards fired during the period on deadlines the department had to meet'),
  redCards: count('红牌: red cards fired during the period, likewise'),
  escalations: count('提请上级督办: escalations to the higher authority (the ladder’s last rung) during the period, likewise'),
  returns: z
    .object({
      total: count('退回: returns the department made during the period (ending the task, or kept working through a jurisdiction dispute)'),
      upheld: count('退回成立: disputes over its returns decided during the period for another department'),
      designatedBack: count('指定回办: disputes over its returns decided during the period for the department itself'),
    })
    .describe('退回 (returns) and how disputes over them were decided'),
  extensions: z
    .object({
      requested: count('申请延期: extension requests made during the period'),
      approved: count('批准延期: extensions approved during the period'),
    })
    .describe('延期 (extensions) on the department’s tasks'),
  disputes: count('管辖争议: jurisdiction disputes opened during the period with the department as a party (the county’s: each dispute once)'),
  supervisionOrders: z
    .object({
      issued: count('督办单: supervision orders addressed to the department during the period'),
      answeredOnTime: rateSchema.describe('按期答复率: supervision orders answered by their deadline / those settled in the period (as closedOnTime)'),
    })
    .describe('督办单 (supervision orders)'),
  clues: clueFiguresSchema
    .nullable()
    .describe('The clue figures (GET /v1/reports/clues) of the department or the county; null where it has none in the period'),
});
export type EvaluationFigures = z.infer<typeof evaluationFiguresSchema>;

export const evaluationReportSchema = z.object({
  county: z.string(),
  countyName: z.string(),
  from: z.string().describe('First day, Asia/Shanghai'),
  to: z.string().describe('Last day, inclusive'),
  asOf: z.string().describe('When the figures were read: what is still open is judged as of then'),
  total: evaluationFiguresSchema.describe('The county: the sum of its departments’ (disputes: each once)'),
  departments: z
    .array(evaluationFiguresSchema.extend({ department: z.string(), departmentName: z.string() }))
    .describe('Every department with a figure in the period, by code'),
  overdueByWeek: z
    .array(
      z.object({
        from: z.string().describe('Monday, or the period’s first day'),
        to: z.string().describe('Sunday, or the period’s last day'),
        overdue: z.number().int().describe('The county’s `overdue` that fell in these days'),
      }),
    )
    .describe('The county’s overdue tasks per week (Monday to Sunday, Asia/Shanghai, cut at the period’s ends): they add up to `total.overdue`'),
});
export type EvaluationReport = z.infer<typeof evaluationReportSchema>;

function figuresOf(c: EvaluationCounts, clues: ClueCounts | undefined, o: { county: boolean }): EvaluationFigures {
  return {
    assigned: c.assigned,
    signedOnTime: rate(c.signedInTime, c.signDue),
    closedOnTime: rate(c.closedInTime, c.closeDue),
    overdue: c.overdue,
    yellowCards: c.yellowCards,
    redCards: c.redCards,
    escalations: c.escalations,
    returns: { total: c.returns, upheld: c.returnsUpheld, designatedBack: c.returnsDesignatedBack },
    extensions: { requested: c.extensionsRequested, approved: c.extensionsApproved },
    disputes: c.disputes,
    supervisionOrders: { issued: c.ordersIssued, answeredOnTime: rate(c.ordersAnsweredInTime, c.ordersDue) },
    clues: clues ? clueFigures(clues, o) : null,
  };
}

const dayMs = 86_400_000;
const dateMs = (d: string) => Date.parse(`${d}T00:00:00Z`);
const dateOf = (ms: number) => new Date(ms).toISOString().slice(0, 10);

/** The weeks (Monday to Sunday) of `from`…`to`, the first and last cut at the period's ends. */
export function weeksOf(from: string, to: string): { from: string; to: string }[] {
  const weeks: { from: string; to: string }[] = [];
  const end = dateMs(to);
  for (let start = dateMs(from); start <= end;) {
    const monday0 = (new Date(start).getUTCDay() + 6) % 7;
    const last = Math.min(start + (6 - monday0) * dayMs, end);
    weeks.push({ from: dateOf(start), to: dateOf(last) });
    start = last + dayMs;
  }
  return weeks;
}

/** The longest period a report covers: a year (the weekly series stays a page). */
const maxDays = 366;

const querystring = reportPeriodQuery({ county: reportCountySchema }).refine(
  (q) => q.from === undefined || q.to === undefined || (dateMs(q.to) - dateMs(q.from)) / dayMs < maxDays,
  { message: `at most ${maxDays} days`, path: ['to'], when: (payload) => payload.issues.length === 0 },
);

/** The CSV's columns (Chinese, as the county's staff read them in a spreadsheet), in order. */
const csvColumns: [string, (f: EvaluationFigures & { code: string; name: string }) => unknown][] = [
  ['单位代码', (f) => f.code],
  ['单位名称', (f) => f.name],
  ['交办任务数', (f) => f.assigned],
  ['按时签收率', (f) => f.signedOnTime.rate],
  ['按时签收数', (f) => f.signedOnTime.numerator],
  ['应签收数', (f) => f.signedOnTime.denominator],
  ['按期办结率', (f) => f.closedOnTime.rate],
  ['按期办结数', (f) => f.closedOnTime.numerator],
  ['应办结数', (f) => f.closedOnTime.denominator],
  ['超期件数', (f) => f.overdue],
  ['黄牌数', (f) => f.yellowCards],
  ['红牌数', (f) => f.redCards],
  ['提请上级督办数', (f) => f.escalations],
  ['退回数', (f) => f.returns.total],
  ['退回成立数', (f) => f.returns.upheld],
  ['指定回办数', (f) => f.returns.designatedBack],
  ['申请延期数', (f) => f.extensions.requested],
  ['批准延期数', (f) => f.extensions.approved],
  ['管辖争议数', (f) => f.disputes],
  ['督办单数', (f) => f.supervisionOrders.issued],
  ['督办单按期答复率', (f) => f.supervisionOrders.answeredOnTime.rate],
  ['按期答复数', (f) => f.supervisionOrders.answeredOnTime.numerator],
  ['应答复数', (f) => f.supervisionOrders.answeredOnTime.denominator],
  ['线索受理量', (f) => f.clues?.received],
  ['线索响应率', (f) => f.clues?.responseRate.rate],
  ['线索按期办结率', (f) => f.clues?.onTimeRate.rate],
  ['线索解决率', (f) => f.clues?.resolutionRate.rate],
  ['线索满意率', (f) => f.clues?.satisfactionRate.rate],
  ['线索重复率', (f) => f.clues?.repeatRate.rate],
  ['预警闭环率', (f) => f.clues?.riskWarnings.closureRate.rate],
];

const description = `Per department and for the county, over whole days \`from\`…\`to\` (Asia/Shanghai, inclusive; default the current month, either end alone: its month; at most ${maxDays} days). Every department task of the county counts: a matter's steps, standalone tasks, supervision orders, clue and risk-warning tasks, a criminal transfer's steps.

- **assigned** (交办任务数): tasks assigned to the department in the period.
- **signedOnTime** (按时签收率): of the tasks assigned in the period whose sign-for is settled (signed for, returned unsigned, or unsigned when the sign-for deadline passed, before the task ended or by now), those signed for (or returned) by that deadline. A task that ended unsigned before its deadline is not counted.
- **closedOnTime** (按期办结率): tasks submitted (办结 by the department; the lead's review has its own clock) by their handling deadline in force, extensions and rework included, among those settled in the period: submitted in time during it, or whose deadline passed during it unanswered or answered late. Each task is counted in one period only. Returned, cancelled and reassigned tasks are left out.
- **overdue** (超期件数): tasks that fell overdue during the period for the first time on the department's deadlines: the first \`overdue\` entry of the task's timeline on a sign-for or handling deadline (the task's department), or on a review deadline (the lead department that reviews it; a review by the supervisors is no department's). A task counts once per side, in the period it first fell overdue.
- **yellowCards**, **redCards**, **escalations** (黄牌, 红牌, 提请上级督办): the supervision ladder's rungs fired during the period, each the department's that had to meet the deadline it fired for (as for overdue).
- **returns** (退回): returns made during the period (ending the task, or kept working through a jurisdiction dispute, 原职责划分); **upheld** (退回成立) and **designatedBack** (指定回办): disputes over the department's returns decided during the period for another department, or for the department itself.
- **extensions** (延期): requests made and approvals given during the period on the department's tasks.
- **disputes** (管辖争议): jurisdiction disputes opened during the period with the department as a party; the county's counts each dispute once.
- **supervisionOrders** (督办单): orders addressed to the department during the period; answered on time as closedOnTime.
- **clues**: the clue figures of GET /v1/reports/clues (响应率, 按期办结率, 解决率, 满意率, 重复率, 退单, risk warnings' 闭环率), null where there are none.
- **overdueByWeek**: the county's overdue per week (Monday to Sunday, cut at the period's ends); they add up to total.overdue.

The county's row is the sum of its departments' (disputes: each once). Rates are fractions with their numerator and denominator; null when the denominator is 0. What is still open is judged as of \`asOf\`; the figures are read in one snapshot.

Who: supervisors and auditors of the county or its city. \`Accept: text/csv\`: the same as CSV (UTF-8 with a byte-order mark, the county's row first, then one per department). GET /v1/reports/evaluation.html: the printable page of the same figures.`;

export const evaluationRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    /** The report as JSON, read for the caller (403 when they may not read it). */
    async function reportFor(p: Principal, q: z.infer<typeof querystring>): Promise<EvaluationReport> {
      const { county } = q;
      if (!canReadEvaluationReport(p, county)) throw forbidden('只有本辖区的督办或审计人员可以查看考核报告');
      const nowMs = Date.now();
      const { from, to, range } = reportPeriod(q, nowMs);
      const counts = await evaluationReportCounts(deps.pool, { county, ...range, now: new Date(nowMs).toISOString() });
      const clueDepartments = new Map(counts.clues.departments.map(({ department, ...c }) => [department, c]));
      const anyClue = clueDepartments.size > 0 || Object.values(counts.clues.county).some((v) => v !== 0);
      const codes = [...new Set([...counts.departments.map((d) => d.department), ...clueDepartments.keys()])].sort();
      const taskCounts = new Map(counts.departments.map(({ department, ...c }) => [department, c]));
      const days = counts.overdueByDay;
      return {
        county,
        countyName: divisionName(county),
        from,
        to,
        asOf: toShanghaiIso(nowMs),
        total: figuresOf(counts.county, anyClue ? counts.clues.county : undefined, { county: true }),
        departments: codes.map((department) => ({
          department,
          departmentName: departmentName(department),
          ...figuresOf(taskCounts.get(department) ?? zeroEvaluationCounts(), clueDepartments.get(department), { county: false }),
        })),
        overdueByWeek: weeksOf(from, to).map((w) => ({
          ...w,
          overdue: days.filter((d) => d.day >= w.from && d.day <= w.to).reduce((n, d) => n + d.overdue, 0),
        })),
      };
    }

    app.get(
      '/reports/evaluation',
      {
        schema: {
          summary:
            'The county’s evaluation (考核) per department: tasks, on-time signing and closing, overdue, cards, returns, extensions, disputes, supervision orders, clues',
          description,
          tags: ['reports'],
          querystring,
          response: {
            200: {
              description: 'The report; with `Accept: text/csv`, the same as CSV',
              content: {
                'application/json': { schema: evaluationReportSchema },
                'text/csv': {
                  schema: z.string().describe('UTF-8 with a byte-order mark: a header of Chinese column names, the county’s row, one per department'),
                },
              },
            },
            ...errors,
          },
        },
      },
      async (req, reply) => {
        const report = await reportFor(req.principal, req.query);
        if (!wantsCsv(req.headers.accept)) return report;
        const rows = [
          { code: report.county, name: report.countyName, ...report.total },
          ...report.departments.map((d) => ({ ...d, code: d.department, name: d.departmentName })),
        ];
        const lines = [csvColumns.map(([h]) => h).join(','), ...rows.map((r) => csvColumns.map(([, get]) => csvField(get(r))).join(','))];
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="evaluation-report-${report.county}-${report.from}-${report.to}.csv"`)
          .send(`\uFEFF${lines.join('\r\n')}\r\n` as never);
      },
    );

    app.get(
      '/reports/evaluation.html',
      {
        schema: {
          summary: 'The evaluation report as a printable page for the county’s circular (通报): the table and two charts',
          description:
            'The figures of GET /v1/reports/evaluation (same query, same readers) as one self-contained HTML page: the table of every department and the county, a bar chart of each department’s 按期办结率 and one of the county’s overdue tasks per week. No script and no external asset (inline CSS and SVG; a Content-Security-Policy forbids loading anything); every text is escaped. Print it from the browser (A4 landscape).',
          tags: ['reports'],
          querystring,
          response: {
            200: { description: 'The page (UTF-8 HTML)', content: { 'text/html': { schema: z.string().describe('An HTML document') } } },
            ...errors,
          },
        },
      },
      async (req, reply) => {
        const report = await reportFor(req.principal, req.query);
        return reply
          .type('text/html; charset=utf-8')
          .header('content-security-policy', "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'")
          .header('x-content-type-options', 'nosniff')
          .send(renderEvaluationPage(report) as never);
      },
    );
  };
