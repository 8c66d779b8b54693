import type pg from 'pg';
import type { Queryable } from './pool.js';

/**
 * A county's configuration kept as versions (the dispatch catalogue, the approval rules, the
 * inspection settings): one row per version in `table` (county, version, <document column>,
 * settings, created_at, created_by), the newest in force. Each edit names the version it was made from: one made meanwhile answers
 * 'stale' and nothing is written. Edits of one county are serialised by `lock`'s advisory lock.
 */
export interface CountyVersion<D, S> {
  county: string;
  version: number;
  document: D;
  settings: Partial<S>;
  createdAt: string;
  createdBy: string;
}

export function countyVersions<D, S>(o: { table: string; column: string; lock: number }) {
  // Table and column are the module's own constants, never input.
  const select = `SELECT county, version, ${o.column} AS document, settings, created_at, created_by FROM ${o.table} WHERE county = $1 ORDER BY version DESC LIMIT 1`;
  const insert = `INSERT INTO ${o.table} (county, version, ${o.column}, settings, created_by) VALUES ($1, $2, $3, $4, $5)`;

  /** The version in force, or undefined: none yet. */
  async function current(db: Queryable, county: string): Promise<CountyVersion<D, S> | undefined> {
    const res = await db.query<{ county: string; version: number; document: D; settings: Partial<S>; created_at: Date; created_by: string }>(select, [county]);
    const r = res.rows[0];
    return r
      ? { county: r.county, version: r.version, document: r.document, settings: r.settings, createdAt: r.created_at.toISOString(), createdBy: r.created_by }
      : undefined;
  }

  /** A new version, unless `baseVersion` (the version edited) is no longer the newest: 'stale'. */
  async function put(
    client: pg.PoolClient,
    p: { county: string; document: D; settings: Partial<S>; createdBy: string; baseVersion: number | undefined },
  ): Promise<CountyVersion<D, S> | 'stale'> {
    await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [o.lock, p.county]);
    const version = (await current(client, p.county))?.version ?? 0;
    if (p.baseVersion !== undefined && p.baseVersion !== version) return 'stale';
    await client.query(insert, [p.county, version + 1, p.document, p.settings, p.createdBy]);
    return (await current(client, p.county))!;
  }

  return { current, put };
}
