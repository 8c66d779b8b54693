import { z } from 'zod';
import { countySchema, departmentSchema, divisionCovers } from './departments.js';

/**
 * `head` is a department's 正职负责人 (or the deputy presiding over its work): the one who approves a
 * criminal transfer (国务院令第310号 art. 5). Like an officer, a head is bound to their department.
 * `platform` is the platform's own administrator (平台管理员), above every county: it alone
 * publishes the State Council's holiday schedule, which moves every county's deadlines.
 */
export const roles = ['operator', 'officer', 'head', 'supervisor', 'arbiter', 'admin', 'auditor', 'platform'] as const;
export const roleSchema = z.enum(roles);
export type Role = z.infer<typeof roleSchema>;

/**
 * Who acts. The API authenticates a key and passes the principal to workflows with every Update,
 * so the workflow's own validators can refuse an action from the wrong department.
 * The key id is opaque; the name is the acting official's or system's (never a citizen's), so
 * every recorded action names the person who took it.
 */
export const principalSchema = z.object({
  keyId: z.string().min(1).max(64),
  county: countySchema,
  department: departmentSchema.optional(),
  roles: z.array(roleSchema).min(1),
  /** The person (or system) the key belongs to, named on every recorded action. */
  principalId: z.string().min(1).max(64).optional(),
  name: z.string().min(1).max(100).optional(),
  kind: z.enum(['person', 'system']).optional(),
});
export type Principal = z.infer<typeof principalSchema>;

export function hasRole(p: Principal, ...wanted: Role[]): boolean {
  return p.roles.some((r) => wanted.includes(r));
}

/** The principal's division is the county itself or one of its superiors (a city sees its counties). */
export function coversCounty(p: Principal, county: string): boolean {
  return divisionCovers(p.county, county);
}

/** Roles that act only for their own department (an officer, the department's head). */
const departmentRoles: readonly Role[] = ['officer', 'head'];

/** A key that only acts for its department sees only its department's work in lists. */
export function departmentBound(p: Principal): boolean {
  return p.roles.every((r) => departmentRoles.includes(r));
}

/** A step of a criminal transfer (行刑衔接): a criminal case's file, need to know only. */
export function isTransferStep(taskId: string): boolean {
  return /\/transfer:\d+\/task:/.test(taskId);
}

/**
 * Which department tasks of its division a principal sees, by need (README "Who sees what"):
 * - `all`: supervisors, who oversee every duty;
 * - `all-but-transfers`: operators, who launch, assign and cancel work but have no part in a
 *   criminal case handed to the police;
 * - `department`: everyone else (officers, heads, and arbiters, admins, auditors and platform keys)
 *   sees only the tasks of its own department and those it leads, and nothing without a department.
 *   Arbiters read the disputes put to them, admins the configuration, auditors the audit trail.
 */
export function taskScope(p: Principal): 'all' | 'all-but-transfers' | 'department' {
  if (hasRole(p, 'supervisor')) return 'all';
  if (hasRole(p, 'operator')) return 'all-but-transfers';
  return 'department';
}
