/**
 * What a matter's inspections share: one joint visit (进一次门、查多项事), 立案 as the start of the
 * penalty clock, rectification with re-inspection.
 */
import { departmentName } from '../../domain/departments.js';
import { waitPeriod } from './clock.js';
import type { MatterRun } from './run.js';
import { outcome, task } from './step.js';

/**
 * 进一次门、查多项事: one visit in which each participating department records its own
 * checklist result (its own task, outcome codes of the catalogue). Returns outcome per role.
 */
export async function jointInspection<const C extends readonly string[]>(m: MatterRun, keys: string[], codes: C): Promise<Record<string, C[number]>> {
  const visit = `联合检查 ${m.info.workflowId.split(':').pop()}`;
  const results = await Promise.all(keys.map((k) => task(m, k, { note: visit })));
  const outcomes: Record<string, C[number]> = {};
  keys.forEach((k, i) => {
    outcomes[k] = outcome(results[i]!, codes);
  });
  await m.record('joint-inspection', `联合检查完成：${keys.map((k) => `${departmentName(m.department(m.def.tasks[k]!.role))} ${outcomes[k]}`).join('，')}`, {
    data: { outcomes },
  });
  return outcomes;
}

/**
 * 立案: a department opens an administrative case on what it found (the event the 90-day limit
 * of 行政处罚法 art. 60 counts from); recorded, and its instant answered for the penalty step.
 */
export async function caseFiled(m: MatterRun, department: string, what: string): Promise<number> {
  const atMs = Date.now();
  await m.record('case.filed', `${departmentName(department)}立案：${what}`, { data: { department, what } });
  return atMs;
}

/**
 * Rectification with re-inspection (整改 → 复查), looped up to `maxRectificationRounds`; then
 * enforcement. The notice sets the period (submission `rectifyWithinDays`, calendar days).
 */
export async function rectify(
  m: MatterRun,
  keys: { notice: string; reinspection: string; enforcement?: string },
  defaultDays: number,
): Promise<'rectified' | 'enforced' | 'not-rectified'> {
  const { def, view } = m;
  const rounds = def.settings.maxRectificationRounds;
  for (let round = 1; round <= rounds; round++) {
    await m.stage('rectification');
    const notice = await task(m, keys.notice, { note: `第${round}轮` });
    const days = notice.submission?.rectifyWithinDays ?? defaultDays;
    await waitPeriod(m, days, { round });
    if (view.stage !== 'reinspection' && def.stages.some((s) => s.key === 'reinspection')) await m.stage('reinspection');
    const check = outcome(await task(m, keys.reinspection, { note: `第${round}轮` }), ['rectified', 'not-rectified']);
    m.finding('rectificationRounds', round);
    if (check === 'rectified') return 'rectified';
  }
  if (!keys.enforcement) return 'not-rectified';
  await m.stage('enforcement');
  await task(m, keys.enforcement);
  return 'enforced';
}
