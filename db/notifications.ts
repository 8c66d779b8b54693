import { toShanghaiIso } from '../domain/calendar/index.js';
import type { Principal } from '../domain/principal.js';
import type { Queryable } from './pool.js';

export interface NotificationView {
  id: string;
  createdAt: string;
  kind: string;
  title: string;
  body: string;
  objectId: string;
  to: { county: string; department: string | null; role: string | null };
  readAt: string | null;
}

/**
 * What was sent to the caller: to their department in their division, or to one of their roles
 * in their division. Keyset-paginated, newest first.
 */
export async function listNotifications(
  db: Queryable, p: Principal, opts: { limit: number; before?: { createdAt: string; id: string }; objectId?: string },
): Promise<NotificationView[]> {
  const args: unknown[] = [p.county, p.department ?? null, p.roles];
  const where = ['county = $1', '((department IS NOT NULL AND department = $2) OR (role IS NOT NULL AND role = ANY($3)))'];
  if (opts.objectId) {
    args.push(opts.objectId);
    where.push(`object_id = $${args.length}`);
  }
  if (opts.before) {
    args.push(opts.before.createdAt, opts.before.id);
    where.push(`(created_at, id) < ($${args.length - 1}::timestamptz, $${args.length})`);
  }
  args.push(opts.limit);
  const res = await db.query(
    `SELECT id, created_at, kind, title, body, object_id, county, department, role, read_at FROM notifications
     WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT $${args.length}`,
    args,
  );
  return res.rows.map((r) => ({
    id: r.id,
    createdAt: toShanghaiIso((r.created_at as Date).getTime()),
    kind: r.kind,
    title: r.title,
    body: r.body,
    objectId: r.object_id,
    to: { county: r.county, department: r.department, role: r.role },
    readAt: r.read_at ? toShanghaiIso((r.read_at as Date).getTime()) : null,
  }));
}
