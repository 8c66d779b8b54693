import { toShanghaiIso } from '../domain/calendar/index.js';
import type { Principal } from '../domain/principal.js';
import type { NotificationView } from '../domain/records.js';
import type { Queryable } from './pool.js';
import { keyset, Where } from './sql.js';

export type { NotificationView } from '../domain/records.js';

const columns = 'id, created_at, kind, title, body, object_id, county, department, role, read_at';

/**
 * The rows addressed to the principal: to their department in their division, or to one of their
 * roles in their division, bound to `recipientArgs(p)`.
 */
const recipientWhere = 'county = ? AND ((department IS NOT NULL AND department = ?) OR (role IS NOT NULL AND role = ANY(?)))';
const recipientArgs = (p: Principal): unknown[] => [p.county, p.department ?? null, p.roles];
const notificationOrder = keyset('desc', [{ sql: 'created_at', type: 'timestamptz' }, { sql: 'id' }]);

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
  db: Queryable,
  p: Principal,
  opts: { limit: number; before?: { createdAt: string; id: string }; objectId?: string; unread?: boolean },
): Promise<NotificationView[]> {
  const w = new Where().add(recipientWhere, ...recipientArgs(p)).when(opts.objectId, 'object_id = ?');
  if (opts.unread) w.add('read_at IS NULL');
  if (opts.before) notificationOrder.after(w, [opts.before.createdAt, opts.before.id]);
  const res = await db.query(`SELECT ${columns} FROM notifications WHERE ${w.sql} ORDER BY ${notificationOrder.orderBy} LIMIT ${w.param(opts.limit)}`, w.args);
  return res.rows.map(view);
}

/**
 * Marks a notification read for its recipient. Read state belongs to the row, i.e. to the
 * recipient department or role of the division, not to one key. Marking again keeps the first
 * read time. Returns undefined when the notification does not exist or the principal is not its
 * recipient (one answer for both).
 */
export async function markNotificationRead(db: Queryable, p: Principal, id: string): Promise<NotificationView | undefined> {
  const w = new Where().add('id = ?', id).add(recipientWhere, ...recipientArgs(p));
  const res = await db.query(`UPDATE notifications SET read_at = COALESCE(read_at, now()) WHERE ${w.sql} RETURNING ${columns}`, w.args);
  const row = res.rows[0] as Record<string, unknown> | undefined;
  return row ? view(row) : undefined;
}
