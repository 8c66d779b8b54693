import { defaultLadder } from '../task.js';
import { scenarioDefinitionSchema, type ScenarioDefinition, type ScenarioId } from './schema.js';

/**
 * Default catalogue entries for the three pilots (DOMAIN §3). Defaults follow the national and
 * provincial texts; a county overrides roles and limits (PUT /v1/counties/{county}/scenarios/{id}).
 */
type Origin = 'assignment' | 'sign-for' | 'previous-step' | 'matter-opened';
const wd = (amount: number, startsFrom: Origin = 'sign-for') => ({ amount, unit: 'working_day' as const, startsFrom });
const cd = (amount: number, startsFrom: Origin = 'sign-for') => ({ amount, unit: 'calendar_day' as const, startsFrom });
const hours = (amount: number, startsFrom: Origin = 'assignment') => ({ amount, unit: 'hour' as const, startsFrom });
const signFor1 = wd(1, 'assignment');

/**
 * 行刑衔接 (国务院令第310号, DOMAIN §8), run by the `criminalTransfer` workflow. Its 3 days are
 * calendar days counted from the event the article names and not moved past holidays (the police
 * work through them: `extendToWorkingDay: false`; a county may override a step's limits); every
 * step is laddered in hours and cannot be returned (the police forward instead, art. 7).
 */
const transferDays = (startsFrom: Origin) => ({ amount: 3, unit: 'calendar_day' as const, startsFrom, extendToWorkingDay: false });
const transferStep = { review: 'none', ladderScale: 'hours', returnable: false } as const;
const criminalTransferTasks = (agency: string) => ({
  'transfer.report': {
    ...transferStep,
    role: agency,
    title: '专案组提出移送涉嫌犯罪案件的书面报告',
    requires: { caseGroup: 2 },
    instructions:
      '立即指定2名或者2名以上行政执法人员组成专案组，核实情况后提出移送涉嫌犯罪案件的书面报告，报本机关正职负责人或者主持工作的负责人审批（国务院令第310号第5条）。条文要求“立即”，3日为本县默认期限。',
    limits: { signFor: hours(24), handle: transferDays('assignment') },
    outcomes: ['reported'],
  },
  'transfer.approve': {
    ...transferStep,
    role: agency,
    title: '正职负责人审批是否移送',
    decidedBy: 'head',
    instructions: '正职负责人或者主持工作的负责人自接到报告之日起3日内作出批准移送或者不批准移送的决定；不批准的，将理由记录在案（第5条）。',
    limits: { signFor: hours(24), handle: transferDays('previous-step') },
    outcomes: ['approve', 'refuse'],
  },
  'transfer.handover': {
    ...transferStep,
    role: agency,
    title: '向同级公安机关移送案件',
    requires: { materials: ['transfer-letter', 'investigation-report', 'evidence-list'] },
    instructions:
      '批准移送的，自批准之日起24小时内向同级公安机关移送（第5条），附移送书、调查报告、涉案物品清单及有关检验报告或者鉴定结论（第6条）；不得以行政处罚代替移送（第11条）。',
    limits: { signFor: hours(4), handle: hours(24, 'previous-step') },
    outcomes: ['transferred'],
  },
  'transfer.police-decision': {
    ...transferStep,
    role: 'police',
    title: '接受移送并决定是否立案',
    instructions:
      '在移送书回执上签字（第7条，24小时内签收）；不属于本机关管辖的，24小时内转送有管辖权的机关并书面告知移送机关（第7条）；自接受移送之日起3日内作出立案或者不予立案的决定并书面通知移送机关，不予立案的说明理由（第8条）。',
    limits: { signFor: hours(24), handle: transferDays('sign-for') },
    outcomes: ['filed', 'not-filed', 'forwarded'],
  },
  'transfer.evidence': {
    ...transferStep,
    role: agency,
    title: '向公安机关移交涉案物品和材料',
    instructions: '自接到立案通知书之日起3日内将涉案物品以及与案件有关的其他材料移交公安机关，办结交接手续（第12条）。',
    limits: { signFor: hours(4), handle: transferDays('previous-step') },
    outcomes: ['handed-over'],
  },
  'transfer.reconsider': {
    ...transferStep,
    role: agency,
    title: '对不予立案决定提请复议或建议立案监督',
    instructions: '认为应当立案的，自接到不予立案通知书之日起3日内提请公安机关复议，或者建议人民检察院立案监督；无异议的依法作出处理（第9条、第10条）。',
    limits: { signFor: hours(4), handle: transferDays('previous-step') },
    outcomes: ['reconsideration', 'procuratorate', 'accept'],
  },
  'transfer.reconsideration': {
    ...transferStep,
    role: 'police',
    title: '复议不予立案决定',
    instructions: '自收到提请复议的文件之日起3日内作出立案或者不予立案的决定，并书面通知移送机关（第9条）。',
    limits: { signFor: hours(24), handle: transferDays('assignment') },
    outcomes: ['filed', 'not-filed'],
  },
  'transfer.supervision': {
    ...transferStep,
    role: agency,
    title: '对复议决定建议检察院立案监督',
    instructions: '对复议决定仍有异议的，自收到复议决定通知书之日起3日内建议人民检察院依法进行立案监督（第9条）。',
    limits: { signFor: hours(4), handle: transferDays('previous-step') },
    outcomes: ['procuratorate', 'accept'],
  },
});

