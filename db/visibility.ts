import { approvalBureau } from '../domain/approval.js';
import { divisionPrefix } from '../domain/departments.js';
import { isParty, type DisputeView } from '../domain/dispute.js';
import type { MatterView } from '../domain/matter.js';
import { coversCounty, hasRole, isTransferStep, taskScope, type Principal } from '../domain/principal.js';
import type { TransferView } from '../domain/transfer.js';
import { divisionCondition, type Where } from './sql.js';

/**
 * Every object-level visibility rule (ARCHITECTURE §7), in one place: the check on one object the
 * API has loaded, and, for a listing, the same rule as SQL, applied before paging so a page never
 * comes back short while a cursor is set. The API answers 404 for what a caller may not see.
 */

/** Prefix of county codes the principal may see: a county sees itself, a city its counties. */
export function visibleCountyPrefix(p: Principal): string {
  return divisionPrefix(p.county);
}

/**
 * Department tasks, by need (`taskScope`): supervisors see their division's tasks; operators too,
 * except a criminal transfer's steps; everyone else only their department's tasks in their
 * division, and the tasks their department leads.
 */
export function canSeeTask(p: Principal, t: { taskId: string; county: string; department: string; leadDepartment?: string | undefined }): boolean {
  if (!coversCounty(p, t.county)) return false;
  const own = !!p.department && (p.department === t.department || p.department === t.leadDepartment);
  switch (taskScope(p)) {
    case 'all':
      return true;
    case 'all-but-transfers':
      return own || !isTransferStep(t.taskId);
    case 'department':
      return own;
  }
}

/**
 * A matter (it names its subject): its county or a superior division; operators and supervisors
 * all of it (they launch and oversee matters); anyone else only when their department leads it or
 * has a task in it (`taskScope`: arbiters read disputes, admins the configuration).
 */
export function canSeeMatter(p: Principal, v: MatterView): boolean {
  if (!coversCounty(p, v.county)) return false;
  if (taskScope(p) !== 'department') return true;
  return !!p.department && (v.leadDepartment === p.department || v.tasks.some((t) => t.department === p.department));
}

/** The departments that coordinate a county's disputes (their arbiters see the county's). */
const countyArbiters = ['justice', 'staffing-office', 'county-government'];
const cityOf = (county: string) => `${county.slice(0, 4)}00`;

/**
 * A dispute: its parties, the arbiters of its ladder (the county's coordinating departments, the
 * city's), and supervisors of a covering division.
 */
export function canSeeDispute(p: Principal, v: DisputeView): boolean {
  const counties = [v.county, ...(v.otherCounty ? [v.otherCounty] : [])];
  if (hasRole(p, 'supervisor') && counties.some((c) => coversCounty(p, c))) return true;
  if (isParty(v, p)) return true;
  if (hasRole(p, 'arbiter') && p.county === v.county && countyArbiters.includes(p.department ?? '')) return true;
  return hasRole(p, 'arbiter') && p.county === cityOf(v.county);
}

/**
 * `canSeeDispute` in SQL, for the list, where a city's arbiter sees only the disputes now before
 * the city (`arbiter_county`, its department or none), not every dispute of its counties it may
 * open. Parties: the first of the dispute's county, the others of `other_county` when set.
 */
export function disputesVisibleTo(w: Where, p: Principal): Where {
  const county = w.param(p.county);
  const department = w.param(p.department ?? null);
  const arbiter = w.param(hasRole(p, 'arbiter'));
  const supervisor = w.param(hasRole(p, 'supervisor'));
  const inDivision = divisionCondition(w, 'county', divisionPrefix(p.county));
  const otherInDivision = divisionCondition(w, 'other_county', divisionPrefix(p.county));
  return w.add(
    `(
      (${department}::text IS NOT NULL AND ((county = ${county} AND parties[1] = ${department}) OR (coalesce(other_county, county) = ${county} AND ${department} = ANY(parties[2:]))))
   OR (${arbiter}::boolean AND ${department}::text = ANY(?::text[]) AND county = ${county})
   OR (${arbiter}::boolean AND left(county, 4) || '00' = ${county} AND arbiter_county = ${county}
       AND (${department}::text IS NULL OR arbiter_department = ${department} OR arbiter_department IS NULL))
   OR (${supervisor}::boolean AND (${inDivision} OR ${otherInDivision}))
  )`,
    countyArbiters,
  );
}

