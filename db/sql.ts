import type pg from 'pg';
import type { Pool } from './pool.js';

/**
 * The one way db/ builds a WHERE clause: clauses joined by AND, each `?` in a clause bound to the
 * next of its values as a numbered parameter. Values never enter the SQL text.
 */
export class Where {
  readonly args: unknown[] = [];
  private readonly clauses: string[] = [];

  /** A parameter for `value`: its placeholder (`$n`). */
  param(value: unknown): string {
    this.args.push(value);
    return `$${this.args.length}`;
  }

  /** Adds `sql`, each `?` in it bound to the next of `values`, in order. */
  add(sql: string, ...values: unknown[]): this {
    let i = 0;
    this.clauses.push(sql.replace(/\?/g, () => this.param(values[i++])));
    return this;
  }

  /** Adds `sql` bound to `value` only when a filter is given: not undefined, null or '' (false is a value). */
  when(value: unknown, sql: string): this {
    return value === undefined || value === null || value === '' ? this : this.add(sql, value);
  }

  /** The clauses, `true` when there are none. */
  get sql(): string {
    return this.clauses.length ? this.clauses.join(' AND ') : 'true';
  }
}

/** Digits in a division code (行政区划代码): a county's, a city's (xxxx00), a province's (xx0000). */
const codeLength = 6;

/**
 * The rows of a division, given its prefix (domain/departments.ts divisionPrefix): `column` equal
 * to a county's code, or within the range of a city's or province's codes. Not `LIKE 'prefix%'`:
 * under the database's collation (not C) a LIKE prefix cannot use a btree index, so every inbox
 * and listing read its whole table; a range of the 6-digit codes can, and selects the same rows
 * (county codes are exactly 6 digits, domain/departments.ts countySchema). Returns the SQL, its
 * values bound as parameters of `w`.
 */
export function divisionCondition(w: Where, column: string, prefix: string): string {
  if (!/^\d{1,6}$/.test(prefix)) throw new Error('a division prefix is 1 to 6 digits');
  if (prefix.length === codeLength) return `${column} = ${w.param(prefix)}`;
  const low = prefix.padEnd(codeLength, '0');
  const high = prefix.padEnd(codeLength, '9');
  return `${column} BETWEEN ${w.param(low)} AND ${w.param(high)}`;
}

/**
 * A listing's order, for keyset pagination: its ORDER BY, and the clause that starts a page after
 * the cursor (the last row shown). Each column is an SQL expression with the cursor value's type.
 */
export function keyset(order: 'asc' | 'desc', columns: { sql: string; type?: string }[]) {
  return {
    orderBy: columns.map((c) => `${c.sql}${order === 'desc' ? ' DESC' : ''}`).join(', '),
    /** Rows strictly past `values` (one per column) in this order. */
    after(where: Where, values: unknown[]): Where {
      const placeholders = columns.map((c) => `?${c.type ? `::${c.type}` : ''}`).join(', ');
      return where.add(`(${columns.map((c) => c.sql).join(', ')}) ${order === 'desc' ? '<' : '>'} (${placeholders})`, ...values);
    },
  };
}

/** A listed object with the key of its row in the listing's order (what a page's cursor is made of). */
export interface Keyed<V, K> {
  view: V;
  cursor: K;
}

/**
 * The one way to run a transaction. A connection whose ROLLBACK failed (timed out, broken) is
 * dropped, never handed out again: after a query timeout it may still be waiting for the server's answer.
 */
export async function inTransaction<T>(pool: Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    await client.query('BEGIN');
    const result = await fn(client);
    await client.query('COMMIT');
    return result;
  } catch (err) {
    await client.query('ROLLBACK').catch((rollbackErr: unknown) => {
      broken = rollbackErr instanceof Error ? rollbackErr : new Error('ROLLBACK failed');
    });
    throw err;
  } finally {
    client.release(broken);
  }
}
