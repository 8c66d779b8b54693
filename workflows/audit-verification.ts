/**
 * The daily verification of the audit trail (GB/T 22239-2019 audit integrity; README "The audit
 * trail"). A Temporal Schedule (worker/schedules.ts) starts one run a day. It recomputes every
 * county's hash chain, stores the result, records it in each county's own trail, tells a county's
 * supervisors when its chain is broken, and sends the day's head (the last entry's hash) to the
 * supervisors of the county's city: a chain recomputed later to hide a rewrite no longer ends in
 * the head the city was given.
 */
import { workflowInfo } from '@temporalio/workflow';
import { toShanghaiIso } from '../domain/calendar/index.js';
import type { EventRecord } from '../domain/events.js';

import { listings, scans } from './activities.js';

const { verifyAuditChains } = scans;
const { recordAuditVerification } = listings;

const reasons = {
  hash: '内容与哈希不符（记录被改写）',
  link: '与前一条记录的链接断开（记录被删除或插入）',
  text: '正文与链中摘要不符，或未经登记的删除',
} as const;

/** The city a county answers to (6101xx → 610100); a city's own chain goes to itself. */
const cityOf = (county: string) => `${county.slice(0, 4)}00`;

export interface AuditVerificationResult {
  ok: boolean;
  checked: number;
  broken: string[];
}

export async function auditVerification(): Promise<AuditVerificationResult> {
  const { workflowId } = workflowInfo();
  const at = toShanghaiIso(Date.now());
  const { chains, legacyOk } = await verifyAuditChains();
  const events: EventRecord[] = chains.map((c, i) => {
    const head = c.head ? `第 ${c.head.id} 条，哈希 ${c.head.hash}` : '（空）';
    const base = { workflowId, seq: i + 1, county: c.county, at };
    const headNotice = {
      kind: 'audit.head',
      title: `审计链链头：${c.county}（${at.slice(0, 10)}）`,
      body: `${c.county} 审计链于 ${at} 校验${c.ok ? '通过' : '未通过'}，共 ${c.checked} 条；链头 ${head}。请留存，以便日后核对。`,
      recipients: [{ county: cityOf(c.county), role: 'supervisor' }],
    };
    if (c.ok) {
      return {
        ...base,
        type: 'audit.verified',
        summary: `审计链校验通过：${c.checked} 条，链头 ${head}`,
        data: { checked: c.checked, head: c.head },
        notifications: [headNotice],
      };
    }
    const where = c.firstBreak ? `第 ${c.firstBreak.id} 条（${c.firstBreak.eventId}）${reasons[c.firstBreak.reason]}` : '';
    return {
      ...base,
      type: 'audit.broken',
      summary: `审计链断裂：${where}`,
      data: { checked: c.checked, head: c.head, firstBreak: c.firstBreak ?? null },
      notifications: [
        {
          kind: 'audit.broken',
          title: `审计记录可能被篡改：${c.county}`,
          body: `${at} 的每日校验发现${where}。请立即核查并报告。`,
          recipients: [{ county: c.county, role: 'supervisor' }],
        },
        headNotice,
      ],
    };
  });
  await recordAuditVerification({ workflowId, at, chains, legacyOk, events });
  return {
    ok: legacyOk && chains.every((c) => c.ok),
    checked: chains.reduce((n, c) => n + c.checked, 0),
    broken: chains.filter((c) => !c.ok).map((c) => c.county),
  };
}
