import { patched } from '@temporalio/workflow';
import { departmentName } from '../../domain/departments.js';
import type { MatterInput, MatterView } from '../../domain/matter.js';
import { cardTrades, prepaidCardFacts } from '../../domain/scenarios/facts.js';
import { prepaidCardOutcomes as codes, unreachable } from '../../domain/scenarios/outcomes.js';
import { openMatter, parseFacts, type MatterOutcome } from '../matter-kit.js';

/**
 * 单用途预付卡 (DOMAIN §3.3): a complaint or risk signal → the lead triages it to the regulator of
 * the issuer's trade → acceptance decision (7 working days; 消费者权益保护法 art. 46) → mediation
 * (ends without agreement after 45 working days) → verification of violation clues (15 working
 * days, +15 by extension when complex) → joint disposal (order to correct and escrow check by the
 * sector regulator, penalty by the county's penalty authority for the trade, default market, in
 * parallel) → transfer to the police when fraud → publish. Violation clues found in a mediation
 * that agreed are verified too.
 *
 * Every clock (acceptance, mediation, verification, extension) is the department task's: the
 * matter waits for the outcome while the task's ladder chases an overdue department.
 *
 * A consumer who complained is told the acceptance decision and the outcome (消费者权益保护法
 * art. 46: handled and told within 7 working days of the complaint), by reply tasks to the channel
 * the complaint came through: the 12345 office (`gov-services`) answers a 12345 work order, the
 * sector regulator any other complaint. The acceptance reply runs beside the rest of the matter.
 * Patch `consumer-replies`: matters started before it tell nobody.
 */