const publishTask = (instructions: string) => ({
  role: 'lead',
  title: '公开检查和处置结果',
  instructions,
  limits: { signFor: signFor1, handle: wd(20, 'assignment') },
  outcomes: ['published'],
});

export const selfBuiltHousing: ScenarioDefinition = scenarioDefinitionSchema.parse({
  id: 'self-built-housing',
  version: 2,
  name: { zh: '自建房安全', en: 'Self-built housing safety' },
  legalBases: [
    '国办发明电〔2022〕10号 全国自建房安全专项整治工作方案',
    '《城乡规划法》第六十四条、第六十五条',
    '《土地管理法》第七十八条',
    'JGJ 125-2016 危险房屋鉴定标准',
  ],
  roles: { lead: 'housing', locality: 'township:000000', planning: 'natural-resources', emergency: 'emergency', enforcement: 'urban-management' },
  roleNames: {
    lead: '牵头部门（住建）',
    locality: '属地乡镇',
    planning: '规划（自然资源）',
    'business-regulator': '经营行业主管部门',
    emergency: '应急管理',
    enforcement: '综合行政执法',
  },
  stages: [
    { key: 'survey', name: '排查' },
    { key: 'appraisal', name: '安全鉴定' },
    { key: 'emergency', name: '紧急处置' },
    { key: 'demolition', name: '限期拆除' },
    { key: 'rectification', name: '整改' },
    { key: 'reinspection', name: '复查' },
    { key: 'enforcement', name: '强制执行' },
    { key: 'closing', name: '销号' },
    { key: 'publication', name: '公开' },
    { key: 'closed', name: '已办结' },
  ],
  tasks: {
    'survey.locality': {
      role: 'locality',
      title: '属地排查：房屋基本情况与安全隐患',
      instructions: '组织房屋安全员入户排查，发现险情立即组织人员撤离、停止使用。',
      limits: { signFor: signFor1, handle: wd(5) },
      outcomes: ['hazard-suspected', 'no-hazard', 'hazard-found'],
    },
    'survey.housing': {
      role: 'lead',
      title: '结构安全初步研判',
      instructions: '对房屋结构安全作出初步判断，必要时委托鉴定。',
      limits: { signFor: signFor1, handle: wd(5) },
      outcomes: ['appraisal-needed', 'no-hazard', 'hazard-found'],
    },
    'survey.planning': {
      role: 'planning',
      title: '规划与用地合法性核查',
      instructions: '核查规划许可、宅基地审批与层数（农村自建房原则上不超过3层）。',
      limits: { signFor: signFor1, handle: wd(7) },
      outcomes: ['legal', 'illegal'],
    },
    'survey.business': {
      role: 'business-regulator',
      title: '经营安全核查',
      instructions: '核查经营许可与经营场所安全条件。',
      limits: { signFor: signFor1, handle: wd(5) },
      outcomes: ['compliant', 'violation'],
    },
    appraisal: {
      role: 'lead',
      title: '房屋安全鉴定（A/B/C/D级）',
      instructions: '按 JGJ 125-2016 组织鉴定并报送等级：A 安全，B 基本安全，C 局部危险，D 整幢危险。',
      limits: { signFor: signFor1, handle: wd(15) },
      outcomes: ['A', 'B', 'C', 'D'],
    },
    'emergency.evacuate': {
      role: 'locality',
      title: '紧急处置：人员撤离、停止使用、封控',
      instructions: '发现险情、D级危房或重大隐患：立即组织人员撤离，停止使用，设置警示并封控（当日完成）。',
      limits: { signFor: hours(1), handle: hours(12) },
      outcomes: ['sealed'],
    },
    'demolition.order': {
      role: 'locality',
      title: '责令限期拆除',
      instructions: '违法建设且为D级危房：在乡村规划区由乡镇人民政府依据《城乡规划法》第六十五条责令限期拆除（城市、镇规划区由城乡规划主管部门依第六十四条）。',
      limits: { signFor: signFor1, handle: wd(10) },
      outcomes: ['demolished', 'not-demolished'],
    },
    'emergency.partial-stop-use': {
      role: 'locality',
      title: '局部停止使用',
      instructions: 'C级（局部危房）：危险部位立即停止使用、设置警示，必要时撤离相关人员。',
      limits: { signFor: hours(1), handle: hours(24) },
      outcomes: ['restricted'],
    },
    'emergency.follow-up': {
      role: 'lead',
      title: '封控后续处置：加固维修或拆除，解除封控',
      instructions: 'D级危房封控后：组织加固维修并复核鉴定后解除封控，或依法拆除；报送处置结果。',
      limits: { signFor: signFor1, handle: wd(30) },
      outcomes: ['repaired', 'demolished'],
    },
    'correction.order': {
      role: 'locality',
      title: '违法建设：责令改正或限期拆除',
      instructions:
        '房屋结构安全但违法建设：在乡村规划区由乡镇人民政府依据《城乡规划法》第六十五条责令停止建设、限期改正或拆除（城市、镇规划区由城乡规划主管部门依第六十四条；非法占用土地的依《土地管理法》第七十八条）。',
      limits: { signFor: signFor1, handle: wd(15) },
      outcomes: ['corrected', 'demolished', 'not-corrected'],
    },
    'rectification.notice': {
      role: 'lead',
      title: '下达整改通知',
      instructions: '一般隐患：下达整改通知书，并在提交时写明整改期限（天）。',
      limits: { signFor: signFor1, handle: wd(3) },
      outcomes: ['notice-issued'],
    },
    reinspection: {
      role: 'lead',
      title: '整改复查',
      instructions: '整改期满后复查，报送整改是否到位。',
      limits: { signFor: signFor1, handle: wd(5, 'assignment') },
      outcomes: ['rectified', 'not-rectified'],
    },
    enforcement: {
      role: 'enforcement',
      title: '逾期未整改：依法强制处置',
      instructions: '复查多次仍未整改到位，依法采取停止使用、查封等措施。',
      limits: { signFor: signFor1, handle: wd(10) },
      outcomes: ['enforced'],
    },
    'closing.ledger': {
      role: 'lead',
      title: '隐患销号',
      instructions: '核实整治完成，台账销号。',
      limits: { signFor: signFor1, handle: wd(3) },
      outcomes: ['closed'],
    },
    publication: publishTask('将排查、鉴定与处置结果在20个工作日内公开（不含个人信息）。'),
  },
  ladder: defaultLadder,
  settings: { maxRectificationRounds: 2, publishWithin: wd(20, 'assignment'), defaultRectifyWithinDays: 30 },
  guide:
    '自建房安全一业一册：房屋产权人和使用人是房屋安全第一责任人；经营性自建房须具备结构安全与消防安全条件；擅自加层、改变承重结构、违法改扩建的，由有关部门依法查处；发现险情立即撤离并报告属地乡镇。',
});

