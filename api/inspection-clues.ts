/**
 * A finding of an inspection that opens a clue (issue 14 §5: 问题线索 for the competent
 * department), taken in through the one intake POST /v1/clues uses (api/clue-intake.ts): the
 * county's catalogue dispatches it (else the 12345 office does), a repeat about the same subject
 * and category joins the open clue (并单), the intake's audit entry names the recording officer.
 *
 * What the clue is: the finding's description as its content; the inspection's registered subject
 * (name, kind, credit code, address) with its township and trade, so the catalogue's `locality`
 * and trade rules apply; channel `department` (DOMAIN §6 "other departments": the inspecting
 * department's own lead); anonymous, no reply wanted (no complainant, nothing to seal); its ref
 * `<inspection url id>#<department>:<finding index>` (a joint inspection's departments each number
 * their findings from 0, so the department keeps two findings apart).
 *
 * Opened once: the clue's id is reserved under a key derived from the inspection, the department
 * and the finding's index, whatever the request's Idempotency-Key (or none), so the same finding
 * always maps to the same clue. The key holds a `#`, which no Idempotency-Key header may (its
 * pattern is `[\w.:-]+`): a 12345 work-order number can never take a finding's clue id.
 */
import type { z } from 'zod';
import { registryRecord } from '../db/subject-registry.js';
import type { ClueBody } from '../domain/clue.js';
import { toUrlId } from '../domain/ids.js';
import type { findingSchema, InspectionView } from '../domain/inspection.js';
import type { Principal } from '../domain/principal.js';
import type { AppDeps } from './app.js';
import { takeInClue } from './clue-intake.js';

type FindingBody = z.infer<typeof findingSchema>;

/** The reservation key of a finding's clue (scope `clue:<county>`). */
export const findingClueKey = (inspectionId: string, department: string, finding: number) => `${inspectionId}#${department}#${finding}`;

export function findingClues(deps: Pick<AppDeps, 'pool' | 'temporal' | 'config'>, findings: FindingBody[], department: string) {
  // The body's schema has checked each clue (category, urgency) and that exactly the findings
  // opening one carry it, before anything was written; nothing more to check here.
  const wanted = findings.flatMap((f, i) => (f.opens === 'clue' && f.clue ? [{ i, description: f.description, clue: f.clue }] : []));
  return {
    /** Takes in each finding's clue on the department's behalf; answers `{ finding, clueId }` for each. */
    async launch(p: Principal, view: InspectionView): Promise<{ finding: number; clueId: string }[]> {
      if (!wanted.length) return [];
      const s = await registryRecord(deps.pool, view.subjectId);
      const out: { finding: number; clueId: string }[] = [];
      for (const w of wanted) {
        const body: ClueBody = {
          channel: 'department',
          ref: `${toUrlId(view.inspectionId)}#${department}:${w.i}`,
          category: w.clue.category,
          urgency: w.clue.urgency,
          county: view.county,
          ...(s
            ? {
                township: s.township,
                trade: s.trade,
                subject: {
                  name: s.name,
                  kind: s.kind as NonNullable<ClueBody['subject']>['kind'],
                  ...(s.creditCode ? { creditCode: s.creditCode } : {}),
                  ...(s.address ? { address: s.address } : {}),
                },
              }
            : {}),
          complainant: { anonymous: true, wantsReply: false },
          content: w.description,
        };
        const intake = await takeInClue(deps, p, body, findingClueKey(view.inspectionId, department, w.i), {
          inspectionId: view.inspectionId,
          department,
          finding: w.i,
        });
        out.push({ finding: w.i, clueId: intake.clueId });
      }
      return out;
    },
  };
}