export async function prepaidCardMatter(input: MatterInput): Promise<MatterView> {
  const facts = parseFacts(prepaidCardFacts, input.facts);
  // The sector regulator of this matter is the one of the issuer's trade, as the locality of a
  // matter is its township: every `sector-regulator` task (acceptance to the transfer hand-over,
  // including those inside `criminalTransfer`) goes to it. Synchronous: nothing awaited before
  // `openMatter` registers the handlers.
  // A county names both per trade (`regulator:<trade>`, `penalty:<trade>`); definitions from
  // before those roles keep the fixed trade map and market.
  const roles = input.definition.roles;
  const regulator = roles[`regulator:${facts.trade}`] ?? cardTrades[facts.trade];
  const penaltyBy = roles[`penalty:${facts.trade}`] ?? roles['penalty-authority'] ?? roles.market ?? 'market';
  const m = openMatter({
    ...input,
    definition: { ...input.definition, roles: { ...roles, 'sector-regulator': regulator, 'penalty-authority': penaltyBy } },
  });
  // The consumer's replies (a complaint, not a store closing or an issuer gone), from catalogue
  // version 3 on (earlier definitions have no reply steps).
  const replying = facts.signal === 'complaint' && 'reply.acceptance' in input.definition.tasks && patched('consumer-replies');
  const replyDepartment = () => (input.source?.channel === '12345' ? 'gov-services' : m.department('sector-regulator'));
  const replies: Promise<unknown>[] = [];
  const reply = (key: 'reply.acceptance' | 'reply.outcome', note: string) => {
    const p = m.task(key, { department: replyDepartment(), note });
    p.catch(() => undefined); // awaited at the end; a cancelled matter unwinds through it there
    replies.push(p);
  };

  /** From triage to the last decision; every branch ends in what is published. */
  async function handle(): Promise<MatterOutcome> {
    m.finding('signal', facts.signal);
    m.finding('sectorRegulator', regulator);
    await m.stage('triage');
    const triage = await m.task('triage', { note: `分办至${departmentName(regulator)}` });
    // The triage is a real decision: the lead may name another regulator than the trade's.
    const named = triage.submission?.namedDepartment;
    if (named && named !== regulator && patched('triage-names-regulator')) {
      await m.assignRole('sector-regulator', named, '分办决定');
      m.finding('sectorRegulator', named);
    }

    await m.stage('acceptance');
    const acceptance = m.outcome(await m.task('acceptance'), codes.acceptance);
    m.finding('acceptance', acceptance);
    if (replying) reply('reply.acceptance', acceptance === 'accepted' ? '已受理' : '不予受理，须说明理由');
    // Complaint handling and mediation are not published (DOMAIN §9).
    if (acceptance === 'rejected') return { code: 'complaint-rejected', summary: '投诉不予受理', withheld: '投诉处理结果不属于公开范围' };

    await m.stage('mediation');
    // Mediation ends by law after 45 working days without agreement (no waiting on the department).
    // patched(): matters started before this rule keep waiting for the department's outcome.
    const mediationTask = patched('mediation-expires') ? m.task('mediation', { expiresAs: 'failed' }) : m.task('mediation');
    const mediation = m.outcome(await mediationTask, codes.mediation);
    // Violation clues found during mediation are verified whether or not it succeeded.
    m.finding('mediation', mediation === 'agreed-violation-suspected' ? 'agreed' : mediation);
    if (mediation === 'agreed') return { code: 'mediated', summary: '经调解，经营者与消费者达成协议', withheld: '调解结果不属于公开范围' };
    const mediated = mediation === 'agreed-violation-suspected';

    await m.stage('verification');
    const verification = m.outcome(await m.task('verification'), codes.verification);
    m.finding('verification', verification);
    // The verification is the check: its result is public within 20 working days of now.
    await m.checkEnded(
      verification === 'no-violation'
        ? { code: 'no-violation', summary: '经核查未发现违法行为' }
        : { code: 'violation-found', summary: '经核查存在违法行为，正在依法处置' },
    );
    let fraud: boolean;
    switch (verification) {
      case 'no-violation':
        return {
          code: 'no-violation',
          summary: `${mediated ? '经调解达成协议' : '调解未成'}，经核查未发现违法行为`,
          public: { code: 'no-violation', summary: '经核查未发现违法行为' },
        };
      case 'violation':
        // A violation by an issuer that has absconded (卷款跑路) is handled as suspected fraud.
        fraud = facts.signal === 'absconding';
        break;
      case 'fraud':
        fraud = true;
        break;
      default:
        unreachable(verification);
    }

    await m.stage('disposal');
    const dispose = async () => {
      // 立案 first, recorded: the penalty's 90 days (行政处罚法 art. 60) count from it (patched);
      // then both steps start together.
      const filedAt = patched('penalty-from-filing')
        ? await m.caseFiled(m.department(input.definition.tasks['disposal.penalty']!.role), input.definition.tasks['disposal.penalty']!.title)
        : undefined;
      const [sector, penalty] = await Promise.all([
        m.task('disposal.sector'),
        m.task('disposal.penalty', filedAt !== undefined ? { countsFrom: filedAt } : {}),
      ]);
      m.finding('correction', m.outcome(sector, codes['disposal.sector']));
      m.finding('penalty', m.outcome(penalty, codes['disposal.penalty']));
      await m.penaltyDecided(penalty, input.definition.tasks['disposal.penalty']!.title);
    };
    if (!fraud) {
      await dispose();
      return { code: 'disposed', summary: '经核查存在违法行为，已责令改正、核查资金存管并作出行政处罚' };
    }
    // The transfer's statutory clocks (3 days, 24 hours) do not wait for the disposal, and a
    // penalty never replaces the transfer (国务院令第310号 art. 11): both run at once.
    const [, decision] = await Promise.all([dispose(), m.criminalTransfer('涉嫌诈骗（卷款跑路）')]);
    // The public reads the administrative outcome; the transfer is not published (DOMAIN §9).
    const disposed = { code: 'disposed', summary: '经核查存在违法行为，已责令改正、核查资金存管并作出行政处罚' };
    switch (decision) {
      case 'filed':
        return { code: 'transferred-to-police', summary: '涉嫌诈骗，已联合处置并移送公安机关立案侦查', public: disposed };
      case 'not-filed':
        return { code: 'transferred-not-filed', summary: '涉嫌诈骗，已联合处置并移送公安机关；公安机关不予立案', public: disposed };
      case 'refused':
        return { code: 'disposed-not-transferred', summary: '已联合处置；经审批不移送公安机关', public: disposed };
    }
  }

  return m.run(async (): Promise<MatterOutcome> => {
    const outcome = await handle();
    await m.publish(outcome);
    // A rejection's reply is the outcome; otherwise the consumer is told how it ended (what the
    // public reads, when a transfer is still under investigation).
    if (replying && outcome.code !== 'complaint-rejected') reply('reply.outcome', outcome.public?.summary ?? outcome.summary);
    await Promise.all(replies);
    return outcome;
  });
}
