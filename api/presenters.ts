import type { AuditRow } from '../db/events.js';
import type { PublishedResult, ResultVersion } from '../db/matters.js';
import type { Erasure } from '../db/subjects.js';
import type { AuditEntryView } from '../domain/records.js';
import { toShanghaiIso } from '../domain/calendar/index.js';
import { departmentName, divisionName } from '../domain/departments.js';
import type { ApprovalView } from '../domain/approval.js';
import { maskName, maskPhone, type ClueView } from '../domain/clue.js';
import type { RiskWarningView } from '../domain/risk-warning.js';
import type { DisputeView } from '../domain/dispute.js';
import { toUrlId } from '../domain/ids.js';
import type { MatterView } from '../domain/matter.js';
import { catalogue } from '../domain/scenarios/catalogue.js';
import type { ResolvedScenario } from '../domain/scenarios/schema.js';
import { taskStateNames, type TaskView } from '../domain/task.js';
import type { TransferView } from '../domain/transfer.js';

/**
 * Every presenter (issue 8 §3): how a domain view becomes the API's shape (URL ids, display names,
 * times in +08:00), in one module so routes never import each other for it.
 */

/** A task: the workflow's view plus URL id and display names. */
export function presentTask(v: TaskView) {
  return {
    ...v,
    taskId: toUrlId(v.taskId),
    workflowId: v.taskId,
    departmentName: departmentName(v.department),
    stateName: taskStateNames[v.state],
  };
}

/** A matter, as GET /v1/matters/{matterId} begins. */
export function presentMatter(v: MatterView) {
  return {
    matterId: toUrlId(v.matterId),
    workflowId: v.matterId,
    county: v.county,
    countyName: divisionName(v.county),
    scenario: v.scenario,
    scenarioName: v.scenarioName,
    definitionVersion: v.definitionVersion,
    leadDepartment: v.leadDepartment,
    leadDepartmentName: departmentName(v.leadDepartment),
    subject: v.subject,
    facts: v.facts,
    status: v.status,
    stage: v.stage,
    stageName: v.stageName,
    createdAt: v.createdAt,
    ...(v.closedAt ? { closedAt: v.closedAt } : {}),
    findings: v.findings,
    ...(v.result ? { result: v.result } : {}),
    ...(v.published ? { published: v.published } : {}),
    ...(v.cancelled ? { cancelled: v.cancelled } : {}),
    ...(v.clueId ? { clueId: toUrlId(v.clueId) } : {}),
  };
}

/** A matter in a list: no facts, and of its subject only the kind. */
export function presentMatterSummary(v: MatterView) {
  const { facts: _f, subject, ...rest } = presentMatter(v);
  return { ...rest, subjectKind: subject.kind };
}

/** A jurisdiction dispute, its parties with their names. */
export function presentDispute(v: DisputeView) {
  const { lastEventSeq: _seq, parties, ...rest } = v;
  return {
    ...rest,
    disputeId: toUrlId(v.disputeId),
    workflowId: v.disputeId,
    ...(v.matterId ? { matterId: toUrlId(v.matterId) } : {}),
    parties: parties.map((d) => ({ department: d, name: departmentName(d) })),
  };
}

/** A criminal transfer, the agency and the police with their names. */
export function presentTransfer(v: TransferView) {
  const { lastEventSeq: _seq, agency, police, ...rest } = v;
  return {
    ...rest,
    transferId: toUrlId(v.transferId),
    workflowId: v.transferId,
    matterId: toUrlId(v.matterId),
    agency: { department: agency, name: departmentName(agency) },
    police: { department: police, name: departmentName(police) },
    tasks: v.tasks.map((t) => ({ ...t, taskId: toUrlId(t.taskId) })),
  };
}

/** An audit entry: its actor out of the hashed details, its times in +08:00. */
export function presentAuditEntry(r: AuditRow & { erased: string[] }): AuditEntryView {
  const a = r.details.actor as { principalId?: unknown; name?: unknown } | undefined;
  const actor = a && typeof a.principalId === 'string' ? { principalId: a.principalId, name: typeof a.name === 'string' ? a.name : null } : null;
  return { ...r, actor, at: toShanghaiIso(Date.parse(r.at)), recordedAt: toShanghaiIso(Date.parse(r.recordedAt)) };
}

/** A published result as the public list shows it (no personal data). */
export function presentPublicResult(r: PublishedResult) {
  return {
    resultId: r.resultId,
    county: r.county,
    countyName: divisionName(r.county),
    scenario: r.scenario as keyof typeof catalogue | 'joint-inspection',
    scenarioName: r.scenario === 'joint-inspection' ? '双随机联合检查' : (catalogue[r.scenario as keyof typeof catalogue]?.name.zh ?? r.scenario),
    subject: r.subjectLabel,
    resultCode: r.resultCode,
    summary: r.summary,
    inspectedBy: r.inspectedBy.map(departmentName),
    publishedAt: toShanghaiIso(Date.parse(r.publishedAt)),
    kind: r.kind,
    version: r.version,
    ...(r.updatedAt ? { updatedAt: toShanghaiIso(Date.parse(r.updatedAt)) } : {}),
  };
}

