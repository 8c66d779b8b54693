import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { MatterInput, MatterView } from '../../domain/matter.js';
import type { Principal } from '../../domain/principal.js';
import { getMatterQuery } from '../../workflows/matter-kit.js';
import { getTransferQuery } from '../../workflows/criminal-transfer.js';
import type { TransferStepKey, TransferView } from '../../domain/transfer.js';
import type { TransferMaterial } from '../../domain/transfer-materials.js';
import { reviewUpdate, signUpdate, submitUpdate, returnUpdate, getTaskQuery } from '../../workflows/department-task.js';
import { eventually } from './eventually.js';

/**
 * Plays the departments of a matter in tests: waits for a task of the catalogue to be assigned,
 * then signs, submits with an outcome and has it accepted by the task's lead department (a
 * supervisor when the task has none), through the same Updates the API sends.
 */
export class MatterDriver {
  private readonly handled = new Set<string>();

  constructor(
    private readonly client: Client,
    readonly handle: WorkflowHandle<(input: MatterInput) => Promise<MatterView>>,
    private readonly county = '610124',
  ) {}

  officer(department: string): Principal {
    return { keyId: `k-${department}`, county: this.county, department, roles: ['officer'] };
  }

  supervisor(): Principal {
    return { keyId: 'k-supervisor', county: this.county, roles: ['supervisor'] };
  }

  async view(): Promise<MatterView> {
    return this.handle.query(getMatterQuery);
  }

  /** Waits (real time, bounded) for a running task with `key` that this driver has not handled. */
  async waitFor(key: string, timeoutMs = 15_000): Promise<{ taskId: string; department: string }> {
    let last: MatterView | undefined;
    const t = await eventually(
      async () => {
        const v = (last = await this.view());
        const found = v.tasks.find((x) => x.key === key && x.state === 'running' && !this.handled.has(x.taskId));
        if (!found && v.status !== 'open')
          throw new Error(`matter ${v.status} while waiting for ${key}; tasks: ${v.tasks.map((x) => `${x.key}:${x.state}`).join(', ')}`);
        // The matter lists the task before its child workflow has started: wait until it answers queries.
        return found && (await this.answers(found.taskId)) ? found : undefined;
      },
      {
        timeoutMs,
        intervalMs: 100,
        message: () => `a running task ${key} that answers queries; stage ${last?.stage}; tasks: ${last?.tasks.map((x) => `${x.key}:${x.state}`).join(', ')}`,
      },
    );
    return t;
  }

  /** Whether the task's workflow exists and has recorded its assignment (with its deadline). */
  private async answers(taskId: string): Promise<boolean> {
    try {
      // Assigned means recorded: its first event carries the sign-for deadline.
      return (await this.client.workflow.getHandle(taskId).query(getTaskQuery)).lastEventSeq >= 1;
    } catch (err) {
      if (err instanceof WorkflowNotFoundError) return false;
      throw err;
    }
  }

  /**
   * Who reviews a task: an officer of its lead department, or a supervisor when it has none or
   * when the task is the lead's own (segregation of duties: nobody reviews their own work).
   */
  reviewer(task: { leadDepartment?: string | undefined; department: string }): Principal {
    return task.leadDepartment && task.leadDepartment !== task.department ? this.officer(task.leadDepartment) : this.supervisor();
  }

  /** The department signs, submits with `outcome`, and the lead department (else a supervisor) accepts. */
  async complete(key: string, outcome: string, extra: { rectifyWithinDays?: number; summary?: string } = {}): Promise<string> {
    const t = await this.waitFor(key);
    this.handled.add(t.taskId);
    const h = this.client.workflow.getHandle(t.taskId);
    const actor = this.officer(t.department);
    await h.executeUpdate(signUpdate, { args: [{ actor }] });
    const submitted = await h.executeUpdate(submitUpdate, {
      args: [
        { actor, summary: extra.summary ?? `${key}: ${outcome}`, outcome, ...(extra.rectifyWithinDays ? { rectifyWithinDays: extra.rectifyWithinDays } : {}) },
      ],
    });
    await h.executeUpdate(reviewUpdate, { args: [{ actor: this.reviewer(submitted), decision: 'accept', comment: '同意' }] });
    return t.taskId;
  }

