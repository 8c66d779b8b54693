import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { MatterInput, MatterView } from '../../domain/matter.js';
import type { Principal } from '../../domain/principal.js';
import { getMatterQuery } from '../../workflows/matter-kit.js';
import { reviewUpdate, signUpdate, submitUpdate, returnUpdate, getTaskQuery } from '../../workflows/department-task.js';
import { eventually } from './eventually.js';

/**
 * Plays the departments of a matter in tests: waits for a task of the catalogue to be assigned,
 * then signs, submits with an outcome and has it accepted by the task's lead department (a
 * supervisor when the task has none), through the same Updates the API sends.
 */
export class MatterDriver {
  private readonly handled = new Set<string>();

  constructor(private readonly client: Client, readonly handle: WorkflowHandle<(input: MatterInput) => Promise<MatterView>>, private readonly county = '610124') {}

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
    const t = await eventually(async () => {
      const v = (last = await this.view());
      const found = v.tasks.find((x) => x.key === key && x.state === 'running' && !this.handled.has(x.taskId));
      if (!found && v.status !== 'open') throw new Error(`matter ${v.status} while waiting for ${key}; tasks: ${v.tasks.map((x) => `${x.key}:${x.state}`).join(', ')}`);
      // The matter lists the task before its child workflow has started: wait until it answers queries.
      return found && (await this.answers(found.taskId)) ? found : undefined;
    }, { timeoutMs, intervalMs: 100, message: () => `a running task ${key} that answers queries; stage ${last?.stage}; tasks: ${last?.tasks.map((x) => `${x.key}:${x.state}`).join(', ')}` });
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
    const submitted = await h.executeUpdate(submitUpdate, { args: [{ actor, summary: extra.summary ?? `${key}: ${outcome}`, outcome, ...(extra.rectifyWithinDays ? { rectifyWithinDays: extra.rectifyWithinDays } : {}) }] });
    await h.executeUpdate(reviewUpdate, { args: [{ actor: this.reviewer(submitted), decision: 'accept', comment: '同意' }] });
    return t.taskId;
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