/**
 * A criminal transfer, need to know: the agency and the police of the transfer (their officers and
 * heads, in the counties it runs in), and the supervisors of a covering division.
 */
export function canSeeTransfer(p: Principal, v: TransferView): boolean {
  const counties = [v.county, ...v.tasks.map((t) => t.county)];
  if (hasRole(p, 'supervisor') && counties.some((c) => coversCounty(p, c))) return true;
  if (p.department === v.agency && p.county === v.county) return true;
  return p.department === v.police && v.tasks.some((t) => t.department === v.police && t.county === p.county);
}

/** A subject (its matters, its erasure): a covering division's; the routes say which roles. */
export function canSeeSubject(p: Principal, s: { county: string }): boolean {
  return coversCounty(p, s.county);
}

/** The record behind a published result: supervisors, admins and operators of a covering division. */
export function canSeeResultRecord(p: Principal, r: { county: string }): boolean {
  return coversCounty(p, r.county) && hasRole(p, 'supervisor', 'admin', 'operator');
}

/** The county's 12345 office (政务服务管理局): it takes the calls, dispatches and visits back. */
export const clueOffice = 'gov-services';

/**
 * A clue: operators, supervisors and auditors of a covering division, the county's 12345 office,
 * and every department it was dispatched to or co-handled by (a department that returned it keeps
 * sight of what it returned). `departments` is the read model's column of those.
 */
export function canSeeClue(p: Principal, v: { county: string; departments: string[] }): boolean {
  if (!coversCounty(p, v.county)) return false;
  if (hasRole(p, 'operator', 'supervisor', 'auditor')) return true;
  return !!p.department && p.county === v.county && (p.department === clueOffice || v.departments.includes(p.department));
}

/** The complainant's name and phone, whole: only the county's 12345 office, which calls back. */
export function canSeeContact(p: Principal, v: { county: string }): boolean {
  return p.county === v.county && p.department === clueOffice;
}

/**
 * The county work that operators, supervisors and auditors of a covering division see whole, and a
 * department of the county sees when `own` (SQL, given the department's placeholder) holds.
 */
function countyWorkVisibleTo(w: Where, p: Principal, own: (department: string) => string): Where {
  const inDivision = divisionCondition(w, 'county', divisionPrefix(p.county));
  const broad = w.param(hasRole(p, 'operator', 'supervisor', 'auditor'));
  const county = w.param(p.county);
  const department = w.param(p.department ?? null);
  return w.add(`(${inDivision} AND (${broad}::boolean OR (county = ${county} AND ${department}::text IS NOT NULL AND (${own(department)}))))`);
}

/** `canSeeClue` in SQL, for the list. */
export function cluesVisibleTo(w: Where, p: Principal): Where {
  const office = w.param(clueOffice);
  return countyWorkVisibleTo(w, p, (d) => `${d} = ${office} OR ${d} = ANY(departments)`);
}

/**
 * A risk warning: operators, supervisors and auditors of a covering division (they run the models,
 * oversee and audit the loop), every department it was pushed to or disposed of by, and the
 * department that issued it. `departments` is the read model's column of the former.
 */
export function canSeeRiskWarning(p: Principal, v: { county: string; departments: string[]; issuingDepartment?: string | null | undefined }): boolean {
  if (!coversCounty(p, v.county)) return false;
  if (hasRole(p, 'operator', 'supervisor', 'auditor')) return true;
  return !!p.department && p.county === v.county && (v.departments.includes(p.department) || v.issuingDepartment === p.department);
}

/** `canSeeRiskWarning` in SQL, for the list. */
export function riskWarningsVisibleTo(w: Where, p: Principal): Where {
  return countyWorkVisibleTo(w, p, (d) => `${d} = ANY(departments) OR issuing_department = ${d}`);
}

/**
 * A county's clue report (its evaluation figures, GET /v1/reports/clues): supervisors and auditors
 * of a covering division (the county's, or its city's), and the county's own 12345 office (its
 * officers and head), which runs the loop the figures judge and answers for them to the county.
 * Departments do not read it: it ranks them against one another.
 */
export function canReadClueReport(p: Principal, county: string): boolean {
  const overseer = hasRole(p, 'supervisor', 'auditor') && coversCounty(p, county);
  return overseer || (p.county === county && p.department === clueOffice && hasRole(p, 'officer', 'head'));
}

