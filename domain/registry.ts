/**
 * One list, two registries (一单两库, DOMAIN §7; issue 14 §1): the county's list of
 * integrated-supervision items (事项清单, fields of 周政办发〔2024〕13号 annex 1), the object registry
 * (tagged subjects with a credit grade) and the inspector registry (certificate holders only,
 * 国办发〔2024〕54号). Pure schemas, shared by the API and the db modules.
 */
import { z } from 'zod';
import { countySchema, departmentSchema } from './departments.js';
import { subjectSchema } from './matter.js';
import { safeText } from './text.js';

// ---------------------------------------------------------------- the list of items (事项清单)

/** An item's id as the county numbers its list (e.g. `SC-001`, `3`): no personal data. */
export const itemIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'expected an item id: letters, digits, `.`, `_`, `-` (at most 64)')
  .describe('The item’s number in the county’s list (e.g. `SC-001`)');

export const itemCategories = ['key', 'general'] as const;
export const itemMethods = ['on-site', 'off-site', 'written'] as const;
export const itemLevels = ['national', 'provincial', 'city', 'county'] as const;

const distinct = (xs: string[]) => new Set(xs).size === xs.length;

/** 设定依据: a statute and the article that sets the duty, cited exactly. */
export const basisSchema = z.object({
  statute: safeText().trim().min(2).max(200).describe('The statute or regulation, e.g. 《成品油市场管理办法》'),
  article: safeText().trim().min(1).max(100).describe('The article, e.g. 第二十条'),
});

export const inspectionItemBodySchema = z
  .object({
    field: safeText().trim().min(1).max(100).describe('监管领域, e.g. 成品油流通'),
    lead: departmentSchema.describe('牵头单位: the lead department'),
    cooperating: z.array(departmentSchema).max(20).default([]).describe('配合单位: cooperating departments (not the lead, each once)'),
    what: safeText().trim().min(2).max(500).describe('监管事项: what is checked'),
    basis: z.array(basisSchema).min(1).max(20).describe('设定依据: statute and article for each duty checked'),
    objectKind: safeText().trim().min(1).max(200).describe('监管对象: the kind of subject checked, e.g. 加油站'),
    category: z.enum(itemCategories).describe('事项类别: `key` (重点, may raise ratio and frequency) or `general` (一般)'),
    method: z.enum(itemMethods).describe('检查方式: `on-site` (实地), `off-site` (非现场) or `written` (书面): the last two need no visit'),
    level: z.enum(itemLevels).describe('监管层级: national, provincial, city or county'),
    published: z.boolean().describe('Published items are public and may be planned and inspected (国办发〔2024〕54号); unpublished ones may not'),
    baseVersion: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('The version edited (0: the item must not exist yet): changed meanwhile answers 409 `stale_version` and nothing is written'),
  })
  .refine((b) => distinct(b.cooperating) && !b.cooperating.includes(b.lead), {
    message: 'cooperating departments are distinct and exclude the lead',
    path: ['cooperating'],
  });
export type InspectionItemBody = z.infer<typeof inspectionItemBodySchema>;

export interface InspectionItem extends Omit<InspectionItemBody, 'baseVersion'> {
  county: string;
  itemId: string;
  version: number;
  updatedAt: string;
  updatedBy: string;
}

// ---------------------------------------------------------------- the object registry

/** Credit grades (信用分级分类): A–D everywhere; E (严重失信) only where the county uses it. */
export const creditGrades = ['A', 'B', 'C', 'D', 'E'] as const;
export type CreditGrade = (typeof creditGrades)[number];

/** The same trade codes clues and risk warnings use (诉求分类 / 行业), e.g. `catering`, `refined-oil`. */
export const tradeSchema = z
  .string()
  .regex(/^[a-z][a-z0-9-]{1,40}$/, 'expected a trade code (lower-case letters, digits, `-`)')
  .describe('Trade code, e.g. `refined-oil`, `catering`');
export const townshipCodeSchema = z.string().regex(/^\d{9,12}$/, 'expected a township division code');
export const tagSchema = safeText().trim().min(1).max(40).describe('A tag (标签化管理), e.g. 规上企业, 重点区域');

