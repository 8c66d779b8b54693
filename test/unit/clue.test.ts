/**
 * The clue's pure parts (DOMAIN §6): the dispatch catalogue as a table, the clocks by category and
 * urgency, the repeat key (并单) and the masking of the complainant.
 */
import { describe, expect, test } from 'vitest';
import { factsSchemas } from '../../domain/scenarios/facts.js';
import {
  catalogueMatterFacts,
  clueBodySchema,
  clueLimits,
  defaultClueSettings,
  dispatchCatalogueSchema,
  dispatchClue,
  maskName,
  maskPhone,
  mergeKey,
  normaliseAddress,
  type Dispatchable,
} from '../../domain/clue.js';

const catalogue = dispatchCatalogueSchema.parse({
  rules: [
    {
      id: 'prepaid-card',
      match: { keywords: ['预付卡', '办卡', '退费'] },
      duty: 'functional',
      lead: 'commerce',
      coHandlers: ['market'],
      openMatter: { scenario: 'prepaid-card' },
    },
    {
      id: 'training-school',
      match: { trades: ['education'], categories: ['complaint', 'report'] },
      duty: 'functional',
      lead: 'education',
      coHandlers: ['market', 'education'],
    },
    { id: 'house-crack', match: { subjectKinds: ['house'], keywords: ['裂缝', '危房'] }, duty: 'territorial', lead: 'locality', coHandlers: ['housing'] },
    { id: 'black-station', match: { keywords: ['黑加油站'] }, duty: 'functional', lead: 'commerce', coHandlers: ['market', 'emergency', 'police'] },
  ],
});

const clue = (over: Partial<Dispatchable>): Dispatchable => ({ category: 'complaint', content: '', ...over });

describe('dispatch by the county catalogue (派单目录)', () => {
  test.each([
    [
      'a keyword in the content',
      clue({ content: '该店办卡后拒绝退费' }),
      { ruleId: 'prepaid-card', lead: 'commerce', coHandlers: ['market'], openMatter: { scenario: 'prepaid-card' } },
    ],
    [
      'full-width and case do not matter to keywords',
      clue({ content: '发现ＸＸ路有黑加油站' }),
      { ruleId: 'black-station', lead: 'commerce', coHandlers: ['market', 'emergency', 'police'] },
    ],
    [
      'trade and category both hold; the lead is not its own co-handler',
      clue({ trade: 'education', content: '培训机构跑路' }),
      { ruleId: 'training-school', lead: 'education', coHandlers: ['market'] },
    ],
    [
      "locality becomes the clue's township",
      clue({ subject: { kind: 'house' }, township: '610124100', content: '墙体出现裂缝' }),
      { ruleId: 'house-crack', lead: 'township:610124100', coHandlers: ['housing'] },
    ],
  ])('%s', (_name, input, expected) => {
    expect(dispatchClue(catalogue, input)).toEqual(expected);
  });

  test.each([
    ['a category the rule does not list', clue({ trade: 'education', category: 'consultation', content: '培训机构何时开课' })],
    ['a trade the clue does not carry', clue({ category: 'report', content: '培训机构跑路' })],
    ['a territorial rule when the clue names no township', clue({ subject: { kind: 'house' }, content: '墙体出现裂缝' })],
    ['nothing in the catalogue', clue({ content: '路灯不亮' })],
  ])('no match (the 12345 office dispatches by hand): %s', (_name, input) => {
    expect(dispatchClue(catalogue, input)).toBeUndefined();
  });

  test("the first matching rule in the county's order wins", () => {
    const both = clue({ content: '黑加油站也卖预付卡' });
    expect(dispatchClue(catalogue, both)?.ruleId).toBe('prepaid-card');
  });

  test("a functional department's item is never dispatched to a township (国办函〔2025〕66号)", () => {
    const r = dispatchCatalogueSchema.safeParse({ rules: [{ id: 'x', match: { keywords: ['噪音'] }, duty: 'functional', lead: 'township:610124100' }] });
    expect(r.success).toBe(false);
    expect(r.error?.issues.map((i) => [i.path.join('.'), i.message])).toEqual([
      ['rules.0.lead', "a functional department's item is never dispatched to a township"],
    ]);
    const co = dispatchCatalogueSchema.safeParse({
      rules: [{ id: 'x', match: { keywords: ['噪音'] }, duty: 'functional', lead: 'ecology', coHandlers: ['locality'] }],
    });
    expect(co.success).toBe(false);
  });

  test('a rule matches on something, and ids are unique', () => {
    expect(dispatchCatalogueSchema.safeParse({ rules: [{ id: 'x', match: {}, duty: 'functional', lead: 'market' }] }).error?.issues[0]?.path).toEqual([
      'rules',
      0,
      'match',
    ]);
    const twice = { id: 'x', match: { keywords: ['a'] }, duty: 'functional', lead: 'market' };
    expect(dispatchCatalogueSchema.safeParse({ rules: [twice, twice] }).error?.issues[0]?.message).toBe('rule ids are unique');
  });
});

