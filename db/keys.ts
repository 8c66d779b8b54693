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
}

export async function createKey(db: Queryable, k: NewKey): Promise<{ keyId: string; key: string }> {
  const keyId = randomBytes(6).toString('hex');
  const key = `isk_${keyId}_${randomBytes(24).toString('base64url')}`;
  await db.query(
    'INSERT INTO api_keys (key_id, key_hash, county, department, roles, label) VALUES ($1, $2, $3, $4, $5, $6)',
    [keyId, hashKey(key), k.county, k.department ?? null, k.roles, k.label ?? ''],
  );
  return { keyId, key };
}

/** Stores a key chosen by the caller (demo keys of `npm start`), once. */
export async function ensureKey(db: Queryable, key: string, k: NewKey): Promise<void> {
  const keyId = parseKey(key)?.keyId;
  if (!keyId) throw new Error('malformed key');
  await db.query(
    `INSERT INTO api_keys (key_id, key_hash, county, department, roles, label) VALUES ($1, $2, $3, $4, $5, $6)
     ON CONFLICT (key_id) DO NOTHING`,
    [keyId, hashKey(key), k.county, k.department ?? null, k.roles, k.label ?? ''],
  );
}

function parseKey(key: string): { keyId: string } | undefined {
  const m = /^isk_([0-9a-z-]{4,40})_[A-Za-z0-9_-]{16,}$/.exec(key);
  return m ? { keyId: m[1]! } : undefined;
}

export async function authenticate(db: Queryable, key: string): Promise<Principal | undefined> {
  const parsed = parseKey(key);
  if (!parsed) return undefined;
  const res = await db.query(
    'SELECT key_id, key_hash, county, department, roles FROM api_keys WHERE key_id = $1 AND revoked_at IS NULL',
    [parsed.keyId],
  );
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
  };
}
