import { WorkflowNotFoundError, type Client, type WorkflowHandle } from '@temporalio/client';
import type { MatterInput, MatterView } from '../../domain/matter.js';
import type { Principal } from '../../domain/principal.js';
import { getMatterQuery } from '../../workflows/matter-kit.js';
import { reviewUpdate, signUpdate, submitUpdate, returnUpdate, getTaskQuery } from '../../workflows/department-task.js';

/**
 * Plays the departments of a matter in tests: waits for a task of the catalogue to be assigned,
 * then signs, submits with an outcome and has it accepted, through the same Updates the API sends.
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
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const v = await this.view();
      const t = v.tasks.find((x) => x.key === key && x.state === 'running' && !this.handled.has(x.taskId));
      // The child may still be starting (the matter lists it before the server has it): wait
      // until it answers queries.
      if (t && (await this.client.workflow.getHandle(t.taskId).query(getTaskQuery).then(() => true, (err: unknown) => {
        if (err instanceof WorkflowNotFoundError) return false;
        throw err;
      }))) return t;
      if (v.status !== 'open') throw new Error(`matter ${v.status} while waiting for ${key}; tasks: ${v.tasks.map((x) => `${x.key}:${x.state}`).join(', ')}`);
      if (Date.now() > deadline) throw new Error(`no running task ${key}; stage ${v.stage}; tasks: ${v.tasks.map((x) => `${x.key}:${x.state}`).join(', ')}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** The department signs, submits with `outcome`, and a supervisor accepts. */
  async complete(key: string, outcome: string, extra: { rectifyWithinDays?: number; summary?: string } = {}): Promise<string> {
    const t = await this.waitFor(key);
    this.handled.add(t.taskId);
    const h = this.client.workflow.getHandle(t.taskId);
    const actor = this.officer(t.department);
    await h.executeUpdate(signUpdate, { args: [{ actor }] });
    await h.executeUpdate(submitUpdate, { args: [{ actor, summary: extra.summary ?? `${key}: ${outcome}`, outcome, ...(extra.rectifyWithinDays ? { rectifyWithinDays: extra.rectifyWithinDays } : {}) }] });
    await h.executeUpdate(reviewUpdate, { args: [{ actor: this.supervisor(), decision: 'accept', comment: '同意' }] });
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
