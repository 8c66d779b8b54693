/**
 * Plans and a registry for round tests, written straight to PostgreSQL (0018, 0021) until the
 * plans branch's POST /v1/plans is merged: a county's published items, registered subjects of
 * every credit grade, and certificate-holding inspectors.
 */
import type { Queryable } from '../../db/pool.js';
import type { Plan } from '../../domain/inspection-plan.js';

export type TestPlan = Pick<Plan, 'planId' | 'county' | 'year' | 'name' | 'lead' | 'cooperating' | 'items' | 'target' | 'ratios' | 'frequency' | 'window'>;

export async function insertPlan(db: Queryable, p: TestPlan): Promise<void> {
  await db.query(
    `INSERT INTO plans (plan_id, county, year, name, lead, cooperating, items, target, ratios, frequency, window_from, window_to, created_by)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, 'test')`,
    [p.planId, p.county, p.year, p.name, p.lead, p.cooperating, p.items, p.target, p.ratios, p.frequency, p.window.from, p.window.to],
  );
}

export async function insertItem(
  db: Queryable,
  o: { county: string; itemId: string; lead: string; cooperating?: string[]; method?: 'on-site' | 'off-site' | 'written' },
) {
  await db.query(
    `INSERT INTO inspection_items (county, item_id, version, field, lead, cooperating, what, basis, object_kind, category, method, level, published, created_by)
     VALUES ($1, $2, 1, '市场监管', $3, $4, '抽查事项', '[{"statute":"产品质量法","article":"15"}]', 'enterprise', 'general', $5, 'county', true, 'test')`,
    [o.county, o.itemId, o.lead, o.cooperating ?? [], o.method ?? 'on-site'],
  );
}

/** The fixture's subject ids: `s-` and 32 hex digits, the grade's letter first (`s-a000…0001`). */
export const subjectIdOf = (grade: string, i: number) => `s-${grade.toLowerCase()}${'0'.repeat(27)}${String(i).padStart(4, '0')}`;

/** `n` registered subjects per grade (`subjectIdOf`), trade `catering`. */
export async function insertSubjects(db: Queryable, county: string, perGrade: Partial<Record<'A' | 'B' | 'C' | 'D' | 'E', number>>) {
  for (const [grade, n] of Object.entries(perGrade)) {
    for (let i = 1; i <= n!; i++) {
      const id = subjectIdOf(grade, i);
      await db.query(
        `INSERT INTO subjects (subject_id, county, kind, match_key, name, township, trade, tags, credit_grade, registered_at, updated_at)
         VALUES ($1, $2, 'enterprise', $3, $4, $5, 'catering', '{}', $6, now(), now())`,
        [id, county, `test:${county}:${id}`, `测试企业${id}`, `${county}100`, grade],
      );
    }
  }
}

/** `n` active certificate holders of the department: `I-<department>-<n>`. */
export async function insertInspectors(db: Queryable, county: string, department: string, n: number) {
  for (let i = 1; i <= n; i++) {
    await db.query(
      `INSERT INTO inspectors (inspector_id, county, department, name, certificate_no, active, updated_by) VALUES ($1, $2, $3, $4, $5, true, 'test')`,
      [`I-${department}-${i}`, county, department, `检查员${i}`, `CERT-${county}-${department}-${i}`],
    );
  }
}
