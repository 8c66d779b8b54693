import { z } from 'zod';

/** County-level departments (DOMAIN.md §2). Codes are identifiers; names are what users read. */
export const departmentNames = {
  commerce: '商务局',
  market: '市场监督管理局',
  emergency: '应急管理局',
  police: '公安局',
  transport: '交通运输局',
  tax: '税务局',
  ecology: '生态环境分局',
  fire: '消防救援大队',
  housing: '住房和城乡建设局',
  'natural-resources': '自然资源局',
  agriculture: '农业农村局',
  hrss: '人力资源和社会保障局',
  education: '教育局',
  'culture-tourism': '文化广电旅游局',
  sports: '体育局',
  health: '卫生健康局',
  'civil-affairs': '民政局',
  'urban-management': '综合行政执法局',
  justice: '司法局',
  'staffing-office': '机构编制委员会办公室',
  'gov-services': '政务服务管理局',
  approval: '行政审批服务局',
  'county-government': '县人民政府',
  procuratorate: '人民检察院',
  'financial-regulator': '金融监管部门',
} as const;

export type FixedDepartment = keyof typeof departmentNames;

/** The county's approval bureau (行政审批服务局): it sends the events and hears of the findings. */
export const approvalBureau = 'approval' satisfies FixedDepartment;

/** A department code: one of the fixed codes, or a township / sub-district `township:<code>`. */
// Published as checked: the OpenAPI document lists the fixed codes and the township pattern, so
// a code the API refuses (e.g. `aa`) is invalid by the spec too.
export const departmentSchema = z
  .union([z.enum(Object.keys(departmentNames) as [FixedDepartment, ...FixedDepartment[]]), z.string().regex(/^township:\d{6,12}$/)], {
    error: 'unknown department code',
  })
  .describe('Department code, e.g. `housing`, `market`, or `township:610124100` (DOMAIN.md §2)');

/** The department and its county agree: a township code starts with its county's code (GB/T 10114). */
export function departmentInCounty(department: string, county: string): boolean {
  return !department.startsWith('township:') || department.slice('township:'.length).startsWith(county);
}

export function departmentName(code: string): string {
  if (code.startsWith('township:')) return `乡镇人民政府（${code.slice('township:'.length)}）`;
  return (departmentNames as Record<string, string>)[code] ?? code;
}

/** Administrative division codes are 6 digits: county 610124 → city 610100 → province 610000. */
export const countySchema = z
  .string()
  .regex(/^\d{6}$/, 'expected a 6-digit administrative division code')
  .describe('Administrative division code (行政区划代码), e.g. 610124 周至县');

export const divisionNames: Record<string, string> = {
  '610000': '陕西省',
  '610100': '西安市',
  '610124': '周至县',
  '610122': '蓝田县',
  '610118': '鄠邑区',
};

export function divisionName(code: string): string {
  return divisionNames[code] ?? code;
}

export type DivisionLevel = 'province' | 'city' | 'county';

export function divisionLevel(code: string): DivisionLevel {
  if (code.endsWith('0000')) return 'province';
  if (code.endsWith('00')) return 'city';
  return 'county';
}

/** The code prefix shared by every county a division covers: 610124 → 610124, 610100 → 6101, 610000 → 61. */
export function divisionPrefix(code: string): string {
  const level = divisionLevel(code);
  return level === 'province' ? code.slice(0, 2) : level === 'city' ? code.slice(0, 4) : code;
}

/** True when `division` is `county` itself or one of its superiors (city, province). */
export function divisionCovers(division: string, county: string): boolean {
  return county.startsWith(divisionPrefix(division));
}
