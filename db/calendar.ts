import { cnWorkdayCalendarData, compileCalendar, type Calendar, type CalendarYearData } from '../domain/calendar/index.js';
import type { Queryable } from './pool.js';

export interface CalendarYearRecord {
  year: number;
  version: number;
  data: CalendarYearData;
  source: string;
  publishedAt: string | null;
  /** The key id of who published it (null for the built-in schedules). */
  publishedBy: string | null;
  /** 'database' when published through the API, 'built-in' for the schedules shipped with the code. */
  origin: 'database' | 'built-in';
}

/** The schedule in force for one year, or undefined when the year is not published (provisional). */
export async function getCalendarYear(db: Queryable, year: number): Promise<CalendarYearRecord | undefined> {
  const res = await db.query(
    'SELECT year, version, data, source, published_at, published_by FROM calendar_years WHERE year = $1 ORDER BY version DESC LIMIT 1',
    [year],
  );
  const row = res.rows[0];
  if (row) {
    return {
      year: row.year,
      version: row.version,
      data: row.data,
      source: row.source,
      publishedAt: (row.published_at as Date).toISOString(),
      publishedBy: row.published_by ?? null,
      origin: 'database',
    };
  }
  const builtIn = cnWorkdayCalendarData.years[String(year)];
  if (!builtIn) return undefined;
  return {
    year,
    version: 0,
    data: builtIn as CalendarYearData,
    source: cnWorkdayCalendarData.sources[String(year)] ?? '',
    publishedAt: null,
    publishedBy: null,
    origin: 'built-in',
  };
}

/** Stores a new version of a year's schedule (validated by the caller) and returns it. */
export async function publishCalendarYear(db: Queryable, year: number, data: CalendarYearData, source: string, by: string | null): Promise<CalendarYearRecord> {
  const res = await db.query(
    `INSERT INTO calendar_years (year, version, data, source, published_by)
     VALUES ($1, coalesce((SELECT max(version) FROM calendar_years WHERE year = $1), 0) + 1, $2, $3, $4)
     RETURNING version, published_at`,
    [year, data, source, by],
  );
  return {
    year,
    version: res.rows[0].version,
    data,
    source,
    publishedAt: (res.rows[0].published_at as Date).toISOString(),
    publishedBy: by,
    origin: 'database',
  };
}

/**
 * The calendar in force, cached per process and reloaded when the table's revision changes: one
 * cheap query per use, so a year published through any API process is seen by every worker at once.
 * When PostgreSQL cannot be reached, the cached calendar answers: nothing can be published while it
 * is down, and a year published just before is brought to open tasks by the calendarPublication
 * workflow anyway. Without a cache the error goes to the caller (an activity, retried).
 */
/**
 * The open workflows whose clocks a change to `year` can move, one page after `after` (keyset,
 * by workflow id, so runs that end or start meanwhile neither shift the pages nor get skipped):
 * tasks whose deadline is provisional or falls in the year or the next (a limit can start in one
 * year and end in the next), and every open matter and dispute (their own waits, a rectification
 * period or a dispute's rung, are not in the read model; recomputing one that is not affected
 * changes nothing). Without `limit` (publication runs started before paging), the whole list.
 */
export async function listOpenWorkflowsAffectedByYear(db: Queryable, req: { year: number; after?: string; limit?: number }): Promise<string[]> {
  const res = await db.query<{ id: string }>(
    `SELECT id FROM (
       SELECT task_id AS id FROM tasks
        WHERE state IN ('assigned', 'signed', 'submitted', 'rework')
          AND (due_provisional OR extract(year FROM due_at AT TIME ZONE 'Asia/Shanghai') BETWEEN $1 AND $1 + 1)
       UNION ALL SELECT matter_id FROM matters WHERE status = 'open'
       UNION ALL SELECT dispute_id FROM disputes WHERE state = 'open'
     ) affected
     WHERE id > $2
     ORDER BY id
     LIMIT $3`,
    [req.year, req.after ?? '', req.limit ?? null],
  );
  return res.rows.map((r) => r.id);
}

export class CalendarStore {
  private cached: { revision: number; calendar: Calendar } | undefined;

  constructor(private readonly db: Queryable) {}

  async current(): Promise<Calendar> {
    return (await this.currentWithRevision()).calendar;
  }

  /** The calendar and its revision (the newest `calendar_years` id; 0 for the shipped schedules only). */
  async currentWithRevision(): Promise<{ calendar: Calendar; revision: number }> {
    let revision: number;
    try {
      const rev = await this.db.query<{ revision: number }>('SELECT coalesce(max(id), 0)::int AS revision FROM calendar_years');
      revision = rev.rows[0]!.revision;
    } catch (err) {
      if (this.cached) return this.cached;
      throw err;
    }
    if (this.cached?.revision === revision) return this.cached;
    const rows = await this.db.query('SELECT DISTINCT ON (year) year, data FROM calendar_years ORDER BY year, version DESC');
    const years: Record<string, CalendarYearData> = { ...(cnWorkdayCalendarData.years as Record<string, CalendarYearData>) };
    for (const r of rows.rows) years[String(r.year)] = r.data;
    this.cached = { revision, calendar: compileCalendar(years) };
    return this.cached;
  }
}