/** The record behind a published result: its current version and every version. */
export function presentResultRecord(r: PublishedResult, versions: ResultVersion[]) {
  return {
    resultId: r.resultId.replaceAll('/', '~'),
    kind: r.kind,
    current: { version: r.version, resultCode: r.resultCode, summary: r.summary, withdrawn: r.withdrawnAt !== undefined },
    versions: versions.map((v) => ({ ...v, at: toShanghaiIso(Date.parse(v.at)) })),
  };
}

/** A subject's erasure, its matters by URL id. */
export const presentErasure = (e: Erasure) => ({ ...e, matters: e.matters.map(toUrlId) });

/** A scenario as it applies in a county, in a list. */
export function presentScenarioSummary(r: ResolvedScenario) {
  return {
    id: r.id,
    version: r.version,
    name: r.name,
    leadDepartment: r.roles.lead!,
    leadDepartmentName: departmentName(r.roles.lead!),
    countyOverrideVersion: r.countyOverrideVersion,
  };
}

/** A scenario as it applies in a county, with its roles, stages, tasks, ladder and guide. */
export function presentScenario(r: ResolvedScenario) {
  return {
    ...presentScenarioSummary(r),
    legalBases: r.legalBases,
    roles: Object.entries(r.roles).map(([role, department]) => ({
      role,
      roleName: r.roleNames[role] ?? role,
      department: role === 'locality' ? 'township:<乡镇代码>' : department,
      departmentName: role === 'locality' ? '属地乡镇（按事项所在地）' : departmentName(department),
    })),
    stages: r.stages,
    tasks: Object.entries(r.tasks).map(([key, t]) => ({ key, ...t })),
    ladder: r.ladder,
    settings: r.settings,
    guide: r.guide,
  };
}

/** A clue's complainant: whole to the 12345 office, masked to anyone else; the flags alone when no contact was kept. */
function presentComplainant(
  flags: { anonymous: boolean; wantsReply: boolean },
  contact: { name?: string | undefined; phone?: string | undefined } | undefined,
  whole: boolean,
) {
  const name = contact?.name;
  const phone = contact?.phone;
  return {
    anonymous: flags.anonymous,
    wantsReply: flags.wantsReply,
    ...(name ? { name: whole ? name : maskName(name) } : {}),
    ...(phone ? { phone: whole ? phone : maskPhone(phone) } : {}),
    masked: !whole,
  };
}

/** A clue: URL ids, the lead department's name, the complainant as the caller may see them. */
export function presentClue(
  v: ClueView,
  o: { mergedInto?: string | null | undefined; contact?: { name?: string | undefined; phone?: string | undefined } | undefined; whole?: boolean } = {},
) {
  const { lastEventSeq: _seq, complainant, ...rest } = v;
  return {
    ...rest,
    clueId: toUrlId(v.clueId),
    workflowId: v.clueId,
    ...(v.department ? { departmentName: departmentName(v.department) } : {}),
    tasks: v.tasks.map((t) => ({ ...t, taskId: toUrlId(t.taskId) })),
    ...(v.matter ? { matter: { ...v.matter, matterId: toUrlId(v.matter.matterId) } } : {}),
    ...(o.mergedInto ? { mergedInto: toUrlId(o.mergedInto) } : {}),
    ...(complainant ? { complainant: presentComplainant(complainant, o.contact, o.whole ?? false) } : {}),
  };
}

/** A risk warning: URL ids, the departments named. */
export function presentRiskWarning(v: RiskWarningView) {
  const { lastEventSeq: _seq, ...rest } = v;
  const urlTask = <T extends { taskId: string }>(t: T) => ({ ...t, taskId: toUrlId(t.taskId) });
  return {
    ...rest,
    warningId: toUrlId(v.warningId),
    workflowId: v.warningId,
    departmentNames: v.departments.map(departmentName),
    tasks: v.tasks.map(urlTask),
    verifications: v.verifications.map(urlTask),
    disposals: v.disposals.map(urlTask),
  };
}

/** An approval follow-up: URL ids and the competent department's name. */
export function presentApproval(v: ApprovalView) {
  const { lastEventSeq: _seq, ...rest } = v;
  return {
    ...rest,
    followUpId: toUrlId(v.followUpId),
    workflowId: v.followUpId,
    departmentName: departmentName(v.department),
    tasks: v.tasks.map((t) => ({ ...t, taskId: toUrlId(t.taskId) })),
    ...(v.check ? { check: { ...v.check, taskId: toUrlId(v.check.taskId) } } : {}),
    ...(v.licenceIssue ? { licenceIssue: { ...v.licenceIssue, taskId: toUrlId(v.licenceIssue.taskId) } } : {}),
  };
}
