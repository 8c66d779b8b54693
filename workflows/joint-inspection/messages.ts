/**
 * The joint inspection's messages (imported by the API, the rounds and the tests). Each
 * department's check is its own department task, whose submission is the department's result
 * (`POST /v1/inspections/{id}/results`, signed for first when it was not); the inspection's own
 * updates change its plan: `addChecks` (a later round's draw joins it before the visit) and
 * `replaceInspectors` (a recusal's logged re-draw). Their validators refuse a wrong state before
 * anything reaches history (WrongState: 409).
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { InspectionView } from '../../domain/inspection.js';
import { jointInspectionMessages, type AddChecksArgs, type ReplaceInspectorsArgs } from '../../domain/inspection-plan.js';

export const getInspectionQuery = defineQuery<InspectionView>('getInspection');
export const addChecksUpdate = defineUpdate<InspectionView, [AddChecksArgs]>(jointInspectionMessages.addChecks);
export const replaceInspectorsUpdate = defineUpdate<InspectionView, [ReplaceInspectorsArgs]>(jointInspectionMessages.replaceInspectors);

/** The outcome code of the initiator's publication task. */
export const publishedOutcome = 'published';
