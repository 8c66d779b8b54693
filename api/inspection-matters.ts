/**
 * A finding of an inspection that opens a matter (issue 14 §5: rectification, penalty): the
 * scenario's facts checked before the result is submitted (a 400 names `body.findings.N.matter.facts.…`),
 * then, once the result is in, the matter launched as POST /v1/matters launches it (api/matter-launch.ts:
 * the county's scenario, the next id) about the inspection's registered subject, its source the
 * inspection (`inspection-plan`). With an Idempotency-Key each finding's matter is reserved under
 * the key and the finding's index, so a retried result opens nothing twice.
 */
import { WorkflowExecutionAlreadyStartedError, WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/client';
import type { z } from 'zod';
import { registryRecord } from '../db/subject-registry.js';
import { toUrlId } from '../domain/ids.js';
import type { findingSchema, InspectionView } from '../domain/inspection.js';
import { matterStartOptions, type MatterInput } from '../domain/matter.js';
import type { Principal } from '../domain/principal.js';
import { factsSchemas } from '../domain/scenarios/facts.js';
import type { AppDeps } from './app.js';
import { ApiError } from './errors.js';
import { reserveWorkflowId } from './idempotency.js';
import { countyDefinition, newMatterId } from './matter-launch.js';

type FindingBody = z.infer<typeof findingSchema>;

export async function findingMatters(deps: Pick<AppDeps, 'pool' | 'temporal' | 'config'>, findings: FindingBody[], county: string) {
  const wanted = findings.flatMap((f, i) => (f.opens === 'matter' && f.matter ? [{ i, scenario: f.matter.scenario, raw: f.matter.facts }] : []));
  const issues: { path: string; message: string }[] = [];
  const prepared = wanted.map((w) => {
    const parsed = factsSchemas[w.scenario].safeParse(w.raw ?? {});
    if (!parsed.success)
      issues.push(
        ...parsed.error.issues.map((x) => ({ path: ['body', 'findings', w.i, 'matter', 'facts', ...x.path.map(String)].join('.'), message: x.message })),
      );
    return { ...w, facts: (parsed.data ?? {}) as Record<string, unknown> };
  });
  if (issues.length) throw new ApiError(400, 'validation_failed', '发现所开事项的 facts 不符合要求', issues);

  return {
    /** Opens each finding's matter; answers `{ finding, matterId }` for each. */
    async launch(p: Principal, view: InspectionView, key: string | undefined): Promise<{ finding: number; matterId: string }[]> {
      if (!prepared.length) return [];
      const s = await registryRecord(deps.pool, view.subjectId);
      if (!s) return [];
      const subject = {
        name: s.name,
        kind: s.kind as MatterInput['subject']['kind'],
        ...(s.creditCode ? { creditCode: s.creditCode } : {}),
        ...(s.address ? { address: s.address } : {}),
      };
      const out: { finding: number; matterId: string }[] = [];
      for (const w of prepared) {
        const { workflowId } = await reserveWorkflowId(deps.pool, {
          scope: `matter:${county}`,
          key: key ? `${key}:finding:${w.i}` : undefined,
          body: { inspectionId: view.inspectionId, finding: w.i },
          newId: () => newMatterId(deps.pool, county, w.scenario),
        });
        const input: MatterInput = {
          county,
          subject,
          facts: w.facts,
          source: { channel: 'inspection-plan', ref: view.inspectionId },
          definition: await countyDefinition(deps.pool, county, w.scenario),
          createdBy: p.keyId,
          launchedBy: p,
        };
        try {
          const { workflowType, ...options } = matterStartOptions(workflowId, input);
          await deps.temporal.workflow.start(workflowType, {
            ...options,
            taskQueue: deps.config.TEMPORAL_TASK_QUEUE,
            workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
            workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
          });
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
        }
        out.push({ finding: w.i, matterId: toUrlId(workflowId) });
      }
      return out;
    },
  };
}