describe('clocks by category and urgency (DOMAIN §6 defaults)', () => {
  test.each([
    ['consultation', 3],
    ['help', 7],
    ['suggestion', 7],
    ['complaint', 15],
    ['report', 15],
  ] as const)('%s: handled within %i working days of sign-for', (category, days) => {
    expect(clueLimits(defaultClueSettings, category, 'normal').handle).toEqual({ amount: days, unit: 'working_day', startsFrom: 'sign-for' });
  });

  test('sign-for: 1 working day; urgent 30 and emergency 15 minutes, through holidays', () => {
    expect(clueLimits(defaultClueSettings, 'help', 'normal').signFor).toEqual({ amount: 1, unit: 'working_day', startsFrom: 'assignment' });
    expect(clueLimits(defaultClueSettings, 'help', 'urgent').signFor).toEqual({ amount: 30, unit: 'minute', startsFrom: 'assignment' });
    expect(clueLimits(defaultClueSettings, 'help', 'emergency').signFor).toEqual({ amount: 15, unit: 'minute', startsFrom: 'assignment' });
  });

  test('the other defaults: return 1 wd, 3 dispatches, visit-back 3 wd, merge window 30 days, extension ≤ 10 wd', () => {
    expect(defaultClueSettings).toMatchObject({
      returnWorkingDays: 1,
      maxDispatches: 3,
      visitWorkingDays: 3,
      mergeWindowDays: 30,
      maxExtensionWorkingDays: 10,
    });
  });
});

describe('repeats (并单) and personal data', () => {
  test('the credit code, else the normalised address, with county and category', () => {
    expect(mergeKey({ county: '610124', category: 'complaint', subject: { creditCode: '91610124ma6u1234x5', address: '二曲街道' } })).toBe(
      '610124|complaint|uscc:91610124MA6U1234X5',
    );
    expect(mergeKey({ county: '610124', category: 'complaint', subject: { address: '周至县 二曲街道 中心路１２号。' } })).toBe(
      mergeKey({ county: '610124', category: 'complaint', subject: { address: '周至县二曲街道中心路12号' } }),
    );
    expect(normaliseAddress('周至县 二曲街道，中心路１２号')).toBe('周至县二曲街道中心路12号');
    expect(mergeKey({ county: '610124', category: 'report', subject: { address: '中心路12号' } })).not.toBe(
      mergeKey({ county: '610124', category: 'complaint', subject: { address: '中心路12号' } }),
    );
    expect(mergeKey({ county: '610124', category: 'complaint' })).toBeUndefined();
  });

  test('masks: 138****1234, a landline keeps its area code; a name keeps its first character', () => {
    expect(maskPhone('13812341234')).toBe('138****1234');
    expect(maskPhone('029-88886666')).toBe('029****6666');
    expect(maskPhone('075512345678')).toBe('0755****5678');
    expect(maskName('张三')).toBe('张*');
    expect(maskName('欧阳娜娜')).toBe('欧***');
  });

  test('an anonymous complainant gives no name or phone; a reply needs a phone', () => {
    const base = { channel: '12345', ref: 'GD20261201001', category: 'complaint', urgency: 'normal', county: '610124', content: '噪音扰民' };
    expect(clueBodySchema.safeParse({ ...base, complainant: { anonymous: true, wantsReply: false } }).success).toBe(true);
    const named = clueBodySchema.safeParse({ ...base, complainant: { anonymous: true, name: '张三', wantsReply: false } });
    expect(named.error?.issues.map((i) => i.path.join('.'))).toEqual(['complainant.anonymous']);
    const noPhone = clueBodySchema.safeParse({ ...base, complainant: { anonymous: false, name: '张三', wantsReply: true } });
    expect(noPhone.error?.issues.map((i) => i.path.join('.'))).toEqual(['complainant.phone']);
  });

  test('a rule’s matter starts from the clue’s township and trade, the rule’s own facts over them; what the scenario lacks is not invented', () => {
    const clue = { township: '610124100', trade: 'sports' };
    expect(catalogueMatterFacts(clue, { signal: 'absconding' })).toEqual({ township: '610124100', trade: 'sports', signal: 'absconding' });
    expect(catalogueMatterFacts(clue, { trade: 'education' }).trade).toBe('education');
    expect(catalogueMatterFacts({})).toEqual({});
    // Prepaid cards take the trade (and drop the township); refined oil still needs a station kind.
    expect(factsSchemas['prepaid-card'].parse(catalogueMatterFacts(clue, { signal: 'complaint' }))).toEqual({ trade: 'sports', signal: 'complaint' });
    const oil = factsSchemas['refined-oil'].safeParse(catalogueMatterFacts(clue));
    expect(oil.error?.issues.map((i) => i.path.join('.'))).toEqual(['stationKind']);
  });
});