export const refinedOil: ScenarioDefinition = scenarioDefinitionSchema.parse({
  id: 'refined-oil',
  version: 3,
  name: { zh: '成品油流通', en: 'Refined-oil distribution' },
  legalBases: [
    '国办发〔2019〕42号',
    '国办发〔2025〕5号',
    '《危险化学品安全管理条例》第三十三条、第三十五条、第七十七条',
    '《行政处罚法》第六十条',
    '《行政强制法》第二十五条',
    '《行政执法机关移送涉嫌犯罪案件的规定》（国务院令第310号）第五条至第十二条',
  ],
  roles: {
    lead: 'commerce',
    safety: 'emergency',
    quality: 'market',
    police: 'police',
    transport: 'transport',
    tax: 'tax',
    ecology: 'ecology',
    fire: 'fire',
    locality: 'township:000000',
  },
  roleNames: {
    lead: '牵头部门（商务）',
    safety: '危化品经营安全（应急）',
    quality: '质量计量与无照经营（市场监管）',
    police: '公安',
    transport: '运输（交通）',
    tax: '税务',
    ecology: '油气回收（生态环境）',
    fire: '消防',
    locality: '属地乡镇',
  },
  stages: [
    { key: 'inspection', name: '联合检查' },
    { key: 'disposal', name: '查处取缔' },
    { key: 'criminal-transfer', name: '移送公安' },
    { key: 'rectification', name: '整改与处罚' },
    { key: 'reinspection', name: '回头看' },
    { key: 'publication', name: '公开' },
    { key: 'closed', name: '已办结' },
  ],
  tasks: {
    'inspection.lead': {
      role: 'lead',
      title: '联合检查：经营资格与备案',
      instructions: '进一次门、查多项事：核查成品油零售经营资格、批发仓储备案。',
      limits: { signFor: signFor1, handle: wd(5) },
      outcomes: ['compliant', 'violation', 'unlicensed'],
    },
    'inspection.safety': {
      role: 'safety',
      title: '联合检查：危险化学品经营安全',
      instructions: '核查危险化学品经营许可与安全条件。',
      limits: { signFor: signFor1, handle: wd(5) },
      outcomes: ['compliant', 'violation', 'unlicensed'],
    },
    'inspection.quality': {
      role: 'quality',
      title: '联合检查：油品质量与计量',
      instructions: '抽检油品质量，检定加油机计量。',
      limits: { signFor: signFor1, handle: wd(5) },
      outcomes: ['compliant', 'violation', 'unlicensed'],
    },
    'inspection.tax': {
      role: 'tax',
      title: '联合检查：发票与纳税',
      instructions: '核查进销存与发票。',
      limits: { signFor: signFor1, handle: wd(5) },
      outcomes: ['compliant', 'violation'],
    },
    'inspection.ecology': {
      role: 'ecology',
      title: '联合检查：油气回收',
      instructions: '检测油气回收装置。',
      limits: { signFor: signFor1, handle: wd(5) },
      outcomes: ['compliant', 'violation'],
    },
    'disposal.seal': {
      role: 'safety',
      title: '查处取缔：查封场所、扣押油品、拆除设备',
      instructions: '对黑加油站点、无证经营依法查封、扣押、拆除。',
      limits: { signFor: hours(2), handle: wd(3, 'assignment') },
      outcomes: ['sealed'],
    },
    'disposal.seizure': {
      role: 'safety',
      title: '查封扣押期限内作出处理决定',
      instructions:
        '查封、扣押的期限不得超过30日（情况复杂的，经行政机关负责人批准可延长，但延长期限不得超过30日）；期限内查清事实，作出没收等处理决定或者解除查封、扣押（行政强制法第二十五条、第二十七条、第二十八条）。',
      limits: { signFor: hours(24), handle: cd(30, 'previous-step') },
      outcomes: ['released', 'confiscated'],
      // +30 days at most, granted by the agency's head (行政强制法 art. 25).
      maxExtensionWorkingDays: 30,
      extension: { unit: 'calendar_day', approvedBy: 'head' },
    },
    'disposal.follow-up': {
      role: 'lead',
      title: '回头看：取缔场所复查',
      instructions: '复查被查封取缔的场所是否恢复经营，发现复开的依法再次查处。',
      limits: { signFor: signFor1, handle: wd(10, 'assignment') },
      outcomes: ['closed', 'reopened'],
    },
    'penalty.lead': {
      role: 'lead',
      title: '责令整改并作出处罚决定',
      instructions: '对违法行为责令改正，并在立案之日起90日内作出处罚决定（行政处罚法第六十条）。',
      limits: { signFor: signFor1, handle: cd(90, 'previous-step') },
      outcomes: ['decided'],
    },
    'penalty.safety': {
      role: 'safety',
      title: '危化品安全违法处罚决定',
      instructions: '依《危险化学品安全管理条例》第七十七条作出处罚决定。',
      limits: { signFor: signFor1, handle: cd(90, 'previous-step') },
      outcomes: ['decided'],
    },
    'penalty.quality': {
      role: 'quality',
      title: '质量计量违法处罚决定',
      instructions: '依法作出处罚决定。',
      limits: { signFor: signFor1, handle: cd(90, 'previous-step') },
      outcomes: ['decided'],
    },
    'penalty.tax': {
      role: 'tax',
      title: '税收违法处理决定',
      instructions: '依法作出处理决定。',
      limits: { signFor: signFor1, handle: cd(90, 'previous-step') },
      outcomes: ['decided'],
    },
    'penalty.ecology': {
      role: 'ecology',
      title: '油气回收违法处罚决定',
      instructions: '依法作出处罚决定。',
      limits: { signFor: signFor1, handle: cd(90, 'previous-step') },
      outcomes: ['decided'],
    },
    reinspection: {
      role: 'lead',
      title: '回头看：整改复查',
      instructions: '复查整改落实情况。',
      limits: { signFor: signFor1, handle: wd(10, 'assignment') },
      outcomes: ['rectified', 'not-rectified'],
    },
    ...criminalTransferTasks('lead'),
    publication: publishTask('检查结果与处罚决定在20个工作日内公开（谁检查、谁录入、谁公开）。'),
  },
  ladder: defaultLadder,
  settings: { maxRectificationRounds: 2, publishWithin: wd(20, 'assignment'), defaultRectifyWithinDays: 15 },
  guide:
    '成品油流通一业一册：零售须取得成品油零售经营资格与危险化学品经营许可；批发、仓储向商务部门备案；油品质量与计量合规；油气回收装置正常运行；严禁无证经营、流动加油与"自流黑"（自有油罐、流动加油车、黑加油站点）。未经许可经营危险化学品的，处10万元以上20万元以下罚款（条例第七十七条）。',
});