  /** The matter's (last) criminal transfer, once it answers queries. */
  async transfer(timeoutMs = 15_000): Promise<TransferView> {
    return eventually(
      async () => {
        const ref = (await this.view()).transfers?.at(-1);
        if (!ref) return undefined;
        try {
          return await this.client.workflow.getHandle(ref.transferId).query(getTransferQuery);
        } catch (err) {
          if (err instanceof WorkflowNotFoundError) return undefined;
          throw err;
        }
      },
      { timeoutMs, intervalMs: 100, message: 'the matter to start its criminal transfer' },
    );
  }

  /** Waits for a running step of the transfer that this driver has not handled, answering queries. */
  async waitForStep(key: TransferStepKey, timeoutMs = 15_000): Promise<{ taskId: string; department: string; county: string }> {
    let last: TransferView | undefined;
    return eventually(
      async () => {
        const v = (last = await this.transfer());
        const found = v.tasks.find((x) => x.key === key && x.state === 'running' && !this.handled.has(x.taskId));
        if (!found && v.state !== 'running') throw new Error(`transfer ${v.state} while waiting for ${key}`);
        return found && (await this.answers(found.taskId)) ? found : undefined;
      },
      {
        timeoutMs,
        intervalMs: 100,
        message: () => `a running transfer step ${key}; at ${last?.step}; tasks: ${last?.tasks.map((x) => `${x.key}:${x.state}`).join(', ')}`,
      },
    );
  }

  /**
   * A transfer step: its department signs and submits (the head for the approval); the
   * submission is final (nobody reviews a head's or the police's decision).
   */
  async step(
    key: TransferStepKey,
    outcome: string,
    extra: {
      summary?: string;
      caseGroup?: { name: string; certificateNo?: string }[];
      materials?: TransferMaterial[];
      forwardedTo?: { county?: string; organ: string };
    } = {},
  ): Promise<string> {
    const t = await this.waitForStep(key);
    this.handled.add(t.taskId);
    const h = this.client.workflow.getHandle(t.taskId);
    const officer: Principal = { keyId: `k-${t.department}`, county: t.county, department: t.department, roles: ['officer'] };
    await h.executeUpdate(signUpdate, { args: [{ actor: officer }] });
    const actor: Principal = key === 'transfer.approve' ? { ...officer, keyId: `k-${t.department}-head`, roles: ['head'] } : officer;
    const defaults =
      key === 'transfer.report'
        ? {
            caseGroup: [
              { name: '王执法', certificateNo: 'ZF-001' },
              { name: '赵执法', certificateNo: 'ZF-002' },
            ],
          }
        : key === 'transfer.handover'
          ? { materials: ['transfer-letter', 'investigation-report', 'evidence-list'] as TransferMaterial[] }
          : {};
    await h.executeUpdate(submitUpdate, { args: [{ actor, summary: extra.summary ?? `${key}: ${outcome}`, outcome, ...defaults, ...extra }] });
    return t.taskId;
  }

  /** The transfer from the report to the police's decision (and the evidence after filing). */
  async transferCase(approval: 'approve' | 'refuse', police?: 'filed' | 'not-filed'): Promise<void> {
    await this.step('transfer.report', 'reported');
    await this.step('transfer.approve', approval);
    if (approval === 'refuse') return;
    await this.step('transfer.handover', 'transferred');
    await this.step('transfer.police-decision', police!);
    if (police === 'filed') await this.step('transfer.evidence', 'handed-over');
    else await this.step('transfer.reconsider', 'accept');
  }

  /** The department returns the task as not its remit. */
  async giveBack(key: string, reason: string, suggestedDepartment?: string): Promise<string> {
    const t = await this.waitFor(key);
    this.handled.add(t.taskId);
    await this.client.workflow.getHandle(t.taskId).executeUpdate(returnUpdate, {
      args: [{ actor: this.officer(t.department), reason, ...(suggestedDepartment ? { suggestedDepartment } : {}) }],
    });
    return t.taskId;
  }
}
