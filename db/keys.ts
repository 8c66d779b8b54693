import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Principal, Role } from '../domain/principal.js';
import type { Queryable } from './pool.js';

/**
 * API keys look like `isk_<keyId>_<secret>`. Only a SHA-256 of the whole key is stored; the key
 * is shown once when created. The key id is not secret and names the principal in audit entries.
 */
export function hashKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export interface NewKey {
  county: string;
  department?: string;
  roles: Role[];
  label?: string;
  /** The principal the key belongs to; a new one (named `name`, or the label) when absent. */
  principalId?: string;
  /** A new principal: the person's (or system's) name, kind and 执法证号. */
  name?: string;
  kind?: 'person' | 'system';
  certificateNo?: string;
  /** The key this one replaces (`npm run keys -- rotate`). */
  rotatedFrom?: string;
}

export async function createKey(db: Queryable, k: NewKey): Promise<{ keyId: string; key: string; principalId: string }> {
  const keyId = randomBytes(6).toString('hex');
  const key = `isk_${keyId}_${randomBytes(24).toString('base64url')}`;
  const principalId =
    k.principalId ??
    (await createPrincipal(db, {
      kind: k.kind ?? 'person',
      name: k.name ?? (k.label || `key ${keyId}`),
      ...(k.certificateNo ? { certificateNo: k.certificateNo } : {}),
    }));
  await db.query(
    'INSERT INTO api_keys (key_id, key_hash, county, department, roles, label, principal_id, rotated_from) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)',
    [keyId, hashKey(key), k.county, k.department ?? null, k.roles, k.label ?? '', principalId, k.rotatedFrom ?? null],
  );
  return { keyId, key, principalId };
}

export async function createPrincipal(db: Queryable, p: { kind: 'person' | 'system'; name: string; certificateNo?: string }): Promise<string> {
  const principalId = `p-${randomBytes(6).toString('hex')}`;
  await db.query('INSERT INTO principals (principal_id, kind, name, certificate_no) VALUES ($1, $2, $3, $4)', [
    principalId,
    p.kind,
    p.name.slice(0, 100),
    p.certificateNo ?? null,
  ]);
  return principalId;
}

export interface KeyListing {
  keyId: string;
  principalId: string;
  name: string;
  kind: 'person' | 'system';
  certificateNo: string | null;
  county: string;
  department: string | null;
  roles: Role[];
  label: string;
  createdAt: string;
  revokedAt: string | null;
  rotatedFrom: string | null;
}

/** Every key with its principal, newest first; `county` a division prefix match (a city lists its counties'). */
export async function listKeys(db: Queryable, f: { countyPrefix?: string; includeRevoked?: boolean } = {}): Promise<KeyListing[]> {
  const res = await db.query(
    `SELECT k.key_id, k.principal_id, p.name, p.kind, p.certificate_no, k.county, k.department, k.roles, k.label, k.created_at, k.revoked_at, k.rotated_from
     FROM api_keys k JOIN principals p USING (principal_id)
     WHERE k.county LIKE $1 AND ($2 OR k.revoked_at IS NULL) ORDER BY k.created_at DESC, k.key_id`,
    [`${f.countyPrefix ?? ''}%`, f.includeRevoked ?? true],
  );
  return res.rows.map((r) => ({
    keyId: r.key_id,
    principalId: r.principal_id,
    name: r.name,
    kind: r.kind,
    certificateNo: r.certificate_no,
    county: r.county,
    department: r.department,
    roles: r.roles,
    label: r.label,
    createdAt: (r.created_at as Date).toISOString(),
    revokedAt: r.revoked_at ? (r.revoked_at as Date).toISOString() : null,
    rotatedFrom: r.rotated_from,
  }));
}

/** Revokes a key at once (the next request with it is 401). False when there is no such live key. */
export async function revokeKey(db: Queryable, keyId: string): Promise<boolean> {
  const res = await db.query('UPDATE api_keys SET revoked_at = now() WHERE key_id = $1 AND revoked_at IS NULL', [keyId]);
  return (res.rowCount ?? 0) > 0;
}

/**
 * Replaces a live key with a new one of the same principal and scope, and revokes the old one, in
 * one transaction (the caller's `db` is a transaction client): the new key is shown once.
 */
export async function rotateKey(db: Queryable, keyId: string): Promise<{ keyId: string; key: string; principalId: string } | undefined> {
  const old = await db.query('SELECT county, department, roles, label, principal_id FROM api_keys WHERE key_id = $1 AND revoked_at IS NULL FOR UPDATE', [
    keyId,
  ]);
  const row = old.rows[0];
  if (!row) return undefined;
  const created = await createKey(db, {
    county: row.county,
    roles: row.roles,
    label: row.label,
    principalId: row.principal_id,
    rotatedFrom: keyId,
    ...(row.department ? { department: row.department } : {}),
  });
  await revokeKey(db, keyId);
  return created;
}

/** Stores a key chosen by the caller (demo keys of `npm start`), once. */
export async function ensureKey(db: Queryable, key: string, k: NewKey): Promise<void> {
  const keyId = parseKey(key)?.keyId;
  if (!keyId) throw new Error('malformed key');
  // The demo key's principal is named after it: stable across starts, created once.
  const principalId = `p-${keyId}`;
  await db.query(`INSERT INTO principals (principal_id, kind, name) VALUES ($1, $2, $3) ON CONFLICT (principal_id) DO NOTHING`, [
    principalId,
    k.kind ?? 'person',
    (k.name ?? (k.label || `key ${keyId}`)).slice(0, 100),
  ]);
  await db.query(
    `INSERT INTO api_keys (key_id, key_hash, county, department, roles, label, principal_id) VALUES ($1, $2, $3, $4, $5, $6, $7)
     ON CONFLICT (key_id) DO NOTHING`,
    [keyId, hashKey(key), k.county, k.department ?? null, k.roles, k.label ?? '', principalId],
  );
}

function parseKey(key: string): { keyId: string } | undefined {
  const m = /^isk_([0-9a-z-]{4,40})_[A-Za-z0-9_-]{16,}$/.exec(key);
  return m ? { keyId: m[1]! } : undefined;
}

export async function authenticate(db: Queryable, key: string): Promise<Principal | undefined> {
  const parsed = parseKey(key);
  if (!parsed) return undefined;
  // Named: prepared once per connection, since every request asks it (explicit columns, so a
  // migration adding one never changes the prepared statement's result type).
  const res = await db.query({
    name: 'authenticate-key',
    text: `SELECT k.key_id, k.key_hash, k.county, k.department, k.roles, k.principal_id, p.name, p.kind
     FROM api_keys k JOIN principals p USING (principal_id) WHERE k.key_id = $1 AND k.revoked_at IS NULL`,
    values: [parsed.keyId],
  });
  const row = res.rows[0];
  if (!row) return undefined;
  const given = Buffer.from(hashKey(key), 'hex');
  const stored = Buffer.from(row.key_hash as string, 'hex');
  if (given.length !== stored.length || !timingSafeEqual(given, stored)) return undefined;
  return {
    keyId: row.key_id,
    county: row.county,
    ...(row.department ? { department: row.department } : {}),
    roles: row.roles,
    principalId: row.principal_id,
    name: row.name,
    kind: row.kind,
  };
}
