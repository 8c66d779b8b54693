import type pg from 'pg';
import { toShanghaiIso } from '../domain/calendar/index.js';
import type { DeliveryStats, WebhookEndpointView } from '../domain/records.js';
import type { Queryable } from './pool.js';
import { keyset, Where } from './sql.js';

/**
 * Webhook endpoints and deliveries (db/migrations/0004_webhooks.sql). An endpoint belongs to a
 * recipient `{county, department | role}` — the same shape as a notifications row — and receives
 * every notification created for that recipient while it is active.
 *
 * The secret is read only by `claimDueDeliveries` (to sign); nothing else here selects it, so no
 * view, log line or API answer can carry it.
 */

export type TargetKind = 'department' | 'role';

export interface WebhookTarget {
  county: string;
  kind: TargetKind;
  /** Department code or role. */
  value: string;
}

export type { DeliveryStats, WebhookEndpointView } from '../domain/records.js';

export const targetString = (kind: string, value: string) => `${kind}:${value}`;

/** `department:housing`, `department:township:610124100`, `role:supervisor` → kind and value. */
export function parseTarget(target: string): { kind: TargetKind; value: string } | undefined {
  const i = target.indexOf(':');
  if (i < 0) return undefined;
  const kind = target.slice(0, i);
  const value = target.slice(i + 1);
  if ((kind !== 'department' && kind !== 'role') || !value) return undefined;
  return { kind, value };
}

const iso = (d: Date) => toShanghaiIso(d.getTime());
const endpointColumns = 'county, target_kind, target_value, url, active, active_since, created_at, updated_at';

function endpointView(r: Record<string, unknown>): WebhookEndpointView {
  return {
    county: r.county as string,
    target: targetString(r.target_kind as string, r.target_value as string),
    url: r.url as string,
    active: r.active as boolean,
    activeSince: iso(r.active_since as Date),
    createdAt: iso(r.created_at as Date),
    updatedAt: iso(r.updated_at as Date),
  };
}

/**
 * Creates or replaces the endpoint of a recipient. Re-activating an inactive endpoint moves
 * `active_since` to now: notifications created while it was inactive are not replayed.
 */
export async function upsertEndpoint(
  db: Queryable,
  t: WebhookTarget,
  e: { url: string; secret: string; active: boolean; keyId: string },
): Promise<{ endpoint: WebhookEndpointView; created: boolean }> {
  const res = await db.query(
    `INSERT INTO webhook_endpoints (county, target_kind, target_value, url, secret, active, updated_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (county, target_kind, target_value) DO UPDATE SET
       url = EXCLUDED.url, secret = EXCLUDED.secret, active = EXCLUDED.active,
       active_since = CASE WHEN webhook_endpoints.active THEN webhook_endpoints.active_since ELSE now() END,
       updated_at = now(), updated_by = EXCLUDED.updated_by
     RETURNING ${endpointColumns}, (xmax = 0) AS created`,
    [t.county, t.kind, t.value, e.url, e.secret, e.active, e.keyId],
  );
  const row = res.rows[0] as Record<string, unknown>;
  return { endpoint: endpointView(row), created: row.created as boolean };
}

export async function getEndpoint(db: Queryable, t: WebhookTarget): Promise<(WebhookEndpointView & { id: string }) | undefined> {
  const res = await db.query(`SELECT id, ${endpointColumns} FROM webhook_endpoints WHERE county = $1 AND target_kind = $2 AND target_value = $3`, [
    t.county,
    t.kind,
    t.value,
  ]);
  const row = res.rows[0] as Record<string, unknown> | undefined;
  return row ? { ...endpointView(row), id: String(row.id) } : undefined;
}

/** Deletes an endpoint with its deliveries and attempts. Returns false when there was none. */
export async function deleteEndpoint(db: Queryable, t: WebhookTarget): Promise<boolean> {
  const res = await db.query('DELETE FROM webhook_endpoints WHERE county = $1 AND target_kind = $2 AND target_value = $3', [t.county, t.kind, t.value]);
  return (res.rowCount ?? 0) > 0;
}

