import type { FastifyInstance, FastifyRequest } from 'fastify';
import { authenticate } from '../db/keys.js';
import type { Pool } from '../db/pool.js';
import { divisionPrefix } from '../domain/departments.js';
import { coversCounty, hasRole, type Principal, type Role } from '../domain/principal.js';
import { ApiError, forbidden } from './errors.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
}

/**
 * `Authorization: Bearer <api key>` on every route of the scope it is added to. Keys are looked up
 * by their id and compared by hash (db/keys.ts); the principal rides on the request.
 */
export function requireApiKey(app: FastifyInstance, pool: Pool) {
  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (req) => {
    const header = req.headers.authorization;
    const m = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
    if (!m) throw new ApiError(401, 'unauthenticated', '需要 API 密钥：Authorization: Bearer <key>');
    const principal = await authenticate(pool, m[1]!);
    if (!principal) throw new ApiError(401, 'unauthenticated', 'API 密钥无效或已停用');
    req.principal = principal;
    // Only the opaque key id goes to the log, never the key or personal data.
    req.log = req.log.child({ keyId: principal.keyId });
  });
}

export function requireRole(req: FastifyRequest, ...roles: Role[]) {
  if (!hasRole(req.principal, ...roles)) throw forbidden(`需要以下角色之一：${roles.join(', ')}`);
}

/** Prefix of county codes the principal may see: a county sees itself, a city its counties. */
export function visibleCountyPrefix(p: Principal): string {
  return divisionPrefix(p.county);
}

/**
 * Object-level rule for department tasks (ARCHITECTURE §7): an officer sees their department's
 * tasks in their county; supervisors, operators, arbiters and admins see their division's; a lead
 * department's officers also see the tasks they lead.
 */
export function canSeeTask(p: Principal, t: { county: string; department: string; leadDepartment?: string | undefined }): boolean {
  if (!coversCounty(p, t.county)) return false;
  if (hasRole(p, 'supervisor', 'operator', 'arbiter', 'admin')) return true;
  return !!p.department && (p.department === t.department || p.department === t.leadDepartment);
}
