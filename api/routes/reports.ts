/**
 * 考核报告: the figures a county's departments are judged by on the 12345 loop (issue 13 §4,
 * DOMAIN §6, the Beijing 接诉即办 model) and the risk warnings' closure. The counts are read in
 * db/clue-reports.ts (where each is defined exactly); here they become rates, JSON or CSV.
 */
import type { FastifyPluginAsyncZod } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { clueReportCounts, type ClueCounts } from '../../db/clue-reports.js';
import { canReadClueReport } from '../../db/visibility.js';
import { toShanghaiIso } from '../../domain/calendar/index.js';
import { countySchema, departmentName, divisionLevel, divisionName } from '../../domain/departments.js';
import type { AppDeps } from '../app.js';
import { forbidden } from '../errors.js';
import { csvField, errorResponses, reportPeriod, reportPeriodQuery, wantsCsv } from '../plumbing.js';

const errors = errorResponses(400, 401, 403, 503);

/** The county a report is about: a city's supervisors name one of its counties. */
export const reportCountySchema = countySchema
  .refine((c) => divisionLevel(c) === 'county', 'expected a county: a city names one of its counties')
  .describe('The county (a city’s supervisors name one of its counties)');

export const rateSchema = z.object({
  numerator: z.number().int(),
  denominator: z.number().int(),
  rate: z.number().nullable().describe('numerator / denominator, a fraction (0.8 = 80%); null when the denominator is 0'),
});
export type Rate = z.infer<typeof rateSchema>;
export const rate = (numerator: number, denominator: number): Rate => ({ numerator, denominator, rate: denominator ? numerator / denominator : null });

export const clueFiguresSchema = z.object({
  received: z
    .number()
    .int()
    .describe('受理量. County: clues taken in during the period, merged repeats included. Department: clues dispatched to it (lead or co-handler), each once'),
  repeats: z.number().int().describe('重复件: merged repeats (并单) taken in; a department’s: those joining a clue it leads'),
  returns: z.number().int().describe('退单: clue tasks returned during the period'),
  redispatches: z.number().int().describe('重新派单: dispatches after a clue’s first; a department’s: those sending a clue to it as lead'),
  responseRate: rateSchema.describe(
    '响应率: tasks signed for (or returned) by the sign-for deadline / tasks assigned in the period whose sign-for is settled (signed, returned, or unsigned past the deadline)',
  ),
  onTimeRate: rateSchema.describe(
    '按期办结率: tasks answered by their handling deadline in force (extensions included) / tasks settled in the period: answered in time then, or whose deadline passed then unanswered (returned, cancelled and reassigned tasks left out)',
  ),
  resolutionRate: rateSchema.describe('解决率: (satisfied + basically satisfied) / clues whose latest visit-back was in the period'),
  satisfactionRate: rateSchema.describe('满意率: satisfied / clues whose latest visit-back was in the period'),
  repeatRate: rateSchema.describe('重复率: repeats / received (a department: repeats / (received + repeats))'),
  riskWarnings: z
    .object({
      closureRate: rateSchema.describe('闭环率: warnings closed with the issuer’s feedback / warnings pushed in the period (withdrawn ones left out)'),
      meanHoursToFeedback: z.number().nullable().describe('Mean hours from the push to the feedback, of those closed (2 decimals); null when none is'),
      totalHoursToFeedback: z.number().describe('Their sum, hours (2 decimals)'),
    })
    .describe('Risk warnings (风险预警) pushed in the period; a department’s: those pushed to it'),
});
export type ClueFigures = z.infer<typeof clueFiguresSchema>;

const reportSchema = z.object({
  county: z.string(),
  countyName: z.string(),
  from: z.string().describe('First day, Asia/Shanghai'),
  to: z.string().describe('Last day, inclusive'),
  asOf: z.string().describe('When the figures were read: what is still open is judged as of then'),
  total: clueFiguresSchema.describe('The county'),
  departments: z.array(clueFiguresSchema.extend({ department: z.string(), departmentName: z.string() })).describe('Every department with a figure, by code'),
});

const hours = (h: number) => Math.round(h * 100) / 100;

/** The clue figures of a county (`county: true`) or of one of its departments, from their counts. */
export function clueFigures(c: ClueCounts, o: { county: boolean }): ClueFigures {
  return {
    received: c.received,
    repeats: c.repeats,
    returns: c.returns,
    redispatches: c.redispatches,
    responseRate: rate(c.signedInTime, c.signDue),
    onTimeRate: rate(c.closedInTime, c.closeDue),
    resolutionRate: rate(c.satisfied + c.basically, c.visited),
    satisfactionRate: rate(c.satisfied, c.visited),
    // A repeat creates no department work: a department's calls about its clues are both.
    repeatRate: rate(c.repeats, o.county ? c.received : c.received + c.repeats),
    riskWarnings: {
      closureRate: rate(c.warningsFedBack, c.warningsIssued),
      meanHoursToFeedback: c.warningsFedBack ? hours(c.feedbackHours / c.warningsFedBack) : null,
      totalHoursToFeedback: hours(c.feedbackHours),
    },
  };
}

