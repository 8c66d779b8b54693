/**
 * The risk warning's pure parts (DOMAIN §6, 晋政办发〔2023〕39号 item 13): the body and input
 * schemas, the push by the county's catalogue, the clocks and who is told per level, the joint
 * review's levels, the special-campaign rule (专项整治), and the shape of a department's
 * verification and disposal on its task.
 */
import { describe, expect, test } from 'vitest';
import { dispatchCatalogueSchema } from '../../domain/clue.js';
import {
  campaignSuggestion,
  defaultRiskWarningSettings,
  needsJointReview,
  pushTargets,
  responsibleDepartments,
  riskWarningBodySchema,
  riskWarningInputSchema,
  riskWarningSettingsSchema,
  verificationLimit,
  type Pushable,
  type RecentWarning,
} from '../../domain/risk-warning.js';
import { disposalOutcome, disposalSubmission, openStepTask, verificationSubmission } from '../../workflows/risk-warning/messages.js';
import { submitBodySchema } from '../../domain/task.js';

const body = {
  county: '610124',
  source: 'model',
  model: 'prepaid-risk v2',
  level: 'red',
  subject: { name: '某健身房', kind: 'enterprise', creditCode: '91610124MA6U1234X5' },
  trade: 'sports',
  township: '610124100',
  indicators: [
    { name: '退费投诉数', value: 12, threshold: 5 },
    { name: '门店状态', value: '停业' },
  ],
  summary: '预付卡门店疑似跑路',
};

describe('the warning as the issuer sends it', () => {
  test('a model’s warning: parsed as sent', () => {
    expect(riskWarningBodySchema.parse(body)).toEqual(body);
  });

  test.each([
    ['a model’s warning without its model', { ...body, model: undefined }, ['model']],
    ['a model’s warning without indicators', { ...body, indicators: [] }, ['indicators']],
    ['an unknown level', { ...body, level: 'purple' }, ['level']],
    ['more than 50 indicators', { ...body, indicators: Array.from({ length: 51 }, (_, i) => ({ name: `x${i}`, value: i })) }, ['indicators']],
    ['a NUL in the summary', { ...body, summary: 'a\u0000b' }, ['summary']],
    ['a township that is not a division code', { ...body, township: '二曲街道' }, ['township']],
    ['a department named twice', { ...body, departments: ['market', 'market'] }, ['departments']],
    ['a subject without a kind', { ...body, subject: { name: '某店' } }, ['subject.kind']],
  ])('refused: %s', (_what, b, paths) => {
    const r = riskWarningBodySchema.safeParse(b);
    expect(r.success).toBe(false);
    expect([...new Set(r.error!.issues.map((i) => i.path.join('.')))]).toEqual(paths);
  });

  test('a department’s warning needs neither model nor indicators; the subject keeps only name, kind, credit code and address', () => {
    const r = riskWarningBodySchema.parse({
      ...body,
      source: 'department',
      model: undefined,
      indicators: [],
      subject: { name: '某店', kind: 'other', tags: ['x'] },
    });
    expect(r.subject).toEqual({ name: '某店', kind: 'other' });
  });

  test('the input: a department’s warning names its issuing department; settings default', () => {
    const input = { ...body, departments: ['sports', 'market'] };
    const parsed = riskWarningInputSchema.parse(input);
    expect(parsed.settings).toEqual(defaultRiskWarningSettings);
    expect(riskWarningInputSchema.safeParse({ ...input, source: 'department' }).error?.issues.map((i) => i.path.join('.'))).toEqual(['issuingDepartment']);
    expect(riskWarningInputSchema.safeParse({ ...input, departments: [] }).success).toBe(false);
    expect(riskWarningInputSchema.safeParse({ ...input, source: 'department', issuingDepartment: 'market' }).success).toBe(true);
  });
});

const catalogue = dispatchCatalogueSchema.parse({
  rules: [
    // A 12345 category row: not for warnings, however well its other criteria match.
    { id: 'sports-complaint', match: { trades: ['sports'], categories: ['complaint'] }, duty: 'functional', lead: 'commerce' },
    { id: 'gym-card', match: { trades: ['sports'] }, duty: 'functional', lead: 'sports', coHandlers: ['market', 'commerce', 'sports'] },
    { id: 'house', match: { subjectKinds: ['house'] }, duty: 'territorial', lead: 'locality', coHandlers: ['housing'] },
    { id: 'gas', match: { keywords: ['燃气泄漏'] }, duty: 'functional', lead: 'urban-management', coHandlers: ['fire'] },
    { id: 'any-enterprise', match: { subjectKinds: ['enterprise'] }, duty: 'functional', lead: 'market' },
  ],
});
const warning = (over: Partial<Pushable>): Pushable => ({ summary: '', indicators: [], subject: { kind: 'other' }, ...over });