const endpointOrder = keyset('asc', [{ sql: 'county' }, { sql: 'target_kind' }, { sql: 'target_value' }]);

/** Endpoints of the divisions whose codes start with `countyPrefix`, ordered by (county, target). */
export async function listEndpoints(
  db: Queryable,
  opts: { countyPrefix: string; county?: string; limit: number; after?: { county: string; kind: string; value: string } },
): Promise<WebhookEndpointView[]> {
  const w = new Where().add('left(county, length(?)) = ?', opts.countyPrefix, opts.countyPrefix).when(opts.county, 'county = ?');
  if (opts.after) endpointOrder.after(w, [opts.after.county, opts.after.kind, opts.after.value]);
  const res = await db.query(
    `SELECT ${endpointColumns} FROM webhook_endpoints WHERE ${w.sql} ORDER BY ${endpointOrder.orderBy} LIMIT ${w.param(opts.limit)}`,
    w.args,
  );
  return res.rows.map(endpointView);
}

export async function deliveryStats(db: Queryable, endpointId: string): Promise<DeliveryStats> {
  const counts = await db.query<{ status: string; n: string }>('SELECT status, count(*) AS n FROM webhook_deliveries WHERE endpoint_id = $1 GROUP BY status', [
    endpointId,
  ]);
  const last = await db.query(
    `SELECT a.at, a.status_code, a.error, a.duration_ms FROM webhook_attempts a
     JOIN webhook_deliveries d ON d.id = a.delivery_id WHERE d.endpoint_id = $1 ORDER BY a.at DESC, a.id DESC LIMIT 1`,
    [endpointId],
  );
  const n = (s: string) => Number(counts.rows.find((r) => r.status === s)?.n ?? 0);
  const a = last.rows[0] as Record<string, unknown> | undefined;
  return {
    pending: n('pending'),
    delivered: n('delivered'),
    dead: n('dead'),
    lastAttempt: a
      ? {
          at: iso(a.at as Date),
          statusCode: (a.status_code as number | null) ?? null,
          error: (a.error as string | null) ?? null,
          durationMs: a.duration_ms as number,
        }
      : null,
  };
}

// ---- the dispatcher's side ----

/**
 * Creates the missing delivery rows: one per (notification, active endpoint of its recipient) for
 * notifications created since the endpoint became active and within `lookbackMs` of now. The
 * anti-join (rather than a single watermark) tolerates events written late — an activity retried
 * after an outage writes a notification whose `created_at` (the event time) is in the past — and
 * the unique key makes concurrent dispatchers harmless. The lookback bounds the scan.
 * Returns the number of deliveries created.
 */
export async function enqueueDeliveries(db: Queryable, lookbackMs: number): Promise<number> {
  let created = 0;
  // Two statements, one per recipient kind, so each uses its notifications index.
  for (const kind of ['department', 'role'] as const) {
    const res = await db.query(
      `INSERT INTO webhook_deliveries (notification_id, endpoint_id, next_attempt_at)
       SELECT n.id, e.id, now()
       FROM webhook_endpoints e
       JOIN notifications n ON n.county = e.county AND n.${kind} = e.target_value
       WHERE e.active AND e.target_kind = $1
         AND n.created_at >= greatest(e.active_since, now() - make_interval(secs => $2::double precision / 1000))
         AND NOT EXISTS (SELECT 1 FROM webhook_deliveries d WHERE d.notification_id = n.id AND d.endpoint_id = e.id)
       ON CONFLICT (notification_id, endpoint_id) DO NOTHING`,
      [kind, lookbackMs],
    );
    created += res.rowCount ?? 0;
  }
  return created;
}