/**
 * A county's evaluation report (考核, GET /v1/reports/evaluation and its printable page): the
 * supervisors and auditors of a covering division (the county's, or its city's). It ranks the
 * county's departments for its circular (通报), so no department reads it, nor the 12345 office:
 * its own clue figures are in the clue report.
 */
export function canReadEvaluationReport(p: Principal, county: string): boolean {
  return hasRole(p, 'supervisor', 'auditor') && coversCounty(p, county);
}

/**
 * An approval follow-up (审管衔接): operators, supervisors and auditors of a covering division, the
 * county's approval bureau (it sent the event and takes the reverse push), and the competent
 * department (every department with a check task of it). `departments` is the read model's column of those.
 */
export function canSeeApproval(p: Principal, v: { county: string; departments: string[] }): boolean {
  if (!coversCounty(p, v.county)) return false;
  if (hasRole(p, 'operator', 'supervisor', 'auditor')) return true;
  return !!p.department && p.county === v.county && (p.department === approvalBureau || v.departments.includes(p.department));
}

/** `canSeeApproval` in SQL, for the list. */
export function approvalsVisibleTo(w: Where, p: Principal): Where {
  const bureau = w.param(approvalBureau);
  return countyWorkVisibleTo(w, p, (d) => `${d} = ${bureau} OR ${d} = ANY(departments)`);
}

/**
 * A county's list of items (事项清单) beyond what is published: its admins (who keep it), and the
 * supervisors and auditors of a covering division. A department sees the unpublished items it
 * leads or cooperates in (it drafts their plans). Published items are anyone's, without a key.
 */
export function canSeeUnpublishedItems(p: Principal, county: string): boolean {
  return coversCounty(p, county) && hasRole(p, 'admin', 'supervisor', 'auditor');
}

/** One item of the list (`canSeeUnpublishedItems`, or its departments, or published). */
export function canSeeItem(p: Principal | undefined, item: { county: string; lead: string; cooperating: string[]; published: boolean }): boolean {
  if (item.published) return true;
  if (!p) return false;
  if (canSeeUnpublishedItems(p, item.county)) return true;
  return !!p.department && p.county === item.county && (item.lead === p.department || item.cooperating.includes(p.department));
}

/**
 * The object registry (name, address, credit record): the county's admins keep it; admins,
 * supervisors and auditors of a covering division read it (and a subject's matters, its erasure).
 */
export function canWriteRegistry(p: Principal, county: string): boolean {
  return p.county === county && hasRole(p, 'admin');
}

/**
 * The inspector registry: the county's admins keep it, and a department's head keeps its own
 * department's inspectors. Reading: admins, supervisors and auditors of a covering division see
 * every department's; a department's officers and head see their own department's.
 */
export function canWriteInspector(p: Principal, i: { county: string; department: string }): boolean {
  if (p.county !== i.county) return false;
  return hasRole(p, 'admin') || (hasRole(p, 'head') && p.department === i.department);
}

export function canSeeInspector(p: Principal, i: { county: string; department: string }): boolean {
  if (!coversCounty(p, i.county)) return false;
  if (hasRole(p, 'admin', 'supervisor', 'auditor')) return true;
  return p.county === i.county && p.department === i.department;
}

/** `canSeeInspector` in SQL, for the list. */
export function inspectorsVisibleTo(w: Where, p: Principal): Where {
  const inDivision = divisionCondition(w, 'county', divisionPrefix(p.county));
  const broad = w.param(hasRole(p, 'admin', 'supervisor', 'auditor'));
  const county = w.param(p.county);
  const department = w.param(p.department ?? null);
  return w.add(`(${inDivision} AND (${broad}::boolean OR (county = ${county} AND department = ${department}::text)))`);
}

/**
 * An inspection (双随机 / 联合检查): operators, supervisors and auditors of a covering division, and
 * every department that checks in it. `departments` is the read model's column of those.
 */
export function canSeeInspection(p: Principal, v: { county: string; departments: string[] }): boolean {
  if (!coversCounty(p, v.county)) return false;
  if (hasRole(p, 'operator', 'supervisor', 'auditor')) return true;
  return !!p.department && p.county === v.county && v.departments.includes(p.department);
}

/** `canSeeInspection` in SQL, for the list. */
export function inspectionsVisibleTo(w: Where, p: Principal): Where {
  return countyWorkVisibleTo(w, p, (d) => `${d} = ANY(departments)`);
}
