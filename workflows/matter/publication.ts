/**
 * 一公开 (DOMAIN §9): the check's result public within `publishWithin` of the end of the check,
 * by the lead or else by the system, in versions; penalty decisions published by who decided
 * them; complaint handling withheld. No personal data: an organisation is named with its credit
 * code, anyone else never.
 */
import { CancellationScope, patched } from '@temporalio/workflow';
import { departmentName, divisionName } from '../../domain/departments.js';
import { penaltyResultId, publicResultId } from '../../domain/ids.js';
import { writes } from '../activities.js';
import { dueOf, expiring } from './clock.js';
import { PATCH, type MatterOutcome, type StepResult } from './messages.js';
import { now, type MatterRun } from './run.js';
import { task } from './step.js';

const { publishResult } = writes;

/**
 * The lead publishes within `publishWithin` of `fromMs` (the end of the check); at that deadline
 * the step expires and the system publishes. Either way the public reads the result known then.
 */
async function publicationStep(m: MatterRun, fromMs: number) {
  const spec = m.def.tasks.publication!;
  const rule = m.def.settings.publishWithin;
  const step = await expiring(
    m,
    'publication',
    { ...spec, limits: { ...spec.limits, handle: { ...rule, startsFrom: 'previous-step' } } },
    m.department(spec.role),
    'published-by-system',
    undefined,
    fromMs,
  );
  const known = m.finalResult ?? m.checkEnd?.interim;
  if (!known) return;
  await CancellationScope.nonCancellable(() => publishVersion(m, known, step.submission?.outcome === 'published-by-system' ? 'system' : 'lead'));
}

/** An organisation is named with its credit code; anyone else never (DOMAIN §9). */
function subjectLabel(m: MatterRun) {
  const s = m.input.subject;
  return s.kind === 'enterprise' && s.creditCode ? `${s.name}（${s.creditCode}）` : `${m.def.name.zh}对象（${divisionName(m.input.county)}）`;
}

/** Which result of which matter is published, and whom it names. */
function aboutMatter(m: MatterRun, resultId: string, subjectLabel: string) {
  return { resultId, matterId: m.info.workflowId, county: m.input.county, scenario: m.def.id, subjectLabel };
}

/** Publishes the next version of the matter's result, and records who published it. */
async function publishVersion(m: MatterRun, outcome: { code: string; summary: string }, by: 'lead' | 'system') {
  const { input, def, info, view } = m;
  const resultId = publicResultId(info.workflowId);
  const version = (view.published?.version ?? 0) + 1;
  const at = now();
  await publishResult({
    ...aboutMatter(m, resultId, subjectLabel(m)),
    // Who checked: a reply to the complainant (`reply.*`) is no inspection.
    resultCode: outcome.code,
    summary: outcome.summary,
    inspectedBy: [...new Set(view.tasks.filter((t) => !t.key.startsWith('reply.')).map((t) => t.department))],
    publishedAt: at,
    kind: 'inspection',
    version,
    publishedBy: by,
  });
  view.published = { at, resultId, version, by };
  m.lastShown = { code: outcome.code, summary: outcome.summary };
  const type = version > 1 ? 'published.updated' : by === 'system' ? 'published.by-system' : 'published';
  const words = version > 1 ? '公开结果已更新为最终结果' : by === 'system' ? '公开期限届满牵头部门未公开，系统已按标准结果公开' : '结果已公开';
  await m.record(type, `${words}：${outcome.summary}`, { data: { resultId, code: outcome.code, version, by } });
}

/** Publication before the `publication-clock` patch: the lead's task, then the result (replay only). */
async function publishBefore(m: MatterRun, outcome: MatterOutcome) {
  const { input, def, info, view } = m;
  await m.stage('publication');
  view.result = outcome;
  await task(m, 'publication');
  const s = input.subject;
  const label = s.creditCode ? `${s.name}（${s.creditCode}）` : `${def.name.zh}对象（${divisionName(input.county)}）`;
  const resultId = publicResultId(info.workflowId);
  const at = now();
  await publishResult({
    ...aboutMatter(m, resultId, label),
    resultCode: outcome.code,
    summary: outcome.summary,
    inspectedBy: [...new Set(view.tasks.map((t) => t.department))],
    publishedAt: at,
  });
  view.published = { at, resultId };
  await m.record('published', `结果已公开：${outcome.summary}`, { data: { resultId, code: outcome.code } });
}

