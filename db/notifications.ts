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

const columns = 'id, created_at, kind, title, body, object_id, county, department, role, read_at';

/**
 * The rows addressed to the principal: to their department in their division, or to one of their
 * roles in their division. `$1..$3` are `recipientArgs(p)`.
 */
const recipientWhere = ['county = $1', '((department IS NOT NULL AND department = $2) OR (role IS NOT NULL AND role = ANY($3)))'];
const recipientArgs = (p: Principal): unknown[] => [p.county, p.department ?? null, p.roles];

function view(r: Record<string, unknown>): NotificationView {
  return {
    id: r.id as string,
    createdAt: toShanghaiIso((r.created_at as Date).getTime()),
    kind: r.kind as string,
    title: r.title as string,
    body: r.body as string,
    objectId: r.object_id as string,
    to: { county: r.county as string, department: r.department as string | null, role: r.role as string | null },
    readAt: r.read_at ? toShanghaiIso((r.read_at as Date).getTime()) : null,
  };
}

/**
 * What was sent to the caller: to their department in their division, or to one of their roles
 * in their division. Keyset-paginated, newest first.
 */
export async function listNotifications(
  db: Queryable, p: Principal,
  opts: { limit: number; before?: { createdAt: string; id: string }; objectId?: string; unread?: boolean },
): Promise<NotificationView[]> {
  const args = recipientArgs(p);
  const where = [...recipientWhere];
  if (opts.objectId) {
    args.push(opts.objectId);
    where.push(`object_id = $${args.length}`);
  }
  if (opts.unread) where.push('read_at IS NULL');
  if (opts.before) {
    args.push(opts.before.createdAt, opts.before.id);
    where.push(`(created_at, id) < ($${args.length - 1}::timestamptz, $${args.length})`);
  }
  args.push(opts.limit);
  const res = await db.query(
    `SELECT ${columns} FROM notifications
     WHERE ${where.join(' AND ')} ORDER BY created_at DESC, id DESC LIMIT $${args.length}`,
    args,
  );
  return res.rows.map(view);
}

/**
 * Marks a notification read for its recipient. Read state belongs to the row, i.e. to the
 * recipient department or role of the division, not to one key. Marking again keeps the first
 * read time. Returns undefined when the notification does not exist or the principal is not its
 * recipient (one answer for both).
 */
export async function markNotificationRead(db: Queryable, p: Principal, id: string): Promise<NotificationView | undefined> {
  const args = [...recipientArgs(p), id];
  const res = await db.query(
    `UPDATE notifications SET read_at = COALESCE(read_at, now())
     WHERE id = $4 AND ${recipientWhere.join(' AND ')}
     RETURNING ${columns}`,
    args,
  );
  const row = res.rows[0] as Record<string, unknown> | undefined;
  return row ? view(row) : undefined;
}