export interface DueDelivery {
  deliveryId: string;
  endpointId: string;
  /** Attempts made before this one. */
  attempts: number;
  url: string;
  secret: string;
  notification: {
    id: string;
    kind: string;
    title: string;
    body: string;
    objectId: string;
    county: string;
    to: { county: string; department: string | null; role: string | null };
    createdAt: string;
  };
}

/**
 * Locks up to `limit` pending deliveries that are due, of active endpoints, skipping rows another
 * dispatcher holds. Must run inside a transaction: the row locks last until it ends, so no other
 * dispatcher can send the same delivery meanwhile.
 */
export async function claimDueDeliveries(client: pg.PoolClient, limit: number): Promise<DueDelivery[]> {
  const res = await client.query(
    `SELECT d.id, d.endpoint_id, d.attempts, e.url, e.secret,
            n.id AS notification_id, n.kind, n.title, n.body, n.object_id, n.county, n.department, n.role, n.created_at
     FROM webhook_deliveries d
     JOIN webhook_endpoints e ON e.id = d.endpoint_id
     JOIN notifications n ON n.id = d.notification_id
     WHERE d.status = 'pending' AND d.next_attempt_at <= now() AND e.active
     ORDER BY d.next_attempt_at, d.id
     LIMIT $1
     FOR UPDATE OF d SKIP LOCKED`,
    [limit],
  );
  return res.rows.map((r) => ({
    deliveryId: String(r.id),
    endpointId: String(r.endpoint_id),
    attempts: r.attempts as number,
    url: r.url as string,
    secret: r.secret as string,
    notification: {
      id: r.notification_id as string,
      kind: r.kind as string,
      title: r.title as string,
      body: r.body as string,
      objectId: r.object_id as string,
      county: r.county as string,
      to: { county: r.county as string, department: (r.department as string | null) ?? null, role: (r.role as string | null) ?? null },
      createdAt: iso(r.created_at as Date),
    },
  }));
}

export interface AttemptOutcome {
  at: Date;
  durationMs: number;
  statusCode: number | null;
  /**
   * Recorded and shown to the county's admin: 'HTTP 500', 'timeout', 'not-public-address' or
   * 'unreachable' only; never a body, a secret or the network's internals.
   */
  error: string | null;
  ok: boolean;
  /** The finer class for the worker's log only ('ECONNREFUSED'); never stored. */
  detail?: string;
}

/**
 * Records one HTTP try and moves the delivery on: delivered, pending again at `now + retryInMs`,
 * or dead when `retryInMs` is null (attempts exhausted).
 */
export async function recordAttempt(
  client: pg.PoolClient,
  d: { deliveryId: string; attempt: number },
  o: AttemptOutcome,
  retryInMs: number | null,
): Promise<void> {
  await client.query(
    `INSERT INTO webhook_attempts (delivery_id, attempt, at, status_code, error, duration_ms)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (delivery_id, attempt) DO NOTHING`,
    [d.deliveryId, d.attempt, o.at, o.statusCode, o.error, Math.round(o.durationMs)],
  );
  if (o.ok) {
    await client.query(
      `UPDATE webhook_deliveries SET status = 'delivered', attempts = $2, next_attempt_at = NULL,
         last_status = $3, last_error = NULL, delivered_at = now()
       WHERE id = $1`,
      [d.deliveryId, d.attempt, o.statusCode],
    );
  } else {
    await client.query(
      `UPDATE webhook_deliveries SET attempts = $2, last_status = $3, last_error = $4,
         status = CASE WHEN $5::double precision IS NULL THEN 'dead' ELSE 'pending' END,
         next_attempt_at = CASE WHEN $5::double precision IS NULL THEN NULL
                                ELSE clock_timestamp() + make_interval(secs => $5::double precision / 1000) END
       WHERE id = $1`,
      [d.deliveryId, d.attempt, o.statusCode, o.error, retryInMs],
    );
  }
}
