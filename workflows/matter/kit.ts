/**
 * `openMatter`: the primitives a scenario workflow is built from, over one matter run. A scenario
 * reads like the real process and calls these; none of them knows which scenario it serves.
 */
import { CancellationScope, isCancellation, upsertSearchAttributes } from '@temporalio/workflow';
import { departmentName, divisionName } from '../../domain/departments.js';
import type { MatterInput, MatterView } from '../../domain/matter.js';
import { SA } from '../../domain/search-attributes.js';
import { clone } from '../recording.js';
import { waitPeriod, waitUntil } from './clock.js';
import { registerHandlers } from './handlers.js';
import { caseFiled, jointInspection, rectify } from './inspection.js';
import type { MatterOutcome, StepResult } from './messages.js';
import { checkEnded, penaltyDecided, publish } from './publication.js';
import { MatterRun, now } from './run.js';
import { outcome, task, type StepOptions } from './step.js';
import { criminalTransfer } from './transfer.js';

export type MatterKit = ReturnType<typeof openMatter>;

/**
 * Opens a matter: builds its state, registers its query and updates (before any await), and
 * returns the primitives. `run(process)` drives the scenario and handles cancellation.
 */
export function openMatter(input: MatterInput) {
  const m = new MatterRun(input);
  registerHandlers(m);
  const { view, def, lead } = m;

  return {
    view,
    lead,
    department: (role: string) => m.department(role),
    stage: (key: string) => m.stage(key),
    finding: (name: string, value: string | number | boolean) => m.finding(name, value),

    /** A step named who plays a role from now on (e.g. the sector regulator chosen at triage): recorded. */
    async assignRole(role: string, department: string, why: string) {
      const before = m.roles[role];
      m.roles[role] = department;
      await m.record('role.assigned', `${def.roleNames[role] ?? role}：${departmentName(department)}（${why}）`, {
        data: { role, department, before: before ?? null },
      });
    },

    /** Records a fact of the process on the matter's timeline (no task behind it). */
    async note(type: string, summary: string, data?: Record<string, unknown>) {
      await m.record(type, summary, data ? { data } : {});
    },

    outcome: <const C extends readonly string[]>(result: StepResult, codes: C) => outcome(result, codes),
    task: (key: string, opts: StepOptions = {}) => task(m, key, opts),
    jointInspection: <const C extends readonly string[]>(keys: string[], codes: C) => jointInspection(m, keys, codes),
    caseFiled: (department: string, what: string) => caseFiled(m, department, what),
    waitPeriod: (days: number, data: Record<string, unknown> = {}) => waitPeriod(m, days, data),
    waitUntil,
    rectify: (keys: { notice: string; reinspection: string; enforcement?: string }, defaultDays: number) => rectify(m, keys, defaultDays),
    criminalTransfer: (reason: string) => criminalTransfer(m, reason),
    checkEnded: (interim: MatterOutcome) => checkEnded(m, interim),
    penaltyDecided: (step: StepResult, title: string) => penaltyDecided(m, step, title),
    publish: (outcome: MatterOutcome) => publish(m, outcome),

    /** Runs the scenario's process; a cancel (update, or the run cancelled) ends it as cancelled. */
    async run(process: () => Promise<MatterOutcome>): Promise<MatterView> {
      upsertSearchAttributes([
        { key: SA.County, value: input.county },
        { key: SA.Scenario, value: def.id },
        { key: SA.LeadDepartment, value: lead },
        { key: SA.Department, value: lead },
      ]);
      await m.record('opened', `${def.name.zh}事项启动，牵头部门 ${departmentName(lead)}`, {
        ...(input.launchedBy ? { actor: input.launchedBy } : {}),
        data: {
          scenario: def.id,
          definitionVersion: def.version,
          source: input.source?.channel ?? null,
          ...(input.source?.clueId ? { clueId: input.source.clueId } : {}),
        },
        notifications: [
          {
            kind: 'matter.opened',
            title: `新事项：${def.name.zh}`,
            body: `${divisionName(input.county)}启动${def.name.zh}综合监管事项，由${departmentName(lead)}牵头。`,
            recipients: [
              { county: input.county, department: lead },
              { county: input.county, role: 'supervisor' },
            ],
          },
        ],
      });
      try {
        const outcome = await m.scope.run(process);
        await m.childrenEnded();
        view.status = 'closed';
        view.closedAt = now();
        view.stage = 'closed';
        view.stageName = m.stageName('closed');
        view.result = outcome;
        await m.record('closed', `事项办结：${outcome.summary}`, { data: { code: outcome.code } });
      } catch (err) {
        if (!isCancellation(err) && !m.cancelRequest) throw err;
        const reason = m.cancelRequest?.reason ?? '事项被撤销';
        await m.childrenEnded();
        await CancellationScope.nonCancellable(async () => {
          for (const t of view.tasks) if (t.state === 'running') t.state = 'cancelled';
          view.status = 'cancelled';
          view.closedAt = now();
          view.cancelled = { reason, at: view.closedAt };
          await m.record('cancelled', `事项撤销：${reason}`, {
            ...(m.cancelRequest?.actor ? { actor: m.cancelRequest.actor } : {}),
            data: { reason },
            notifications: [
              {
                kind: 'matter.cancelled',
                title: `事项撤销：${def.name.zh}`,
                body: `撤销原因：${reason}`,
                recipients: [{ county: input.county, department: lead }],
              },
            ],
          });
        });
        if (!m.cancelRequest) throw err; // cancelled from outside: end the run as Cancelled
      }
      return clone(view);
    },
  };
}
