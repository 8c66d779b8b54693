/**
 * 审管衔接's pure parts (DOMAIN §6): the event as the approval bureau sends it, the county's rules
 * (licence type → competent department and first-check working days, default 30), who checks an
 * event and within how long, the check's outcome codes and the workflow's input.
 */
import { describe, expect, test } from 'vitest';
import {
  approvalBodySchema,
  approvalInputSchema,
  approvalRulesSchema,
  approvalSettingsSchema,
  checkOutcomes,
  defaultApprovalSettings,
  licenceIssueOutcome,
  routeApproval,
  rulesOutsideCounty,
} from '../../domain/approval.js';
import { departmentName, departmentSchema } from '../../domain/departments.js';

const body = {
  event: 'licence-granted',
  licence: { type: 'food-business', number: 'JY16101240000123' },
  subject: { name: '某某餐饮店', kind: 'individual-business', address: '二曲街道中心路12号' },
  county: '610124',
};
const paths = (r: { success: boolean; error?: { issues: { path: PropertyKey[] }[] } }) => r.error?.issues.map((i) => i.path.join('.')) ?? [];

describe('the approval bureau and its event', () => {
  test('the approval bureau is a department (行政审批服务局)', () => {
    expect(departmentSchema.parse('approval')).toBe('approval');
    expect(departmentName('approval')).toBe('行政审批服务局');
  });

  test('an event: four kinds, a licence with a type code and a number, the subject, the county; the competent department and the decision time optional', () => {
    expect(approvalBodySchema.parse(body)).toEqual(body);
    for (const event of ['licence-granted', 'licence-changed', 'licence-revoked', 'filing']) {
      expect(approvalBodySchema.safeParse({ ...body, event }).success).toBe(true);
    }
    expect(paths(approvalBodySchema.safeParse({ ...body, event: 'licence-suspended' }))).toEqual(['event']);
    expect(paths(approvalBodySchema.safeParse({ ...body, licence: { type: 'Food Business', number: 'x' } }))).toEqual(['licence.type']);
    expect(paths(approvalBodySchema.safeParse({ ...body, licence: { type: 'food-business', number: '  ' } }))).toEqual(['licence.number']);
    expect(paths(approvalBodySchema.safeParse({ ...body, competentDepartment: 'aa' }))).toEqual(['competentDepartment']);
    expect(paths(approvalBodySchema.safeParse({ ...body, decidedAt: '2026-13-01T00:00:00+08:00' }))).toEqual(['decidedAt']);
    expect(paths(approvalBodySchema.safeParse({ ...body, subject: { kind: 'enterprise' } }))).toEqual(['subject.name']);
    expect(approvalBodySchema.parse({ ...body, competentDepartment: 'market', decidedAt: '2026-03-02T10:00:00+08:00' })).toMatchObject({
      competentDepartment: 'market',
    });
  });
});

describe('the county’s approval rules', () => {
  const rules = approvalRulesSchema.parse({
    licences: [
      { type: 'food-business', name: '食品经营许可', department: 'market', firstCheckWorkingDays: 20 },
      { type: 'hazardous-chemicals', name: '危险化学品经营许可', department: 'emergency' },
    ],
  });

  test('defaults: the first check within 30 working days (DOMAIN §6), sign-for 1', () => {
    expect(defaultApprovalSettings).toEqual({ firstCheckWorkingDays: 30, signForWorkingDays: 1 });
    expect(approvalSettingsSchema.parse({ firstCheckWorkingDays: 15 })).toEqual({ firstCheckWorkingDays: 15, signForWorkingDays: 1 });
    expect(paths(approvalSettingsSchema.safeParse({ firstCheckWorkingDays: 0 }))).toEqual(['firstCheckWorkingDays']);
    expect(paths(approvalSettingsSchema.safeParse({ firstCheckWorkingDays: 2.5 }))).toEqual(['firstCheckWorkingDays']);
  });

  test('each licence type at most once; a township outside the county is found', () => {
    const twice = approvalRulesSchema.safeParse({ licences: [rules.licences[0], rules.licences[0]] });
    expect(twice.success).toBe(false);
    expect(twice.error?.issues[0]?.message).toBe('each licence type at most once');
    const townships = approvalRulesSchema.parse({
      licences: [
        { type: 'a-b', department: 'township:610124100' },
        { type: 'c-d', department: 'township:610122100' },
      ],
    });
    expect(rulesOutsideCounty(townships, '610124')).toEqual([1]);
    expect(rulesOutsideCounty(rules, '610124')).toEqual([]);
  });

  test('the event’s competent department wins; else the licence type’s row; the limit is the row’s, else the county’s', () => {
    const settings = defaultApprovalSettings;
    expect(routeApproval(rules, settings, { licence: { type: 'food-business' } })).toEqual({
      department: 'market',
      by: 'county-rules',
      firstCheckWorkingDays: 20,
      licenceTypeName: '食品经营许可',
    });
    expect(routeApproval(rules, settings, { licence: { type: 'hazardous-chemicals' } })).toEqual({
      department: 'emergency',
      by: 'county-rules',
      firstCheckWorkingDays: 30,
      licenceTypeName: '危险化学品经营许可',
    });
    expect(routeApproval(rules, settings, { licence: { type: 'food-business' }, competentDepartment: 'health' })).toEqual({
      department: 'health',
      by: 'event',
      firstCheckWorkingDays: 20,
      licenceTypeName: '食品经营许可',
    });
    expect(routeApproval(rules, { ...settings, firstCheckWorkingDays: 10 }, { licence: { type: 'drug-retail' }, competentDepartment: 'market' })).toEqual({
      department: 'market',
      by: 'event',
      firstCheckWorkingDays: 10,
    });
    // Nobody named: no department, and the API refuses the event (422 no_competent_department).
    expect(routeApproval(rules, settings, { licence: { type: 'drug-retail' } })).toBeUndefined();
    expect(routeApproval(undefined, settings, { licence: { type: 'food-business' } })).toBeUndefined();
  });
});

describe('the check', () => {
  test('outcomes: after a grant, change or filing compliant / rectification / licence-issue; after a revocation ceased / licence-issue', () => {
    expect(licenceIssueOutcome).toBe('licence-issue');
    for (const e of ['licence-granted', 'licence-changed', 'filing'] as const)
      expect(checkOutcomes(e)).toEqual(['compliant', 'rectification', 'licence-issue']);
    expect(checkOutcomes('licence-revoked')).toEqual(['ceased', 'licence-issue']);
  });

  test('the workflow’s input: the department and clock resolved, the times in epoch ms; sign-for defaults to 1 working day', () => {
    const input = approvalInputSchema.parse({
      county: '610124',
      event: 'filing',
      licence: { type: 'food-business', typeName: '食品经营许可', number: 'B-1' },
      subject: body.subject,
      department: 'market',
      routedBy: 'county-rules',
      firstCheckWorkingDays: 30,
      decidedAt: 1_772_000_000_000,
      receivedAt: 1_772_000_060_000,
    });
    expect(input.signForWorkingDays).toBe(1);
    expect(paths(approvalInputSchema.safeParse({ ...input, department: 'nobody' }))).toEqual(['department']);
    expect(paths(approvalInputSchema.safeParse({ ...input, firstCheckWorkingDays: 0 }))).toEqual(['firstCheckWorkingDays']);
  });
});
