import { z } from 'zod';
import { countySchema, departmentSchema, divisionCovers } from './departments.js';

/**
 * `head` is a department's 正职负责人 (or the deputy presiding over its work): the one who approves a
 * criminal transfer (国务院令第310号 art. 5). Like an officer, a head is bound to their department.
 */
export const roles = ['operator', 'officer', 'head', 'supervisor', 'arbiter', 'admin', 'auditor'] as const;
export const roleSchema = z.enum(roles);
export type Role = z.infer<typeof roleSchema>;

/**
 * Who acts. The API authenticates a key and passes the principal to workflows with every Update,
 * so the workflow's own validators can refuse an action from the wrong department.
 * Carries no personal data: the key id is opaque, the name is a role label.
 */
export const principalSchema = z.object({
  keyId: z.string().min(1).max(64),
  county: countySchema,
  department: departmentSchema.optional(),
  roles: z.array(roleSchema).min(1),
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
