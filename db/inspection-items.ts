/**
 * The county's list of integrated-supervision items (事项清单, DOMAIN §7): one row per version of
 * each item, the newest in force. Only a published item may be planned or inspected
 * (国办发〔2024〕54号): `publishedItem` is the check the plans and inspections make.
 */
import type pg from 'pg';
import type { InspectionItem, InspectionItemBody } from '../domain/registry.js';
import type { Queryable } from './pool.js';

interface ItemRow {
  county: string;
  item_id: string;
  version: number;
  field: string;
  lead: string;
  cooperating: string[];
  what: string;
  basis: InspectionItem['basis'];
  object_kind: string;
  category: InspectionItem['category'];
  method: InspectionItem['method'];
  level: InspectionItem['level'];
  published: boolean;
  created_at: Date;
  created_by: string;
}

const toItem = (r: ItemRow): InspectionItem => ({
  county: r.county,
  itemId: r.item_id,
  version: r.version,
  field: r.field,
  lead: r.lead,
  cooperating: r.cooperating,
  what: r.what,
  basis: r.basis,
  objectKind: r.object_kind,
  category: r.category,
  method: r.method,
  level: r.level,
  published: r.published,
  updatedAt: r.created_at.toISOString(),
  updatedBy: r.created_by,
});

/** The version of each of the county's items in force, in item order. */
export async function currentItems(db: Queryable, county: string): Promise<InspectionItem[]> {
  const res = await db.query<ItemRow>(`SELECT DISTINCT ON (item_id) * FROM inspection_items WHERE county = $1 ORDER BY item_id, version DESC`, [county]);
  return res.rows.map(toItem);
}

/** The item's version in force, or undefined: not on the county's list. */
export async function currentItem(db: Queryable, county: string, itemId: string): Promise<InspectionItem | undefined> {
  const res = await db.query<ItemRow>('SELECT * FROM inspection_items WHERE county = $1 AND item_id = $2 ORDER BY version DESC LIMIT 1', [county, itemId]);
  return res.rows[0] ? toItem(res.rows[0]) : undefined;
}

/**
 * The item as in force, when it is published; undefined when it is not on the county's list or
 * its current version is unpublished. Plans and inspections name only such items
 * (国办发〔2024〕54号: what is not on the published list is not inspected).
 */
export async function publishedItem(db: Queryable, county: string, itemId: string): Promise<InspectionItem | undefined> {
  const item = await currentItem(db, county, itemId);
  return item?.published ? item : undefined;
}

/**
 * A new version of the item. `baseVersion` is the version edited (0: a new item): an item changed
 * meanwhile answers 'stale' and nothing is written. Serialised per item.
 */
export async function putItem(
  client: pg.PoolClient,
  o: { county: string; itemId: string; body: InspectionItemBody; createdBy: string },
): Promise<InspectionItem | 'stale'> {
  await client.query('SELECT pg_advisory_xact_lock(7233018, hashtext($1))', [`${o.county}|${o.itemId}`]);
  const current = await currentItem(client, o.county, o.itemId);
  const version = current?.version ?? 0;
  if (o.body.baseVersion !== undefined && o.body.baseVersion !== version) return 'stale';
  const b = o.body;
  const res = await client.query<ItemRow>(
    `INSERT INTO inspection_items (county, item_id, version, field, lead, cooperating, what, basis, object_kind, category, method, level, published, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING *`,
    [
      o.county,
      o.itemId,
      version + 1,
      b.field,
      b.lead,
      b.cooperating,
      b.what,
      JSON.stringify(b.basis),
      b.objectKind,
      b.category,
      b.method,
      b.level,
      b.published,
      o.createdBy,
    ],
  );
  return toItem(res.rows[0]!);
}