describe('the push (推送) by the county’s catalogue', () => {
  test.each([
    [
      'by trade: the first row’s lead and co-handlers, lead first, each once; category rows are skipped',
      warning({ trade: 'sports', subject: { kind: 'enterprise' } }),
      { ruleId: 'gym-card', departments: ['sports', 'market', 'commerce'] },
    ],
    [
      'by subject kind, locality as the warning’s township',
      warning({ subject: { kind: 'house' }, township: '610124100' }),
      { ruleId: 'house', departments: ['township:610124100', 'housing'] },
    ],
    [
      'by keyword in an indicator’s name',
      warning({ indicators: [{ name: '燃气泄漏报警次数', value: 3 }] }),
      { ruleId: 'gas', departments: ['urban-management', 'fire'] },
    ],
    [
      'a catch-all row after the specific ones',
      warning({ trade: 'catering', subject: { kind: 'enterprise' } }),
      { ruleId: 'any-enterprise', departments: ['market'] },
    ],
  ])('%s', (_what, w, expected) => {
    expect(responsibleDepartments(catalogue, w)).toEqual(expected);
  });

  test('no row: undefined (a territorial row needs a township; nothing else matches)', () => {
    expect(responsibleDepartments(catalogue, warning({ subject: { kind: 'house' } }))).toBeUndefined();
    expect(responsibleDepartments(catalogue, warning({ trade: 'catering' }))).toBeUndefined();
  });

  test('departments the issuer names win over the catalogue; without either, none', () => {
    expect(pushTargets(catalogue, { ...warning({ trade: 'sports' }), departments: ['police'] })).toEqual({ departments: ['police'] });
    expect(pushTargets(catalogue, warning({ trade: 'sports' }))?.ruleId).toBe('gym-card');
    expect(pushTargets(undefined, warning({ trade: 'sports' }))).toBeUndefined();
  });
});

describe('clocks and who is told, by level (DOMAIN §6 defaults)', () => {
  test.each([
    ['red', 1],
    ['orange', 3],
    ['yellow', 5],
    ['blue', 10],
  ] as const)('%s: verified within %i working days of the push', (level, days) => {
    expect(verificationLimit(defaultRiskWarningSettings, level)).toEqual({ amount: days, unit: 'working_day', startsFrom: 'matter-opened' });
  });

  test('a county configures its own: orange in 2, blue in 7; the rest keep the defaults', () => {
    const s = riskWarningSettingsSchema.parse({ verificationWorkingDays: { orange: 2, blue: 7 } });
    expect(s.verificationWorkingDays).toEqual({ red: 1, orange: 2, yellow: 5, blue: 7 });
    expect(riskWarningSettingsSchema.safeParse({ verificationWorkingDays: { red: 0 } }).success).toBe(false);
  });

  test('the other defaults: sign-for 1, disposal 10, review 2, feedback 3 working days; campaign 3 in 30 days', () => {
    expect(defaultRiskWarningSettings).toMatchObject({
      signForWorkingDays: 1,
      disposalWorkingDays: 10,
      reviewWorkingDays: 2,
      feedbackWorkingDays: 3,
      campaign: { threshold: 3, windowDays: 30 },
    });
  });

  test('a joint review for red and orange; red told to the supervisors and the county government, orange to the supervisors', () => {
    expect((['red', 'orange', 'yellow', 'blue'] as const).map((l) => needsJointReview(defaultRiskWarningSettings, l))).toEqual([true, true, false, false]);
    expect(defaultRiskWarningSettings.toldAtPush).toEqual({
      red: ['county-supervisors', 'county-government'],
      orange: ['county-supervisors'],
      yellow: [],
      blue: [],
    });
  });
});