export const prepaidCard: ScenarioDefinition = scenarioDefinitionSchema.parse({
  id: 'prepaid-card',
  version: 3,
  name: { zh: '单用途预付卡', en: 'Single-purpose prepaid cards' },
  legalBases: [
    '《单用途商业预付卡管理办法（试行）》（商务部令2012年第9号，2016年修订）第七条、第二十六条、第三十六条、第三十七条',
    '《消费者权益保护法》第四十六条、第五十三条',
    '法释〔2025〕4号',
    '《行政执法机关移送涉嫌犯罪案件的规定》（国务院令第310号）第五条至第十二条',
  ],
  // Per trade, a county names the sector regulator (`regulator:<trade>`) and who decides the
  // penalty (`penalty:<trade>`, e.g. 文化执法 for culture and sports); defaults: the trade's own
  // regulator, and market (the Shanghai model, DOMAIN §3.3).
  roles: {
    lead: 'commerce',
    'sector-regulator': 'commerce',
    'penalty-authority': 'market',
    market: 'market',
    police: 'police',
    finance: 'financial-regulator',
    'regulator:education': 'education',
    'regulator:culture-tourism': 'culture-tourism',
    'regulator:sports': 'sports',
    'regulator:commerce': 'commerce',
    'regulator:transport': 'transport',
    'penalty:education': 'market',
    'penalty:culture-tourism': 'market',
    'penalty:sports': 'market',
    'penalty:commerce': 'market',
    'penalty:transport': 'market',
  },
  roleNames: {
    lead: '牵头部门（商务）',
    'sector-regulator': '行业主管部门',
    'penalty-authority': '处罚机关',
    market: '市场监管',
    police: '公安',
    finance: '金融监管',
    'regulator:education': '行业主管部门（教育培训）',
    'regulator:culture-tourism': '行业主管部门（文化旅游）',
    'regulator:sports': '行业主管部门（体育健身）',
    'regulator:commerce': '行业主管部门（商贸）',
    'regulator:transport': '行业主管部门（交通）',
    'penalty:education': '处罚机关（教育培训）',
    'penalty:culture-tourism': '处罚机关（文化旅游）',
    'penalty:sports': '处罚机关（体育健身）',
    'penalty:commerce': '处罚机关（商贸）',
    'penalty:transport': '处罚机关（交通）',
  },
  stages: [
    { key: 'triage', name: '分办' },
    { key: 'acceptance', name: '受理' },
    { key: 'mediation', name: '调解' },
    { key: 'verification', name: '违法线索核查' },
    { key: 'disposal', name: '联合处置' },
    { key: 'criminal-transfer', name: '移送公安' },
    { key: 'publication', name: '公开' },
    { key: 'closed', name: '已办结' },
  ],
  tasks: {
    triage: {
      role: 'lead',
      title: '分办至行业主管部门',
      instructions: '按经营行业分办（教育培训、文化旅游、体育健身、商贸、交通）。',
      limits: { signFor: signFor1, handle: wd(1) },
      outcomes: ['assigned'],
    },
    acceptance: {
      role: 'sector-regulator',
      title: '受理决定',
      instructions: '自收到投诉之日起7个工作日内作出是否受理的决定（消费者权益保护法第四十六条）。',
      limits: { signFor: signFor1, handle: wd(7, 'matter-opened') },
      outcomes: ['accepted', 'rejected'],
    },
    // The consumer is told through the channel the complaint came by (12345: the 12345 office).
    'reply.acceptance': {
      role: 'sector-regulator',
      title: '告知投诉人受理决定',
      instructions:
        '自收到投诉之日起7个工作日内将是否受理的决定告知投诉人（消费者权益保护法第四十六条）；不予受理的说明理由。经12345热线转来的，由12345热线工作机构按原渠道答复。不得在答复记录中填写投诉人身份信息。',
      limits: { signFor: signFor1, handle: wd(7, 'matter-opened') },
      outcomes: ['replied'],
    },
    'reply.outcome': {
      role: 'sector-regulator',
      title: '告知投诉人处理结果',
      instructions: '办结后2个工作日内将处理结果告知投诉人（本县规则），经12345热线转来的按原渠道答复。不得在答复记录中填写投诉人身份信息。',
      limits: { signFor: signFor1, handle: wd(2, 'assignment') },
      outcomes: ['replied'],
    },
    mediation: {
      role: 'sector-regulator',
      title: '组织调解',
      instructions:
        '组织经营者与消费者调解。调解期限为本县规定（默认45个工作日，参照市场监管部门投诉处理规定），期满未达成协议的终止调解。调解中发现违法线索的，无论是否达成协议均须核查（选择 agreed-violation-suspected）。',
      limits: { signFor: signFor1, handle: wd(45, 'assignment') },
      outcomes: ['agreed', 'agreed-violation-suspected', 'failed'],
    },
    verification: {
      role: 'sector-regulator',
      title: '违法线索核查',
      instructions: '15个工作日内核查违法线索；情况复杂的可延长15个工作日（申请延期）。',
      limits: { signFor: signFor1, handle: wd(15, 'assignment') },
      outcomes: ['no-violation', 'violation', 'fraud'],
      maxExtensionWorkingDays: 15,
    },
    'disposal.sector': {
      role: 'sector-regulator',
      title: '联合处置：责令改正、资金存管核查',
      instructions: '责令改正；核查预收资金存管比例（第二十六条：20%/30%/40%）；记入信用记录。',
      limits: { signFor: signFor1, handle: wd(15) },
      outcomes: ['corrected', 'not-corrected'],
    },
    'disposal.penalty': {
      role: 'penalty-authority',
      title: '联合处置：行政处罚',
      instructions: '依第三十六条、第三十七条处1万元以上3万元以下罚款。',
      limits: { signFor: signFor1, handle: cd(90, 'previous-step') },
      outcomes: ['decided'],
    },
    ...criminalTransferTasks('sector-regulator'),
    publication: publishTask('处置结果在20个工作日内公开，记入经营者信用记录（不含消费者个人信息）。'),
  },
  ladder: defaultLadder,
  settings: { maxRectificationRounds: 1, publishWithin: wd(20, 'assignment') },
  guide:
    '单用途预付卡一业一册：开展预付卡业务之日起30日内备案（第七条）；按规定比例存管预收资金（第二十六条）；不得超范围、超额度发卡；停业、歇业须提前告知并退还余额；违反规定的处1万元以上3万元以下罚款（第三十六、三十七条）；涉嫌诈骗、卷款跑路的移送公安机关。',
});

export const catalogue: Record<ScenarioId, ScenarioDefinition> = {
  'self-built-housing': selfBuiltHousing,
  'refined-oil': refinedOil,
  'prepaid-card': prepaidCard,
};
