/**
 * What the planning season says, and to whom: a late lead department hears of its own items; the
 * audiences above a department (supervisors, the county government, the city) get one notice
 * naming every late department, so a red card is one message, not one per department.
 */
import { departmentName, divisionName } from '../../domain/departments.js';
import type { NotificationDraft, Recipient } from '../../domain/events.js';
import type { LeadCoverage } from '../../domain/planning-season.js';
import { rungNames, type Audience, type Rung } from '../../domain/task.js';

/** A season's wake-up: the opening reminder (1 March), a rung of the ladder, or a daily chase after the last rung. */
export type SeasonStep = 'opening' | Rung | 'daily-chase';

export const stepNames: Record<SeasonStep, string> = { opening: '计划提醒', 'daily-chase': '每日催办', ...rungNames };

/** The audience of a rung, for a season: its "task department" is each late lead; it has no lead above it (the supervisors stand in). */
function recipients(a: Audience, county: string, department: string): Recipient[] {
  switch (a) {
    case 'task-department':
      return [{ county, department }];
    case 'lead-department':
    case 'county-supervisors':
      return [{ county, role: 'supervisor' }];
    case 'county-government':
      return [{ county, department: 'county-government' }];
    case 'higher-authority':
      return [{ county: `${county.slice(0, 4)}00`, role: 'supervisor' }];
  }
}

/** The notices of one step to the late leads (`late`: each with missing items). */
export function seasonNotices(o: {
  county: string;
  year: number;
  dueOn: string;
  step: SeasonStep;
  notify: Audience[];
  late: LeadCoverage[];
}): NotificationDraft[] {
  const { county, year, step, late } = o;
  const kind = `planning.${step}`;
  const overdue = step !== 'opening' && step !== 'reminder';
  const drafts: NotificationDraft[] = [];
  if (o.notify.includes('task-department')) {
    for (const c of late) {
      drafts.push({
        kind,
        title: `${stepNames[step]}：${year} 年度检查计划`,
        body: overdue
          ? `${departmentName(c.department)}牵头的已公开监管事项 ${c.missing.join('、')} 尚无 ${year} 年度检查计划，报送期限 ${o.dueOn} 已过，请立即制定并报送。`
          : `${departmentName(c.department)}牵头的已公开监管事项 ${c.missing.join('、')} 尚无 ${year} 年度检查计划，请于 ${o.dueOn} 前制定并报送（POST /v1/plans）。`,
        recipients: recipients('task-department', county, c.department),
      });
    }
  }
  const above = o.notify.filter((a) => a !== 'task-department');
  if (above.length > 0) {
    const names = late.map((c) => `${departmentName(c.department)}（${c.missing.join('、')}）`).join('；');
    drafts.push({
      kind,
      title: `${stepNames[step]}：${divisionName(county)} ${year} 年度检查计划逾期`,
      body: `以下牵头单位的已公开监管事项尚无 ${year} 年度检查计划，报送期限 ${o.dueOn} 已过：${names}。`,
      recipients: above.flatMap((a) => recipients(a, county, '')),
    });
  }
  return drafts;
}
