import { z } from 'zod';
import { countySchema, departmentSchema, divisionCovers } from './departments.js';

export const roles = ['operator', 'officer', 'supervisor', 'arbiter', 'admin'] as const;
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
