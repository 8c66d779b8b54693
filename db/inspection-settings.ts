/**
 * The county's published yearly cap of inspections per enterprise (国办发〔2024〕54号; DOMAIN §7;
 * issue 14 §4), kept as versions like the county's other configurations (db/county-versions.ts,
 * migration 0026): the newest in force. What is set here IS the published cap: it is public
 * (`GET /v1/counties/{county}/inspection-settings`) and read afresh by every round's snapshot and
 * every ad-hoc inspection (`yearlyCap`).
 */
import type pg from 'pg';
import { countyVersions, type CountyVersion } from './county-versions.js';
import type { Queryable } from './pool.js';

export interface InspectionSettings {
  county: string;
  /** null: no cap (also when the county never set one). */
  yearlyCap: number | null;
  /** The county's published document the cap comes from (文号), when given. */
  basis?: string;
  /** 0 when the county never set one. */
  version: number;
  /** When this version was made (ISO); undefined when never set. */
  updatedAt?: string;
}

/** What a version carries besides the cap. */
interface Extras {
  basis: string;
}

const lock = 7233026;
const versions = countyVersions<number | null, Extras>({ table: 'inspection_settings', column: 'yearly_cap', lock });

const asSettings = (v: CountyVersion<number | null, Extras>): InspectionSettings => ({
  county: v.county,
  yearlyCap: v.document,
  ...(v.settings.basis !== undefined ? { basis: v.settings.basis } : {}),
  version: v.version,
  updatedAt: v.createdAt,
});

/** The county's settings in force; no cap when it never set any. */
export async function inspectionSettings(db: Queryable, county: string): Promise<InspectionSettings> {
  const v = await versions.current(db, county);
  return v ? asSettings(v) : { county, yearlyCap: null, version: 0 };
}

/**
 * The county's published yearly cap per enterprise, or undefined: none (never set, or set to
 * null). The one reading of it: the round's snapshot (activities/rounds.ts) and the ad-hoc
 * inspection (api/routes/inspections.ts) call it each time, so a change counts from the next.
 */
export async function yearlyCap(db: Queryable, county: string): Promise<number | undefined> {
  return (await inspectionSettings(db, county)).yearlyCap ?? undefined;
}

/**
 * Sets the cap: a new version, unless it is what is in force already (a retried PUT writes
 * nothing and answers `changed: false`, whatever its `baseVersion`). Otherwise `baseVersion` is
 * the version edited: a version made meanwhile answers 'stale' and nothing is written.
 */
export async function putInspectionSettings(
  client: pg.PoolClient,
  o: { county: string; yearlyCap: number | null; basis?: string | undefined; baseVersion?: number | undefined; by: string },
): Promise<{ settings: InspectionSettings; changed: boolean } | 'stale'> {
  // The same lock `put` takes (re-entrant within the transaction): the comparison and the write are one step.
  await client.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [lock, o.county]);
  const current = await inspectionSettings(client, o.county);
  if (current.yearlyCap === o.yearlyCap && current.basis === o.basis) return { settings: current, changed: false };
  const put = await versions.put(client, {
    county: o.county,
    document: o.yearlyCap,
    settings: o.basis !== undefined ? { basis: o.basis } : {},
    createdBy: o.by,
    baseVersion: o.baseVersion,
  });
  return put === 'stale' ? 'stale' : { settings: asSettings(put), changed: true };
}
