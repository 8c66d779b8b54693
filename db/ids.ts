import type { Queryable } from './pool.js';

/** Next number in a readable sequence (e.g. per county, department and year). Atomic. */
export async function nextSeq(db: Queryable, scope: string): Promise<number> {
  // Named (here and in claimIdempotencyKey): prepared once per connection, as every creating request runs them.
  const res = await db.query<{ value: number }>({
    name: 'next-seq',
    text: `INSERT INTO id_counters (scope, value) VALUES ($1, 1)
     ON CONFLICT (scope) DO UPDATE SET value = id_counters.value + 1
     RETURNING value`,
    values: [scope],
  });
  return res.rows[0]!.value;
}

export interface IdempotencyHit {
  resourceId: string;
  requestHash: string;
}

/**
 * Claims an Idempotency-Key for a resource id. Returns the earlier claim if the key was used
 * before (the caller then answers with that resource), or undefined when this call claimed it.
 */
export async function claimIdempotencyKey(
  db: Queryable,
  scope: string,
  key: string,
  requestHash: string,
  resourceId: string,
): Promise<IdempotencyHit | undefined> {
  const res = await db.query({
    name: 'claim-idempotency-key',
    text: `INSERT INTO idempotency_keys (scope, key, request_hash, resource_id) VALUES ($1, $2, $3, $4)
     ON CONFLICT (scope, key) DO NOTHING RETURNING resource_id`,
    values: [scope, key, requestHash, resourceId],
  });
  if (res.rowCount) return undefined;
  return priorClaim(db, scope, key);
}

/** The claim of a key known to be taken: the resource it made and the request's hash. */
export async function priorClaim(db: Queryable, scope: string, key: string): Promise<IdempotencyHit> {
  const prior = await db.query({
    name: 'idempotency-key-prior',
    text: 'SELECT resource_id, request_hash FROM idempotency_keys WHERE scope = $1 AND key = $2',
    values: [scope, key],
  });
  return { resourceId: prior.rows[0].resource_id, requestHash: prior.rows[0].request_hash };
}