describe('the special-campaign rule (专项整治): 3 of one trade in one township within 30 days', () => {
  const at = (day: number) => new Date(Date.parse('2026-03-01T09:00:00+08:00') + day * 86_400_000).toISOString();
  const w = (id: string, day: number, over: Partial<RecentWarning> = {}): RecentWarning => ({
    warningId: id,
    trade: 'sports',
    township: '610124100',
    issuedAt: at(day),
    ...over,
  });
  const next = (day: number, over: Partial<RecentWarning> = {}) => ({ warningId: 'new', trade: 'sports', township: '610124100', issuedAt: at(day), ...over });

  test('the third within the window suggests one, listing the cluster oldest first', () => {
    expect(campaignSuggestion([w('b', 20), w('a', 5)], next(29))).toEqual({
      trade: 'sports',
      township: '610124100',
      windowDays: 30,
      warningIds: ['a', 'b', 'new'],
    });
  });

  test.each([
    ['only two', [w('a', 5)], next(29)],
    ['the first is 30 days before', [w('a', 0), w('b', 20)], next(30)],
    ['another trade', [w('a', 5, { trade: 'catering' }), w('b', 20)], next(29)],
    ['another township', [w('a', 5, { township: '610124101' }), w('b', 20)], next(29)],
    ['the new warning has no township', [w('a', 5), w('b', 20)], next(29, { township: undefined })],
    ['the new warning has no trade', [w('a', 5), w('b', 20)], next(29, { trade: undefined })],
    ['later ones do not count', [w('a', 5), w('b', 40)], next(29)],
    ['the warning itself does not count twice', [w('a', 5), w('new', 29)], next(29)],
    ['one in the window already carried a suggestion', [w('a', 5), w('b', 10), w('c', 20, { campaignSuggested: true })], next(29)],
  ])('none: %s', (_what, recent, warning) => {
    expect(campaignSuggestion(recent, warning)).toBeUndefined();
  });

  test('a suggestion that left the window lets a persisting problem be raised again; a county’s own threshold and window', () => {
    expect(campaignSuggestion([w('a', 1, { campaignSuggested: true }), w('b', 35), w('c', 40)], next(45))?.warningIds).toEqual(['b', 'c', 'new']);
    expect(campaignSuggestion([w('a', 5)], next(10), { threshold: 2, windowDays: 7 })?.warningIds).toEqual(['a', 'new']);
    expect(campaignSuggestion([w('a', 1)], next(10), { threshold: 2, windowDays: 7 })).toBeUndefined();
  });
});

describe('verification and disposal as a department’s submission on its task', () => {
  test('verification: confirmed ↔ outcome; the findings kept', () => {
    const s = verificationSubmission({ department: 'market', findings: '门店已停业，会员卡无法退费', confirmed: true });
    expect(s).toEqual({ summary: '核查属实', findings: '门店已停业，会员卡无法退费', outcome: 'confirmed' });
    expect(submitBodySchema.safeParse(s).success).toBe(true);
    expect(verificationSubmission({ department: 'market', findings: '正常营业', confirmed: false }).outcome).toBe('unfounded');
  });

  test.each<[{ openMatter?: boolean; jointInspection?: boolean }, string]>([
    [{}, 'disposed'],
    [{ openMatter: true }, 'open-matter'],
    [{ jointInspection: true }, 'joint-inspection'],
    [{ openMatter: true, jointInspection: true }, 'open-matter-and-joint-inspection'],
  ])('disposal %j → %s and back', (asks, code) => {
    const s = disposalSubmission({ department: 'sports', measures: '责令整改', ...asks });
    expect(s).toEqual({ summary: '责令整改', outcome: code });
    expect(disposalOutcome(code)).toEqual({ openMatter: !!asks.openMatter, jointInspection: !!asks.jointInspection });
  });

  test('the open task of a step for a department', () => {
    const tasks = [
      { taskId: 't1', department: 'market', step: 'verification', state: 'cancelled' },
      { taskId: 't2', department: 'market', step: 'verification', state: 'running' },
      { taskId: 't3', department: 'market', step: 'disposal', state: 'running' },
    ] as const;
    const view = { tasks: tasks.map((t) => ({ ...t })) };
    expect(openStepTask(view, 'verification', 'market')).toBe('t2');
    expect(openStepTask(view, 'disposal', 'market')).toBe('t3');
    expect(openStepTask(view, 'verification', 'sports')).toBeUndefined();
  });
});