/**
 * The check is over (DOMAIN §9): its result must be public within `publishWithin` (20 working
 * days) of now, whatever the rest of the matter takes. The lead's publication task starts now
 * with that deadline, alongside the rest of the matter; when the lead publishes, the public
 * reads the result known then (`interim`, or the final one if the matter got there first); if
 * the lead has not by the deadline, the system publishes it and the record says so. The final
 * outcome later replaces an interim one as a new version.
 */
export async function checkEnded(m: MatterRun, interim: MatterOutcome) {
  if (!patched(PATCH.publicationClock)) return;
  const atMs = Date.now();
  const rule = m.def.settings.publishWithin;
  const due = await dueOf('公开', atMs, rule);
  m.checkEnd = { atMs, interim };
  await m.record('check.ended', `检查结束，结果须于 ${due.dueAt} 前公开`, { data: { dueAt: due.dueAt, interim: interim.code } });
  const publication = m.scope.run(() => publicationStep(m, atMs));
  m.publication = publication;
  m.track(publication);
  void publication.catch(() => undefined);
}

/**
 * A penalty decision is public within 20 working days of the decision (市场监督管理行政处罚信息公示规定
 * art. 9–11): the deciding department's submission is published with it, one result each
 * (谁处罚、谁公开), naming an organisation only.
 */
export async function penaltyDecided(m: MatterRun, step: StepResult, title: string) {
  if (!patched(PATCH.publicationClock) || step.state !== 'completed') return;
  const { input, def, info, view } = m;
  const resultId = penaltyResultId(info.workflowId, (view.penaltiesPublished?.length ?? 0) + 1);
  const at = now();
  const summary = `${departmentName(step.department)}依法作出行政处罚决定（${title}）`;
  await publishResult({
    ...aboutMatter(m, resultId, subjectLabel(m)),
    resultCode: 'penalty-decided',
    summary,
    inspectedBy: [step.department],
    publishedAt: at,
    kind: 'penalty',
    version: 1,
    publishedBy: 'lead',
  });
  view.penaltiesPublished = [...(view.penaltiesPublished ?? []), { resultId, department: step.department, at }];
  await m.record('published.penalty', `处罚决定已公开：${summary}`, { data: { resultId, department: step.department } });
}

/**
 * 一公开: the lead publishes the result within 20 working days of the end of the check (of now
 * when the scenario marked none); if it has not by then, the system publishes the standard
 * result and the record says so. A result the system already published at the check's
 * deadline is replaced by the final one (a new version). Complaint handling and mediation are
 * not published (`withheld`); `public` is the wording when the matter's own differs (a
 * transfer whose investigation is open is not published).
 */
export async function publish(m: MatterRun, outcome: MatterOutcome) {
  if (!patched(PATCH.publicationClock)) return publishBefore(m, outcome);
  const view = m.view;
  view.result = outcome;
  if (outcome.withheld) {
    view.withheld = { reason: outcome.withheld, at: now() };
    await m.record('publication.withheld', `不予公开：${outcome.withheld}`, { data: { code: outcome.code, reason: outcome.withheld } });
    return;
  }
  await m.stage('publication');
  const shown = outcome.public ?? outcome;
  m.finalResult = shown;
  // The check's publication (started when the check ended, or now when none was marked).
  await (m.publication ??= publicationStep(m, Date.now()));
  // Published earlier with the interim result: the final one replaces it.
  if (m.lastShown && (m.lastShown.code !== shown.code || m.lastShown.summary !== shown.summary)) await publishVersion(m, shown, 'system');
}