const registrySubjectShape = {
  name: subjectSchema.shape.name,
  kind: subjectSchema.shape.kind,
  creditCode: subjectSchema.shape.creditCode,
  county: countySchema,
  township: townshipCodeSchema.describe('The township (乡镇/街道) division code where the subject is (属地)'),
  trade: tradeSchema,
  tags: z.array(tagSchema).max(30).default([]).describe('Tags that pick the subjects of plans (002 item 12)'),
  creditGrade: z.enum(creditGrades).describe('Credit grade A–D; E (严重失信) only where the county uses it (registry settings)'),
  address: safeText().trim().max(300).optional().describe('Address (personal data for a person or a sole trader)'),
  creditReason: safeText()
    .trim()
    .min(2)
    .max(500)
    .optional()
    .describe('Why the grade is what it is (kept in the credit history when the grade changes; default: registration or adjustment)'),
};

/** What holds across fields: an enterprise has its credit code, the township is the county's. */
function subjectChecks(s: { kind: string; creditCode?: string | undefined; county: string; township: string }, ctx: z.RefinementCtx): void {
  if (s.kind === 'enterprise' && s.creditCode === undefined) {
    ctx.addIssue({ code: 'custom', path: ['creditCode'], message: 'an enterprise is registered with its unified social credit code' });
  }
  // Compared only when both are codes (a malformed one is already named, by itself).
  const codes = /^\d{6}$/.test(s.county) && /^\d{9,12}$/.test(s.township);
  if (codes && !s.township.startsWith(s.county)) ctx.addIssue({ code: 'custom', path: ['township'], message: 'the township is not in the county' });
}

/** `PUT /v1/subjects/{subjectId}`: a subject as the registry keeps it. */
export const registrySubjectSchema = z.object(registrySubjectShape).superRefine(subjectChecks);
export type RegistrySubject = z.infer<typeof registrySubjectSchema>;

/** Subject ids: random (no personal data in an id), as matters make them. */
export const subjectIdPattern = '^s-[0-9a-f]{32}$';
export const subjectIdSchema = z.string().regex(new RegExp(subjectIdPattern), 'expected a subject id (s- and 32 hex digits)');

/** One imported row: a subject, with its id when the caller has one. */
export const importRowSchema = z
  .object({
    subjectId: subjectIdSchema.optional().describe('Update this subject; without it the row finds its subject by credit code, else kind, name and address'),
    ...registrySubjectShape,
  })
  .strict()
  .superRefine(subjectChecks);
export type ImportRow = z.infer<typeof importRowSchema>;

/** The CSV columns of an import (a header row names them, in any order; `tags` separated by `;`). */
export const importColumns = [
  'subjectId',
  'name',
  'kind',
  'creditCode',
  'county',
  'township',
  'trade',
  'tags',
  'creditGrade',
  'address',
  'creditReason',
] as const;

// ---------------------------------------------------------------- the inspector registry

export const inspectorIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'expected an inspector id: letters, digits, `.`, `_`, `-` (at most 64)')
  .describe('The inspector’s id in the registry (a staff number, never a name)');

export const inspectorBodySchema = z.object({
  department: departmentSchema.describe('The inspector’s department'),
  name: safeText().trim().min(1).max(100).describe('The inspector’s name (personal data: never in ids or logs)'),
  certificateNo: safeText()
    .trim()
    .min(4)
    .max(40)
    .describe('执法证号: only holders of an enforcement certificate inspect (国办发〔2024〕54号); one inspector per certificate'),
  qualifications: z.array(tagSchema).max(30).default([]).describe('Qualifications (资格), e.g. 特种设备检验'),
  specialties: z.array(tagSchema).max(30).default([]).describe('Specialties (专业), e.g. 成品油'),
  active: z.boolean().describe('Drawn only while active'),
  conflicts: z
    .array(subjectIdSchema)
    .max(200)
    .default([])
    .refine(distinct, 'each subject once')
    .describe('Subjects the inspector has declared a conflict of interest with (recused from their checks, 行政处罚法 art. 43)'),
});
export type InspectorBody = z.infer<typeof inspectorBodySchema>;