/** The CSV's columns (Chinese, as the county's staff read them in a spreadsheet), in order. */
const csvColumns: [string, (f: ClueFigures & { code: string; name: string }) => unknown][] = [
  ['单位代码', (f) => f.code],
  ['单位名称', (f) => f.name],
  ['受理量', (f) => f.received],
  ['响应率', (f) => f.responseRate.rate],
  ['按时签收数', (f) => f.responseRate.numerator],
  ['应签收数', (f) => f.responseRate.denominator],
  ['按期办结率', (f) => f.onTimeRate.rate],
  ['按期办结数', (f) => f.onTimeRate.numerator],
  ['应办结数', (f) => f.onTimeRate.denominator],
  ['解决率', (f) => f.resolutionRate.rate],
  ['已解决数', (f) => f.resolutionRate.numerator],
  ['满意率', (f) => f.satisfactionRate.rate],
  ['满意数', (f) => f.satisfactionRate.numerator],
  ['回访数', (f) => f.satisfactionRate.denominator],
  ['重复率', (f) => f.repeatRate.rate],
  ['重复件数', (f) => f.repeatRate.numerator],
  ['含重复件受理量', (f) => f.repeatRate.denominator],
  ['退单数', (f) => f.returns],
  ['重新派单数', (f) => f.redispatches],
  ['预警闭环率', (f) => f.riskWarnings.closureRate.rate],
  ['反馈闭环数', (f) => f.riskWarnings.closureRate.numerator],
  ['预警数', (f) => f.riskWarnings.closureRate.denominator],
  ['平均反馈时长（小时）', (f) => f.riskWarnings.meanHoursToFeedback],
];

const description = `Per department and for the county, over whole days \`from\`…\`to\` (Asia/Shanghai, inclusive; default the current month, either end alone: its month).

- **received** (受理量): the county's clues taken in during the period, merged repeats included; a department's, the clues dispatched to it (lead or co-handler) in the period, each once (a repeat creates no department work).
- **responseRate** (响应率): the department's clue tasks assigned in the period whose sign-for is settled (signed for, returned unsigned, or unsigned when the sign-for deadline passed, before the task ended or by now); in time: signed for, or returned, by that deadline. A task that ended unsigned before its deadline is not counted.
- **onTimeRate** (按期办结率): clue tasks answered (submitted) by their handling deadline in force, extensions included, among those settled in the period: answered in time during it, or whose deadline passed during it unanswered or answered late. Each task is counted in one period only. Returned, cancelled and reassigned tasks are left out (returns are counted apart).
- **resolutionRate** (解决率) and **satisfactionRate** (满意率): the visit-back records only the complainant's satisfaction, so a clue counts as resolved when it was satisfied or basically satisfied (满意 + 基本满意) and as satisfied only when satisfied (满意), each over the clues whose latest visit-back was in the period (a clue handled again counts once, by its last judgement), attributed to the department that answered.
- **repeatRate** (重复率): repeats / received; a department's: repeats joining the clues it leads / (its received + those repeats).
- **returns** (退单), **redispatches** (重新派单: a dispatch after the clue's first).
- **riskWarnings**: warnings pushed in the period (withdrawn ones left out): 闭环率 = closed with the issuer's feedback / pushed, and the mean hours from push to feedback of those closed; a department's: the warnings pushed to it.

Rates are fractions with their numerator and denominator; null when the denominator is 0. What is still open is judged as of \`asOf\`.

Who: supervisors and auditors of the county or its city, and the county's 12345 office (gov-services). \`Accept: text/csv\`: the same as CSV (UTF-8 with a byte-order mark, so spreadsheets read the Chinese header; the county's row first, then one per department).`;

export const reportRoutes =
  (deps: AppDeps): FastifyPluginAsyncZod =>
  async (app) => {
    app.get(
      '/reports/clues',
      {
        schema: {
          summary: 'The county’s clue figures (接诉即办 evaluation): 响应率, 按期办结率, 解决率, 满意率, repeats, returns; risk warnings’ 闭环率',
          description,
          tags: ['reports'],
          querystring: reportPeriodQuery({ county: reportCountySchema }),
          response: { 200: reportSchema, ...errors },
        },
      },
      async (req, reply) => {
        const { county } = req.query;
        if (!canReadClueReport(req.principal, county)) throw forbidden('只有本辖区的督办、审计人员或本县12345热线办可以查看线索考核报告');
        const nowMs = Date.now();
        const { from, to, range } = reportPeriod(req.query, nowMs);
        const counts = await clueReportCounts(deps.pool, { county, ...range, now: new Date(nowMs).toISOString() });
        const report = {
          county,
          countyName: divisionName(county),
          from,
          to,
          asOf: toShanghaiIso(nowMs),
          total: clueFigures(counts.county, { county: true }),
          departments: counts.departments.map(({ department, ...c }) => ({
            department,
            departmentName: departmentName(department),
            ...clueFigures(c, { county: false }),
          })),
        };
        if (!wantsCsv(req.headers.accept)) return report;
        const rows = [
          { code: county, name: report.countyName, ...report.total },
          ...report.departments.map((d) => ({ ...d, code: d.department, name: d.departmentName })),
        ];
        const lines = [csvColumns.map(([h]) => h).join(','), ...rows.map((r) => csvColumns.map(([, get]) => csvField(get(r))).join(','))];
        return reply
          .type('text/csv; charset=utf-8')
          .header('content-disposition', `attachment; filename="clue-report-${county}-${from}-${to}.csv"`)
          .send(`\uFEFF${lines.join('\r\n')}\r\n` as never);
      },
    );
  };
